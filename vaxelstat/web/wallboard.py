"""Väggskärm: the answering groups now (calls waiting, the longest wait, agents logged in, on
a call, paused, free: vaxelstat.reports.live) and today's figures, in large type, refreshed
every few seconds without reloading the page, for a screen on the wall."""

from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from vaxelstat.calls.scope import Scope
from vaxelstat.ingest.models import ImportRun
from vaxelstat.orgs.models import MeasuredObject, Organization
from vaxelstat.orgs.visibility import current_organization, scope_for, visible_objects
from vaxelstat.params import ids
from vaxelstat.reports.live import Live, LiveQueue, live
from vaxelstat.reports.measures import REPORTS, columns_of
from vaxelstat.reports.period import local_today
from vaxelstat.reports.render import clock
from vaxelstat.reports.today import FIGURES, REPORT, groups_today
from vaxelstat.web.reports import Numbers

# Seconds between refreshes: a collector sends new lines every few seconds.
REFRESH_S = 5


def today_tiles(
    org: Organization, groups: list[MeasuredObject], scope: Scope, going_on: Live | None = None
) -> list:
    """Each group's figures of today (its name, whether below the target, and each figure's
    label, text and key), of the legs the reader's scope lets them see."""
    measures = {m.key: m for m in columns_of(REPORTS[REPORT])}
    numbers = Numbers.current()
    now = timezone.now()
    queues = going_on.queues if going_on else {}
    return [
        {
            "group": g.group,
            "now": _now(queues.get(g.group.number), now) if going_on else None,
            "below": g.below_target,
            "figures": [
                (
                    measures[key].label,
                    numbers.shown(measures[key], g.figures.get(key)),
                    key,
                )
                for key in FIGURES
            ],
        }
        for g in groups_today(org, groups, scope)
    ]


def _now(queue: LiveQueue | None, now: datetime) -> dict[str, Any]:
    """A queue's figures now, as the tile shows them."""
    queue = queue or LiveQueue()
    longest = (
        clock(max(0, int((now - queue.longest_since).total_seconds())))
        if queue.longest_since
        else ""
    )
    return {
        "waiting": queue.waiting,
        "longest": longest,
        "logged_in": len(queue.logged_in),
        "on_call": len(queue.on_call),
        "paused": len(queue.paused),
        "free": queue.free,
    }


def last_import(org: Organization) -> datetime | None:
    """When the organization's latest import finished."""
    last = ImportRun.last_of(org)
    return last.finished if last else None


@login_required
def wallboard(request: HttpRequest) -> HttpResponse:
    if not request.user.may_open("dashboard"):  # type: ignore[union-attr]
        raise Http404
    org = current_organization(request)
    groups = visible_objects(request.user, org).filter(kind="acd").order_by("number")
    wanted = set(ids(request.GET.getlist("o")))
    if wanted:
        groups = groups.filter(id__in=wanted)
    going_on = live(org, timezone.now())
    newest = going_on.newest
    context = {
        "org": org,
        "tiles": today_tiles(org, list(groups), scope_for(request.user, org), going_on),
        "newest": newest,
        # (A PBX whose clock is ahead writes lines "from the future": no time ago.)
        "newest_age": clock(max(0, int((timezone.now() - newest).total_seconds())))
        if newest
        else "",
        "today": local_today(org.tzinfo),
        "now": timezone.now(),
        "last_import": last_import(org),
        "refresh": REFRESH_S,
    }
    template = (
        "web/wallboard_tiles.html" if request.headers.get("X-Fragment") else "web/wallboard.html"
    )
    return render(request, template, context)

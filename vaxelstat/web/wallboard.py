"""Väggskärm: today's figures of the answering groups in large type, refreshed every half
minute, for a screen on the wall."""

from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from vaxelstat.calls.scope import Scope
from vaxelstat.ingest.models import ImportRun
from vaxelstat.orgs.models import MeasuredObject, Organization
from vaxelstat.orgs.visibility import current_organization, scope_for, visible_objects
from vaxelstat.params import ids
from vaxelstat.reports.measures import REPORTS, columns_of
from vaxelstat.reports.period import local_today
from vaxelstat.reports.today import FIGURES, REPORT, groups_today
from vaxelstat.web.reports import Numbers

# Seconds between refreshes.
REFRESH_S = 30


def today_tiles(org: Organization, groups: list[MeasuredObject], scope: Scope) -> list:
    """Each group's figures of today (its name, whether below the target, and each figure's
    label, text and key), of the legs the reader's scope lets them see."""
    measures = {m.key: m for m in columns_of(REPORTS[REPORT])}
    numbers = Numbers.current()
    return [
        {
            "group": g.group,
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
    context = {
        "org": org,
        "tiles": today_tiles(org, list(groups), scope_for(request.user, org)),
        "today": local_today(org.tzinfo),
        "now": timezone.now(),
        "last_import": last_import(org),
        "refresh": REFRESH_S,
    }
    template = (
        "web/wallboard_tiles.html" if request.headers.get("X-Fragment") else "web/wallboard.html"
    )
    return render(request, template, context)

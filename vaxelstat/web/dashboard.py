"""Min dashboard: today's and the last seven days' key figures of each group the user may see."""

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from vaxelstat.orgs.visibility import current_organization, scope_for, visible_objects
from vaxelstat.reports.engine import run_report
from vaxelstat.reports.measures import BY_KEY, REPORTS
from vaxelstat.reports.period import Period, local_today
from vaxelstat.web.reports import (
    Numbers,
)

# Min dashboard: the key figures of each answering and hunt group the user may see.
DASHBOARD_FIGURES = ("incoming", "answered", "unanswered", "mean_answer_time", "service_level")


@login_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    """Min dashboard: today's and the last seven days' key figures per group, each linking to
    its report."""
    if not request.user.may_open("dashboard"):  # type: ignore[union-attr]
        raise Http404
    org = current_organization(request)
    scope = scope_for(request.user, org)
    today = local_today(org.tzinfo)
    numbers = Numbers.current()
    week = Period(org.timezone, today - timedelta(days=6), today, group="day")
    day = Period(org.timezone, today, today, group="day")
    report = REPORTS["acd.incoming"]
    measures = [BY_KEY[(report.scope, key)] for key in DASHBOARD_FIGURES]
    visible = visible_objects(request.user, org)
    # Per kind of group, two queries (today, the week) with a row per group.
    figures_of: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    for kind, key in (("acd", "acd.incoming"), ("hunt", "hunt.incoming")):
        objects = list(visible.filter(kind=kind))
        if not objects:
            continue
        todays, weeks = (
            run_report(org, key, objects, period, scope=scope, by_object=True).rows
            for period in (day, week)
        )
        for obj, (_b, d), (_w, w) in zip(objects, todays, weeks, strict=True):
            figures_of[obj.id] = (d, w)
    groups = []
    for obj in visible.filter(kind__in=["acd", "hunt"]).order_by("kind", "number"):
        key = "acd.incoming" if obj.kind == "acd" else "hunt.incoming"
        rows = []
        for label, first, figures in (
            (_("I dag"), today, figures_of[obj.id][0]),
            (_("Senaste 7 dagarna"), week.first, figures_of[obj.id][1]),
        ):
            query = {"report": key, "from": first.isoformat(), "to": today.isoformat(), "o": obj.id}
            rows.append(
                {
                    "label": label,
                    "link": reverse("reports") + "?" + urlencode(query),
                    "figures": [numbers.shown(m, figures.get(m.key)) for m in measures],
                }
            )
        groups.append({"object": obj, "rows": rows})
    return render(
        request,
        "web/dashboard.html",
        {"groups": groups, "headings": [m.label for m in measures]},
    )

"""Avancerade rapporter: a report of one's own. Start from a standard report (which objects and
which calls it counts), choose its columns among every measure of that kind of call, and its
rows: the period's buckets, or one row per object. Every count links to its calls."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from vaxelstat.reports.measures import MEASURES, chosen_columns, columns_of
from vaxelstat.saved.models import SavedReport
from vaxelstat.web.reports import (
    group_labels,
    measure_help,
    read_choice,
    report_table,
    reports_by_kind_list,
    table_page,
)


@login_required
def advanced_page(request: HttpRequest) -> HttpResponse:
    if not request.user.may_open("advanced"):  # type: ignore[union-attr]
        raise Http404
    choice = read_choice(request)
    available = [m for m in MEASURES if m.scope == choice.report.scope]
    columns = chosen_columns(choice.report, request.GET.getlist("m")) or columns_of(choice.report)
    by_object = request.GET.get("rows") == "object"
    result = choice.result(request.user, columns=columns, by_object=by_object)
    table = (
        report_table(choice, result, by_object=by_object, page=table_page(request))
        if result is not None
        else None
    )
    chosen = {m.key for m in columns}
    context = {
        "choice": choice,
        "reports_by_kind": reports_by_kind_list(),
        "measures": [(m.key, m.label, measure_help(m), m.key in chosen) for m in available],
        "by_object": by_object,
        "groups": group_labels(),
        "report_title": choice.report.name,
        "result": result,
        "table": table,
        "calls_link": reverse("report-calls") + "?" + choice.query(),
        # What the export and save forms carry beyond a Basrapport's choices.
        "chosen_measures": [m.key for m in columns] if request.GET.getlist("m") else [],
        "save_periods": SavedReport.Period.choices,
    }
    template = (
        "web/advanced_result.html" if request.headers.get("X-Fragment") else "web/advanced.html"
    )
    return render(request, template, context, status=400 if choice.error else 200)

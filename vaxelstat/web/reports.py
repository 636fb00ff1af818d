"""Basrapporter in the browser: the report page and the call specification behind it.

Every choice lives in the query string, so a report's URL can be shared and bookmarked and the
back button works. The page computes nothing: the report engine does, through the call store
with the user's scope; this module only reads the choices and formats the figures.
"""

import html
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from vaxelstat.calls.legs import TYPE_LABELS, TYPES_BY_KIND
from vaxelstat.ingest.models import ImportRun
from vaxelstat.orgs.models import MeasuredObject, Organization
from vaxelstat.orgs.visibility import current_organization, scope_for, visible_objects
from vaxelstat.params import ids, whole
from vaxelstat.reports.agent_queues import agent_queues
from vaxelstat.reports.engine import ReportResult, run_report
from vaxelstat.reports.journey import ENDINGS, call_ending
from vaxelstat.reports.measures import (
    BY_KEY,
    REPORTS,
    SERVICE_LEVELS,
    Measure,
    Report,
    described,
    english,
)
from vaxelstat.reports.pauses import pauses
from vaxelstat.reports.period import (
    GROUP_NAMES,
    GROUPS,
    Period,
    PeriodError,
    TooLarge,
    grouped,
    local_today,
)
from vaxelstat.reports.render import clock
from vaxelstat.reports.specification import (
    Filters,
    call_steps,
    filter_texts,
    show,
    specification,
)
from vaxelstat.reports.staffing import staffing
from vaxelstat.saved.models import ReportQuery, SavedReport

PAGE_SIZE = 50


def group_labels() -> list[tuple[str, str]]:
    return [(g, _(GROUP_NAMES[g])) for g in GROUPS]


def measure_help(measure: Measure) -> str:
    return described(measure, english())


@dataclass(frozen=True)
class Numbers:
    """The language's separators, read once per page (a long table formats 50,000 figures)."""

    thousands: str
    decimal: str

    @classmethod
    def current(cls) -> "Numbers":
        return cls(
            str(formats.get_format("THOUSAND_SEPARATOR")),
            str(formats.get_format("DECIMAL_SEPARATOR")),
        )

    def shown(self, measure: Measure, value: Any) -> str:
        """A figure as the page shows it: blank for a mean of nothing, times as hh:mm:ss,
        counts with thousands separated, percentages with one decimal."""
        if value is None:
            return ""
        if measure.unit == "seconds":
            return clock(value)
        if measure.unit == "percent":
            return f"{value:.1f}".replace(".", self.decimal) + "\xa0%"
        return f"{value:,}".replace(",", self.thousands)


@dataclass
class Choice:
    """What the query string asks for, read and checked."""

    org: Organization
    report: Report
    first: date
    last: date
    window: str
    group: str
    objects: list[MeasuredObject]
    # The objects of the report's kind the user may choose from.
    candidates: list[MeasuredObject]
    error: str = ""
    # Jämför med föregående period: the same report of the period before, beside it.
    compare: bool = False

    @property
    def chosen(self) -> set[int]:
        """The ids of the objects chosen (a page's list ticks them)."""
        return {o.id for o in self.objects}

    def query(self, **changes: Any) -> str:
        values: dict[str, Any] = {
            "report": self.report.key,
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "time": self.window,
            "group": self.group,
            # The objects as one comma-separated value: a long table has a link per figure.
            "o": ",".join(str(o.id) for o in self.objects),
            "compare": "1" if self.compare else "",
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", None)}, doseq=True)

    def result(self, user: Any, **options: Any) -> ReportResult | None:
        """The report chosen, of what `user` may see (run_report's `options`: columns, rows
        per object); None, with the choice's error, where it is refused (too large) or
        cannot be made (no objects, an error already)."""
        if not self.objects or self.error:
            return None
        try:
            return run_report(
                self.org,
                self.report.key,
                self.objects,
                self.period(),
                scope=scope_for(user, self.org),
                **options,
            )
        except TooLarge as exc:
            self.error = str(exc)
            return None

    def period(self) -> Period:
        window = self.window if self.window else None
        return Period.parse(
            self.org.timezone, self.first.isoformat(), self.last.isoformat(), window, self.group
        )

    def previous(self) -> "Choice":
        """The same choice for the period before (Period.previous), compared with nothing;
        its error says why where there is no such period."""
        try:
            before = self.period().previous()
        except PeriodError as exc:
            return replace(self, compare=False, error=str(exc))
        return replace(self, first=before.first, last=before.last, compare=False)


def report_params(request: HttpRequest) -> QueryDict:
    """The query's choices: the request's own, over those a short key (`ref`) names (a
    figure's link: its report's choices once in the database, its measure and bucket in the
    link). An unknown key is a 404; the reader's permissions apply as to any address."""
    ref = request.GET.get("ref", "")
    if not ref:
        return request.GET
    stored = (
        ReportQuery.objects.filter(organization=current_organization(request), key=ref[:22])
        .values_list("query", flat=True)
        .first()
    )
    if stored is None:
        raise Http404
    params = QueryDict(stored, mutable=True)
    for key in request.GET:
        if key != "ref":
            params.setlist(key, request.GET.getlist(key))
    return params


def read_choice(request: HttpRequest) -> Choice:
    org = current_organization(request)
    params = report_params(request)
    report = REPORTS.get(params.get("report", ""), REPORTS["acd.incoming"])
    today = local_today(org.tzinfo)
    error = ""
    try:
        first = date.fromisoformat(params.get("from") or (today - timedelta(days=6)).isoformat())
        last = date.fromisoformat(params.get("to") or today.isoformat())
    except ValueError:
        first, last, error = today - timedelta(days=6), today, _("Datum skrivs ÅÅÅÅ-MM-DD.")
    group = params.get("group", "day")
    if group not in GROUPS:
        group = "day"
    window = params.get("time", "").strip()
    candidates = list(visible_objects(request.user, org).filter(kind=report.kind))
    # Checkboxes send o=1&o=2; links carry o=1,2.
    wanted = set(ids(params.getlist("o")))
    objects = [o for o in candidates if o.id in wanted]
    compare = params.get("compare") == "1"
    choice = Choice(org, report, first, last, window, group, objects, candidates, error, compare)
    if not error:
        try:
            choice.period()
        except PeriodError as exc:
            choice.error = str(exc)
    return choice


def reports_by_kind_list() -> list[tuple[str, list[tuple[str, str]]]]:
    kinds = dict(MeasuredObject.Kind.choices)
    grouped: dict[str, list[tuple[str, str]]] = {}
    for report in REPORTS.values():
        grouped.setdefault(report.kind, []).append((report.key, report.name))
    return [(str(kinds[kind]), items) for kind, items in grouped.items()]


def change(measure: Measure, now: Any, before: Any, numbers: Numbers) -> str:
    """How a figure changed since the period before: a count, sum or time by its difference
    and the difference in percent of the earlier figure (where that was not 0); a percentage
    by its difference in percentage points. Blank where either is blank (a mean of nothing)."""
    if now is None or before is None:
        return ""
    diff = now - before
    sign = "+" if diff > 0 else "−" if diff < 0 else "±"
    if measure.unit == "percent":
        points = f"{abs(diff):.1f}".replace(".", numbers.decimal)
        unit = _("procentenheter")
        return f"{sign}{points}\xa0{unit}"
    shown = numbers.shown(measure, abs(diff))
    if not before:
        return f"{sign}{shown}"
    share = f"{abs(100 * diff / before):.1f}".replace(".", numbers.decimal)
    return f"{sign}{shown} ({sign}{share}\xa0%)"


# The most rows of a report's table one page shows (the chart shows them all): a year in
# 30-minute buckets is 7,300 rows, pages of these few are quick to make, send and read.
ROWS_SHOWN = 250


def table_page(request: HttpRequest) -> tuple[int, Any]:
    """The table's page a report's address asks for (`table_page`, from 1), and how to link
    to another of its pages (the same address, the same choices)."""
    page = whole(request.GET.get("table_page"), 1) or 1

    def link(number: int) -> str:
        query = request.GET.copy()
        query["table_page"] = str(number)
        return request.path + "?" + query.urlencode()

    return page, link


def _paging(count: int, page: int, link: Any) -> tuple[range, dict[str, Any] | None]:
    """The rows a page of the table shows, and its navigation (None where one page holds
    them all)."""
    pages = max(1, -(-count // ROWS_SHOWN))
    page = min(page, pages)
    shown = range((page - 1) * ROWS_SHOWN, min(count, page * ROWS_SHOWN))
    if pages == 1:
        return shown, None
    return shown, {
        "text": _("Rad %(first)s–%(last)s av %(rows)s")
        % {
            "first": grouped(shown.start + 1),
            "last": grouped(shown.stop),
            "rows": grouped(count),
        },
        "links": [
            (_("Första"), link(1) if page > 1 else ""),
            (_("Föregående"), link(page - 1) if page > 1 else ""),
            (_("Nästa"), link(page + 1) if page < pages else ""),
            (_("Sista"), link(pages) if page < pages else ""),
        ],
    }


def report_table(
    choice: Choice,
    result: ReportResult,
    by_object: bool = False,
    previous: tuple[Choice, ReportResult] | None = None,
    page: tuple[int, Any] | None = None,
) -> dict[str, Any]:
    """The table and the chart's series, formatted; each figure links to its calls (of its
    row's bucket, or with a row per object, of its row's object). With `previous` (the same
    report of the period before: Jämför med föregående period), each measure has a column of
    each period, row by row in order (the first day against the first day), its total
    beside the total and the change under them; the earlier figures link to their calls.
    With `page` (the page asked for and how to link to another: table_page) the table shows
    ROWS_SHOWN rows at a time, else all of them; the chart has every row."""
    columns = [
        {"key": m.key, "label": m.label, "help": measure_help(m), "unit": m.unit}
        for m in result.columns
    ]
    numbers = Numbers.current()

    def links_of(of: Choice) -> dict[str, str]:
        # The choices once, under a short key: each link carries the key, its measure and
        # its bucket (or object).
        key = ReportQuery.keep(of.org, of.query(o="") if by_object else of.query())
        href = escape(reverse("report-calls") + "?ref=" + key)
        return {m.key: f"{href}&amp;measure={m.key}" for m in result.columns}

    def cells(
        values: dict[str, Any] | None, where: str, links: dict[str, str], kind: str = "num"
    ) -> list[str]:
        """A row's figures as table cells (blank where the row has none); a count other than
        zero links to its calls. Made here rather than in the template: a year in 30-minute
        buckets has 50,000 of them. The texts are our own digits and separators, the links
        escaped above; `where` is the row's own part of the link (digits only)."""
        out = []
        for m in result.columns:
            text = numbers.shown(m, values[m.key]) if values is not None else ""
            if m.agg == "count" and text and text != "0":
                out.append(f'<td class="{kind}"><a href="{links[m.key]}{where}">{text}</a></td>')
            else:
                out.append(f'<td class="{kind}">{text}</td>')
        return out

    def where(index: int, bucket: Any) -> str:
        return f"&amp;o={bucket.key}" if by_object else f"&amp;bucket={index}"

    def label(of: ReportResult, bucket: Any) -> str:
        return bucket.label if by_object else of.period.shown_label(bucket.label)

    links = links_of(choice)
    everyone = ",".join(str(o.id) for o in choice.objects)
    total = cells(result.total, f"&amp;o={everyone}" if by_object else "", links)
    labels = [label(result, bucket) for bucket in result.buckets]
    count = max(len(result.buckets), len(previous[1].buckets) if previous is not None else 0)
    shown, paging = _paging(count, *page) if page is not None else (range(count), None)

    def now(i: int) -> tuple[str, list[str]]:
        if i >= len(result.buckets):
            return ("", cells(None, "", links))
        return (labels[i], cells(result.values_at(i), where(i, result.buckets[i]), links))

    earlier: dict[str, Any] = {}
    if previous is not None:
        before_choice, before = previous
        before_links = links_of(before_choice)

        def then(i: int) -> tuple[str, list[str]]:
            # Row by row in order; where one period has more rows (31 days against 30, the
            # autumn's 25 hours), the other's cells are blank.
            if i >= len(before.buckets):
                return ("", cells(None, "", before_links, "num earlier"))
            bucket, values = before.buckets[i], before.values_at(i)
            return (
                label(before, bucket),
                cells(values, where(i, bucket), before_links, "num earlier"),
            )

        first_label = _("%(first)s – %(last)s") % {
            "first": before.period.first.isoformat(),
            "last": before.period.last.isoformat(),
        }
        earlier = {
            "label": first_label,
            "total": cells(before.total, "", before_links, "num earlier"),
            "change": mark_safe(  # noqa: S308
                "".join(
                    f'<td class="num" colspan="2">'
                    f"{html.escape(change(m, result.total[m.key], before.total[m.key], numbers))}"
                    "</td>"
                    for m in result.columns
                )
            ),
        }
        pairs = [(now(i), then(i)) for i in shown]
        body = "".join(
            f'<tr><th scope="row">{html.escape(a[0])}</th>'
            f'<th scope="row" class="earlier">{html.escape(b[0])}</th>'
            + "".join(x + y for x, y in zip(a[1], b[1], strict=True))
            + "</tr>\n"
            for a, b in pairs
        )
        total_cells = "".join(a + b for a, b in zip(total, earlier["total"], strict=True))
        labels += [""] * (count - len(labels))
    else:
        # The rows as one piece of HTML: a template loop over hundreds of rows costs more
        # than the figures. Labels are escaped here; the cells were made above.
        body = "".join(
            f'<tr><th scope="row">{html.escape(text)}</th>{"".join(row)}</tr>\n'
            for text, row in map(now, shown)
        )
        total_cells = "".join(total)
    counts = [m for m in result.columns if m.agg == "count"]
    # Percentages (service levels, occupancy) are lines on an axis of their own, and a service
    # level has the organization's target beside it.
    percents = [m for m in result.columns if m.unit == "percent"]

    def drawn(m: Measure, of: ReportResult) -> dict[str, Any]:
        return {"label": m.label, "data": list(of.figures[m.key])}

    chart: dict[str, Any] = {
        "labels": labels,
        "series": [drawn(m, result) for m in counts],
        "lines": [drawn(m, result) for m in percents],
    }
    if previous is not None:
        chart["previous"] = {
            "label": _("föreg."),
            "series": [drawn(m, previous[1]) for m in counts],
            "lines": [drawn(m, previous[1]) for m in percents],
        }
    if any(m.key in SERVICE_LEVELS for m in percents):
        target = choice.org.service_level_target
        chart["target"] = {"label": _("Mål %(target)s %%") % {"target": target}, "value": target}
    return {
        "columns": columns,
        "total": mark_safe(total_cells),  # noqa: S308
        "body": mark_safe(body),  # noqa: S308
        "chart": chart,
        "earlier": earlier,
        "paging": paging,
    }


@login_required
def report_page(request: HttpRequest) -> HttpResponse:
    """Basrapporter: choose period, window, report and objects; Bearbeta shows chart and table.
    With the header X-Fragment the result alone is sent (grouping and report switches)."""
    if not request.user.may_open("reports"):  # type: ignore[union-attr]
        raise Http404
    choice = read_choice(request)
    result = choice.result(request.user)
    previous, compare_error = None, ""
    if result is not None and choice.compare:
        before = choice.previous()
        before_result = before.result(request.user)
        if before_result is None:
            compare_error = before.error
        else:
            previous = (before, before_result)
    table = (
        report_table(choice, result, previous=previous, page=table_page(request))
        if result is not None
        else None
    )
    last_import = ImportRun.last_of(choice.org)
    context = {
        "choice": choice,
        "reports_by_kind": reports_by_kind_list(),
        "same_kind": [(r.key, r.name) for r in REPORTS.values() if r.kind == choice.report.kind],
        "report_title": choice.report.name,
        "groups": [
            (g, label, reverse("reports") + "?" + choice.query(group=g))
            for g, label in group_labels()
        ],
        "result": result,
        "table": table,
        "compare_error": compare_error,
        "made": timezone.now(),
        "last_import": last_import,
        "calls_link": reverse("report-calls") + "?" + choice.query(),
        "staffing_link": reverse("staffing") + "?" + choice.query(),
        "pauses_link": reverse("pauses") + "?" + choice.query(),
        "agent_queues_link": reverse("agent-queues") + "?" + choice.query(),
        "may_save": request.user.may_open("advanced"),  # type: ignore[union-attr]
        "save_periods": SavedReport.Period.choices,
    }
    template = "web/report_result.html" if request.headers.get("X-Fragment") else "web/report.html"
    # A choice the page cannot make a report of (its message is on the page) is a 400.
    return render(request, template, context, status=400 if choice.error else 200)


@login_required
def calls_page(request: HttpRequest) -> HttpResponse:
    """Öppna specifikation (Samtal): the legs behind the report, or behind one figure."""
    if not request.user.may_open("reports"):  # type: ignore[union-attr]
        raise Http404
    choice = read_choice(request)
    if choice.error or not choice.objects:
        raise Http404
    params = report_params(request)
    period = choice.period()
    measure = params.get("measure") or None
    # Any measure of the report's scope: an advanced report chooses its own columns.
    if measure is not None and (choice.report.scope, measure) not in BY_KEY:
        raise Http404
    buckets = period.buckets()
    bucket_index = params.get("bucket", "")
    bucket = None
    if (index := whole(bucket_index, 0, len(buckets) - 1)) is not None:
        bucket = buckets[index]
    elif bucket_index:
        raise Http404

    def number(name: str) -> int | None:
        return whole(params.get(name))

    types = TYPES_BY_KIND[choice.report.kind]
    wanted_type = params.get("type") if params.get("type") in types else None
    filters = Filters(
        type=wanted_type,
        text=filter_texts(params),
        wait_min=number("wait_min"),
        wait_max=number("wait_max"),
        talk_min=number("talk_min"),
        talk_max=number("talk_max"),
    )
    page = max(number("page") or 1, 1)
    order = "oldest" if params.get("order") == "oldest" else "newest"
    spec = specification(
        choice.org,
        choice.report.key,
        choice.objects,
        period,
        filters,
        measure,
        bucket.key if bucket else None,
        order,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
        scope=scope_for(request.user, choice.org),
    )
    pages = max((spec.total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    base = {k: params.getlist(k) for k in params if k != "page"}

    def page_link(n: int) -> str:
        return "?" + urlencode({**base, "page": [n]}, doseq=True)

    group_kind = choice.report.kind != "user"
    show(choice.org, spec.calls)
    # Each call's way through the switchboard, which comes back here.
    journey = reverse("call-journey")
    back = urlencode({"back": request.get_full_path()})
    for call in spec.calls:
        call["type_label"] = _(call["type_label"])
        call["when"] = call["start"].replace("T", " ")
        way = urlencode({"point": call["collection_point_id"], "call": call["call_id"]})
        call["journey"] = f"{journey}?{way}&{back}"
    return render(
        request,
        "web/calls.html",
        {
            "choice": choice,
            "report_title": choice.report.name,
            "measure": BY_KEY[(choice.report.scope, measure)].label if measure else "",
            "bucket": bucket.label if bucket else "",
            "spec": spec,
            "group_kind": group_kind,
            "types": [(t, _(TYPE_LABELS[t])) for t in types],
            "filters": filters,
            "params": params,
            "order": order,
            "page": page,
            "pages": pages,
            "previous": page_link(page - 1) if page > 1 else None,
            "next": page_link(page + 1) if page < pages else None,
            "back": reverse("reports") + "?" + choice.query(),
            "clear": "?" + choice.query(measure=measure, bucket=bucket_index or None),
        },
    )


@login_required
def journey_page(request: HttpRequest) -> HttpResponse:
    """Visa samtalets väg: one call's steps (rule, IVR, group, member, mailbox) in order, with
    the time at each, and how it ended as Samtalens väg counts it."""
    if not request.user.may_open("reports"):  # type: ignore[union-attr]
        raise Http404
    org = current_organization(request)
    call_id = request.GET.get("call", "")[:200]
    point_id = whole(request.GET.get("point"), 1) or 0
    # Where the reader came from (the specification), to go back to.
    back = request.GET.get("back", "")[:4000]
    scope = scope_for(request.user, org)
    steps, unseen = call_steps(org, point_id, call_id, scope=scope) if call_id else ([], 0)
    if not steps:
        raise Http404
    show(org, steps)
    began = steps[0]["start_utc"]
    kinds = dict(MeasuredObject.Kind.choices)
    for step in steps:
        step["type_label"] = _(step["type_label"])
        step["when"] = step["start"].replace("T", " ")
        step["after"] = clock(int((step["start_utc"] - began).total_seconds()))
        step["kind_label"] = kinds[step["object_kind"]]
    ending = call_ending(
        scope,
        list(visible_objects(request.user, org).values_list("id", flat=True)),
        point_id,
        call_id,
        min(s["start_local"] for s in steps),
        max(s["start_local"] for s in steps),
    )
    return render(
        request,
        "web/journey.html",
        {
            "steps": steps,
            "unseen": unseen,
            "ending": _(ENDINGS[ending]) if ending else "",
            "call_id": call_id,
            "back": back if url_has_allowed_host_and_scheme(back, {request.get_host()}) else "",
        },
    )


def _agents_figures(request: HttpRequest, fits: Any, compute: Any) -> tuple[Choice, Any, Any]:
    """The choice of a page beside the agents' reports, its organization and `compute`'s
    figures (of what the reader may see); 404 where the page is not the report's (`fits`),
    nothing is chosen, or the choice is refused."""
    if not request.user.may_open("reports"):  # type: ignore[union-attr]
        raise Http404
    choice = read_choice(request)
    if not fits(choice) or not choice.objects or choice.error:
        raise Http404
    org = choice.org
    try:
        found = compute(org, choice.objects, choice.period(), scope_for(request.user, org))
    except TooLarge:
        raise Http404 from None
    return choice, org, found


@login_required
def agent_queues_page(request: HttpRequest) -> HttpResponse:
    """Agenter per kö: agent.calls with a row per agent and the queue that rang it."""
    choice, org, found = _agents_figures(
        request, lambda c: c.report.key == "agent.calls", agent_queues
    )
    numbers = Numbers.current()
    # The queues by name where the reader may see them, else by number.
    groups = {
        o.number: o.display_name or o.number
        for o in visible_objects(request.user, org).filter(kind__in=("acd", "hunt"))
    }
    return render(
        request,
        "web/agent_queues.html",
        {
            "choice": choice,
            "columns": [{"label": m.label, "help": measure_help(m)} for m in found.columns],
            "rows": [
                {
                    "agent": agent,
                    "queue": f"{groups.get(queue, queue)} ({queue})",
                    "cells": [numbers.shown(m, values[m.key]) for m in found.columns],
                }
                for agent, queue, values in found.rows
            ],
            "total": [numbers.shown(m, found.total[m.key]) for m in found.columns],
            "back": reverse("reports") + "?" + choice.query(),
        },
    )


@login_required
def pauses_page(request: HttpRequest) -> HttpResponse:
    """Pausad tid per orsak: the chosen agents' paused time of the period by the reason the
    PBX gave (named as the admin names them), beside Agenter – Inloggad tid."""
    choice, org, found = _agents_figures(request, lambda c: c.report.scope == "agent", pauses)
    rows = [
        {
            "agent": agent,
            "cells": [clock(found.seconds[agent.id].get(r, 0)) for r, _ in found.reasons],
            "total": clock(found.total[agent.id]),
        }
        for agent in choice.objects
    ]
    totals = [
        clock(sum(found.seconds[a.id].get(r, 0) for a in choice.objects)) for r, _ in found.reasons
    ]
    return render(
        request,
        "web/pauses.html",
        {
            "choice": choice,
            "reasons": [name or _("(ingen orsak)") for _r, name in found.reasons],
            "rows": rows,
            "totals": totals,
            "total": clock(sum(found.total.values())),
            "back": reverse("reports") + "?" + choice.query(),
        },
    )


@login_required
def staffing_page(request: HttpRequest) -> HttpResponse:
    """Bemanning: agents needed per hour of the day for the chosen answering groups, by
    Erlang C from the period's arrivals (per day with calls) and talk times."""
    if not request.user.may_open("reports"):  # type: ignore[union-attr]
        raise Http404
    choice = read_choice(request)
    if choice.report.kind != "acd" or not choice.objects or choice.error:
        raise Http404
    level = whole(request.GET.get("level"), 1, 99) or 80
    org = choice.org
    try:
        days, hours = staffing(
            org, choice.objects, choice.period(), scope_for(request.user, org), level / 100
        )
    except TooLarge:
        raise Http404 from None
    decimal = Numbers.current().decimal
    rows = [
        {
            "hour": row.hour,
            "calls": f"{row.calls_per_day:.1f}".replace(".", decimal),
            "handling": clock(row.handling_s) if row.handling_s else "",
            "traffic": f"{row.traffic:.2f}".replace(".", decimal),
            "agents": row.agents,
        }
        for row in hours
    ]
    return render(
        request,
        "web/staffing.html",
        {
            "choice": choice,
            "rows": rows,
            "days": days,
            "level": level,
            "target": org.service_level_seconds,
            "back": reverse("reports") + "?" + choice.query(),
        },
    )

"""What an export holds: the report's figures, and optionally the calls behind them, computed
with the reader's scope at the time the file is made. Renderers (xlsx, pdf, csv) only lay out."""

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from vaxelstat.calls.scope import Scope
from vaxelstat.ingest.models import ImportRun
from vaxelstat.orgs.models import MeasuredObject, Organization
from vaxelstat.reports.engine import ReportResult, run_report
from vaxelstat.reports.measures import REPORTS, chosen_columns, columns_of
from vaxelstat.reports.period import Period, PeriodError
from vaxelstat.reports.specification import Filters, show, specification

INCLUDES = ("table", "chart", "calls", "info")
# A PDF holds at most this many calls; a longer specification goes to Excel.
PDF_CALLS = 2000
# The most rows of a report a PDF holds (about 40 pages): a longer one is a spreadsheet's.
PDF_ROWS = 1000


@dataclass
class ExportRequest:
    report: str
    first: str  # YYYY-MM-DD
    last: str
    window: str  # "HH:MM-HH:MM" or ""
    group: str
    objects: list[int]
    include: list[str] = field(default_factory=lambda: ["table", "chart", "info"])
    # The specification's filters (the page's f_*, type, wait_*, talk_*), and its cell.
    filters: dict[str, Any] = field(default_factory=dict)
    measure: str | None = None
    bucket: int | None = None
    # An advanced report's own columns (none: the report's) and its rows per object.
    measures: list[str] = field(default_factory=list)
    by_object: bool = False
    # A saved report's name: the file's and the e-mail's (none: the report's own name).
    title: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ExportRequest":
        return cls(**data)


@dataclass
class Content:
    org: Organization
    result: ReportResult
    calls: list[dict[str, Any]] | None  # None: not asked for
    calls_total: int
    include: list[str]
    made: datetime
    last_import: datetime | None


def refusal(request: ExportRequest, fmt: str = "xlsx") -> str:
    """Why the report a request names cannot be made in this format (a period out of range,
    more figures than a report may have, more rows than a PDF holds), or ''. Asked before an
    export is queued."""
    report = REPORTS.get(request.report)
    if report is None:
        return f"no report {request.report!r}"
    try:
        period = Period.parse(
            "UTC", request.first, request.last, request.window or None, request.group
        )
        columns = chosen_columns(report, request.measures) or columns_of(report)
        rows = len(request.objects) if request.by_object else period.most_buckets()
        period.check_cells(len(columns), rows)
    except PeriodError as exc:
        return str(exc)
    if fmt == "pdf" and rows > PDF_ROWS:
        return gettext(
            "En PDF rymmer högst %(most)s rader, rapporten har %(rows)s. Välj Excel, en grövre "
            "gruppering eller en kortare period."
        ) % {"most": PDF_ROWS, "rows": rows}
    return ""


def run_request(org: Organization, scope: Scope, request: ExportRequest) -> ReportResult:
    """The report a request names (an export's, a saved report's), of the objects the scope
    lets its reader see."""
    report = REPORTS[request.report]
    period = Period.parse(
        org.timezone, request.first, request.last, request.window or None, request.group
    )
    objects = list(
        MeasuredObject.objects.filter(
            organization=org, kind=report.kind, id__in=scope.allowed(request.objects)
        )
    )
    return run_report(
        org,
        report.key,
        objects,
        period,
        scope=scope,
        columns=chosen_columns(report, request.measures),
        by_object=request.by_object,
    )


def gather(org: Organization, scope: Scope, request: ExportRequest) -> Content:
    """The figures (and calls) of the request, of the objects the scope lets its reader see."""
    result = run_request(org, scope, request)
    report, period, objects = result.report, result.period, result.objects
    calls, total = None, 0
    if "calls" in request.include:
        buckets = period.buckets()
        bucket = buckets[request.bucket].key if request.bucket is not None else None
        f = request.filters
        spec = specification(
            org,
            report.key,
            objects,
            period,
            Filters(
                type=f.get("type") or None,
                text={k: v for k, v in f.get("text", {}).items() if v},
                wait_min=f.get("wait_min"),
                wait_max=f.get("wait_max"),
                talk_min=f.get("talk_min"),
                talk_max=f.get("talk_max"),
            ),
            request.measure,
            bucket,
            "oldest",
            None,
            0,
            scope=scope,
        )
        calls, total = spec.calls, spec.total
        show(org, calls)  # (in the active language: the file's reader's)
    last = ImportRun.last_of(org)
    return Content(
        org,
        result,
        calls,
        total,
        list(request.include),
        timezone.now(),
        last.finished if last else None,
    )

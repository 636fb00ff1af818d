"""What an export holds: the report's figures, and optionally the calls behind them, computed
with the reader's scope at the time the file is made. Renderers (xlsx, pdf, csv) only lay out."""

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from vaxelstat.calls.scope import Scope
from vaxelstat.ingest.models import ImportRun
from vaxelstat.orgs.models import MeasuredObject, Organization
from vaxelstat.reports.engine import ReportResult, run_report
from vaxelstat.reports.measures import REPORTS, chosen_columns
from vaxelstat.reports.period import Period
from vaxelstat.reports.specification import Filters, specification

INCLUDES = ("table", "chart", "calls", "info")
# A PDF holds at most this many calls; a longer specification goes to Excel.
PDF_CALLS = 2000


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
    last = ImportRun.objects.filter(organization=org).order_by("-finished").first()
    return Content(
        org,
        result,
        calls,
        total,
        list(request.include),
        timezone.now(),
        last.finished if last else None,
    )

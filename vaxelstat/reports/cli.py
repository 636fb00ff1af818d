"""What `vaxelstat report` and `vaxelstat calls` share: their arguments and how they are read."""

from dataclasses import dataclass
from typing import Any

from django.core.management.base import CommandError, CommandParser

from vaxelstat.orgs.models import MeasuredObject, Organization
from vaxelstat.reports.engine import find_objects
from vaxelstat.reports.measures import REPORTS, Report
from vaxelstat.reports.period import GROUPS, Period, PeriodError


@dataclass
class Request:
    org: Organization
    report: Report
    period: Period
    objects: list[MeasuredObject]


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("--org", required=True)
    parser.add_argument("--report", required=True, choices=list(REPORTS))
    parser.add_argument(
        "--objects", required=True, help="numbers or names as the source shows them, or all"
    )
    parser.add_argument("--from", dest="first", required=True, metavar="YYYY-MM-DD")
    parser.add_argument("--to", dest="last", required=True, metavar="YYYY-MM-DD")
    parser.add_argument("--time", metavar="HH:MM-HH:MM", help="time window [start, end)")
    parser.add_argument("--group", default="day", choices=GROUPS)


def read(options: dict[str, Any]) -> Request:
    """The organization, report, period and objects named, or an error that exits 2."""
    try:
        org = Organization.objects.get(slug=options["org"])
    except Organization.DoesNotExist:
        raise CommandError(f"No organization {options['org']!r}", returncode=2) from None
    report = REPORTS[options["report"]]
    try:
        period = Period.parse(
            org.timezone, options["first"], options["last"], options["time"], options["group"]
        )
        objects = find_objects(org, report.kind, options["objects"])
    except (PeriodError, LookupError) as exc:
        raise CommandError(str(exc), returncode=2) from None
    return Request(org, report, period, objects)

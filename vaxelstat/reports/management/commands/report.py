import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaxelstat import control
from vaxelstat.calls.store import StoreBusy, get_store
from vaxelstat.orgs.models import Organization
from vaxelstat.reports.engine import find_objects, run_report
from vaxelstat.reports.measures import REPORTS
from vaxelstat.reports.period import GROUPS, Period, PeriodError
from vaxelstat.reports.render import RENDERERS


class Command(BaseCommand):
    help = "A standard report's figures as JSON or CSV (SPEC §12)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True)
        parser.add_argument("--report", required=True, choices=list(REPORTS))
        parser.add_argument(
            "--objects", required=True, help="numbers or names as the source shows them, or all"
        )
        parser.add_argument("--from", dest="first", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--to", dest="last", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--time", metavar="HH:MM-HH:MM", help="time window [start, end)")
        parser.add_argument("--group", default="day", choices=GROUPS)
        parser.add_argument("--format", default="json", choices=list(RENDERERS))
        parser.add_argument("--out", type=Path, help="write to a file instead of stdout")

    def handle(self, *args: Any, **options: Any) -> None:
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
        try:
            get_store()
        except StoreBusy:
            argv = ["report", *sys.argv[2:]]
            if options["out"]:
                argv = [
                    a if a != str(options["out"]) else str(options["out"].resolve()) for a in argv
                ]
            sys.exit(control.hand_over(argv, self.stdout, self.stderr))
        text = RENDERERS[options["format"]](run_report(org, report.key, objects, period))
        if options["out"]:
            options["out"].write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="" if text.endswith("\n") else "\n")

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from vaxelstat import control
from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import StoreBusy, get_store
from vaxelstat.reports import cli
from vaxelstat.reports.engine import run_report
from vaxelstat.reports.render import RENDERERS


class Command(BaseCommand):
    help = "A standard report's figures as JSON or CSV (SPEC §12)."

    def add_arguments(self, parser: CommandParser) -> None:
        cli.add_arguments(parser)
        parser.add_argument("--format", default="json", choices=list(RENDERERS))
        parser.add_argument("--out", type=Path, help="write to a file instead of stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        request = cli.read(options)
        try:
            get_store()
        except StoreBusy:
            argv = ["report", *sys.argv[2:]]
            if options["out"]:
                argv = [
                    a if a != str(options["out"]) else str(options["out"].resolve()) for a in argv
                ]
            sys.exit(control.hand_over(argv, self.stdout, self.stderr))
        result = run_report(
            request.org,
            request.report.key,
            request.objects,
            request.period,
            scope=Scope.whole(request.org.id),
        )
        text = RENDERERS[options["format"]](result)
        if options["out"]:
            options["out"].write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="" if text.endswith("\n") else "\n")

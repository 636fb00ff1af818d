import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaxelstat import control
from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import StoreBusy, get_store
from vaxelstat.exports.content import ExportRequest, gather
from vaxelstat.exports.render import RENDERERS as FILES
from vaxelstat.reports import cli
from vaxelstat.reports.engine import run_report
from vaxelstat.reports.period import PeriodError
from vaxelstat.reports.render import RENDERERS


class Command(BaseCommand):
    # One line in `vaxelstat --help`.
    summary = "A standard report as JSON or CSV, or as the page's xlsx or PDF."
    help = (
        "A standard report's figures as JSON or CSV (SPEC §12), or the page's export files: "
        "--format xlsx|pdf with --out."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        cli.add_arguments(parser)
        parser.add_argument("--format", default="json", choices=[*RENDERERS, *FILES])
        parser.add_argument("--out", type=Path, help="write to a file instead of stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["format"] in FILES and not options["out"]:
            raise CommandError(
                f"--format {options['format']} writes a file: give --out PATH", returncode=2
            )
        if options["out"]:
            _check_writable(options["out"])
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
        if options["format"] in FILES:
            # The same file as the page's Exportera: table, chart and report information.
            wanted = ExportRequest(
                request.report.key,
                request.period.first.isoformat(),
                request.period.last.isoformat(),
                options["time"] or "",
                request.period.group,
                [o.id for o in request.objects],
                ["table", "chart", "info"],
            )
            content = gather(request.org, Scope.whole(request.org.id), wanted)
            FILES[options["format"]](content, options["out"])
            return
        try:
            result = run_report(
                request.org,
                request.report.key,
                request.objects,
                request.period,
                scope=Scope.whole(request.org.id),
            )
        except PeriodError as exc:
            raise CommandError(str(exc), returncode=2) from None
        text = RENDERERS[options["format"]](result)
        if options["out"]:
            options["out"].write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="" if text.endswith("\n") else "\n")


def _check_writable(out: Path) -> None:
    """Refuse, in one line and before any work, a --out the command could not write."""
    folder = out.resolve().parent
    if out.is_dir():
        problem = "is a folder: give a file's name"
    elif not folder.is_dir():
        problem = f"cannot be written: the folder {folder} does not exist"
    elif not os.access(folder, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        problem = "cannot be written: no permission"
    else:
        return
    raise CommandError(f"--out {out} {problem}", returncode=2)

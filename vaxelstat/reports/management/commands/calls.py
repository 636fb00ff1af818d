import csv
import io
import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from vaxelstat import control
from vaxelstat.calls.legs import TYPE_LABELS
from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import StoreBusy, get_store
from vaxelstat.exports.render import excel_calls_csv
from vaxelstat.reports import cli
from vaxelstat.reports.render import cell
from vaxelstat.reports.specification import ORDERS, Filters, show, specification


class Command(BaseCommand):
    # One line in `vaxelstat --help`.
    summary = "The calls behind a report or one of its figures."
    help = "The call specification behind a report, or behind one of its cells (SPEC §6, §12)."

    def add_arguments(self, parser: CommandParser) -> None:
        cli.add_arguments(parser)
        parser.add_argument("--type", choices=list(TYPE_LABELS))
        parser.add_argument("--measure", help="only the legs behind this column")
        parser.add_argument("--bucket", help="only the legs behind this row (its label)")
        parser.add_argument("--order", default="newest", choices=list(ORDERS))
        parser.add_argument("--limit", type=int)
        parser.add_argument("--offset", type=int, default=0)
        parser.add_argument(
            "--format",
            default="json",
            choices=["json", "csv", "excel-csv"],
            help="csv: keys and seconds, for programs; excel-csv: the page's columns, for "
            "Excel in Swedish (semicolons, decimal commas, UTF-8 with a BOM)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        request = cli.read(options)
        report, period = request.report, request.period
        if options["measure"] and options["measure"] not in report.columns:
            raise CommandError(f"{report.key} has no column {options['measure']!r}", returncode=2)
        bucket = None
        if options["bucket"]:
            keys = {b.label: b.key for b in period.buckets()}
            if options["bucket"] not in keys:
                raise CommandError(f"no row {options['bucket']!r} in this period", returncode=2)
            bucket = keys[options["bucket"]]
        try:
            get_store()
        except StoreBusy:
            sys.exit(control.hand_over(["calls", *sys.argv[2:]], self.stdout, self.stderr))
        spec = specification(
            request.org,
            report.key,
            request.objects,
            period,
            Filters(type=options["type"]),
            options["measure"],
            bucket,
            options["order"],
            options["limit"],
            options["offset"],
            scope=Scope.whole(request.org.id),
        )
        if options["format"] == "json":
            self.stdout.write(
                json.dumps({"total": spec.total, "calls": spec.calls}, ensure_ascii=False, indent=2)
            )
            return
        if options["format"] == "excel-csv":
            with translation.override("sv"):
                show(request.org, spec.calls)
            self.stdout.write(excel_calls_csv(spec.calls), ending="")
            return
        out = io.StringIO()
        if spec.calls:
            writer = csv.DictWriter(out, fieldnames=list(spec.calls[0]))
            writer.writeheader()
            writer.writerows({k: cell(v) for k, v in call.items()} for call in spec.calls)
        self.stdout.write(out.getvalue(), ending="")

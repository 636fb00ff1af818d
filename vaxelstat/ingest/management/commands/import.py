import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaxelstat import control
from vaxelstat.calls.store import StoreBusy, get_store
from vaxelstat.ingest.parsers import PARSERS, PLANNED
from vaxelstat.ingest.pipeline import UnreadableFile, collection_point_for, import_file
from vaxelstat.orgs.models import Organization


class Command(BaseCommand):
    help = (
        "Import PBX log files into the call store. Exit 0: all imported; 3: imported, some "
        "records rejected; 1: nothing could be read; 2: wrong usage."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--format", required=True, choices=[*PARSERS, *PLANNED])
        parser.add_argument(
            "--point",
            help="collection point name (default: the one for this format, created if needed)",
        )
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            org = Organization.objects.get(slug=options["org"])
        except Organization.DoesNotExist:
            raise CommandError(f"No organization {options['org']!r}", returncode=2) from None
        if options["format"] not in PARSERS:
            raise CommandError(f"Format {options['format']!r} is not supported yet", returncode=2)
        try:
            get_store()
        except StoreBusy:
            code = control.hand_over(
                [
                    "import",
                    "--org",
                    org.slug,
                    "--format",
                    options["format"],
                    *(["--point", options["point"]] if options["point"] else []),
                    *(str(p.resolve()) for p in options["paths"]),
                ],
                self.stdout,
                self.stderr,
            )
            sys.exit(code)
        point = collection_point_for(org, options["format"], options["point"])
        read_any = rejected_any = False
        for path in options["paths"]:
            try:
                summary = import_file(org, point, options["format"], path)
            except UnreadableFile as exc:
                self.stderr.write(str(exc))
                rejected_any = True
                continue
            for reject in summary.rejects:
                self.stderr.write(f"{path}:{reject.line}: {reject.reason}: {reject.detail}")
            self.stdout.write(
                f"{path}: read {summary.lines_read}, imported {summary.imported}, "
                f"duplicates {summary.duplicates}, rejected {summary.rejected}"
            )
            read_any = read_any or summary.lines_read > summary.rejected
            rejected_any = rejected_any or summary.rejected > 0
        if not read_any:
            sys.exit(1)
        if rejected_any:
            sys.exit(3)

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from vaxelstat import control
from vaxelstat.calls.store import StoreBusy, get_store
from vaxelstat.ingest import progress, sniff
from vaxelstat.ingest.parsers import PARSERS
from vaxelstat.ingest.pipeline import UnreadableFile, collection_point_for, import_file
from vaxelstat.orgs.models import Organization

# How many of a file's rejected records are printed (the rest are counted).
SHOWN_REJECTS = 20


class Command(BaseCommand):
    # One line in `vaxelstat --help`.
    summary = "Import PBX log files into the call store."
    help = (
        "Import PBX log files into the call store. Exit 0: all imported; 3: imported, some "
        "records rejected; 1: nothing could be read; 2: wrong usage."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--format", required=True, choices=list(PARSERS))
        parser.add_argument(
            "--point",
            help="collection point name (default: the one for this format, created if needed)",
        )
        parser.add_argument(
            "--mapping",
            type=Path,
            help="for --format csv: a JSON file of other column names and values, kept on the "
            "collection point for later imports",
        )
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            org = Organization.objects.get(slug=options["org"])
        except Organization.DoesNotExist:
            raise CommandError(f"No organization {options['org']!r}", returncode=2) from None
        point = collection_point_for(org, options["format"], options["point"])
        if options["mapping"]:
            point.settings = {**point.settings, "mapping": read_mapping(options["mapping"])}
            point.save(update_fields=["settings"])
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
                    "--point",
                    point.name,
                    *(str(p.resolve()) for p in options["paths"]),
                ],
                self.stdout,
                self.stderr,
            )
            sys.exit(code)
        read_any = rejected_any = False
        for path in options["paths"]:
            try:
                with progress.reporting(progress_bar(self.stderr, path)):
                    summary = import_file(org, point, options["format"], path)
            except UnreadableFile as exc:
                self.stderr.write(str(exc))
                self._hint(path, options["format"])
                rejected_any = True
                continue
            for reject in summary.rejects[:SHOWN_REJECTS]:
                self.stderr.write(f"{path}:{reject.line}: {reject.reason}: {reject.detail}")
            if len(summary.rejects) > SHOWN_REJECTS:
                self.stderr.write(
                    f"{path}: {len(summary.rejects) - SHOWN_REJECTS} more records rejected "
                    "(all of them are kept with the import: Importer in the web pages)"
                )
            if summary.rejected and not summary.imported:
                self._hint(path, options["format"])
            self.stdout.write(
                f"{path}: read {summary.lines_read}, imported {summary.imported}, "
                f"duplicates {summary.duplicates}, calls replaced {summary.calls_replaced}, "
                f"rejected {summary.rejected}"
            )
            read_any = read_any or summary.lines_read > summary.rejected
            rejected_any = rejected_any or summary.rejected > 0
        if not read_any:
            sys.exit(1)
        if rejected_any:
            sys.exit(3)

    def _hint(self, path: Path, fmt: str) -> None:
        """Where nothing of a file could be read: the format it looks like, if another."""
        seen = sniff.looks_like(path)
        if seen is not None and seen != fmt:
            self.stderr.write(f"{path}: this looks like {sniff.NAMES[seen]}: try --format {seen}")


def read_mapping(path: Path) -> dict[str, Any]:
    try:
        mapping = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"{path}: not a readable JSON mapping ({exc})", returncode=2) from exc
    if not isinstance(mapping, dict) or not set(mapping) <= {"columns", "values"}:
        raise CommandError(f'{path}: a mapping has "columns" and "values"', returncode=2)
    return mapping


def progress_bar(out: OutputWrapper, path: Path) -> progress.Callback | None:
    """A bar on stderr for a file of more than 5 MB, when stderr is a terminal."""
    try:
        large = path.stat().st_size > 5_000_000
    except OSError:
        return None
    if not large or not out.isatty():
        return None

    def show(done: int, total: int) -> None:
        share = done / total if total else 1.0
        bar = "#" * int(share * 30)
        out.write(f"\r{path.name}: {bar:<30} {share:4.0%}", ending="")
        if done >= total:
            out.write("")

    return show

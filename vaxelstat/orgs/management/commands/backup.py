from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaxelstat import control
from vaxelstat.backup import BackupError, backup
from vaxelstat.calls.store import StoreBusy, get_store


class Command(BaseCommand):
    # One line in `vaxelstat --help`.
    summary = "Back up the embedded default into a new folder."
    help = (
        "Back up the embedded default (app database, call store, exports, secret key) into a "
        "new folder: `backup DIR`. Consistent while the server runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        target = options["target"].resolve()
        try:
            get_store()
        except StoreBusy:
            # The server holds the call store: it makes the copy.
            code = control.hand_over(["backup", str(target)], self.stdout, self.stderr)
            raise SystemExit(code) from None
        try:
            manifest = backup(target)
        except BackupError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(f"Backup in {target}: {', '.join(manifest['parts'])}")  # type: ignore[arg-type]
        for note in manifest["not_in_it"]:  # type: ignore[attr-defined]
            self.stdout.write(f"  not in it: {note}")

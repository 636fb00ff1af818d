from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaxelstat import control
from vaxelstat.backup import BackupError, restore


class Command(BaseCommand):
    # One line in `vaxelstat --help`.
    summary = "Restore a backup made by `vaxelstat backup`."
    help = (
        "Restore a backup made by `vaxelstat backup` into the data directory: `restore DIR`. "
        "Stop the server first; what the data directory held is moved aside, not deleted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        if control.server_alive():
            raise CommandError(
                "A server runs on this data directory (server.json): stop it, then restore.",
                returncode=1,
            )
        try:
            aside = restore(options["source"].resolve())
        except BackupError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(f"Restored {options['source']}.")
        if aside is not None:
            self.stdout.write(f"What was there is in {aside}.")

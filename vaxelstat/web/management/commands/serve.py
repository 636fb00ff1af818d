from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaxelstat.calls.store import StoreBusy


class Command(BaseCommand):
    help = "Serve the web pages, the background worker and the spool collector in one process."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args: Any, **options: Any) -> None:
        from vaxelstat.server import serve

        call_command("migrate", interactive=False, verbosity=0)
        try:
            serve(options["host"], options["port"])
        except StoreBusy as exc:
            raise CommandError(f"{exc}: is another server running?", returncode=1) from exc
        except OSError as exc:
            raise CommandError(
                f"Cannot listen on {options['host']}:{options['port']}: {exc}", returncode=1
            ) from exc

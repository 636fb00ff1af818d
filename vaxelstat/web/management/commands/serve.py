from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaxelstat.calls.store import StoreBusy


class Command(BaseCommand):
    help = "Serve the web pages, the background worker and the spool collector in one process."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--threads", type=int, default=8, help="web threads (1 to 64; default 8)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from vaxelstat.server import serve

        if not 1 <= options["threads"] <= 64:
            raise CommandError("--threads is 1 to 64", returncode=2)
        try:
            serve(options["host"], options["port"], options["threads"])
        except StoreBusy as exc:
            raise CommandError(f"{exc}: is another server running?", returncode=1) from exc
        except OSError as exc:
            raise CommandError(
                f"Cannot listen on {options['host']}:{options['port']}: {exc}", returncode=1
            ) from exc

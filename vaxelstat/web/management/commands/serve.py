import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaxelstat.calls.store import StoreBusy


class Command(BaseCommand):
    # One line in `vaxelstat --help`.
    summary = "Serve the web pages, the worker and the spool collector."
    help = (
        "Serve the web pages, the background worker and the spool collector in one process "
        "(with --workers N, N web processes and the worker in this one)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--threads",
            type=int,
            default=0,
            help="web threads of each web process (1 to 64; default two per core, at most 8)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="web processes (1 to 32; default 1). Above 1 needs a ClickHouse server as "
            "call store and PostgreSQL as app database; the worker runs once, in the first "
            "process",
        )
        parser.add_argument(
            "--web-only",
            action="store_true",
            help="no background worker in this process: a further machine behind a load "
            "balancer, where one machine's serve runs the worker",
        )
        # The first process starts the others with the socket they answer on.
        parser.add_argument("--web-process", type=int, metavar="FD", help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        from vaxelstat.server import default_threads, serve, serve_web_process, why_not_many

        if not 0 <= options["threads"] <= 64:
            raise CommandError("--threads is 1 to 64", returncode=2)
        if not 1 <= options["workers"] <= 32:
            raise CommandError("--workers is 1 to 32", returncode=2)
        if options["web_process"] is not None:
            serve_web_process(options["web_process"], options["threads"] or default_threads())
            return
        if (options["workers"] > 1 or options["web_only"]) and (why := why_not_many()):
            flag = "--web-only" if options["web_only"] else f"--workers {options['workers']}"
            raise CommandError(f"{flag}: {why}", returncode=2)
        try:
            serve(
                options["host"],
                options["port"],
                options["threads"],
                options["workers"],
                options["web_only"],
            )
        except StoreBusy as exc:
            raise CommandError(f"{exc}: is another server running?", returncode=1) from exc
        except OSError as exc:
            raise CommandError(
                f"Cannot listen on {options['host']}:{options['port']}: {exc}", returncode=1
            ) from exc

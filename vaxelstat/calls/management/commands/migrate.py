"""Django's migrate (and the cache's table), then the call store's tables where they are
missing: an upgrade's one step for both databases (a ClickHouse cluster's DDL waits for every
node, so it runs here once, not as a server opens the store)."""

from typing import Any

from django.core.management import call_command
from django.core.management.commands.migrate import Command as DjangoMigrate

from vaxelstat.calls.store import StoreBusy, get_store


class Command(DjangoMigrate):
    # One line in `vaxelstat --help`.
    summary = "Bring the app database and the call store's tables up to date."
    help = f"{DjangoMigrate.help} Then makes the call store's tables where they are missing."

    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **options)
        if options.get("check_unapplied") or options.get("plan"):
            return  # (it only looked)
        # The cache's table, where the cache is the app database's (settings.CACHES).
        call_command("createcachetable", database=options["database"], verbosity=0)
        try:
            get_store().migrate()
        except StoreBusy:
            # A server holds the embedded store: it made its table as it opened it.
            if options["verbosity"]:
                self.stdout.write("The call store is held by a running server: nothing to do.")

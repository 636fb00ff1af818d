from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from vaxelstat.calls.store import get_store
from vaxelstat.reports.period import months_before


def first_kept_month(today: date, months: int) -> date:
    """The first month kept when `months` whole months are kept, this one included."""
    return months_before(today.replace(day=1), months - 1)


class Command(BaseCommand):
    # One line in `vaxelstat --help`.
    summary = "Delete the calls older than each organization keeps."
    help = (
        "Retention for every organization: delete the legs that started before the months "
        "kept (on ClickHouse whole monthly partitions are dropped). "
        "`retention --keep-months N [--yes]`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--keep-months",
            type=int,
            required=True,
            help="months kept, this one included (UTC)",
        )
        parser.add_argument("--yes", action="store_true", help="do not ask before deleting")

    def handle(self, *args: Any, **options: Any) -> None:
        months = options["keep_months"]
        if months < 1:
            raise CommandError("--keep-months must be 1 or more", returncode=2)
        first = first_kept_month(timezone.now().date(), months)
        if not options["yes"]:
            answer = input(
                f"Delete every organization's legs that started before {first:%Y-%m-%d} "
                "(UTC)? This cannot be undone. [y/N] "
            )
            if answer.strip().lower() not in {"y", "yes", "j", "ja"}:
                self.stdout.write("Nothing deleted.")
                return
        dropped = get_store().unscoped_drop_before(first)
        self.stdout.write(f"Deleted {dropped:,} legs that started before {first:%Y-%m-%d} (UTC).")

from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaxelstat.calls.copy import CopyRefused, copy_store, identity, shown
from vaxelstat.calls.store import StoreBusy, get_store
from vaxelstat.orgs.models import Organization


class Command(BaseCommand):
    # One line in `vaxelstat --help`.
    summary = "Copy the call store into another (a ClickHouse server)."
    help = (
        "The call store. `store copy --to URL [--org SLUG ...] [--replace]`: copy the legs of "
        "the store CALLSTORE_URL names into another (a ClickHouse server: "
        "clickhouse://USER:PASSWORD@HOST:8123/DATABASE), checked by counting each "
        "organization's legs on both sides; then point CALLSTORE_URL at it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        copy = sub.add_parser("copy", help="copy the legs into another store")
        copy.add_argument("--to", required=True, metavar="URL", help="the target store's URL")
        copy.add_argument(
            "--org",
            action="append",
            metavar="SLUG",
            help="only this organization (may be given more than once); default every one",
        )
        copy.add_argument(
            "--replace",
            action="store_true",
            help="delete what the target holds of these organizations first",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        org_ids = None
        if options["org"]:
            found = dict(
                Organization.objects.filter(slug__in=options["org"]).values_list("slug", "id")
            )
            missing = sorted(set(options["org"]) - set(found))
            if missing:
                raise CommandError(f"No organization {', '.join(missing)}", returncode=2)
            org_ids = set(found.values())
        try:
            source = get_store()
        except StoreBusy as exc:
            raise CommandError(
                f"{exc}: stop `vaxelstat serve` first (the copy reads the whole store, and "
                "imports meanwhile would be missing from the copy)",
                returncode=1,
            ) from exc
        if identity(options["to"]) == identity(settings.CALLSTORE_URL):
            raise CommandError("Not copied: the target is the source store", returncode=1)
        try:
            target = get_store(options["to"])
        except Exception as exc:  # unknown engine, refused login, unreachable: said, not raised
            why = str(exc)
            for spelt in (options["to"], repr(options["to"])[1:-1]):
                why = why.replace(spelt, shown(options["to"]))
            if (password := urlparse(options["to"]).password) and password in why:
                why = why.replace(password, "***")
            raise CommandError(f"--to {shown(options['to'])}: {why}", returncode=2) from exc
        self.stderr.write(f"Copying {shown(settings.CALLSTORE_URL)} to {shown(options['to'])} ...")
        try:
            copied = copy_store(
                source, target, org_ids, options["replace"], progress=self.stderr.write
            )
        except CopyRefused as exc:
            raise CommandError(f"Not copied: {exc}", returncode=1) from exc
        except ValueError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        names = dict(Organization.objects.values_list("id", "slug"))
        for c in copied:
            self.stdout.write(
                f"{names.get(c.org_id, c.org_id)}: {c.legs:,} legs copied, counts equal"
            )
        self.stdout.write(
            f"Done: {sum(c.legs for c in copied):,} legs of {len(copied)} organizations. Set "
            f"CALLSTORE_URL={shown(options['to'])} (with its password) to use the copy."
        )

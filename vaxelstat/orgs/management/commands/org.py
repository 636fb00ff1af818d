from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaxelstat.orgs.models import Organization


class Command(BaseCommand):
    # One line in `vaxelstat --help`.
    summary = "Add or list organizations."
    help = "Manage organizations: `org add SLUG --name NAME [--timezone TZ]`, `org list`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Create an organization.")
        add.add_argument("slug")
        add.add_argument("--name", required=True)
        add.add_argument("--timezone", default="Europe/Stockholm")
        sub.add_parser("list", help="List organizations.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            for org in Organization.objects.order_by("slug"):
                self.stdout.write(f"{org.slug}\t{org.name}\t{org.timezone}")
            return
        org = Organization(slug=options["slug"], name=options["name"], timezone=options["timezone"])
        try:
            org.full_clean()
        except ValidationError as exc:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            raise CommandError(problems, returncode=2) from exc
        org.save()
        self.stdout.write(f"Created organization {org.slug} ({org.name}, {org.timezone})")

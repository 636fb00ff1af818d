import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaxelstat.orgs.models import CollectionPoint, Organization


class Command(BaseCommand):
    # One line in `vaxelstat --help`.
    summary = "Add or list collection points; give a point a new push token."
    help = (
        "Manage collection points: `point add --org SLUG NAME --format F [--settings JSON]`, "
        "`point token --org SLUG NAME` (a new push token), `point list --org SLUG`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Create a collection point and print its push token.")
        add.add_argument("--org", required=True)
        add.add_argument("name")
        add.add_argument("--format", required=True, choices=CollectionPoint.Format.values)
        add.add_argument("--settings", default="{}", help="format settings as JSON")
        token = sub.add_parser("token", help="Replace a collection point's push token.")
        token.add_argument("--org", required=True)
        token.add_argument("name")
        listing = sub.add_parser("list", help="List an organization's collection points.")
        listing.add_argument("--org", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            org = Organization.objects.get(slug=options["org"])
        except Organization.DoesNotExist:
            raise CommandError(f"No organization {options['org']!r}", returncode=2) from None
        if options["action"] == "list":
            for point in org.collection_points.all():
                self.stdout.write(
                    f"{point.id}\t{point.name}\t{point.format}\t"
                    f"{json.dumps(point.settings, ensure_ascii=False)}"
                )
            return
        if options["action"] == "add":
            try:
                point_settings = json.loads(options["settings"])
            except ValueError as exc:
                raise CommandError(f"--settings is not JSON: {exc}", returncode=2) from exc
            if org.collection_points.filter(name=options["name"]).exists():
                raise CommandError(
                    f"{org.slug} has a collection point {options['name']!r}", returncode=2
                )
            point = CollectionPoint(
                organization=org,
                name=options["name"],
                format=options["format"],
                settings=point_settings,
            )
            try:
                point.full_clean(exclude=["push_token_sha256"])
            except ValidationError as exc:
                problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
                raise CommandError(problems, returncode=2) from exc
        else:
            try:
                point = org.collection_points.get(name=options["name"])
            except CollectionPoint.DoesNotExist:
                raise CommandError(
                    f"No collection point {options['name']!r} in {org.slug}", returncode=2
                ) from None
        token = point.new_push_token()
        point.save()
        self.stdout.write(f"Collection point {point.id} {org.slug}/{point.name} ({point.format})")
        self.stdout.write(f"Push token (shown once): {token}")
        self.stdout.write(
            f"  curl --data-binary @FILE -H 'Authorization: Bearer {token}' "
            f"http://HOST/ingest/push/{point.id}/"
        )

import secrets
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vaxelstat.accounts.models import User
from vaxelstat.calls.store import StoreBusy, get_store
from vaxelstat.demo import switchboard as sb
from vaxelstat.demo.asterisk_writer import write_master_csv, write_queue_log
from vaxelstat.demo.simulator import simulate
from vaxelstat.ingest.models import ImportRun, RejectedRecord
from vaxelstat.ingest.parsers.base import Reason
from vaxelstat.ingest.pipeline import import_file
from vaxelstat.orgs.models import CollectionPoint, MeasuredObject, Organization
from vaxelstat.saved.models import Dashboard, SavedReport

ADMIN_EMAIL = "admin@demo.example"
# Names an administrator gives the groups and numbers after the first import.
OBJECT_NAMES = {
    **{f"queue:{q.number}": q.name for q in sb.QUEUES},
    **{f"group:{g.number}": g.name for g in sb.HUNT_GROUPS},
    f"ivr:{sb.IVR_CONTEXT}": sb.IVR_NAME,
    f"tc:{sb.RULE_ID}": sb.RULE_NAME,
}


class Command(BaseCommand):
    # One line in `vaxelstat --help`.
    summary = "Simulate Demo AB's traffic up to now, import it and serve it."
    help = (
        'Create or refresh the organization "demo" (Demo AB) with simulated traffic up to now, '
        "imported through the real ingestion path, then serve it."
    )

    def _saved_reports(self, org: Organization, admin: Any) -> None:
        """Two saved reports and a shared dashboard of them, as a manager would keep them."""
        queues = list(
            MeasuredObject.objects.filter(organization=org, kind=MeasuredObject.Kind.ACD)
            .order_by("number")
            .values_list("id", flat=True)
        )
        weekly, _ = SavedReport.objects.update_or_create(
            owner=admin,
            organization=org,
            name="Svarsgrupperna förra veckan",
            defaults={"report": "acd.incoming", "object_ids": queues, "period": "last_week"},
        )
        each, _ = SavedReport.objects.update_or_create(
            owner=admin,
            organization=org,
            name="Varje svarsgrupp i dag",
            defaults={
                "report": "acd.incoming",
                "object_ids": queues,
                "period": "today",
                "measures": ["incoming", "answered", "unanswered", "service_level"],
                "by_object": True,
            },
        )
        dashboard, _ = Dashboard.objects.update_or_create(
            owner=admin, organization=org, name="Kundtjänst", defaults={"shared": True}
        )
        dashboard.reports.set([weekly, each])

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--days", type=int, default=90, help="days of traffic (default 90)")
        parser.add_argument("--no-serve", action="store_true", help="stop after importing")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        try:
            store = get_store()
        except StoreBusy as exc:
            raise CommandError(
                f"{exc}. Stop the running server first (it holds the store).", returncode=1
            ) from exc
        org, _ = Organization.objects.get_or_create(
            slug="demo", defaults={"name": "Demo AB", "timezone": "Europe/Stockholm"}
        )
        point, _ = CollectionPoint.objects.update_or_create(
            organization=org,
            name="Demo-växeln",
            defaults={
                "format": CollectionPoint.Format.ASTERISK,
                "settings": {"source_timezone": "Europe/Stockholm", "trunk_peers": [sb.TRUNK]},
            },
        )
        # A refresh simulates anew up to now, so the old calls go first.
        store.delete_organization(org.id)
        RejectedRecord.objects.filter(organization=org).delete()
        ImportRun.objects.filter(organization=org).delete()

        self.stdout.write(f"Simulating {options['days']} days of traffic (seed {options['seed']})…")
        result = simulate(seed=options["seed"], days=options["days"], timezone=org.timezone)
        folder = settings.DATA_DIR / "demo"
        folder.mkdir(parents=True, exist_ok=True)
        master, queue_log = folder / "Master.csv", folder / "queue_log"
        write_master_csv(result.cdr, master, org.timezone)
        write_queue_log(result.queue_log, queue_log)
        self.stdout.write(
            f"  {result.stats['calls']} calls: {len(result.cdr)} CDR rows, "
            f"{len(result.queue_log)} queue_log lines in {folder}"
        )
        for fmt, path in (("asterisk-cdr", master), ("asterisk-queue-log", queue_log)):
            summary = import_file(org, point, fmt, path)
            # What is still going on now (the agents logged in during office hours) is held
            # for the next log, as a real switchboard's is: no fault of the logs.
            going_on = sum(r.reason == Reason.INCOMPLETE_CALL for r in summary.rejects)
            self.stdout.write(
                f"  imported {path.name}: {summary.imported} legs, "
                f"{summary.duplicates} duplicates, {summary.rejected - going_on} rejected, "
                f"{going_on} lines of what is still going on held"
            )
            if summary.rejected > going_on:
                raise CommandError(f"The demo's own logs were rejected ({path})")
        for obj in MeasuredObject.objects.filter(
            organization=org, source_identity__in=OBJECT_NAMES
        ):
            obj.display_name = OBJECT_NAMES[obj.source_identity]
            if obj.kind == MeasuredObject.Kind.RULE:
                obj.aliases = [sb.MAIN_NUMBER]
            obj.save(update_fields=["display_name", "aliases"])
        store.unscoped_compact()

        password = secrets.token_urlsafe(12)
        admin, _ = User.objects.get_or_create(email=ADMIN_EMAIL)
        admin.name, admin.organization, admin.is_org_admin = "Demo Admin", org, True
        admin.set_password(password)
        admin.save()
        self._saved_reports(org, admin)
        elapsed = time.monotonic() - started
        url = f"http://127.0.0.1:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"Demo ready in {elapsed:.0f} s."))
        self.stdout.write(f"  Log in at {url} as {ADMIN_EMAIL} with password {password}")
        if options["no_serve"]:
            return
        call_command("serve", port=options["port"])

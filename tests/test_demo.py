"""`vaxelstat demo`: the demo organization through the real ingestion path."""

from django.core.management import call_command
from django.test import Client

from vaxelstat.accounts.models import User
from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.ingest.models import ImportRun
from vaxelstat.orgs.models import MeasuredObject, Organization
from vaxelstat.saved.models import Dashboard, SavedReport


def test_demo_creates_the_switchboard_and_a_refresh_does_not_double_it(db, capsys) -> None:
    call_command("demo", "--no-serve", "--days", "7", "--seed", "5")
    out = capsys.readouterr().out
    org = Organization.objects.get(slug="demo")
    assert org.name == "Demo AB"
    objects = MeasuredObject.objects.filter(organization=org)
    names = {o.source_identity: o.display_name for o in objects}
    assert names["queue:400"] == "Växel" and names["queue:401"] == "Support"
    assert names["group:600"] == "Ekonomi" and names["ivr:ivr-1"] == "Huvudmeny"
    assert names["tc:1"] == "Kontorstid"
    assert objects.filter(kind="user").count() == 25
    legs = get_store().count(Scope.whole(org.id))
    assert (
        legs
        == sum(ImportRun.objects.filter(organization=org).values_list("legs_imported", flat=True))
        > 1000
    )

    password = out.split("with password ")[1].split()[0]
    assert "admin@demo.example" in out and "http://127.0.0.1:8000/" in out
    client = Client()
    assert client.login(username="admin@demo.example", password=password)
    assert "Växel" in client.get("/").content.decode()
    # A manager's saved reports and their shared dashboard, which opens.
    dashboard = Dashboard.objects.get(organization=org, name="Kundtjänst")
    assert dashboard.shared and dashboard.reports.count() == 2
    page = client.get(f"/dashboardkatalog/{dashboard.pk}/").content.decode()
    assert "Svarsgrupperna förra veckan" in page and "Varje svarsgrupp i dag" in page

    call_command("demo", "--no-serve", "--days", "7", "--seed", "5")
    assert get_store().count(Scope.whole(org.id)) == sum(
        ImportRun.objects.filter(organization=org).values_list("legs_imported", flat=True)
    )
    assert User.objects.filter(email="admin@demo.example").count() == 1
    assert SavedReport.objects.filter(organization=org).count() == 2
    assert Dashboard.objects.filter(organization=org).count() == 1

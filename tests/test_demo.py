"""`vaxelstat demo`: the demo organization through the real ingestion path."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client

from vaxelstat.accounts.models import User
from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.ingest.models import ImportRun, RejectedRecord
from vaxelstat.ingest.pipeline import import_file
from vaxelstat.orgs.models import CollectionPoint, MeasuredObject, Organization
from vaxelstat.reports.engine import find_objects, run_report
from vaxelstat.reports.measures import REPORTS
from vaxelstat.reports.period import GROUPS, Period, local_today
from vaxelstat.reports.specification import Filters, specification
from vaxelstat.saved.models import Dashboard, SavedReport


@pytest.mark.slow
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


@pytest.mark.slow
@pytest.mark.clickhouse_server
def test_the_demo_on_a_clickhouse_server_gives_the_duckdb_demos_reports(
    db, settings, clickhouse_server_url
) -> None:  # type: ignore[no-untyped-def]
    """`vaxelstat demo` with CALLSTORE_URL at a ClickHouse server, and its files imported into
    the embedded store: every report in every grouping, and the specification, the same."""
    embedded = settings.CALLSTORE_URL
    settings.CALLSTORE_URL = clickhouse_server_url
    call_command("demo", "--no-serve", "--days", "7", "--seed", "5")
    org = Organization.objects.get(slug="demo")
    point = CollectionPoint.objects.get(organization=org)
    settings.CALLSTORE_URL = embedded
    for fmt, name in (("asterisk-cdr", "Master.csv"), ("asterisk-queue-log", "queue_log")):
        import_file(org, point, fmt, settings.DATA_DIR / "demo" / name)
    stores = {"duckdb": embedded, "clickhouse_server": clickhouse_server_url}
    legs = {name: get_store(url).count(Scope.whole(org.id)) for name, url in stores.items()}
    assert legs["duckdb"] == legs["clickhouse_server"] > 1000

    today = local_today(ZoneInfo(org.timezone))
    for group in GROUPS:
        period = Period.parse(org.timezone, f"{today - timedelta(days=6)}", f"{today}", None, group)
        for report in REPORTS.values():
            objects = find_objects(org, report.kind, "all")
            results = []
            for url in stores.values():
                settings.CALLSTORE_URL = url
                results.append(
                    run_report(org, report.key, objects, period, scope=Scope.whole(org.id))
                )
            duck, click = results
            assert duck.total == click.total, (report.key, group)
            assert [v for _, v in duck.rows] == [v for _, v in click.rows], (report.key, group)
    pages = []
    for url in stores.values():
        settings.CALLSTORE_URL = url
        period = Period.parse(org.timezone, f"{today - timedelta(days=6)}", f"{today}")
        pages.append(
            specification(
                org,
                "acd.incoming",
                find_objects(org, "acd", "all"),
                period,
                Filters(),
                measure="incoming",
                order="oldest",
                limit=50,
                offset=0,
                scope=Scope.whole(org.id),
            )
        )
    assert pages[0].total == pages[1].total > 50 and pages[0].calls == pages[1].calls


def test_the_demo_made_in_office_hours_holds_the_agents_logged_in_now(
    db, capsys, monkeypatch
) -> None:
    """Made at 10:00 on a Monday the demo's agents are logged in: their sessions are in
    progress (held for the next log), not a fault of the demo's logs."""
    from functools import partial

    from vaxelstat.demo.management.commands import demo
    from vaxelstat.demo.simulator import simulate

    monday = datetime(2026, 11, 16, 9, tzinfo=UTC)  # 10:00 in Stockholm
    monkeypatch.setattr(demo, "simulate", partial(simulate, end=monday))
    call_command("demo", "--no-serve", "--days", "2", "--seed", "5")
    out = capsys.readouterr().out
    assert "queue_log: " in out and "0 rejected" in out
    held = RejectedRecord.objects.filter(organization__slug="demo", resolved=False)
    assert held and {r.reason for r in held} == {"incomplete_call"}

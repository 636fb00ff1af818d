"""Retention drops whole months, alike on DuckDB and ClickHouse; and a ClickHouse server, where
one is given, stores what the embedded engines store."""

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from conftest import ENGINES, use_engine
from django.core.management import call_command

from vaxelstat.calls.management.commands.retention import first_kept_month
from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.demo import switchboard as sb
from vaxelstat.ingest.pipeline import import_file, store_legs
from vaxelstat.orgs.models import CollectionPoint


def _import(org, logs, urls: list[str], settings) -> None:  # type: ignore[no-untyped-def]
    """Three weeks either side of 1 November 2026, into each store of `urls` (`logs`: the
    simulated_logs fixture)."""
    master, queue_log = logs(3, 21, datetime(2026, 11, 11, 18, tzinfo=UTC), org.timezone)
    point = CollectionPoint.objects.create(
        organization=org, name="pbx", format="asterisk", settings={"trunk_peers": [sb.TRUNK]}
    )
    for url in urls:
        settings.CALLSTORE_URL = url
        for fmt, path in (("asterisk-cdr", master), ("asterisk-queue-log", queue_log)):
            import_file(org, point, fmt, path)


def test_the_first_kept_month_counts_this_month_in() -> None:
    assert first_kept_month(date(2026, 11, 26), 1) == date(2026, 11, 1)
    assert first_kept_month(date(2026, 11, 26), 11) == date(2026, 1, 1)
    assert first_kept_month(date(2026, 11, 26), 12) == date(2025, 12, 1)
    assert first_kept_month(date(2026, 1, 31), 25) == date(2024, 1, 1)


@pytest.mark.parametrize("engine", ENGINES)
def test_retention_drops_the_months_before_and_keeps_the_rest(
    org, simulated_logs, settings, engine: str, request
) -> None:  # type: ignore[no-untyped-def]
    url = use_engine(engine, request, settings)
    _import(org, simulated_logs, [url], settings)
    store = get_store(url)
    legs = store.legs(Scope.whole(org.id))
    november = datetime(2026, 11, 1)
    later = [leg for leg in legs if leg["start_utc"].replace(tzinfo=None) >= november]
    assert 1000 < len(later) < len(legs)

    assert store.unscoped_drop_before(date(2026, 11, 1)) == len(legs) - len(later)
    kept = store.legs(Scope.whole(org.id))
    assert sorted(leg["leg_id"] for leg in kept) == sorted(leg["leg_id"] for leg in later)
    # Dropping the same months again finds nothing.
    assert store.unscoped_drop_before(date(2026, 11, 1)) == 0


def test_retention_asks_before_deleting(org, simulated_logs, settings, monkeypatch) -> None:
    _import(org, simulated_logs, [settings.CALLSTORE_URL], settings)
    before = get_store().count(Scope.whole(org.id))
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    out = StringIO()
    call_command("retention", keep_months=1, stdout=out)
    assert "Nothing deleted" in out.getvalue()
    assert get_store().count(Scope.whole(org.id)) == before


@pytest.mark.clickhouse_server
def test_a_clickhouse_server_stores_what_duckdb_stores(
    org, simulated_logs, settings, clickhouse_server_url
) -> None:  # type: ignore[no-untyped-def]
    server = clickhouse_server_url
    get_store(server).unscoped_delete_all()
    _import(org, simulated_logs, [settings.CALLSTORE_URL, server], settings)
    duckdb_legs = get_store(settings.CALLSTORE_URL).counts_by_object(Scope.whole(org.id))
    assert get_store(server).counts_by_object(Scope.whole(org.id)) == duckdb_legs
    get_store(server).unscoped_delete_all()


@pytest.mark.parametrize("engine", ENGINES)
def test_gallring_deletes_exactly_the_organizations_calls_older_than_the_limit(
    engine: str, world, settings, request
) -> None:  # type: ignore[no-untyped-def]
    """Calls a day either side of the limit, in two organizations: only A's older ones go, and
    a call that started before the limit goes whole, its later legs too."""
    from vaxelstat.calls.legs import Leg
    from vaxelstat.calls.scope import Scope
    from vaxelstat.orgs import retention

    use_engine(engine, request, settings)
    store = get_store()
    store.unscoped_delete_all()
    now = datetime.now(UTC)
    world.a.retention_months = 3
    world.a.save()
    limit = retention.cutoff(world.a, 3)
    starts = {
        "old": limit - timedelta(days=1),
        "straddling": limit - timedelta(seconds=30),
        "new": limit + timedelta(days=1),
        "today": now - timedelta(hours=1),
    }
    for org in (world.a, world.b):
        point = org.collection_points.get()
        obj = org.objects_measured.first()
        legs = [
            Leg(
                f"{name}:{i}",
                name,
                "acd",
                obj.source_identity,
                obj.number,
                start + timedelta(minutes=i),
                "in",
                False,
                "answered",
            )
            for name, start in starts.items()
            for i in range(2)
        ]
        store_legs(org.id, point.id, 1, org.timezone, legs, {("acd", obj.source_identity): obj.id})
    assert store.calls_before(world.a.id, limit) == 2
    run = retention.run(world.a)
    assert run is not None and run.deleted == 2
    kept = sorted({leg["call_id"] for leg in store.legs(Scope.whole(world.a.id))})
    assert kept == ["new", "today"]
    untouched = sorted({leg["call_id"] for leg in store.legs(Scope.whole(world.b.id))})
    assert untouched == ["new", "old", "straddling", "today"]
    assert store.count(Scope.whole(world.b.id)) == 8
    store.unscoped_delete_all()


def test_gallring_page_previews_and_asks_before_deleting(world) -> None:
    from django.test import Client

    from vaxelstat.orgs.models import RetentionRun

    alice = Client()
    alice.force_login(world.alice)
    alice.post("/administration/gallring/", {"action": "save", "retention_months": "1"})
    world.a.refresh_from_db()
    assert world.a.retention_months == 1
    # The world's calls are from November 2023: all older than a month.
    page = alice.get("/administration/gallring/").content.decode()
    assert "tar gallringen nu bort <strong>5</strong> samtal" in page
    asking = alice.post("/administration/gallring/", {"action": "run"}).content.decode()
    assert "Vill du ta bort 5 samtal nu?" in asking
    assert get_store().count(Scope.whole(world.a.id)) == 5
    alice.post("/administration/gallring/", {"action": "run", "confirm": "1"})
    assert get_store().count(Scope.whole(world.a.id)) == 0
    assert get_store().count(Scope.whole(world.b.id)) == 4
    run = RetentionRun.objects.get()
    assert run.deleted == 5 and run.by == world.alice
    bob = Client()
    bob.force_login(world.bob)
    assert bob.get("/administration/gallring/").status_code == 404

"""Retention drops whole months, alike on DuckDB and ClickHouse; and a ClickHouse server, where
one is given, stores what the embedded engines store."""

import os
from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from vaxelstat.calls.management.commands.retention import first_kept_month
from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.demo import switchboard as sb
from vaxelstat.demo.asterisk_writer import write_master_csv, write_queue_log
from vaxelstat.demo.simulator import simulate
from vaxelstat.ingest.pipeline import import_file
from vaxelstat.orgs.models import CollectionPoint


def _import(org, folder: Path, urls: list[str], settings) -> None:  # type: ignore[no-untyped-def]
    """Three weeks either side of 1 November 2026, into each store of `urls`."""
    result = simulate(seed=3, days=21, end=datetime(2026, 11, 11, 18, tzinfo=UTC))
    write_master_csv(result.cdr, folder / "Master.csv", org.timezone)
    write_queue_log(result.queue_log, folder / "queue_log")
    point = CollectionPoint.objects.create(
        organization=org, name="pbx", format="asterisk", settings={"trunk_peers": [sb.TRUNK]}
    )
    for url in urls:
        settings.CALLSTORE_URL = url
        for fmt, name in (("asterisk-cdr", "Master.csv"), ("asterisk-queue-log", "queue_log")):
            import_file(org, point, fmt, folder / name)


def test_the_first_kept_month_counts_this_month_in() -> None:
    assert first_kept_month(date(2026, 11, 26), 1) == date(2026, 11, 1)
    assert first_kept_month(date(2026, 11, 26), 11) == date(2026, 1, 1)
    assert first_kept_month(date(2026, 11, 26), 12) == date(2025, 12, 1)
    assert first_kept_month(date(2026, 1, 31), 25) == date(2024, 1, 1)


@pytest.mark.parametrize("engine", ["duckdb", "chdb"])
def test_retention_drops_the_months_before_and_keeps_the_rest(
    org, tmp_path: Path, settings, engine: str
) -> None:
    if engine == "chdb":
        pytest.importorskip("chdb", reason="chDB (ClickHouse in process) is not installed")
        url = f"chdb:///{settings.DATA_DIR / 'clickhouse'}"
    else:
        url = settings.CALLSTORE_URL
    _import(org, tmp_path, [url], settings)
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


def test_retention_asks_before_deleting(org, tmp_path: Path, settings, monkeypatch) -> None:
    _import(org, tmp_path, [settings.CALLSTORE_URL], settings)
    before = get_store().count(Scope.whole(org.id))
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    out = StringIO()
    call_command("retention", keep_months=1, stdout=out)
    assert "Nothing deleted" in out.getvalue()
    assert get_store().count(Scope.whole(org.id)) == before


@pytest.mark.skipif(
    not os.environ.get("VAXELSTAT_TEST_CLICKHOUSE_URL"),
    reason="no ClickHouse server given (set VAXELSTAT_TEST_CLICKHOUSE_URL=clickhouse://…)",
)
def test_a_clickhouse_server_stores_what_duckdb_stores(org, tmp_path: Path, settings) -> None:
    server = os.environ["VAXELSTAT_TEST_CLICKHOUSE_URL"]
    get_store(server).unscoped_delete_all()
    _import(org, tmp_path, [settings.CALLSTORE_URL, server], settings)
    duckdb_legs = get_store(settings.CALLSTORE_URL).counts_by_object(Scope.whole(org.id))
    assert get_store(server).counts_by_object(Scope.whole(org.id)) == duckdb_legs
    get_store(server).unscoped_delete_all()

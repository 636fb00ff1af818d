"""The same figures from every engine: DuckDB (the default), ClickHouse through chDB, and a
ClickHouse server over HTTP (the stand-in over chDB, or VAXELSTAT_TEST_CLICKHOUSE_URL's)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.demo import switchboard as sb
from vaxelstat.ingest.pipeline import import_file
from vaxelstat.orgs.models import CollectionPoint
from vaxelstat.reports.engine import find_objects, run_report
from vaxelstat.reports.measures import REPORTS
from vaxelstat.reports.period import GROUPS, Period
from vaxelstat.reports.specification import Filters, specification

pytest.importorskip("chdb", reason="chDB (ClickHouse in process) is not installed")


@pytest.fixture
def both(org, tmp_path: Path, settings, simulated_logs, clickhouse_server_url):  # type: ignore[no-untyped-def]
    """The same simulated fortnight imported into a DuckDB, a chDB and a server's store."""
    master, queue_log = simulated_logs(21, 14, datetime(2026, 11, 20, 18, tzinfo=UTC), org.timezone)
    for path in (master, queue_log):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    point = CollectionPoint.objects.create(
        organization=org, name="pbx", format="asterisk", settings={"trunk_peers": [sb.TRUNK]}
    )
    # chDB runs one embedded server per process: one path for the whole test session.
    urls = {
        "duckdb": settings.CALLSTORE_URL,
        "chdb": f"chdb:///{settings.DATA_DIR / 'clickhouse'}",
        "clickhouse_server": clickhouse_server_url,
    }
    for url in urls.values():
        settings.CALLSTORE_URL = url
        for fmt, name in (("asterisk-cdr", "Master.csv"), ("asterisk-queue-log", "queue_log")):
            import_file(org, point, fmt, tmp_path / name)
    settings.CALLSTORE_URL = urls["duckdb"]
    return urls


def on(settings, url: str, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    settings.CALLSTORE_URL = url
    return fn(*args, **kwargs)


@pytest.mark.slow
def test_both_engines_store_the_same_legs(both, org, settings) -> None:
    counts = {
        name: on(settings, url, lambda: get_store().counts_by_object(Scope.whole(org.id)))
        for name, url in both.items()
    }
    assert counts["duckdb"] == counts["chdb"] == counts["clickhouse_server"]
    assert sum(counts["duckdb"].values()) > 5000


@pytest.mark.slow
def test_every_report_gives_identical_numbers_on_both_engines(both, org, settings) -> None:
    """Every report in every grouping (one import for all of them: it is the costly part)."""
    for group in GROUPS:
        _same_numbers_on_both_engines(both, org, settings, group)


def _same_numbers_on_both_engines(both, org, settings, group: str) -> None:  # type: ignore[no-untyped-def]
    period = Period.parse(org.timezone, "2026-11-07", "2026-11-20", "07:00-17:30", group)
    for report in REPORTS.values():
        objects = find_objects(org, report.kind, "all")
        results = {
            name: on(
                settings,
                url,
                run_report,
                org,
                report.key,
                objects,
                period,
                scope=Scope.whole(org.id),
            )
            for name, url in both.items()
        }
        duck = results["duckdb"]
        for name in ("chdb", "clickhouse_server"):
            click = results[name]
            assert duck.total == click.total, (name, report.key, group)
            assert [v for _, v in duck.rows] == [v for _, v in click.rows], (name, report.key)


@pytest.mark.slow
def test_the_specification_is_the_same_on_both_engines(both, org, settings) -> None:
    period = Period.parse(org.timezone, "2026-11-16", "2026-11-17", "08:00-12:00", "hour")
    queues = find_objects(org, "acd", "all")
    bucket = period.buckets()[2].key
    pages = {
        name: on(
            settings,
            url,
            specification,
            org,
            "acd.incoming",
            queues,
            period,
            Filters(wait_min=5),
            measure="answered",
            bucket=bucket,
            order="oldest",
            limit=10,
            offset=2,
            scope=Scope.whole(org.id),
        )
        for name, url in both.items()
    }
    assert pages["duckdb"].total == pages["chdb"].total == pages["clickhouse_server"].total > 10
    assert pages["duckdb"].calls == pages["chdb"].calls == pages["clickhouse_server"].calls


@pytest.mark.slow
def test_every_clickhouse_query_filters_on_the_organization(
    both, org, settings, monkeypatch
) -> None:
    import re

    from vaxelstat.calls.clickhouse import ClickHouseStore

    seen: list[str] = []
    original = ClickHouseStore.query

    def recording(self, sql, values=None):  # type: ignore[no-untyped-def]
        seen.append(sql)
        return original(self, sql, values)

    monkeypatch.setattr(ClickHouseStore, "query", recording)
    settings.CALLSTORE_URL = both["chdb"]
    period = Period.parse(org.timezone, "2026-11-16", "2026-11-16", None, "hour")
    queues = find_objects(org, "acd", "all")
    run_report(org, "acd.waits", queues, period, scope=Scope.whole(org.id))
    specification(org, "acd.incoming", queues, period, limit=3, scope=Scope.whole(org.id))
    get_store().count(Scope.whole(org.id))
    get_store().counts_by_object(Scope.whole(org.id))
    touching = [sql for sql in seen if re.search(r"\blegs\b", sql)]
    assert len(touching) >= 4
    for sql in touching:
        assert re.search(r"\borg_id\s*=", sql), sql


def test_clickhouse_parameters_keep_backslashes_tabs_and_line_breaks(settings) -> None:
    store = get_store(f"chdb:///{settings.DATA_DIR / 'clickhouse'}")
    text = "C:\\calls\\n\tquoted 'x' \"y\"\nnext"
    assert store.query("SELECT $text AS t", {"text": text}) == [{"t": text}]  # type: ignore[attr-defined]


@pytest.mark.slow
def test_a_re_import_after_the_source_time_zone_changed_moves_the_calls_without_doubling(
    both, org, settings, tmp_path: Path
) -> None:
    """A leg's start moves with the collection point's source time zone (by up to 26 hours
    between UTC-12 and UTC+14); its natural key does not: the re-import finds each call,
    replaces its legs with the new reading (moved), and doubles none. Read again in the same
    zone, the file adds nothing."""
    point = CollectionPoint.objects.get(organization=org, name="pbx")
    # (On DuckDB and chDB: the server transport runs the same statements, and its three
    # re-imports of a fortnight through the stand-in cost the suite half a minute.)
    for url in (both["duckdb"], both["chdb"]):
        settings.CALLSTORE_URL = url
        before = get_store().counts_by_object(Scope.whole(org.id))
        first = min(_cdr_starts(org.id))
        for zone, shift in (("Pacific/Kiritimati", -14), ("Etc/GMT+12", 12)):
            point.settings = {**point.settings, "source_timezone": zone}
            point.save()
            summary = import_file(org, point, "asterisk-cdr", tmp_path / "Master.csv")
            assert summary.calls_replaced > 2000 and summary.imported > 5000, (zone, url)
            assert get_store().counts_by_object(Scope.whole(org.id)) == before, (zone, url)
            # (The simulated PBX wrote local Stockholm time, an hour ahead of UTC.)
            assert min(_cdr_starts(org.id)) - first == timedelta(hours=shift + 1), (zone, url)
            if shift < 0:
                again = import_file(org, point, "asterisk-cdr", tmp_path / "Master.csv")
                assert (again.imported, again.calls_replaced) == (0, 0), (zone, url)
                assert again.duplicates == summary.imported, (zone, url)
        point.settings = {k: v for k, v in point.settings.items() if k != "source_timezone"}
        point.save()
        import_file(org, point, "asterisk-cdr", tmp_path / "Master.csv")
        assert get_store().counts_by_object(Scope.whole(org.id)) == before, url
        assert min(_cdr_starts(org.id)) == first, url
    settings.CALLSTORE_URL = both["duckdb"]


def _cdr_starts(org_id: int) -> list[datetime]:
    return [
        leg["start_utc"]
        for leg in get_store().legs(Scope.whole(org_id))
        if leg["leg_id"].startswith("cdr:")
    ]


def test_a_server_url_carries_its_timeout_and_settings() -> None:
    from vaxelstat.calls.clickhouse import SERVER_TIMEOUT_S, server_options

    plain = server_options("clickhouse://u:p%40ss@db.example:8123/stat")
    assert (plain["host"], plain["password"], plain["database"]) == ("db.example", "p@ss", "stat")
    assert plain["send_receive_timeout"] == SERVER_TIMEOUT_S and plain["settings"] == {}
    tuned = server_options(
        "clickhouses://u:p@db.example/stat?cluster=c1&timeout=60"
        "&settings=max_threads:4,skip_unavailable_shards:1"
    )
    assert (tuned["port"], tuned["secure"], tuned["send_receive_timeout"]) == (8443, True, 60.0)
    assert tuned["settings"] == {
        "optimize_skip_unused_shards": "1",
        "max_threads": "4",
        "skip_unavailable_shards": "1",
    }
    for wrong in ("timeout=0", "timeout=soon", "settings=max_threads", "settings=x;y:1"):
        with pytest.raises(ValueError, match="CALLSTORE_URL"):
            server_options(f"clickhouse://db.example/stat?{wrong}")


def test_a_server_url_with_settings_is_served(org, settings, clickhouse_server_url) -> None:  # type: ignore[no-untyped-def]
    """The settings travel with each statement (the stand-in does not apply them: a server's
    semantics are a real server's to test)."""
    store = get_store(f"{clickhouse_server_url}?timeout=30&settings=max_threads:2")
    assert store.count(Scope.whole(org.id)) == 0


def test_a_store_opened_where_its_tables_are_sends_no_ddl(
    org, settings, clickhouse_server_url, request
) -> None:  # type: ignore[no-untyped-def]
    """A cluster's DDL waits for every node: it is sent where the tables are missing only."""
    from vaxelstat.calls import clickhouse

    get_store(clickhouse_server_url)  # the tables are there
    sent = request.getfixturevalue("server_commands")
    again = clickhouse.ClickHouseStore(clickhouse_server_url)
    try:
        assert again.count(Scope.whole(org.id)) == 0
    finally:
        again.close()
    assert not [t for t in sent if "CREATE" in t]


def test_chdb_runs_the_web_threads_statements_side_by_side(settings) -> None:  # type: ignore[no-untyped-def]
    """ClickHouse in process: four statements of a second, from four threads, in about one."""
    import threading
    import time

    store = get_store(f"chdb:///{settings.DATA_DIR / 'clickhouse'}")
    threads = [
        threading.Thread(target=store.query, args=("SELECT sleep(1) AS slept",)) for _ in range(4)
    ]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.monotonic() - began < 2.0

"""Worked examples of the standard reports, and the identities that must always hold."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.demo import switchboard as sb
from vaxelstat.ingest.parsers.canonical_csv import COLUMNS
from vaxelstat.ingest.pipeline import import_file
from vaxelstat.orgs.models import CollectionPoint, Organization
from vaxelstat.reports.engine import find_objects, run_report
from vaxelstat.reports.measures import IDENTITIES, REPORTS, columns_of
from vaxelstat.reports.period import Period


def leg(
    n: int,
    kind: str,
    number: str,
    start: str,
    type_: str,
    wait: int = 0,
    talk: int = 0,
    direction: str = "in",
    internal: str = "false",
) -> str:
    values = {
        "call_id": f"c{n}",
        "leg_id": f"l{n}",
        "from_number": f"070{n}",
        "object_kind": kind,
        "object_number": number,
        "start": start,
        "direction": direction,
        "internal": internal,
        "type": type_,
        "wait_s": str(wait),
        "talk_s": str(talk),
    }
    return ",".join(values.get(c, "") for c in COLUMNS)


def load(org: Organization, tmp_path: Path, *legs: str) -> None:
    path = tmp_path / f"{org.slug}.csv"
    path.write_text(",".join(COLUMNS) + "\n" + "\n".join(legs) + "\n")
    point, _ = CollectionPoint.objects.get_or_create(
        organization=org, name="csv", defaults={"format": "csv"}
    )
    assert import_file(org, point, "csv", path).rejects == []


def test_acd_incoming_worked_example(engine, org, tmp_path: Path) -> None:
    """Queue 400 on Monday 16 Nov 2026, 08:00–10:00 in 30-minute buckets (local time)."""
    load(
        org,
        tmp_path,
        leg(1, "acd", "400", "2026-11-16T08:05:00+01:00", "answered", wait=10, talk=100),
        leg(2, "acd", "400", "2026-11-16T08:10:00+01:00", "answered", wait=30, talk=200),
        leg(3, "acd", "400", "2026-11-16T08:20:00+01:00", "abandoned", wait=4),
        leg(4, "acd", "400", "2026-11-16T08:40:00+01:00", "abandoned", wait=40),
        leg(5, "acd", "400", "2026-11-16T09:45:00+01:00", "forwarded", wait=300),
        leg(6, "acd", "400", "2026-11-16T10:00:00+01:00", "answered", wait=5),  # outside
        leg(7, "acd", "401", "2026-11-16T08:05:00+01:00", "answered", wait=5),
    )  # not chosen
    period = Period.parse(org.timezone, "2026-11-16", "2026-11-16", "08:00-10:00", "30min")
    result = run_report(
        org, "acd.incoming", find_objects(org, "acd", "400"), period, scope=Scope.whole(org.id)
    )
    # Service level: answered within 20 s (1) / (5 calls − 1 abandoned within 5 s) = 25 %.
    assert result.total == {
        "incoming": 5,
        "answered": 2,
        "unanswered": 2,
        "forwarded": 1,
        "mean_answer_time": 20.0,
        "service_level": 25.0,
    }
    rows = {bucket.label[-5:]: values for bucket, values in result.rows}
    assert list(rows) == ["08:00", "08:30", "09:00", "09:30"]
    assert rows["08:00"] == {
        "incoming": 3,
        "answered": 2,
        "unanswered": 1,
        "forwarded": 0,
        "mean_answer_time": 20.0,
        "service_level": 50.0,
    }
    # A bucket with no calls is listed, with zeros and blank means.
    assert rows["09:00"] == {
        "incoming": 0,
        "answered": 0,
        "unanswered": 0,
        "forwarded": 0,
        "mean_answer_time": None,
        "service_level": None,
    }
    assert result.rows[0][0].start == "2026-11-16T08:00:00+01:00"


def test_user_reports_worked_example(engine, org, tmp_path: Path) -> None:
    load(
        org,
        tmp_path,
        leg(1, "user", "1001", "2026-11-16T09:00:00+01:00", "in_answered", 6, 60, internal="true"),
        leg(2, "user", "1001", "2026-11-16T09:10:00+01:00", "in_answered", 10, 120),
        leg(3, "user", "1001", "2026-11-16T09:20:00+01:00", "in_no_answer", 25),
        leg(4, "user", "1001", "2026-11-16T09:30:00+01:00", "in_busy", 1),
        leg(5, "user", "1001", "2026-11-16T09:40:00+01:00", "in_voicemail", 25),
        leg(6, "user", "1001", "2026-11-16T09:50:00+01:00", "in_forwarded", 25),
        leg(7, "user", "1001", "2026-11-16T10:00:00+01:00", "out_answered", 5, 300, "out"),
        leg(8, "user", "1001", "2026-11-16T10:10:00+01:00", "out_unanswered", 30, 0, "out"),
    )
    period = Period.parse(org.timezone, "2026-11-16", "2026-11-16", None, "day")
    users = find_objects(org, "user", "1001")
    assert run_report(org, "user.incoming", users, period, scope=Scope.whole(org.id)).total == {
        "incoming": 6,
        "answered": 2,
        "unanswered": 1,
        "busy": 1,
        "voicemail": 1,
        "forwarded": 1,
        "mean_answer_time": 8.0,
    }
    assert run_report(
        org, "user.internal_external", users, period, scope=Scope.whole(org.id)
    ).total == {
        "incoming": 6,
        "internal": 1,
        "external": 5,
        "talk_time": 180,
        "mean_talk_time": 90.0,
    }
    assert run_report(org, "user.outgoing", users, period, scope=Scope.whole(org.id)).total == {
        "outgoing": 2,
        "answered": 1,
        "unanswered": 1,
        "talk_time": 300,
        "mean_talk_time": 300.0,
    }


def test_routing_reports_worked_example(engine, org, tmp_path: Path) -> None:
    load(
        org,
        tmp_path,
        leg(1, "rule", "1", "2026-11-16T09:00:00+01:00", "connected"),
        leg(2, "rule", "1", "2026-11-16T19:00:00+01:00", "not_connected"),
        leg(3, "ivr", "ivr-1", "2026-11-16T09:00:00+01:00", "connected", wait=8),
        leg(4, "ivr", "ivr-1", "2026-11-16T09:05:00+01:00", "not_connected", wait=4),
    )
    period = Period.parse(org.timezone, "2026-11-16", "2026-11-16", None, "hourofday")
    rule = run_report(
        org, "rule.handled", find_objects(org, "rule", "all"), period, scope=Scope.whole(org.id)
    )
    assert rule.total == {"handled": 2, "connected": 1, "not_connected": 1}
    assert len(rule.rows) == 24 and rule.rows[19][1]["not_connected"] == 1
    ivr = run_report(
        org, "ivr.handled", find_objects(org, "ivr", "ivr-1"), period, scope=Scope.whole(org.id)
    )
    assert ivr.total == {"handled": 2, "connected": 1, "not_connected": 1, "mean_menu_time": 6.0}


def test_a_call_lands_in_the_local_hour_it_started_across_dst(engine, org, tmp_path: Path) -> None:
    """25 Oct 2026: 02:30 happens twice in Stockholm; 29 Mar 2026 has no 02:00 at all."""
    load(
        org,
        tmp_path,
        leg(1, "acd", "400", "2026-10-25T02:30:00+02:00", "answered", 5),
        leg(2, "acd", "400", "2026-10-25T02:30:00+01:00", "answered", 5),
        leg(3, "acd", "400", "2026-03-29T01:59:00+01:00", "answered", 5),
        leg(4, "acd", "400", "2026-03-29T03:00:00+02:00", "answered", 5),
    )
    queue = find_objects(org, "acd", "400")
    autumn = run_report(
        org,
        "acd.incoming",
        queue,
        Period.parse(org.timezone, "2026-10-25", "2026-10-25", None, "hour"),
        scope=Scope.whole(org.id),
    )
    by_label = {b.label: v["incoming"] for b, v in autumn.rows}
    # The repeated hour is two rows, each labelled with its offset: the day has 25 hours.
    assert by_label["2026-10-25 02:00 +02:00"] == 1 and by_label["2026-10-25 02:00 +01:00"] == 1
    assert autumn.total["incoming"] == 2 and len(autumn.rows) == 25
    assert [b.start for b, _ in autumn.rows[2:4]] == [
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:00:00+01:00",
    ]
    quarters = run_report(
        org,
        "acd.incoming",
        queue,
        Period.parse(org.timezone, "2026-10-25", "2026-10-25", None, "15min"),
        scope=Scope.whole(org.id),
    )
    assert len(quarters.rows) == 100
    assert [b.label for b, v in quarters.rows if v["incoming"]] == [
        "2026-10-25 02:30 +02:00",
        "2026-10-25 02:30 +01:00",
    ]
    spring = run_report(
        org,
        "acd.incoming",
        queue,
        Period.parse(org.timezone, "2026-03-29", "2026-03-29", None, "hour"),
        scope=Scope.whole(org.id),
    )
    labels = [b.label[-5:] for b, _ in spring.rows]
    assert "02:00" not in labels and len(labels) == 23
    assert sum(v["incoming"] for _, v in spring.rows) == spring.total["incoming"] == 2


def test_another_organizations_calls_never_count(engine, org, tmp_path: Path) -> None:
    other = Organization.objects.create(slug="other", name="Other AB")
    load(org, tmp_path, leg(1, "acd", "400", "2026-11-16T09:00:00+01:00", "answered"))
    load(other, tmp_path, leg(1, "acd", "400", "2026-11-16T09:00:00+01:00", "abandoned"))
    period = Period.parse(org.timezone, "2026-11-16", "2026-11-16", None, "day")
    mine = run_report(
        org, "acd.incoming", find_objects(org, "acd", "400"), period, scope=Scope.whole(org.id)
    )
    assert (mine.total["answered"], mine.total["unanswered"]) == (1, 0)
    # Objects are looked up within the organization: the other's objects are not found.
    other_queue = find_objects(other, "acd", "400")
    assert (
        run_report(org, "acd.incoming", other_queue, period, scope=Scope.whole(org.id)).total[
            "incoming"
        ]
        == 0
    )


@pytest.fixture
def simulated(org, simulated_logs) -> Organization:  # type: ignore[no-untyped-def]
    master, queue_log = simulated_logs(11, 14, datetime(2026, 11, 20, 18, tzinfo=UTC), org.timezone)
    point = CollectionPoint.objects.create(
        organization=org, name="pbx", format="asterisk", settings={"trunk_peers": [sb.TRUNK]}
    )
    import_file(org, point, "asterisk-cdr", master)
    import_file(org, point, "asterisk-queue-log", queue_log)
    return org


# The demo's calls from outside come in by the main number's rule or straight to a user: no
# queue, ring group or IVR is a front door there (test_journey has calls that come in by them).
NO_FRONT_DOOR_IN_DEMO = {"acd.journey", "hunt.journey", "ivr.journey"}


def test_the_identities_hold_in_every_bucket_and_in_the_total(simulated) -> None:
    for group in ("30min", "hour", "day", "week", "hourofday", "weekday"):
        _identities_hold(simulated, group)


def _identities_hold(simulated: Organization, group: str) -> None:
    period = Period.parse(simulated.timezone, "2026-11-07", "2026-11-20", "07:00-18:00", group)
    for report in REPORTS.values():
        result = run_report(
            simulated,
            report.key,
            find_objects(simulated, report.kind, "all"),
            period,
            scope=Scope.whole(simulated.id),
        )
        rows = [values for _, values in result.rows]
        for values in [result.total, *rows]:
            for scope, total, parts in IDENTITIES:
                if scope == report.scope and {total, *parts} <= set(values):
                    assert values[total] == sum(values[p] for p in parts), (
                        report.key,
                        group,
                        values,
                    )
        for key, value in result.total.items():
            if isinstance(value, int) and key != "max_wait":
                assert value == sum(r[key] for r in rows), (report.key, key)
        if report.key not in NO_FRONT_DOOR_IN_DEMO:
            assert result.total[report.columns[0]] > 0, report.key


def test_the_report_command_prints_the_json_of_spec_12(simulated, capsys) -> None:
    call_command(
        "report",
        "--org",
        "acme",
        "--report",
        "acd.waits",
        "--objects",
        "400,401",
        "--from",
        "2026-11-16",
        "--to",
        "2026-11-20",
        "--time",
        "08:00-17:00",
        "--group",
        "day",
    )
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {
        "report",
        "organization",
        "timezone",
        "from",
        "to",
        "time",
        "group",
        "objects",
        "columns",
        "total",
        "rows",
    }
    assert (data["time"], data["group"], len(data["rows"])) == ("08:00-17:00", "day", 5)
    assert [c["key"] for c in data["columns"]] == list(REPORTS["acd.waits"].columns)
    assert data["rows"][0]["start"] == "2026-11-16T00:00:00+01:00"
    assert data["total"]["incoming"] == sum(r["incoming"] for r in data["rows"])
    base = [
        "report",
        "--org",
        "acme",
        "--report",
        "acd.waits",
        "--from",
        "2026-11-16",
        "--to",
        "2026-11-20",
    ]
    for wrong in (["--objects", "999"], ["--objects", "400", "--time", "17-8"]):
        with pytest.raises(CommandError) as error:
            call_command(*base, *wrong)
        assert error.value.returncode == 2


def test_a_report_on_the_store_is_exactly_its_legs(simulated) -> None:
    """The total of incoming calls of all queues equals the number of queue legs stored."""
    period = Period.parse(simulated.timezone, "2026-11-01", "2026-11-30", None, "month")
    result = run_report(
        simulated,
        "acd.incoming",
        find_objects(simulated, "acd", "all"),
        period,
        scope=Scope.whole(simulated.id),
    )
    stored = [
        leg for leg in get_store().legs(Scope.whole(simulated.id)) if leg["object_kind"] == "acd"
    ]
    assert result.total["incoming"] == len(stored)


def test_the_legs_behind_every_cell_are_exactly_the_cell(simulated) -> None:
    from vaxelstat.reports.specification import specification

    period = Period.parse(simulated.timezone, "2026-11-16", "2026-11-17", "08:00-17:00", "hour")
    for report in REPORTS.values():
        objects = find_objects(simulated, report.kind, "all")
        result = run_report(simulated, report.key, objects, period, scope=Scope.whole(simulated.id))
        counts = [m.key for m in columns_of(report) if m.agg == "count"]
        for key in counts:
            assert (
                specification(
                    simulated,
                    report.key,
                    objects,
                    period,
                    measure=key,
                    scope=Scope.whole(simulated.id),
                ).total
                == result.total[key]
            )
            for bucket, values in result.rows[::3]:
                spec = specification(
                    simulated,
                    report.key,
                    objects,
                    period,
                    measure=key,
                    bucket=bucket.key,
                    limit=5,
                    scope=Scope.whole(simulated.id),
                )
                assert spec.total == values[key], (report.key, key, bucket.label)
                assert len(spec.calls) == min(5, values[key])


def test_the_specification_filters_orders_and_pages(engine, org, tmp_path: Path) -> None:
    from vaxelstat.reports.specification import Filters, specification

    load(
        org,
        tmp_path,
        leg(1, "acd", "400", "2026-11-16T08:05:00+01:00", "answered", wait=10, talk=100),
        leg(2, "acd", "400", "2026-11-16T08:10:00+01:00", "answered", wait=30, talk=200),
        leg(3, "acd", "400", "2026-11-16T08:20:00+01:00", "abandoned", wait=4),
        leg(4, "acd", "400", "2026-11-16T08:40:00+01:00", "abandoned", wait=40),
    )
    queue = find_objects(org, "acd", "400")
    period = Period.parse(org.timezone, "2026-11-16", "2026-11-16", None, "day")

    def ids(**kwargs):  # type: ignore[no-untyped-def]
        return [
            c["leg_id"]
            for c in specification(
                org, "acd.incoming", queue, period, **kwargs, scope=Scope.whole(org.id)
            ).calls
        ]

    assert ids() == ["csv:l4", "csv:l3", "csv:l2", "csv:l1"]
    assert ids(order="oldest", limit=2, offset=1) == ["csv:l2", "csv:l3"]
    assert ids(filters=Filters(type="abandoned")) == ["csv:l4", "csv:l3"]
    assert ids(filters=Filters(wait_min=10, wait_max=30)) == ["csv:l2", "csv:l1"]
    assert ids(filters=Filters(talk_min=150)) == ["csv:l2"]
    assert ids(filters=Filters(text={"from": "0702"})) == ["csv:l2"]
    # The total whatever the page: full (counted), the last (the page says it), past the
    # last leg, none asked for.
    for limit, offset, shown in ((2, 0, 2), (3, 2, 2), (5, 0, 4), (2, 9, 0), (0, 0, 0)):
        found = specification(
            org,
            "acd.incoming",
            queue,
            period,
            limit=limit,
            offset=offset,
            scope=Scope.whole(org.id),
        )
        assert (found.total, len(found.calls)) == (4, shown), (limit, offset)
    first = specification(
        org, "acd.incoming", queue, period, limit=1, scope=Scope.whole(org.id)
    ).calls[0]
    assert (first["type_label"], first["start"], first["object_number"]) == (
        "Ej besvarat - Avslutat i kö",
        "2026-11-16T08:40:00",
        "400",
    )


def test_every_query_of_the_call_store_filters_on_the_organization(
    org, tmp_path: Path, monkeypatch
) -> None:
    """Record every statement the store runs while a file is imported (both paths), reports
    and specifications are made and legs are counted: each one that reads or writes legs
    names the organization. Maintenance that crosses organizations says so (unscoped_)."""
    import re

    from vaxelstat.calls.store import DuckDBStore
    from vaxelstat.reports.specification import specification

    seen: list[str] = []
    original = DuckDBStore._cursor

    class Recording:
        def __init__(self, cursor) -> None:  # type: ignore[no-untyped-def]
            self.cursor = cursor

        def execute(self, sql, *args, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(sql)
            self.cursor.execute(sql, *args, **kwargs)
            return self

        def __getattr__(self, name):  # type: ignore[no-untyped-def]
            return getattr(self.cursor, name)

    monkeypatch.setattr(DuckDBStore, "_cursor", lambda self: Recording(original(self)))
    load(org, tmp_path, leg(1, "acd", "400", "2026-11-16T08:05:00+01:00", "answered", 10))
    queue_log = tmp_path / "queue_log"
    queue_log.write_text(
        "1700000000|a|400|NONE|ENTERQUEUE||0701|1\n1700000009|a|400|NONE|ABANDON|1|1|9\n"
    )
    point = CollectionPoint.objects.create(organization=org, name="q", format="asterisk")
    import_file(org, point, "asterisk-queue-log", queue_log)
    period = Period.parse(org.timezone, "2023-11-01", "2026-11-30", None, "month")
    queue = find_objects(org, "acd", "400")
    run_report(org, "acd.incoming", queue, period, scope=Scope.whole(org.id))
    specification(
        org, "acd.incoming", queue, period, measure="answered", limit=3, scope=Scope.whole(org.id)
    )
    store = get_store()
    store.count(Scope.whole(org.id))
    store.counts_by_object(Scope.whole(org.id))
    store.legs(Scope.whole(org.id))
    touching = [
        sql
        for sql in seen
        if re.search(r"\blegs\b", sql)
        and not sql.lstrip().upper().startswith("CREATE TABLE IF NOT EXISTS")
    ]
    assert len(touching) >= 8
    for sql in touching:
        assert re.search(r"\borg_id\s*=", sql), sql


def test_the_call_list_shows_the_offset_where_the_local_time_is_ambiguous(
    engine, org, tmp_path: Path
) -> None:
    from vaxelstat.reports.specification import specification

    load(
        org,
        tmp_path,
        leg(1, "acd", "400", "2026-10-25T02:30:00+02:00", "answered", 5),
        leg(2, "acd", "400", "2026-10-25T02:30:00+01:00", "answered", 5),
        leg(3, "acd", "400", "2026-10-25T04:30:00+01:00", "answered", 5),
    )
    period = Period.parse(org.timezone, "2026-10-25", "2026-10-25", None, "hour")
    spec = specification(
        org,
        "acd.incoming",
        find_objects(org, "acd", "400"),
        period,
        order="oldest",
        scope=Scope.whole(org.id),
    )
    assert [c["start"] for c in spec.calls] == [
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T02:30:00+01:00",
        "2026-10-25T04:30:00",
    ]

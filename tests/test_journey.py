"""Samtalets väg: where each external call came in (its front door) and where it ended,
worked through by hand on both engines; the page of one call's steps; on the demo's
switchboard the calls at the front door add up to where they ended."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vaxelstat.calls.scope import Scope
from vaxelstat.ingest.parsers.canonical_csv import COLUMNS
from vaxelstat.ingest.pipeline import import_file
from vaxelstat.orgs.models import CollectionPoint, MeasuredObject, Organization
from vaxelstat.reports import journey
from vaxelstat.reports.engine import find_objects, run_report
from vaxelstat.reports.journey import JOURNEY_ENDINGS
from vaxelstat.reports.measures import BY_KEY, IDENTITIES, REPORTS
from vaxelstat.reports.period import Period
from vaxelstat.reports.specification import specification

# 16 November 2026, Stockholm (UTC+1): the times below are UTC.
DAY = datetime(2026, 11, 16, tzinfo=UTC)


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return DAY + timedelta(hours=hour, minutes=minute, seconds=second)


# (call, kind, number, start, type, extra columns)
LEGS = [
    # j1: the main number's rule, the menu, queue 400, member 1001 answers.
    ("j1", "rule", "1", at(8, 0), "connected", {"forwarded_to": "ivr-1"}),
    ("j1", "ivr", "ivr-1", at(8, 0), "connected", {"wait_s": "6", "forwarded_to": "400"}),
    ("j1", "acd", "400", at(8, 0, 6), "answered", {"wait_s": "14", "talk_s": "95"}),
    ("j1", "user", "1001", at(8, 0, 6), "in_answered", {"group_from": "400", "talk_s": "95"}),
    # j2: the caller hangs up in the menu.
    ("j2", "rule", "1", at(8, 5), "connected", {}),
    ("j2", "ivr", "ivr-1", at(8, 5), "not_connected", {"wait_s": "9"}),
    # j3: the queue rings 1001, who does not answer; the caller hangs up in the queue.
    ("j3", "rule", "1", at(8, 10), "connected", {}),
    ("j3", "ivr", "ivr-1", at(8, 10), "connected", {"wait_s": "4"}),
    ("j3", "acd", "400", at(8, 10, 4), "abandoned", {"wait_s": "40"}),
    ("j3", "user", "1001", at(8, 10, 4), "in_no_answer", {"group_from": "400", "wait_s": "20"}),
    # j4: ring group 600 sends it to its mailbox after its member did not answer.
    ("j4", "rule", "1", at(8, 20), "connected", {}),
    ("j4", "ivr", "ivr-1", at(8, 20), "connected", {"wait_s": "5"}),
    ("j4", "hunt", "600", at(8, 20, 5), "forwarded", {"forwarded_to": "voicemail 600"}),
    ("j4", "user", "1020", at(8, 20, 5), "in_no_answer", {"group_from": "600"}),
    # j5: closed: the rule sends it nowhere.
    ("j5", "rule", "1", at(18, 0), "not_connected", {}),
    # j6: a direct call to 1002, forwarded on no answer to 1003, who answers.
    ("j6", "user", "1002", at(9, 0), "in_no_answer", {"wait_s": "15"}),
    ("j6", "user", "1003", at(9, 0, 15), "in_answered", {"forwarded_from": "1002"}),
    # j7: 1002's mailbox.
    ("j7", "user", "1002", at(9, 30), "in_voicemail", {"forwarded_to": "voicemail 1002"}),
    # j8: 1002 forwards it to a mobile number (not measured).
    ("j8", "user", "1002", at(10, 0), "in_forwarded", {"forwarded_to": "0701234567"}),
    # j9: a direct number of queue 400, no one logged in.
    ("j9", "acd", "400", at(10, 30), "no_agent", {}),
    # j10: a colleague's internal call: no call from outside.
    ("j10", "user", "1002", at(11, 0), "in_no_answer", {"internal": "true"}),
    # j11: 1002 busy.
    ("j11", "user", "1002", at(11, 30), "in_busy", {}),
    # j12: 23:59:50 local on the 16th, answered in the queue after midnight: the 16th's call.
    ("j12", "rule", "1", at(22, 59, 50), "connected", {}),
    ("j12", "ivr", "ivr-1", at(22, 59, 55), "connected", {"wait_s": "10"}),
    ("j12", "acd", "400", at(23, 0, 5), "answered", {"wait_s": "5", "talk_s": "30"}),
    ("j12", "user", "1001", at(23, 0, 5), "in_answered", {"group_from": "400", "talk_s": "30"}),
]

# Counted by hand, 16 November (local): where each front door's calls ended.
ENDED = {
    ("rule", "1"): {"answered": 2, "voicemail": 1, "abandoned": 1, "not_connected": 2},
    ("user", "1002"): {"answered": 1, "voicemail": 1, "forwarded": 1, "no_answer": 1},
    ("acd", "400"): {"no_agent": 1},
    # Calls that came in by the rule, not by them.
    ("ivr", "ivr-1"): {},
    ("hunt", "600"): {},
    ("user", "1001"): {},
    ("user", "1003"): {},
}
BEHIND = {
    ("rule", "1", "ended_answered"): {"j1", "j12"},
    ("rule", "1", "ended_not_connected"): {"j2", "j5"},
    ("user", "1002", "ended_no_answer"): {"j11"},
    ("user", "1002", "entered"): {"j6", "j7", "j8", "j11"},
}


def _write(path: Path, legs: list) -> Path:  # type: ignore[type-arg]
    rows = [",".join(COLUMNS)]
    for i, (call, kind, number, start, type_, extra) in enumerate(legs):
        leg = {
            "call_id": call,
            "leg_id": f"{call}-{i}",
            "object_kind": kind,
            "object_number": number,
            "start": start.isoformat(),
            "direction": "in",
            "internal": "false",
            "type": type_,
            "from_number": "0705550000",
            **extra,
        }
        rows.append(",".join(leg.get(c, "") for c in COLUMNS))
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture
def org(db, tmp_path: Path) -> Organization:
    org = Organization.objects.create(slug="jv", name="Vägen AB")
    point = CollectionPoint.objects.create(organization=org, name="csv", format="csv")
    assert import_file(org, point, "csv", _write(tmp_path / "day.csv", LEGS)).rejects == []
    return org


def _result(org: Organization, kind: str, number: str, group: str = "day"):  # type: ignore[no-untyped-def]
    period = Period.parse(org.timezone, "2026-11-16", "2026-11-16", None, group)
    objects = find_objects(org, kind, number)
    return (
        period,
        objects,
        run_report(org, f"{kind}.journey", objects, period, scope=Scope.whole(org.id)),
    )


@pytest.mark.usefixtures("engine")
def test_the_worked_example_gives_the_hand_counted_endings(org) -> None:
    for (kind, number), ended in ENDED.items():
        _, _, result = _result(org, kind, number)
        expected = {f"ended_{key}": ended.get(key, 0) for key, *_ in JOURNEY_ENDINGS}
        expected["entered"] = sum(ended.values())
        assert result.total == expected, (kind, number)
    # The calls that came in by the rule are all the rule handled: the front door's total is
    # the sum of where they ended.
    period, rules, _ = _result(org, "rule", "1")
    handled = run_report(org, "rule.handled", rules, period, scope=Scope.whole(org.id))
    _, _, entered = _result(org, "rule", "1")
    assert handled.total["handled"] == entered.total["entered"] == 6


@pytest.mark.usefixtures("engine")
def test_the_identity_holds_in_every_hour_and_each_count_opens_its_calls(org) -> None:
    for kind, number in ENDED:
        _, _, result = _result(org, kind, number, "hour")
        scope = REPORTS[f"{kind}.journey"].scope
        for s, total, parts in IDENTITIES:
            if s == scope and total == "entered":
                for _bucket, values in [(None, result.total), *result.rows]:
                    assert values[total] == sum(values[p] for p in parts)
    for (kind, number, measure), calls in BEHIND.items():
        period, objects, _ = _result(org, kind, number)
        spec = specification(
            org,
            f"{kind}.journey",
            objects,
            period,
            measure=measure,
            scope=Scope.whole(org.id),
        )
        assert {c["call_id"] for c in spec.calls} == calls, (kind, number, measure)
        # The front door's legs: one per call.
        assert spec.total == len(calls)


def test_each_ending_is_a_measure_of_every_front_door() -> None:
    assert list(journey.ENDINGS) == [key for key, *_ in JOURNEY_ENDINGS]
    for scope in ("user_in", "group", "routing"):
        for key, _name, sv, en, *_ in JOURNEY_ENDINGS:
            measure = BY_KEY[(scope, f"ended_{key}")]
            assert (measure.label_sv, measure.label_en, measure.source) == (sv, en, "journey")


@pytest.mark.usefixtures("engine")
def test_visa_samtalets_vag_shows_the_steps_and_how_the_call_ended(org) -> None:
    from test_accounts import logged_in

    from vaxelstat.accounts.models import User

    admin = User.objects.create_user("ann@jv.example", "Ann-lösen-2026", organization=org)
    client = logged_in(admin)
    point = CollectionPoint.objects.get(organization=org).id
    page = client.get("/basrapporter/samtal/vag/", {"point": point, "call": "j3"}).content.decode()
    steps = re.findall(r"<li>(.*?)</li>", page, re.S)
    text = [" ".join(re.sub(r"<[^>]+>", " ", s).split()) for s in steps]
    assert len(text) == 4
    assert text[0].startswith("+00:00:00 1") and "Framkopplat" in text[0]
    assert text[1].startswith("+00:00:00 ivr-1") and "Kötid 00:00:04" in text[1]
    assert text[2].startswith("+00:00:04 400") and "Kötid 00:00:40" in text[2]
    assert text[3].startswith("+00:00:04 1001") and "Ej svar" in text[3]
    assert "Det slutade: Avslutat i kö." in page
    assert "Samtalet började 2026-11-16 09:10:00." in page
    # The specification links each leg to its call's journey.
    period, objects, _ = _result(org, "rule", "1")
    calls = client.get(
        "/basrapporter/samtal/",
        {
            "report": "rule.journey",
            "from": "2026-11-16",
            "to": "2026-11-16",
            "o": objects[0].id,
            "measure": "ended_not_connected",
        },
    ).content.decode()
    assert f"/basrapporter/samtal/vag/?point={point}&amp;call=j2&amp;back=" in calls
    # A reader granted queue 400 only sees its steps, and how many others there are.
    reader = User.objects.create_user("bo@jv.example", "Bo-lösen-2026!", organization=org)
    reader.sees_all = False
    reader.save()
    reader.visible_objects.set(MeasuredObject.objects.filter(organization=org, number="400"))
    limited = (
        logged_in(reader)
        .get("/basrapporter/samtal/vag/", {"point": point, "call": "j3"})
        .content.decode()
    )
    assert len(re.findall(r"<li>", limited)) == 1 and "3 steg till" in limited
    assert "ivr-1" not in limited and "Det slutade" not in limited
    # A call of no step the reader may see is not found; nor is another organization's.
    journey_of = "/basrapporter/samtal/vag/"
    assert logged_in(reader).get(journey_of, {"point": point, "call": "j7"}).status_code == 404
    assert client.get(journey_of, {"point": point, "call": "nope"}).status_code == 404
    # Another point's call of the same id is another call.
    assert client.get(journey_of, {"point": point + 1, "call": "j3"}).status_code == 404


def test_on_the_demo_the_front_door_adds_up_to_where_calls_ended(simulated) -> None:
    """The demo's switchboard: every call to the main number comes in by its rule (Kontorstid);
    the rule's handled calls are the calls that came in by it, and they add up to where they
    ended, in the total and every day."""
    org = simulated.a
    period = Period.parse(org.timezone, "2026-11-09", "2026-11-20", None, "day")
    scope = Scope.whole(org.id)
    rules = find_objects(org, "rule", "all")
    handled = run_report(org, "rule.handled", rules, period, scope=scope)
    ended = run_report(org, "rule.journey", rules, period, scope=scope)
    parts = [f"ended_{key}" for key, *_ in JOURNEY_ENDINGS]
    assert handled.total["handled"] == ended.total["entered"] > 1000
    assert ended.total["ended_answered"] > 0 and ended.total["ended_not_connected"] > 0
    for (_b, h), (_b2, e) in zip(handled.rows, ended.rows, strict=True):
        assert h["handled"] == e["entered"] == sum(e[p] for p in parts)
    # Every kind's front doors add up too.
    for kind in ("ivr", "acd", "hunt", "user"):
        result = run_report(
            org, f"{kind}.journey", find_objects(org, kind, "all"), period, scope=scope
        )
        assert result.total["entered"] == sum(result.total[p] for p in parts), kind

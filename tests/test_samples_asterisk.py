"""What the real Asterisk logs in ../shared/samples yield (see their PROVENANCE.md)."""

import zoneinfo
from collections import Counter

import pytest
from samples import SAMPLES, needs_samples

from vaxelstat.calls.scope import Scope
from vaxelstat.ingest.parsers import asterisk_cdr, asterisk_queue_log
from vaxelstat.ingest.parsers.base import SourceSettings

pytestmark = needs_samples


def settings(tz: str, **fields: frozenset[str]) -> SourceSettings:
    return SourceSettings(timezone=zoneinfo.ZoneInfo(tz), **fields)  # type: ignore[arg-type]


def test_every_asterisk_cdr_sample_imports_without_a_crash() -> None:
    files = [
        *sorted((SAMPLES / "asterisk-cdr").iterdir()),
        SAMPLES / "pbxware-asterisk-db-export" / "cdr.csv",
    ]
    for path in files:
        result = asterisk_cdr.parse(path, settings("UTC"))
        assert result.lines > 0, path
        assert result.rejects == [], (path, result.rejects[:3])


def test_every_queue_log_sample_imports_without_a_crash() -> None:
    files = [
        *sorted((SAMPLES / "asterisk-queue_log" / "wazo-xivo-doc").iterdir()),
        SAMPLES / "pbxware-asterisk-db-export" / "queue_log.csv",
    ]
    for path in files:
        result = asterisk_queue_log.parse(path, settings("Europe/Paris"))
        assert result.lines > 0, path


def test_pbxware_queue_log_gives_its_108_queued_calls() -> None:
    """Figures worked out by reading the rows (not by running this code): 108 ENTERQUEUE in
    queue IT; 93 CONNECTed, of which 89 completed, 2 transferred and 2 whose end the export
    does not hold (1543942189.2194 by 1127, 1543942358.2226 by 1109); 12 abandoned, 1 timed
    out, 2 still waiting when the export ends. No QUEUESTART found a call open."""
    result = asterisk_queue_log.parse(
        SAMPLES / "pbxware-asterisk-db-export" / "queue_log.csv", settings("America/New_York")
    )
    groups = Counter((leg.type, leg.note) for leg in result.legs if leg.object_kind == "acd")
    assert groups == {
        ("answered", ""): 89,
        ("answered", "transferred"): 2,
        ("answered", "in progress"): 2,
        ("abandoned", ""): 12,
        ("forwarded", "timeout"): 1,
    }
    in_progress = {
        (leg.call_id, leg.member_number, leg.wait_s)
        for leg in result.legs
        if leg.object_kind == "acd" and leg.note == "in progress"
    }
    assert in_progress == {("1543942189.2194", "1127", 6), ("1543942358.2226", "1109", 23)}
    # The 4 calls not ended (2 waiting, 2 talking): their lines are kept as incomplete, for
    # the next export to take up again.
    assert {r.reason for r in result.rejects} == {"incomplete_call"}
    # (The rest are the lines of the agents' sessions open at the end: test_agents.)
    calls = [r for r in result.rejects if "agent's session" not in r.detail]
    assert len({r.raw.split(",")[2] for r in calls}) == 4
    assert sum(r.detail.startswith("no terminal event") for r in calls) == 4
    answered_by = Counter(
        leg.member_number
        for leg in result.legs
        if leg.object_kind == "acd" and leg.type == "answered"
    )
    # Callback agents Agent/11xx answer, as extension numbers (queue_log alone: the pickups
    # are the CDR's to tell).
    assert answered_by == {"1109": 17, "1126": 13, "1127": 18, "1128": 13, "1141": 22, "1144": 10}
    agents = Counter(leg.type for leg in result.legs if leg.object_kind == "user")
    assert agents["in_answered"] == 93
    # Ring-all cycles log 360 RINGNOANSWER; each member counts once per call it missed: 118
    # member-calls, one of them 1126's of a call still waiting (1543942788.2389), which has
    # no legs yet.
    missed = Counter(leg.object_number for leg in result.legs if leg.type == "in_no_answer")
    assert missed == {"1109": 28, "1126": 23, "1127": 16, "1128": 11, "1141": 17, "1144": 22}
    abandoned_wait = [leg.wait_s for leg in result.legs if leg.type == "abandoned"]
    assert 191 in abandoned_wait and 197 in abandoned_wait  # htime of the first two


def test_wazo_dialplan_refusals_are_calls_no_agent_could_take() -> None:
    folder = SAMPLES / "asterisk-queue_log" / "wazo-xivo-doc"
    notes = {}
    for name in (
        "03_call_on_a_queue_with_join_empty_conditions_met.psv",
        "06_call_on_a_full_queue.psv",
        "07_call_on_a_closed_queue.psv",
    ):
        (leg,) = asterisk_queue_log.parse(folder / name, settings("Europe/Paris")).legs
        notes[name[:2]] = (leg.type, leg.note, leg.wait_s)
    assert notes == {
        "03": ("no_agent", "", 0),
        "06": ("no_agent", "full", 0),
        "07": ("no_agent", "closed", 0),
    }


def test_parallel_ringing_gives_one_answered_call_not_a_missed_one() -> None:
    """The 21-column Master.csv: Dial(Local/ch1&Local/ch2&Local/ch3) where ch1 rings SIP/301."""
    result = asterisk_cdr.parse(
        SAMPLES / "asterisk-cdr" / "mineevburyat_dj-asterisk-cdr_Master.csv",
        settings(
            "Asia/Irkutsk",
            inbound_contexts=frozenset({"stadion-pstn"}),
            trunk_peers=frozenset({"stadionpbx"}),
        ),
    )
    call = [leg for leg in result.legs if leg.call_id == "1706407446.50"]
    assert [(leg.object_identity, leg.type, leg.wait_s, leg.talk_s) for leg in call] == [
        ("ext:301", "in_answered", 6, 17)
    ]
    assert not call[0].internal and call[0].from_number == "89025348783"
    types = Counter(leg.type for leg in result.legs)
    assert types == {"in_answered": 19, "in_no_answer": 9}
    # The byte 0xA5 in a caller ID does not fail the file.
    assert result.rejects == []


def test_an_ivr_context_declared_on_the_collection_point() -> None:
    result = asterisk_cdr.parse(
        SAMPLES / "asterisk-cdr" / "BugaDM_TelephonySwitching_Master.csv",
        settings("Europe/Moscow", ivr_contexts=frozenset({"menu"})),
    )
    keys = Counter(leg.note for leg in result.legs if leg.object_kind == "ivr")
    assert keys["key 4"] == 10 and keys["timeout"] == 7
    # Six calls reached a mailbox (three to the busy greeting): Röstsvar each, as an
    # independent reading of the rows found; two users were busy with no mailbox after.
    voicemail = Counter(leg.note for leg in result.legs if leg.type == "in_voicemail")
    assert voicemail == {"busy": 3, "voicemail": 3}
    assert sum(leg.type == "in_busy" for leg in result.legs) == 2


def test_pbxware_pickups_credit_the_phone_that_answered() -> None:
    """Queue call 1543606501.364: queue_log says Agent/1141 connected, but extension 1127
    picked the call up from 1141 and talked for 98 s (FORMATS.md §2.4)."""
    result = asterisk_cdr.parse(
        SAMPLES / "pbxware-asterisk-db-export" / "cdr.csv",
        settings("America/New_York", inbound_contexts=frozenset({"VIOrig"})),
    )
    pickups = {
        (leg.call_id, leg.object_number, leg.talk_s, leg.note)
        for leg in result.legs
        if leg.note.startswith("pickup")
    }
    assert len(pickups) == 4
    assert ("1543606501.364", "1127", 98, "pickup of 1141") in pickups


@pytest.mark.parametrize("engine", ["duckdb", "chdb"])
@pytest.mark.parametrize("first", ["queue_log.csv", "cdr.csv"])
def test_queue_log_and_cdr_of_one_call_are_joined(org, first: str, engine: str, settings) -> None:
    """Both PBXware files in one collection point, in either order and on each engine: the
    pickup of a queue call credits the extension that talked, not the agent queue_log names.
    By the rows: 4 pickups, 3 of 1141's calls (by 1127, 1125, 1125) and 1 of 1128's (1126)."""
    if engine == "chdb":
        pytest.importorskip("chdb", reason="chDB (ClickHouse in process) is not installed")
        settings.CALLSTORE_URL = f"chdb:///{settings.DATA_DIR / 'clickhouse'}"
    from vaxelstat.calls.store import get_store
    from vaxelstat.ingest.pipeline import import_file
    from vaxelstat.orgs.models import CollectionPoint

    point = CollectionPoint.objects.create(
        organization=org,
        name="pbxware",
        format="asterisk",
        settings={"source_timezone": "America/New_York", "inbound_contexts": ["VIOrig"]},
    )
    folder = SAMPLES / "pbxware-asterisk-db-export"
    files = {"queue_log.csv": "asterisk-queue-log", "cdr.csv": "asterisk-cdr"}
    for name in sorted(files, key=lambda n: n != first):
        import_file(org, point, files[name], folder / name)
    call = [
        leg for leg in get_store().legs(Scope.whole(org.id)) if leg["call_id"] == "1543606501.364"
    ]
    answered = {
        (leg["object_kind"], leg["member_number"])
        for leg in call
        if leg["type"] in ("answered", "in_answered")
    }
    assert answered == {("acd", "1127"), ("user", "1127")}
    agent = [leg for leg in call if leg["leg_id"] == "ql:1543606501.364:IT:1543606510:1141"]
    assert [(leg["type"], leg["note"]) for leg in agent] == [("in_no_answer", "picked up by 1127")]
    legs = get_store().legs(Scope.whole(org.id))
    picked = Counter(
        (leg["leg_id"][:3], leg["note"]) for leg in legs if leg["note"].startswith("picked up by")
    )
    assert picked == {
        # The queue's calls: the agents queue_log named, whose ringing others took.
        ("ql:", "picked up by 1127"): 1,
        ("ql:", "picked up by 1125"): 2,
        ("ql:", "picked up by 1126"): 1,
        # Directed pickups of calls to a user (the same Dial again, answered by the picker;
        # the reading's R23): six of 1128's calls by 1109, 1142's by 1127,
        # 1109's by 1126 and by 1128.
        ("cdr", "picked up by 1109"): 6,
        ("cdr", "picked up by 1127"): 1,
        ("cdr", "picked up by 1126"): 1,
        ("cdr", "picked up by 1128"): 1,
    }
    answered = Counter(
        leg["member_number"]
        for leg in legs
        if leg["object_kind"] == "acd" and leg["type"] == "answered"
    )
    assert sum(answered.values()) == 93
    assert answered["1141"] == 22 - 3 and answered["1128"] == 13 - 1

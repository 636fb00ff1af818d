"""Worked examples: queue_log lines and the legs they must give (SPEC §11)."""

import zoneinfo
from datetime import UTC, datetime
from pathlib import Path

from vaxelstat.ingest.parsers import asterisk_queue_log
from vaxelstat.ingest.parsers.base import Reason, SourceSettings

SETTINGS = SourceSettings(timezone=zoneinfo.ZoneInfo("Europe/Stockholm"))
T = 1700000000


def parse(tmp_path: Path, text: str | bytes) -> asterisk_queue_log.ParseResult:
    path = tmp_path / "queue_log"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return asterisk_queue_log.parse(path, SETTINGS)


def by_object(result):  # type: ignore[no-untyped-def]
    return {leg.object_identity: leg for leg in result.legs}


def test_answered_after_a_member_did_not_answer(tmp_path: Path) -> None:
    result = parse(
        tmp_path,
        f"""\
{T}|c1|400|NONE|ENTERQUEUE||0701112233|1
{T + 15}|c1|400|Local/1001@from-queue/n|RINGNOANSWER|15000
{T + 20}|c1|400|Local/1002@from-queue/n|CONNECT|20|{T + 15}.9|5
{T + 200}|c1|400|Local/1002@from-queue/n|COMPLETECALLER|20|180|1
""",
    )
    legs = by_object(result)
    group = legs["queue:400"]
    assert (group.type, group.wait_s, group.talk_s, group.member_number) == (
        "answered",
        20,
        180,
        "1002",
    )
    assert group.start == datetime.fromtimestamp(T, UTC)
    assert group.from_number == "0701112233" and not group.internal
    agent = legs["ext:1002"]
    assert (agent.type, agent.wait_s, agent.talk_s, agent.group_from) == (
        "in_answered",
        5,
        180,
        "400",
    )
    assert agent.start == datetime.fromtimestamp(T + 15, UTC)
    missed = legs["ext:1001"]
    assert (missed.type, missed.wait_s, missed.group_from) == ("in_no_answer", 15, "400")
    assert result.memberships == {("queue:400", "ext:1001"), ("queue:400", "ext:1002")}
    assert result.rejects == []


def test_ring_cycles_give_one_missed_leg_per_member(tmp_path: Path) -> None:
    result = parse(
        tmp_path,
        f"""\
{T}|c1|400|NONE|ENTERQUEUE||0701112233|1
{T + 15}|c1|400|PJSIP/1001|RINGNOANSWER|15000
{T + 30}|c1|400|PJSIP/1001|RINGNOANSWER|15000
{T + 40}|c1|400|NONE|ABANDON|1|1|40
""",
    )
    assert [(leg.object_identity, leg.type, leg.wait_s) for leg in result.legs] == [
        ("queue:400", "abandoned", 40),
        ("ext:1001", "in_no_answer", 30),
    ]


def test_unanswered_endings(tmp_path: Path) -> None:
    result = parse(
        tmp_path,
        f"""\
{T}|a|400|NONE|ENTERQUEUE||0701|1
{T + 3}|a|400|NONE|ABANDON|1|1|3
{T}|b|400|NONE|ENTERQUEUE||0702|1
{T + 300}|b|400|NONE|EXITWITHTIMEOUT|1|1|300
{T}|c|400|NONE|ENTERQUEUE||0703|1
{T + 12}|c|400|NONE|EXITWITHKEY|0|1|1|12
{T}|d|401|NONE|ENTERQUEUE||0704|1
{T + 1}|d|401|NONE|EXITEMPTY|1|1|1
""",
    )
    got = {(leg.call_id, leg.type, leg.wait_s, leg.note) for leg in result.legs}
    assert got == {
        ("a", "abandoned", 3, ""),
        ("b", "forwarded", 300, "timeout"),
        ("c", "forwarded", 12, "key 0"),
        ("d", "no_agent", 1, ""),
    }


def test_bad_lines_are_rejected_with_their_line_and_reason(tmp_path: Path) -> None:
    result = parse(
        tmp_path,
        f"""\
{T}|a|400|NONE|ENTERQUEUE||0701|1
not a queue_log line
yesterday|b|400|NONE|ENTERQUEUE||0702|1
{T + 5}|z|400|NONE|ABANDON|1|1|5
{T + 9}|a|400|NONE|ABANDON|1|1|9
{T + 10}|e|400|NONE|ENTERQUEUE||0703|1
""",
    )
    assert [(r.line, r.reason) for r in result.rejects] == [
        (2, Reason.MALFORMED),
        (3, Reason.BAD_TIME),
        (4, Reason.NO_START_EVENT),
        (6, Reason.INCOMPLETE_CALL),
    ]
    assert [leg.call_id for leg in result.legs] == ["a"]
    assert result.lines == 6


def test_member_events_give_the_agents_time_and_no_calls(tmp_path: Path) -> None:
    result = parse(
        tmp_path,
        f"""\
{T}|NONE|NONE|NONE|QUEUESTART|
{T}|MANAGER|400|Local/1003@from-queue/n|ADDMEMBER|
{T + 60}|NONE|400|Local/1003@from-queue/n|PAUSE|lunch
{T + 90}|NONE|400|Local/1003@from-queue/n|UNPAUSE|
{T + 100}|NONE|400|Local/1003@from-queue/n|REMOVEMEMBER|
""",
    )
    # T is 22:13:20 UTC: the session is one quarter-hour slice, the pause another leg.
    assert [(leg.direction, leg.type, leg.talk_s, leg.note) for leg in result.legs] == [
        ("agent", "logged_in", 100, ""),
        ("agent", "paused", 30, "lunch"),
    ]
    assert {(leg.object_identity, leg.group_from) for leg in result.legs} == {("ext:1003", "400")}
    assert result.rejects == []
    assert result.memberships == {("queue:400", "ext:1003")}


def test_bytes_that_are_not_utf8_do_not_fail_the_file(tmp_path: Path) -> None:
    result = parse(
        tmp_path,
        (f"{T}|a|400|NONE|ENTERQUEUE||0701|1|Bj\xf6rn\n{T + 4}|a|400|NONE|ABANDON|1|1|4\n").encode(
            "latin-1"
        ),
    )
    assert result.rejects == []
    assert result.legs[0].from_name == "Björn"

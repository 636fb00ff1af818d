"""Worked examples: FreeSWITCH CDRs (CSV and JSON) and the legs they must give."""

import json
import zoneinfo
from pathlib import Path

from samples import SAMPLES, needs_samples

from vaxelstat.ingest.parsers import freeswitch_csv, freeswitch_json
from vaxelstat.ingest.parsers.base import Reason, SourceSettings

SETTINGS = SourceSettings(timezone=zoneinfo.ZoneInfo("Europe/Stockholm"))
T = 1700000000


def doc(
    uuid: str,
    caller: str,
    dest: str,
    context: str,
    start: int,
    answer: int,
    end: int,
    **variables: str,
) -> str:
    """One mod_json_cdr document on a line."""
    v = {
        "uuid": uuid,
        "caller_id_number": caller,
        "caller_id_name": caller,
        "destination_number": dest,
        "context": context,
        "start_epoch": str(start),
        "answer_epoch": str(answer),
        "end_epoch": str(end),
        "billsec": str(end - answer if answer else 0),
        **variables,
    }
    return json.dumps({"variables": v})


def parse_json(tmp_path: Path, *docs: str) -> freeswitch_json.ParseResult:
    path = tmp_path / "cdr.json"
    path.write_text("\n".join(docs) + "\n")
    return freeswitch_json.parse(path, SETTINGS)


def got(result) -> set[tuple]:  # type: ignore[no-untyped-def]
    return {(leg.object_identity, leg.type, leg.wait_s, leg.talk_s) for leg in result.legs}


def test_incoming_answered_by_the_users_own_channel(tmp_path: Path) -> None:
    result = parse_json(
        tmp_path,
        doc("a1", "0701112233", "1001", "public", T, T, T + 100, bleg_uuid="b1", last_app="bridge"),
        doc("b1", "0701112233", "1001", "default", T, T + 6, T + 100, dialed_user="1001"),
    )
    assert got(result) == {("ext:1001", "in_answered", 6, 94)}
    assert result.legs[0].from_number == "0701112233" and not result.legs[0].internal


def test_no_answer_busy_and_voicemail(tmp_path: Path) -> None:
    result = parse_json(
        tmp_path,
        doc("a1", "0701", "1001", "public", T, 0, T + 30, bleg_uuid="b1"),
        doc(
            "b1",
            "0701",
            "1001",
            "default",
            T,
            0,
            T + 30,
            hangup_cause="NO_ANSWER",
            dialed_user="1001",
        ),
        doc("a2", "0702", "1002", "public", T, 0, T + 1, bleg_uuid="b2"),
        doc(
            "b2",
            "0702",
            "1002",
            "default",
            T,
            0,
            T + 1,
            hangup_cause="USER_BUSY",
            dialed_user="1002",
        ),
        doc("a3", "0703", "1003", "public", T, T + 20, T + 50, last_app="voicemail"),
    )
    assert got(result) == {
        ("ext:1001", "in_no_answer", 30, 0),
        ("ext:1002", "in_busy", 1, 0),
        ("ext:1003", "in_voicemail", 20, 0),
    }


def test_internal_call_gives_the_caller_an_outgoing_leg(tmp_path: Path) -> None:
    result = parse_json(
        tmp_path,
        doc("a1", "1001", "1002", "default", T, T + 4, T + 64, bleg_uuid="b1", last_app="bridge"),
        doc("b1", "1001", "1002", "default", T, T + 4, T + 64, dialed_user="1002"),
    )
    assert got(result) == {("ext:1001", "out_answered", 4, 60), ("ext:1002", "in_answered", 4, 60)}
    assert all(leg.internal for leg in result.legs)


def test_a_ring_group_answered_by_the_second_member(tmp_path: Path) -> None:
    result = parse_json(
        tmp_path,
        doc("a1", "0701", "600", "public", T, T, T + 70, last_app="bridge"),
        doc(
            "b1",
            "0701",
            "1020",
            "default",
            T,
            0,
            T + 8,
            originating_leg_uuid="a1",
            dialed_user="1020",
            hangup_cause="LOSE_RACE",
        ),
        doc(
            "b2",
            "0701",
            "1021",
            "default",
            T,
            T + 8,
            T + 70,
            originating_leg_uuid="a1",
            dialed_user="1021",
        ),
    )
    # 600 rang both at once (none of them is 600): a ring group, answered by 1021 after 8 s.
    assert got(result) == {
        ("group:600", "answered", 8, 62),
        ("ext:1021", "in_answered", 8, 62),
        ("ext:1020", "in_no_answer", 8, 0),
    }
    assert {leg.call_id for leg in result.legs} == {"a1"}


def test_callcenter_queue_answered_and_abandoned(tmp_path: Path) -> None:
    result = parse_json(
        tmp_path,
        doc(
            "a1",
            "0701",
            "5000",
            "public",
            T,
            T,
            T + 200,
            cc_queue="support@default",
            cc_agent="1010@default",
            cc_queue_joined_epoch=str(T + 2),
            cc_queue_answered_epoch=str(T + 20),
            cc_queue_terminated_epoch=str(T + 200),
        ),
        doc(
            "a2",
            "0702",
            "5000",
            "public",
            T,
            T,
            T + 40,
            cc_queue="support@default",
            cc_queue_joined_epoch=str(T + 2),
            cc_queue_canceled_epoch=str(T + 40),
            cc_cause="Cancel",
            cc_cancel_reason="BREAK_OUT",
        ),
    )
    assert got(result) == {
        ("queue:support", "answered", 18, 180),
        ("queue:support", "abandoned", 38, 0),
    }


def test_a_repeated_uuid_is_named_not_counted_twice(tmp_path: Path) -> None:
    path = tmp_path / "Master.csv"
    row = (
        '"Anna","0701","1001","public","2023-11-14 10:00:00","2023-11-14 10:00:05",'
        '"2023-11-14 10:01:05","65","60","NORMAL_CLEARING","u1","","","PCMA","PCMA"'
    )
    path.write_text(row + "\n" + row + "\n")
    result = freeswitch_csv.parse(path, SETTINGS)
    assert [(r.line, r.reason) for r in result.rejects] == [(2, Reason.DUPLICATE)]
    assert got(result) == {("ext:1001", "in_answered", 5, 60)}


@needs_samples
def test_every_freeswitch_sample_imports_without_a_crash() -> None:
    folder = SAMPLES / "freeswitch-cdr"
    for path in folder.iterdir():
        parser = freeswitch_csv if path.suffix == ".csv" else freeswitch_json
        assert parser.parse(path, SETTINGS).lines > 0, path


@needs_samples
def test_freeswitch_samples_yield_their_calls() -> None:
    folder = SAMPLES / "freeswitch-cdr"
    ivr = SourceSettings(timezone=zoneinfo.ZoneInfo("UTC"), ivr_contexts=frozenset({"blueivr"}))
    result = freeswitch_csv.parse(folder / "raspberry-pi-maker_cdr_callcenter_md_Master.csv", ivr)
    assert got(result) == {("ivr:blueivr", "connected", 0, 0), ("ext:1001", "in_answered", 5, 4)}
    dirty = freeswitch_csv.parse(folder / "Kxingyunliushui_freeswitch_tools_Master.csv", ivr)
    # Spreadsheet-mangled times read; the uuid written three times counts once.
    assert [r.reason for r in dirty.rejects] == [Reason.DUPLICATE, Reason.DUPLICATE]
    assert len({leg.call_id for leg in dirty.legs}) == 8
    body = freeswitch_json.parse(folder / "cgrates_fscdr_test_body.json", ivr)
    assert got(body) == {("ext:1001", "out_answered", 3, 68), ("ext:1002", "in_answered", 3, 68)}


def test_forwarded_on_no_answer_to_a_colleague(tmp_path: Path) -> None:
    result = parse_json(
        tmp_path,
        doc("a1", "0701", "1008", "public", T, T + 25, T + 85, last_app="bridge"),
        doc(
            "b1",
            "0701",
            "1008",
            "default",
            T,
            0,
            T + 25,
            originating_leg_uuid="a1",
            dialed_user="1008",
            hangup_cause="NO_ANSWER",
        ),
        doc(
            "b2",
            "0701",
            "1009",
            "default",
            T + 25,
            T + 29,
            T + 85,
            originating_leg_uuid="a1",
            dialed_user="1009",
        ),
    )
    assert got(result) == {("ext:1008", "in_forwarded", 25, 0), ("ext:1009", "in_answered", 4, 56)}
    legs = {leg.object_number: leg for leg in result.legs}
    assert (legs["1008"].forwarded_to, legs["1009"].forwarded_from) == ("1009", "1008")


def test_ivr_choice_is_kept(tmp_path: Path) -> None:
    result = parse_json(
        tmp_path,
        doc("a1", "0701", "5000", "ivr-main", T, T, T + 200, bleg_uuid="b1", digits_dialed="2"),
        doc("b1", "0701", "1010", "default", T + 7, T + 10, T + 200, dialed_user="1010"),
        doc("a2", "0702", "5000", "ivr-main", T, T, T + 9, digits_dialed="none", last_app="ivr"),
    )
    ivr = {
        (leg.call_id, leg.type, leg.wait_s, leg.note)
        for leg in result.legs
        if leg.object_kind == "ivr"
    }
    assert ivr == {("a1", "connected", 7, "key 2"), ("a2", "not_connected", 9, "")}


def test_a_pickup_credits_the_phone_that_talked(tmp_path: Path) -> None:
    result = parse_json(
        tmp_path,
        doc("a1", "0701", "1005", "public", T, T + 9, T + 189, bleg_uuid="b1", last_app="bridge"),
        doc(
            "b1",
            "0701",
            "1005",
            "default",
            T,
            0,
            T + 9,
            dialed_user="1005",
            hangup_cause="PICKED_OFF",
        ),
        doc("p1", "1006", "**1005", "default", T + 9, T + 9, T + 189, last_app="intercept"),
    )
    assert got(result) == {("ext:1005", "in_no_answer", 9, 0), ("ext:1006", "in_answered", 0, 180)}
    notes = {leg.object_number: leg.note for leg in result.legs}
    assert notes == {"1005": "picked up", "1006": "pickup"}


def test_callcenter_timeout_key_and_no_agent(tmp_path: Path) -> None:
    def queued(uuid: str, reason: str, waited: int) -> str:
        return doc(
            uuid,
            "0701",
            "5000",
            "public",
            T,
            T,
            T + waited + 2,
            cc_queue="support@default",
            cc_queue_joined_epoch=str(T + 2),
            cc_queue_canceled_epoch=str(T + 2 + waited),
            cc_cause="Cancel",
            cc_cancel_reason=reason,
        )

    result = parse_json(
        tmp_path,
        queued("a1", "TIMEOUT", 300),
        queued("a2", "EXIT_WITH_KEY", 20),
        queued("a3", "NO_AGENT_TIMEOUT", 5),
    )
    got_queue = {(leg.call_id, leg.type, leg.wait_s, leg.note) for leg in result.legs}
    assert got_queue == {
        ("a1", "forwarded", 300, "timeout"),
        ("a2", "forwarded", 20, "key"),
        ("a3", "no_agent", 5, ""),
    }

"""Worked examples: BroadWorks accounting records (by field position) and their legs."""

import csv
import io
import zoneinfo
from collections import Counter
from pathlib import Path

from samples import SAMPLES, needs_samples

from vaxelstat.ingest.parsers import broadworks
from vaxelstat.ingest.parsers.base import Reason, SourceSettings

SETTINGS = SourceSettings(timezone=zoneinfo.ZoneInfo("UTC"))
RECORD_IDS = iter(range(1, 10_000))


def record(
    direction: str,
    user: str,
    calling: str,
    called: str,
    start: str,
    answer: str,
    release: str,
    indicator: str,
    local: str,
    remote: str = "",
    related: str = "",
    reason: str = "",
    cause: str = "016",
    call_type: str = "Network",
) -> list[str]:
    """One raw record; times are HHMMSS on 2024-03-01."""
    fields = [""] * 240
    values = {
        1: f"rec{next(RECORD_IDS)}",
        3: "Normal",
        4: user.split("@")[0],
        6: direction,
        7: calling,
        9: called,
        10: f"20240301{start}.000",
        12: indicator,
        13: f"20240301{answer}.000" if answer else "",
        14: f"20240301{release}.000",
        15: cause,
        45: local,
        46: remote,
        121: user,
        147: related,
        148: reason,
        231: call_type,
    }
    for position, value in values.items():
        fields[position - 1] = value
    return fields


def parse(tmp_path: Path, *records: list[str]) -> broadworks.ParseResult:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(records)
    path = tmp_path / "bw.csv"
    path.write_text(buffer.getvalue())
    return broadworks.parse(path, SETTINGS)


def got(result) -> set[tuple]:  # type: ignore[no-untyped-def]
    return {(leg.object_identity, leg.type, leg.wait_s, leg.talk_s) for leg in result.legs}


def test_internal_call_answered(tmp_path: Path) -> None:
    result = parse(
        tmp_path,
        record(
            "Originating",
            "anna@ex",
            "1001",
            "1002",
            "100000",
            "100005",
            "100105",
            "Yes",
            "c1:0",
            "c2:0",
            call_type="Group",
        ),
        record(
            "Terminating",
            "bo@ex",
            "1001",
            "1002",
            "100000",
            "100005",
            "100105",
            "Yes",
            "c2:0",
            "c1:0",
            call_type="Group",
        ),
    )
    assert got(result) == {
        ("user:anna@ex", "out_answered", 5, 60),
        ("user:bo@ex", "in_answered", 5, 60),
    }
    assert all(leg.internal for leg in result.legs)
    assert len({leg.call_id for leg in result.legs}) == 1


def test_no_answer_then_voicemail(tmp_path: Path) -> None:
    result = parse(
        tmp_path,
        record("Terminating", "bo@ex", "0701", "1002", "100000", "", "100020", "No", "c1:0"),
        record(
            "Originating",
            "bo@ex",
            "0701",
            "1002",
            "100020",
            "100020",
            "100050",
            "Yes",
            "c1:1",
            related="c1:0",
            reason="Call Forward No Answer",
        ),
        record(
            "Terminating",
            "2000_VMR@ex",
            "0701",
            "2000",
            "100020",
            "100020",
            "100050",
            "Yes",
            "c1:2",
            related="c1:1",
        ),
    )
    assert got(result) == {("user:bo@ex", "in_voicemail", 20, 0)}
    assert result.legs[0].note == "voicemail"


def test_forwarded_always_to_a_mobile_and_busy(tmp_path: Path) -> None:
    result = parse(
        tmp_path,
        record(
            "Terminating",
            "bo@ex",
            "0701",
            "1002",
            "100000",
            "",
            "100200",
            "Yes-PostRedirection",
            "c1:0",
        ),
        record(
            "Originating",
            "bo@ex",
            "0701",
            "0709",
            "100000",
            "100004",
            "100200",
            "Yes",
            "c1:1",
            related="c1:0",
            reason="Call Forward Always",
        ),
        record(
            "Terminating",
            "cy@ex",
            "0702",
            "1003",
            "110000",
            "",
            "110001",
            "No",
            "c2:0",
            cause="017",
        ),
    )
    assert got(result) == {("user:bo@ex", "in_forwarded", 0, 0), ("user:cy@ex", "in_busy", 1, 0)}


def test_hunt_group_answered_by_one_member(tmp_path: Path) -> None:
    result = parse(
        tmp_path,
        record(
            "Originating",
            "hg-1@ex",
            "0701",
            "1011",
            "100000",
            "",
            "100100",
            "No",
            "h1",
            related="c0",
            reason="Hunt Group",
        ),
        record(
            "Originating",
            "hg-1@ex",
            "0701",
            "1012",
            "100000",
            "",
            "100100",
            "Yes",
            "h2",
            related="c0",
            reason="Hunt Group",
        ),
        record("Terminating", "eva@ex", "0701", "1011", "100000", "", "100008", "No", "h1"),
        record("Terminating", "ola@ex", "0701", "1012", "100000", "100008", "100100", "Yes", "h2"),
    )
    assert got(result) == {
        ("group:hg-1@ex", "answered", 8, 52),
        ("user:ola@ex", "in_answered", 8, 52),
        ("user:eva@ex", "in_no_answer", 8, 0),
    }
    assert {leg.group_from for leg in result.legs if leg.object_kind == "user"} == {"hg-1"}


def test_records_that_are_not_normal_and_bad_times(tmp_path: Path) -> None:
    partial = record("Terminating", "bo@ex", "0701", "1002", "100000", "", "100020", "No", "x")
    partial[2] = "Long Duration"
    bad = record("Terminating", "bo@ex", "0701", "1002", "100000", "", "100020", "No", "y")
    bad[9] = "yesterday"
    result = parse(tmp_path, partial, bad)
    assert result.legs == [] and result.lines == 2
    assert [(r.line, r.reason) for r in result.rejects] == [(2, Reason.BAD_TIME)]


def test_a_record_of_a_type_broadworks_does_not_write_is_rejected(tmp_path: Path) -> None:
    """(A Master.csv read as BroadWorks: its third field is a number called, no record type.
    Each such record is named, not passed over in silence.)"""
    other = record("Terminating", "bo@ex", "0701", "1002", "100000", "", "100020", "No", "z")
    other[2] = "1002"
    result = parse(tmp_path, other)
    assert result.legs == [] and result.lines == 1
    assert [(r.line, r.reason) for r in result.rejects] == [(1, Reason.UNKNOWN_LAYOUT)]
    assert "'1002'" in result.rejects[0].detail


@needs_samples
def test_the_broadworks_samples() -> None:
    folder = SAMPLES / "broadworks-cdr"
    one = broadworks.parse(folder / "han-hgu_perf-prototype_doc.go_raw_fields.json", SETTINGS)
    same = broadworks.parse(
        folder / "han-hgu_perf-prototype_doc.go_raw_fields.reserialized.csv", SETTINGS
    )
    # answerIndicator Yes-PostRedirection: answered after this user's leg redirected it.
    assert [(leg.object_identity, leg.type) for leg in one.legs] == [
        ("user:7209431929@mymtm.us", "in_forwarded")
    ]
    assert got(one) == got(same)

    derived = broadworks.parse(
        folder / "vivekvedant_CDR-Analysis_Call_data_head6000.csv",
        SourceSettings(timezone=zoneinfo.ZoneInfo("America/New_York")),
    )
    assert derived.lines == 6000
    assert Counter(r.reason for r in derived.rejects) == {Reason.MISSING_FIELD: 5}
    hunt_legs = [leg for leg in derived.legs if leg.object_kind == "hunt"]
    # 216 "Hunt Group" records, one per member alerted, and the groups reached without an
    # alert (busy, forwarded on) make 81 hunt group legs, as the readers count them (28
    # answered, 4 abandoned, 18 no agent, 31 forwarded): a group's alerts of one call start
    # together, so each arrival is one hunt leg, never an answered one and a phantom one.
    assert len(hunt_legs) == 81
    per_call = Counter((leg.object_number, leg.start) for leg in hunt_legs)
    assert max(per_call.values()) == 1
    # Lines 86–93 and 113–115: four members alerted at 11:44:56, pwik answered.
    (call,) = [
        leg
        for leg in hunt_legs
        if leg.object_number == "hg-0001005437-2" and leg.start.strftime("%H:%M:%S") == "15:44:56"
    ]
    assert (call.type, call.member_number) == ("answered", "pwik")
    members = [leg for leg in derived.legs if leg.group_from]
    assert {leg.group_from[:3] for leg in members} == {"hg-", "cc-"}
    # An auto attendant's leg has the caller's time in the menu as its Kötid.
    menus = [leg for leg in derived.legs if leg.object_kind == "ivr"]
    # (One whose transfer failed at once, cause 3, sent the call nowhere: line 5713.)
    assert Counter(leg.type for leg in menus) == {"connected": 365, "not_connected": 87}
    # 295 calls reached the user's own mailbox, as the reading record by record finds
    # (tests/readings/), 10 of them after busy (Övrigt says so: among them three users who
    # called their own number while on a call, Call Forward Busy); a call forwarded to a
    # colleague whose mailbox took it is the first user's Omstyrt.
    voicemail = Counter(leg.note for leg in derived.legs if leg.type == "in_voicemail")
    assert voicemail == {"voicemail": 285, "busy": 10}
    # The derivative does not link the picker to the phone it took the call from, so the
    # picker's Övrigt names nobody.
    pickups = Counter((leg.note[:9], leg.type) for leg in derived.legs if "pick" in leg.note)
    assert pickups == {("pickup", "in_answered"): 1, ("picked up", "in_no_answer"): 1}


def test_directed_call_pickup_credits_the_picker(tmp_path: Path) -> None:
    result = parse(
        tmp_path,
        record(
            "Terminating",
            "bo@ex",
            "0701",
            "1002",
            "100000",
            "",
            "100012",
            "No",
            "c1:0",
            reason="Directed Call Pickup",
        ),
        record(
            "Originating",
            "cy@ex",
            "0701",
            "1002",
            "100012",
            "100012",
            "100212",
            "Yes",
            "c1:1",
            related="c1:0",
            reason="Directed Call Pickup",
        ),
    )
    assert got(result) == {
        ("user:bo@ex", "in_no_answer", 12, 0),
        ("user:cy@ex", "in_answered", 0, 120),
    }
    assert {leg.object_number: leg.note for leg in result.legs} == {
        "bo": "picked up by cy",
        "cy": "pickup of bo",
    }


def test_auto_attendant_passes_the_call_on(tmp_path: Path) -> None:
    result = parse(
        tmp_path,
        record(
            "Terminating", "aa-1@ex", "0701", "5000", "100000", "100000", "100300", "Yes", "c1:0"
        ),
        record(
            "Originating",
            "aa-1@ex",
            "0701",
            "1002",
            "100008",
            "100012",
            "100300",
            "Yes",
            "c1:1",
            related="c1:0",
        ),
        record(
            "Terminating",
            "bo@ex",
            "0701",
            "1002",
            "100008",
            "100012",
            "100300",
            "Yes",
            "c1:2",
            remote="c1:1",
        ),
        record(
            "Terminating", "aa-1@ex", "0702", "5000", "110000", "110000", "110009", "Yes", "c2:0"
        ),
    )
    # The caller spent 8 s in the menu before the auto attendant sent the call on (10:00:00
    # to 10:00:08): that is the IVR leg's Kötid.
    assert got(result) == {
        ("ivr:aa-1", "connected", 8, 0),
        ("ivr:aa-1", "not_connected", 9, 0),
        ("user:bo@ex", "in_answered", 4, 168),
    }

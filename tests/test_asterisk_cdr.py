"""Worked examples: Asterisk Master.csv rows (FreePBX contexts) and the legs they must give."""

import zoneinfo
from datetime import UTC, datetime
from pathlib import Path

from vaxelstat.ingest.parsers import asterisk_cdr
from vaxelstat.ingest.parsers.base import Reason, SourceSettings

SETTINGS = SourceSettings(
    timezone=zoneinfo.ZoneInfo("Europe/Stockholm"), trunk_peers=frozenset({"trunk"})
)
SEQ = iter(range(1, 10_000))


def cdr(
    src: str,
    dst: str,
    dcontext: str,
    channel: str,
    dstchannel: str,
    lastapp: str,
    lastdata: str,
    start: str,
    answer: str,
    end: str,
    disposition: str,
    linkedid: str = "1700000000.1",
    clid: str = "",
) -> str:
    """One 21-column cdr_csv line; times are local 'HH:MM:SS' on 2023-11-14."""

    def t(hms: str) -> str:
        return f'"2023-11-14 {hms}"' if hms else ""

    def secs(hms: str) -> int:
        h, m, s = map(int, hms.split(":"))
        return h * 3600 + m * 60 + s

    duration = secs(end) - secs(start)
    billsec = secs(end) - secs(answer) if answer else 0
    clid = clid or f'"{src}" <{src}>'
    q = [f'"{v}"' for v in ("", src, dst, dcontext)]
    return ",".join(
        [
            *q,
            '"' + clid.replace('"', '""') + '"',
            f'"{channel}"',
            f'"{dstchannel}"',
            f'"{lastapp}"',
            f'"{lastdata}"',
            t(start),
            t(answer),
            t(end),
            str(duration),
            str(billsec),
            f'"{disposition}"',
            '"DOCUMENTATION"',
            f'"{linkedid}"',
            '""',
            '""',
            f'"{linkedid}"',
            str(next(SEQ)),
        ]
    )


def parse(tmp_path: Path, *lines: str) -> asterisk_cdr.ParseResult:
    path = tmp_path / "Master.csv"
    path.write_text("\n".join(lines) + "\n")
    return asterisk_cdr.parse(path, SETTINGS)


def summary(result) -> set[tuple]:  # type: ignore[no-untyped-def]
    return {(leg.object_identity, leg.type, leg.wait_s, leg.talk_s) for leg in result.legs}


TRUNK = "PJSIP/trunk-00000001"


def test_incoming_answered(tmp_path: Path) -> None:
    result = parse(
        tmp_path,
        cdr(
            "0701112233",
            "1001",
            "from-did-direct",
            TRUNK,
            "PJSIP/1001-00000002",
            "Dial",
            "PJSIP/1001,25,tr",
            "10:00:00",
            "10:00:06",
            "10:03:06",
            "ANSWERED",
        ),
    )
    assert summary(result) == {("ext:1001", "in_answered", 6, 180)}
    leg = result.legs[0]
    assert leg.direction == "in" and not leg.internal and leg.from_number == "0701112233"
    # 10:00 in Stockholm in November is 09:00 UTC.
    assert leg.start == datetime(2023, 11, 14, 9, 0, tzinfo=UTC)


def test_no_answer_then_voicemail(tmp_path: Path) -> None:
    result = parse(
        tmp_path,
        cdr(
            "0701112233",
            "1001",
            "from-did-direct",
            TRUNK,
            "PJSIP/1001-00000002",
            "Dial",
            "PJSIP/1001,25,tr",
            "10:00:00",
            "",
            "10:00:25",
            "NO ANSWER",
        ),
        cdr(
            "0701112233",
            "vmu1001",
            "ext-local",
            TRUNK,
            "",
            "VoiceMail",
            "1001@default,u",
            "10:00:25",
            "10:00:25",
            "10:00:55",
            "ANSWERED",
        ),
    )
    assert summary(result) == {("ext:1001", "in_voicemail", 25, 0)}


def test_a_busy_user_whose_voicemail_takes_the_call_has_a_voicemail_leg(tmp_path: Path) -> None:
    """The call was redirected to the mailbox (Omstyrda, röstbrevlåda); Övrigt keeps that the
    user was busy. Two readers of the rules, independently, read it so."""
    result = parse(
        tmp_path,
        cdr(
            "0701112233",
            "1001",
            "from-did-direct",
            TRUNK,
            "PJSIP/1001-00000002",
            "Dial",
            "PJSIP/1001,25,tr",
            "10:00:00",
            "",
            "10:00:01",
            "BUSY",
        ),
        cdr(
            "0701112233",
            "vmb1001",
            "ext-local",
            TRUNK,
            "",
            "VoiceMail",
            "1001@default,b",
            "10:00:01",
            "10:00:01",
            "10:00:20",
            "ANSWERED",
        ),
    )
    assert summary(result) == {("ext:1001", "in_voicemail", 1, 0)}
    assert [leg.note for leg in result.legs] == ["busy"]


def test_forwarded_on_no_answer_to_a_mobile(tmp_path: Path) -> None:
    result = parse(
        tmp_path,
        cdr(
            "0701112233",
            "1007",
            "from-did-direct",
            TRUNK,
            "PJSIP/1007-00000002",
            "Dial",
            "PJSIP/1007,25,tr",
            "10:00:00",
            "",
            "10:00:25",
            "NO ANSWER",
        ),
        cdr(
            "0701112233",
            "0709998877",
            "from-internal",
            TRUNK,
            "PJSIP/trunk-00000003",
            "Dial",
            "PJSIP/0709998877@trunk,300,T",
            "10:00:25",
            "10:00:30",
            "10:02:00",
            "ANSWERED",
        ),
    )
    assert summary(result) == {("ext:1007", "in_forwarded", 25, 0)}
    assert result.legs[0].forwarded_to == "0709998877"


def test_forwarded_to_a_colleague(tmp_path: Path) -> None:
    result = parse(
        tmp_path,
        cdr(
            "0701112233",
            "1008",
            "from-did-direct",
            TRUNK,
            "PJSIP/1008-00000002",
            "Dial",
            "PJSIP/1008,25,tr",
            "10:00:00",
            "",
            "10:00:25",
            "NO ANSWER",
        ),
        cdr(
            "0701112233",
            "1009",
            "from-internal",
            TRUNK,
            "PJSIP/1009-00000003",
            "Dial",
            "PJSIP/1009,25,tr",
            "10:00:25",
            "10:00:29",
            "10:01:29",
            "ANSWERED",
        ),
    )
    assert summary(result) == {
        ("ext:1008", "in_forwarded", 25, 0),
        ("ext:1009", "in_answered", 4, 60),
    }
    legs = {leg.object_number: leg for leg in result.legs}
    assert legs["1008"].forwarded_to == "1009"
    assert legs["1009"].forwarded_from == "1008"


def test_ring_group_answered_by_the_second_member(tmp_path: Path) -> None:
    dial = "PJSIP/1020&PJSIP/1021&PJSIP/1022,20,tr"
    result = parse(
        tmp_path,
        cdr(
            "0701112233",
            "600",
            "ext-group",
            TRUNK,
            "PJSIP/1020-00000002",
            "Dial",
            dial,
            "10:00:00",
            "",
            "10:00:07",
            "NO ANSWER",
        ),
        cdr(
            "0701112233",
            "600",
            "ext-group",
            TRUNK,
            "PJSIP/1021-00000003",
            "Dial",
            dial,
            "10:00:00",
            "10:00:07",
            "10:02:07",
            "ANSWERED",
        ),
        cdr(
            "0701112233",
            "600",
            "ext-group",
            TRUNK,
            "PJSIP/1022-00000004",
            "Dial",
            dial,
            "10:00:00",
            "",
            "10:00:07",
            "NO ANSWER",
        ),
    )
    # One answered call for the group, not a missed one; members who did not pick up get
    # an unanswered leg each, with the group in "Gruppsamtal från".
    assert summary(result) == {
        ("group:600", "answered", 7, 120),
        ("ext:1021", "in_answered", 7, 120),
        ("ext:1020", "in_no_answer", 7, 0),
        ("ext:1022", "in_no_answer", 7, 0),
    }
    assert {leg.group_from for leg in result.legs if leg.object_kind == "user"} == {"600"}


def test_ring_group_overflow_to_voicemail_and_abandoned(tmp_path: Path) -> None:
    dial = "PJSIP/1020&PJSIP/1021,20,tr"
    result = parse(
        tmp_path,
        cdr(
            "0701",
            "600",
            "ext-group",
            TRUNK,
            "PJSIP/1020-00000002",
            "Dial",
            dial,
            "10:00:00",
            "",
            "10:00:20",
            "NO ANSWER",
            linkedid="1.1",
        ),
        cdr(
            "0701",
            "600",
            "ext-group",
            TRUNK,
            "PJSIP/1021-00000003",
            "Dial",
            dial,
            "10:00:00",
            "",
            "10:00:20",
            "NO ANSWER",
            linkedid="1.1",
        ),
        cdr(
            "0701",
            "vmu600",
            "ext-local",
            TRUNK,
            "",
            "VoiceMail",
            "600@default,u",
            "10:00:20",
            "10:00:20",
            "10:00:40",
            "ANSWERED",
            linkedid="1.1",
        ),
        cdr(
            "0702",
            "600",
            "ext-group",
            TRUNK,
            "PJSIP/1020-00000005",
            "Dial",
            dial,
            "11:00:00",
            "",
            "11:00:09",
            "NO ANSWER",
            linkedid="2.1",
        ),
    )
    groups = {
        leg.call_id: (leg.type, leg.wait_s) for leg in result.legs if leg.object_kind == "hunt"
    }
    assert groups == {"1.1": ("forwarded", 20), "2.1": ("abandoned", 9)}


def test_rule_and_ivr_route_the_main_number_to_a_queue(tmp_path: Path) -> None:
    result = parse(
        tmp_path,
        cdr(
            "0701",
            "1",
            "timeconditions",
            TRUNK,
            "",
            "GotoIfTime",
            "08:00-17:00?ivr-1,s,1",
            "10:00:00",
            "",
            "10:00:00",
            "NO ANSWER",
        ),
        cdr(
            "0701",
            "2",
            "ivr-1",
            TRUNK,
            "",
            "BackGround",
            "custom/huvudmeny",
            "10:00:00",
            "10:00:00",
            "10:00:08",
            "ANSWERED",
        ),
        cdr(
            "0701",
            "401",
            "ext-queues",
            TRUNK,
            "Local/1010@from-queue-00000009;1",
            "Queue",
            "401,t,,,300",
            "10:00:08",
            "10:00:12",
            "10:04:00",
            "ANSWERED",
        ),
    )
    assert summary(result) == {("tc:1", "connected", 0, 0), ("ivr:ivr-1", "connected", 8, 0)}
    legs = {leg.object_kind: leg for leg in result.legs}
    assert legs["rule"].forwarded_to == "ivr-1"
    assert (legs["ivr"].forwarded_to, legs["ivr"].note) == ("401", "key 2")


def test_closed_rule_and_hang_up_in_the_menu_are_not_connected(tmp_path: Path) -> None:
    result = parse(
        tmp_path,
        cdr(
            "0701",
            "1",
            "timeconditions",
            TRUNK,
            "",
            "Playback",
            "custom/stangt",
            "18:00:00",
            "18:00:00",
            "18:00:12",
            "ANSWERED",
            linkedid="1.1",
        ),
        cdr(
            "0702",
            "1",
            "timeconditions",
            TRUNK,
            "",
            "GotoIfTime",
            "08:00-17:00?ivr-1,s,1",
            "10:00:00",
            "",
            "10:00:00",
            "NO ANSWER",
            linkedid="2.1",
        ),
        cdr(
            "0702",
            "s",
            "ivr-1",
            TRUNK,
            "",
            "BackGround",
            "custom/huvudmeny",
            "10:00:00",
            "10:00:00",
            "10:00:05",
            "ANSWERED",
            linkedid="2.1",
        ),
    )
    got = {(leg.call_id, leg.object_kind, leg.type) for leg in result.legs}
    assert got == {
        ("1.1", "rule", "not_connected"),
        ("2.1", "rule", "connected"),
        ("2.1", "ivr", "not_connected"),
    }


def test_outgoing_and_internal_calls(tmp_path: Path) -> None:
    result = parse(
        tmp_path,
        cdr(
            "1003",
            "0701112233",
            "from-internal",
            "PJSIP/1003-00000001",
            "PJSIP/trunk-00000002",
            "Dial",
            "PJSIP/0701112233@trunk,300,T",
            "10:00:00",
            "10:00:09",
            "10:05:09",
            "ANSWERED",
            linkedid="1.1",
            clid='"Maria Karlsson" <1003>',
        ),
        cdr(
            "1003",
            "1004",
            "from-internal",
            "PJSIP/1003-00000003",
            "PJSIP/1004-00000004",
            "Dial",
            "PJSIP/1004,25,tr",
            "11:00:00",
            "",
            "11:00:25",
            "NO ANSWER",
            linkedid="2.1",
        ),
    )
    got = {
        (leg.call_id, leg.object_identity, leg.type, leg.direction, leg.internal)
        for leg in result.legs
    }
    assert got == {
        ("1.1", "ext:1003", "out_answered", "out", False),
        ("2.1", "ext:1003", "out_unanswered", "out", True),
        ("2.1", "ext:1004", "in_no_answer", "in", True),
    }
    assert result.names == {"ext:1003": "Maria Karlsson"}


def test_the_repeated_autumn_hour_is_resolved_by_the_uniqueid_epoch(tmp_path: Path) -> None:
    # 2023-10-29 02:30 happened twice in Stockholm: 00:30 UTC and 01:30 UTC.
    lines = []
    for epoch in (1698539400, 1698543000):
        lines.append(
            cdr(
                "0701",
                "1001",
                "from-did-direct",
                TRUNK,
                "PJSIP/1001-00000002",
                "Dial",
                "PJSIP/1001,25,tr",
                "02:30:00",
                "02:30:05",
                "02:31:05",
                "ANSWERED",
                linkedid=f"{epoch}.1",
            ).replace("2023-11-14", "2023-10-29")
        )
    result = parse(tmp_path, *lines)
    starts = sorted(leg.start for leg in result.legs)
    assert starts == [
        datetime(2023, 10, 29, 0, 30, tzinfo=UTC),
        datetime(2023, 10, 29, 1, 30, tzinfo=UTC),
    ]


def test_a_half_hour_change_within_an_hour_is_read_by_the_minute(tmp_path: Path) -> None:
    """Lord Howe Island leaves daylight saving on 2023-04-02 at 02:00 (+11:00) for 01:30
    (+10:30): the hour from 01:00 has one offset until 01:30 and two after. 01:10 is
    14:10 UTC; 01:45 happened twice, and the uniqueid's epoch picks the second (15:15 UTC)."""
    lines = []
    for start, epoch in (("01:10:00", 1680358200), ("01:45:00", 1680362100)):
        hh, mm = start[:2], start[3:5]
        lines.append(
            cdr(
                "0701",
                "1001",
                "from-did-direct",
                TRUNK,
                "PJSIP/1001-00000002",
                "Dial",
                "PJSIP/1001,25,tr",
                start,
                f"{hh}:{mm}:05",
                f"{hh}:{int(mm) + 1:02d}:05",
                "ANSWERED",
                linkedid=f"{epoch}.1",
            ).replace("2023-11-14", "2023-04-02")
        )
    path = tmp_path / "Master.csv"
    path.write_text("\n".join(lines) + "\n")
    result = asterisk_cdr.parse(
        path,
        SourceSettings(
            timezone=zoneinfo.ZoneInfo("Australia/Lord_Howe"), trunk_peers=frozenset({"trunk"})
        ),
    )
    assert sorted(leg.start for leg in result.legs) == [
        datetime(2023, 4, 1, 14, 10, tzinfo=UTC),
        datetime(2023, 4, 1, 15, 15, tzinfo=UTC),
    ]


def test_layouts_by_column_count_and_bad_rows(tmp_path: Path) -> None:
    line21 = cdr(
        "0701",
        "1001",
        "from-did-direct",
        TRUNK,
        "PJSIP/1001-00000002",
        "Dial",
        "PJSIP/1001",
        "10:00:00",
        "10:00:05",
        "10:01:05",
        "ANSWERED",
    )
    line18 = ",".join(line21.replace("1700000000.1", "1700000099.1").split(",")[:18])
    result = parse(
        tmp_path,
        line21,
        line18,
        '"only","three","columns"',
        line21.replace('"2023-11-14 10:00:00"', '"yesterday"', 1),
    )
    assert [(r.line, r.reason) for r in result.rejects] == [
        (3, Reason.UNKNOWN_LAYOUT),
        (4, Reason.BAD_TIME),
    ]
    assert len(result.legs) == 2


def test_an_internal_call_forwarded_and_answered_is_answered_for_the_caller(tmp_path: Path) -> None:
    result = parse(
        tmp_path,
        cdr(
            "1003",
            "1008",
            "from-internal",
            "PJSIP/1003-00000001",
            "PJSIP/1008-00000002",
            "Dial",
            "PJSIP/1008,25,tr",
            "10:00:00",
            "",
            "10:00:25",
            "NO ANSWER",
        ),
        cdr(
            "1003",
            "1009",
            "from-internal",
            "PJSIP/1003-00000001",
            "PJSIP/1009-00000003",
            "Dial",
            "PJSIP/1009,25,tr",
            "10:00:25",
            "10:00:30",
            "10:01:30",
            "ANSWERED",
        ),
    )
    assert summary(result) == {
        ("ext:1003", "out_answered", 30, 60),
        ("ext:1008", "in_forwarded", 25, 0),
        ("ext:1009", "in_answered", 5, 60),
    }


def test_parallel_dial_outside_a_group_is_one_answered_call(tmp_path: Path) -> None:
    dial = "PJSIP/1001&PJSIP/1002,30,tr"
    result = parse(
        tmp_path,
        cdr(
            "0701",
            "1000",
            "from-did-direct",
            TRUNK,
            "PJSIP/1001-00000002",
            "Dial",
            dial,
            "10:00:00",
            "",
            "10:00:04",
            "NO ANSWER",
        ),
        cdr(
            "0701",
            "1000",
            "from-did-direct",
            TRUNK,
            "PJSIP/1002-00000003",
            "Dial",
            dial,
            "10:00:00",
            "10:00:04",
            "10:02:04",
            "ANSWERED",
        ),
    )
    assert summary(result) == {
        ("ext:1002", "in_answered", 4, 120),
        ("ext:1001", "in_no_answer", 4, 0),
    }


def test_a_pickup_credits_the_extension_that_talked(tmp_path: Path) -> None:
    """1005 rings; 1006 picks it up with the pickup code and talks."""
    result = parse(
        tmp_path,
        cdr(
            "0701112233",
            "1005",
            "from-did-direct",
            TRUNK,
            "PJSIP/1005-00000002",
            "Dial",
            "PJSIP/1005,25,tr",
            "10:00:00",
            "",
            "10:00:09",
            "NO ANSWER",
        ),
        cdr(
            "1006",
            "**1005",
            "from-internal",
            "PJSIP/1006-00000003",
            "PJSIP/trunk-00000001",
            "Pickup",
            "1005@PICKUPMARK",
            "10:00:09",
            "10:00:09",
            "10:03:09",
            "ANSWERED",
        ),
    )
    assert summary(result) == {
        ("ext:1005", "in_no_answer", 9, 0),
        ("ext:1006", "in_answered", 9, 180),
    }
    legs = {leg.object_number: leg for leg in result.legs}
    assert legs["1005"].note == "picked up by 1006"
    assert (legs["1006"].forwarded_from, legs["1006"].note) == ("1005", "pickup of 1005")
    assert legs["1006"].from_number == "0701112233"


def test_a_db_export_header_is_read_by_name_and_none_of_its_text_reaches_the_sql(
    tmp_path: Path,
) -> None:
    """A DB export's header names its columns; an odd name (a quote, SQL) is only a column
    the reader does not know, read by its position."""
    path = tmp_path / "cdr.csv"
    path.write_text(
        "calldate,clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,duration,"
        'billsec,disposition,uniqueid,"x\'); DROP TABLE staged; --",src\n'
        '"2023-11-14 10:00:00","""Anna"" <0701>",0701,1001,from-did-direct,'
        "PJSIP/trunk-00000001,PJSIP/1001-00000002,Dial,PJSIP/1001,65,60,ANSWERED,"
        "1700000000.1,whatever,0702\n"
    )
    result = asterisk_cdr.parse(path, SETTINGS)
    assert result.rejects == []
    assert [(leg.object_identity, leg.type, leg.wait_s, leg.talk_s) for leg in result.legs] == [
        ("ext:1001", "in_answered", 5, 60)
    ]
    assert result.legs[0].from_number == "0701"


def test_a_db_export_counts_answer_and_end_from_the_start_instant(tmp_path: Path) -> None:
    """A call that starts at 02:59:58 in the repeated autumn hour (the first one: 00:59:58
    UTC, by its uniqueid) and lasts 65 s: it rang 5 s, whatever the local clock did next."""
    path = tmp_path / "cdr.csv"
    path.write_text(
        "calldate,clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,duration,"
        "billsec,disposition,uniqueid,linkedid,sequence\n"
        '"2023-10-29 02:59:58","""Anna"" <0701>",0701,1001,from-did-direct,'
        "PJSIP/trunk-00000001,PJSIP/1001-00000002,Dial,PJSIP/1001,65,60,ANSWERED,"
        "1698541198.1,1698541198.1,1\n"
    )
    (leg,) = asterisk_cdr.parse(path, SETTINGS).legs
    assert (leg.start, leg.wait_s, leg.talk_s) == (
        datetime(2023, 10, 29, 0, 59, 58, tzinfo=UTC),
        5,
        60,
    )


def test_a_line_not_in_utf8_is_read_as_latin1(tmp_path: Path) -> None:
    """A PBX of an older locale writes a caller's name in Latin-1: the record is read (its
    name as Latin-1), not rejected, and the other records with it."""
    line = cdr(
        "0701",
        "1001",
        "from-did-direct",
        TRUNK,
        "PJSIP/1001-00000002",
        "Dial",
        "PJSIP/1001,25,tr",
        "10:00:00",
        "10:00:05",
        "10:01:05",
        "ANSWERED",
        clid='"Åsa" <0701>',
    )
    other = line.replace("1700000000.1", "1700000099.1").replace('"Åsa"', '"Bo"')
    path = tmp_path / "Master-latin1.csv"
    path.write_bytes(line.encode("latin-1") + b"\n" + other.encode("utf-8") + b"\n")
    result = asterisk_cdr.parse(path, SETTINGS)
    assert result.rejects == []
    assert sorted(leg.from_name for leg in result.legs) == ["Bo", "Åsa"]

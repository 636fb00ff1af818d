"""What a record may say and still be read: a time from 1990 to tomorrow, waits and talk of
0 to 24 hours (README). Past them a record is rejected with its reason, never stored."""

from pathlib import Path

import pytest

from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.ingest.pipeline import import_file
from vaxelstat.orgs.models import CollectionPoint

T = 1781074800  # 2026-06-10 07:00 UTC


pytestmark = pytest.mark.usefixtures("both_engines")


def stored(org) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return list(get_store().legs(Scope.whole(org.id)))


def test_queue_log_times_past_a_day_and_epochs_past_tomorrow_are_rejected(
    org, tmp_path: Path
) -> None:
    point = CollectionPoint.objects.create(organization=org, name="q", format="asterisk-queue-log")
    path = tmp_path / "queue_log"
    path.write_text(
        f"{T}|a|400|NONE|ENTERQUEUE||0701|1\n"
        f"{T + 5}|a|400|PJSIP/1001|CONNECT|-5|{T}.1|0\n"
        f"{T + 9}|a|400|PJSIP/1001|COMPLETECALLER|5|90000|1\n"
        "4102444800|b|400|NONE|ENTERQUEUE||0702|1\n"
        f"{T + 20}|c|400|NONE|ENTERQUEUE||0703|1\n"
        f"{T + 24}|c|400|NONE|ABANDON|1|1|4\n"
    )
    summary = import_file(org, point, "asterisk-queue-log", path)
    reasons = {(r.line, r.reason) for r in summary.rejects}
    assert (2, "bad_number") in reasons and (3, "bad_number") in reasons
    assert (4, "bad_time") in reasons
    for leg in stored(org):
        assert 0 <= leg["wait_s"] <= 86400 and 0 <= leg["talk_s"] <= 86400
    assert ("acd", "abandoned") in {(leg["object_kind"], leg["type"]) for leg in stored(org)}


def test_a_cdr_record_of_2100_or_of_a_negative_billsec_is_rejected_on_its_line(
    org, tmp_path: Path
) -> None:
    point = CollectionPoint.objects.create(organization=org, name="c", format="asterisk-cdr")

    def row(start: str, answer: str, end: str, billsec: int, uid: str) -> str:
        return (
            f'"","0701","1001","from-trunk","","PJSIP/trunk-00000001","PJSIP/1001-00000002","Dial",'
            f'"PJSIP/1001","{start}","{answer}","{end}",10,{billsec},"ANSWERED",'
            f'"DOCUMENTATION","{uid}",""\n'
        )

    path = tmp_path / "Master.csv"
    path.write_text(
        row("2100-01-01 10:00:00", "2100-01-01 10:00:05", "2100-01-01 10:00:10", 5, "1.1")
        + row("2026-06-10 10:00:00", "2026-06-10 10:00:05", "2026-06-10 10:00:10", -5, "1.2")
        + row("2026-06-10 11:00:00", "2026-06-10 11:00:05", "2026-06-10 11:00:10", 5, "1.3")
    )
    summary = import_file(org, point, "asterisk-cdr", path)
    assert {(r.line, r.reason) for r in summary.rejects} == {(1, "bad_time"), (2, "bad_number")}
    assert [r.detail for r in summary.rejects if r.line == 1][0].startswith("start 2100-01-01")
    assert {leg["type"] for leg in stored(org)} == {"in_answered"}


@pytest.mark.parametrize("billsec", ["9000000000", "inf", "86401"])
def test_a_freeswitch_record_of_a_billsec_past_a_day_is_rejected_on_its_line(
    org, tmp_path: Path, billsec: str
) -> None:
    """(The fuzzing found 9,000,000,000 seconds of talk ending in a traceback.)"""
    point = CollectionPoint.objects.create(organization=org, name="f", format="freeswitch-csv")

    def row(talk: str, uuid: str) -> str:
        return (
            f'"Anna Berg","1001","1002","default","2026-03-10 10:00:00","2026-03-10 10:00:06",'
            f'"2026-03-10 10:01:36","96","{talk}","NORMAL_CLEARING","{uuid}","","1002","PCMA",'
            f'"PCMA"\n'
        )

    path = tmp_path / "Master.csv"
    path.write_text(row(billsec, "c99c8415-1") + row("90", "c99c8415-2"))
    summary = import_file(org, point, "freeswitch-csv", path)
    assert [(r.line, r.reason) for r in summary.rejects] == [(1, "bad_number")]
    assert {leg["talk_s"] for leg in stored(org)} == {90}


def test_a_leg_no_rule_of_its_format_caught_is_rejected_by_the_last_guard(
    org, tmp_path: Path
) -> None:
    """The Evolve IP derivative's record of a call in 2100: its reader reads any time; the
    import's last guard keeps it from the store, a rejected record saying which leg."""
    point = CollectionPoint.objects.create(organization=org, name="b", format="broadworks")
    path = tmp_path / "cdr.csv"
    path.write_text(
        "Group,Call_Direction,Missed Calls,GroupID,UserID,Features, vpDialingfacResult,"
        "UsageDeviceType,UserDeviceType,date,starttime,endtime,duration,hourly_range,"
        "weekly_range\n"
        "16105550000,Incoming,16,gr-1,olof@example.local,,,,,2100-06-10,"
        "2100-06-10 10:00:00,2100-06-10 10:00:25,0.0,10:00 - 10:59,Thursday\n"
        "16105550000,Incoming,16,gr-1,olof@example.local,,,,,2026-06-10,"
        "2026-06-10 11:00:00,2026-06-10 11:00:25,0.0,11:00 - 11:59,Wednesday\n"
    )
    summary = import_file(org, point, "broadworks", path)
    assert [(r.line, r.reason) for r in summary.rejects] == [(0, "bad_time")]
    assert "olof" in summary.rejects[0].raw
    assert [leg["start_utc"].year for leg in stored(org)] == [2026]


def test_nul_bytes_and_long_lines_are_kept_as_the_app_database_can(org, tmp_path: Path) -> None:
    """PostgreSQL's text holds no NUL and its names have lengths: a NUL in a user's name and
    in a rejected record is kept written as \\x00, a rejected line of 6,000 characters as its
    first 4,096 with its length and digest, a 400-digit number is a rejected leg; the rest of
    the file is read (on SQLite and on PostgreSQL alike)."""
    from vaxelstat.ingest.models import RejectedRecord
    from vaxelstat.orgs.models import MeasuredObject

    point = CollectionPoint.objects.create(organization=org, name="c", format="asterisk-cdr")
    call = (
        '"","1001","1002","from-internal","""An\x00na"" <1001>","PJSIP/1001-00000001",'
        '"PJSIP/1002-00000002","Dial","PJSIP/1002","2026-06-10 10:00:00",'
        '"2026-06-10 10:00:05","2026-06-10 10:01:05",65,60,"ANSWERED","DOCUMENTATION",'
        '"1781078400.1",""\n'
    )
    path = tmp_path / "Master.csv"
    path.write_text(call + "x" * 6000 + "\n" + "a,b\x00,c\n", encoding="utf-8")
    import_file(org, point, "asterisk-cdr", path)
    objects = MeasuredObject.objects.filter(id__in={leg["object_id"] for leg in stored(org)})
    assert {o.number for o in objects} == {"1001", "1002"}
    raws = sorted(r.raw for r in RejectedRecord.objects.filter(collection_point=point))
    assert any(r.startswith("x" * 4096 + "…") and "6000 characters in all" in r for r in raws)
    assert any("\\x00" in r and "\x00" not in r for r in raws), [r[:30] for r in raws]
    name = MeasuredObject.objects.get(organization=org, number="1001").display_name
    assert name == "An\\x00na"
    # A queue named by 400 digits: no PBX's number.
    queues = CollectionPoint.objects.create(organization=org, name="q", format="asterisk-queue-log")
    long_number = "9" * 400
    path = tmp_path / "queue_log"
    path.write_text(
        f"{T}|a|{long_number}|NONE|ENTERQUEUE||0701|1\n{T + 4}|a|{long_number}|NONE|ABANDON|1|1|4\n"
    )
    summary = import_file(org, queues, "asterisk-queue-log", path)
    assert [r.line for r in summary.rejects] == [0]
    assert long_number[:64] in summary.rejects[0].raw

"""The canonical CSV (SPEC §14) and a mapping from another platform's export."""

import json
import zoneinfo
from datetime import UTC, datetime
from pathlib import Path

from django.core.management import call_command

from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.ingest import progress
from vaxelstat.ingest.parsers import canonical_csv
from vaxelstat.ingest.parsers.base import Reason, SourceSettings
from vaxelstat.orgs.models import CollectionPoint, MeasuredObject

SETTINGS = SourceSettings(timezone=zoneinfo.ZoneInfo("Europe/Stockholm"))
HEADER = ",".join(canonical_csv.COLUMNS)


def test_canonical_rows_become_legs(tmp_path: Path) -> None:
    path = tmp_path / "legs.csv"
    path.write_text(
        HEADER + "\n"
        "c1,l1,acd,400,Växel,2024-03-01T10:00:00+01:00,in,false,answered,0701,,,,1001,"
        "Anna,,12,180,,\n"
        "c1,l2,user,1001,Anna,2024-03-01T10:00:07+01:00,in,false,in_answered,0701,,,400,"
        "1001,,,5,180,,\n"
        "c2,l3,user,1002,,2024-03-01 11:00:00,out,true,out_unanswered,1002,,,,,,1003,20,0,,\n"
    )
    result = canonical_csv.parse(path, SETTINGS)
    assert result.rejects == []
    got = [
        (leg.object_identity, leg.type, leg.wait_s, leg.talk_s, leg.start, leg.internal)
        for leg in result.legs
    ]
    assert got == [
        ("csv:acd:400", "answered", 12, 180, datetime(2024, 3, 1, 9, 0, tzinfo=UTC), False),
        ("csv:user:1001", "in_answered", 5, 180, datetime(2024, 3, 1, 9, 0, 7, tzinfo=UTC), False),
        # No offset: read in the source time zone.
        ("csv:user:1002", "out_unanswered", 20, 0, datetime(2024, 3, 1, 10, tzinfo=UTC), True),
    ]
    assert result.names == {"csv:acd:400": "Växel", "csv:user:1001": "Anna"}


def test_each_bad_row_is_named_with_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "legs.csv"
    good = "c1,l1,user,1001,,2024-03-01T10:00:00+01:00,in,false,in_answered,,,,,,,,5,60,,"
    path.write_text(
        "\n".join(
            [
                HEADER,
                good,
                good.replace("l1,", "l2,").replace("in_answered", "answered"),
                good.replace("l1,", "l3,").replace("2024-03-01T10:00:00+01:00", "igår"),
                good.replace("l1,", "l4,").replace(",5,60,", ",-5,60,"),
                good.replace("c1,l1,", ",l5,"),
                good.replace("l1,user", "l6,robot"),
                "too,few,columns",
            ]
        )
        + "\n"
    )
    result = canonical_csv.parse(path, SETTINGS)
    assert [(r.line, r.reason) for r in result.rejects] == [
        (3, Reason.BAD_NUMBER),
        (4, Reason.BAD_TIME),
        (5, Reason.BAD_NUMBER),
        (6, Reason.MISSING_FIELD),
        (7, Reason.BAD_NUMBER),
        (8, Reason.MALFORMED),
    ]
    assert "not a type of a user leg" in result.rejects[0].detail
    assert [leg.leg_id for leg in result.legs] == ["csv:l1"]


def test_a_mapping_reads_another_platforms_export(org, tmp_path: Path, capsys) -> None:
    export = tmp_path / "trio.csv"
    export.write_text(
        "CallRef,RowId,Kind,Queue,When,Outcome,Caller,WaitSec,TalkSec\n"
        "r1,1,acd,Växel,2024-03-01T10:00:00+01:00,Besvarad,0701,14,120\n"
        "r2,2,acd,Växel,2024-03-01T10:05:00+01:00,Avbruten,0702,40,0\n"
    )
    mapping = tmp_path / "trio.json"
    mapping.write_text(
        json.dumps(
            {
                "columns": {
                    "CallRef": "call_id",
                    "RowId": "leg_id",
                    "Kind": "object_kind",
                    "Queue": "object_number",
                    "When": "start",
                    "Outcome": "type",
                    "Caller": "from_number",
                    "WaitSec": "wait_s",
                    "TalkSec": "talk_s",
                },
                "values": {"type": {"Besvarad": "answered", "Avbruten": "abandoned"}},
            }
        )
    )
    call_command(
        "import", "--org", "acme", "--format", "csv", "--mapping", str(mapping), str(export)
    )
    assert "imported 2, duplicates 0, calls replaced 0, rejected 0" in capsys.readouterr().out
    legs = get_store().legs(Scope.whole(org.id))
    assert [(leg["type"], leg["wait_s"]) for leg in legs] == [("answered", 14), ("abandoned", 40)]
    assert MeasuredObject.objects.get(organization=org, kind="acd").number == "Växel"
    # The mapping stays with the collection point: the next file needs no --mapping.
    point = CollectionPoint.objects.get(organization=org, format="csv")
    assert point.settings["mapping"]["values"]["type"]["Avbruten"] == "abandoned"


def test_reading_reports_its_progress(tmp_path: Path) -> None:
    path = tmp_path / "legs.csv"
    path.write_text(HEADER + "\n")
    seen: list[tuple[int, int]] = []
    with progress.reporting(lambda done, total: seen.append((done, total))):
        canonical_csv.parse(path, SETTINGS)
    size = path.stat().st_size
    assert seen[-1] == (size, size)


def test_a_leg_twice_in_one_file_is_stored_once(org, tmp_path: Path, capsys) -> None:
    path = tmp_path / "legs.csv"
    row = "c1,l1,user,1001,,2024-03-01T10:00:00+01:00,in,false,in_answered,,,,,,,,5,60,,"
    path.write_text(HEADER + "\n" + row + "\n" + row + "\n")
    call_command("import", "--org", "acme", "--format", "csv", str(path))
    assert "imported 1, duplicates 1, calls replaced 0, rejected 0" in capsys.readouterr().out
    assert get_store().count(Scope.whole(org.id)) == 1

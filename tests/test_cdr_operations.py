"""The Asterisk CDR as operations deliver it: a Master.csv rotated while a call went on."""

import tomllib
from pathlib import Path

import pytest

from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.ingest.models import RejectedRecord
from vaxelstat.ingest.pipeline import import_file
from vaxelstat.ingest.vectors import ROOT
from vaxelstat.orgs.models import CollectionPoint

# A follow-me call (FORMATS.md §1.2): the Local channels' ;2 halves write their records when
# they end, the caller's channel (uniqueid = linkedid) its own when the call ends, a minute on.
FOLLOW_ME = tomllib.loads((ROOT / "asterisk-cdr" / "followme-local-channels.toml").read_text())
ROWS = FOLLOW_ME["files"][0]["text"].strip().splitlines()
HALVES, CALLER = ROWS[:2], ROWS[2:]
# Another call, whole in the first file: an internal call answered.
OTHER = (
    '"","1002","1003","from-internal","""Erik Berg"" <1002>","PJSIP/1002-00000150",'
    '"PJSIP/1003-00000151","Dial","PJSIP/1003,20","2026-06-11 13:58:00",'
    '"2026-06-11 13:58:04","2026-06-11 13:59:04",64,60,"ANSWERED","DOCUMENTATION",'
    '"1781179080.150","","","1781179080.150",150'
)


pytestmark = pytest.mark.usefixtures("engine")


def point(org, name: str) -> CollectionPoint:  # type: ignore[no-untyped-def]
    return CollectionPoint.objects.create(
        organization=org, name=name, format="asterisk-cdr", settings=FOLLOW_ME["settings"]
    )


def legs(org, point: CollectionPoint) -> set[tuple]:  # type: ignore[no-untyped-def,type-arg]
    return {
        (leg["leg_id"], leg["type"], leg["wait_s"], leg["talk_s"], leg["note"])
        for leg in get_store().legs(Scope.whole(org.id))
        if leg["collection_point_id"] == point.id
    }


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def test_a_call_cut_by_rotation_is_held_and_counted_once_whole(org, tmp_path: Path) -> None:
    whole = point(org, "whole")
    import_file(org, whole, "asterisk-cdr", write(tmp_path / "all.csv", [OTHER, *ROWS]))
    expected = legs(org, whole)
    # 1001's no-answer forwarded to the mobile; 1002's call and 1003's answer.
    assert len(expected) == 3

    cut = point(org, "cut")
    first = import_file(
        org, cut, "asterisk-cdr", write(tmp_path / "a.csv", [OTHER, *HALVES]), "Master.csv"
    )
    # The first file has the halves only: the call is held, not walked half; the other call
    # is counted.
    assert [(r.line, r.reason) for r in first.rejects] == [
        (2, "incomplete_call"),
        (3, "incomplete_call"),
    ]
    assert {leg[0] for leg in legs(org, cut)} == {
        "cdr:1781179080.150:150:in",
        "cdr:1781179080.150:150:out",
    }
    second = import_file(org, cut, "asterisk-cdr", write(tmp_path / "b.csv", CALLER), "Master.csv")
    assert second.rejects == []
    assert legs(org, cut) == {(leg_id, *rest) for leg_id, *rest in expected}
    held = RejectedRecord.objects.filter(collection_point=cut, reason="incomplete_call")
    assert held.count() == 2 and all(r.resolved for r in held)
    # The same file again changes nothing; nor does the first.
    import_file(org, cut, "asterisk-cdr", tmp_path / "b.csv", "Master.csv")
    import_file(org, cut, "asterisk-cdr", tmp_path / "a.csv", "Master.csv")
    assert legs(org, cut) == expected


def test_a_call_whose_first_channel_wrote_nothing_is_walked_after_open_call_hours(
    org, tmp_path: Path
) -> None:
    """NoCDR() on the caller's channel: the call never gets its first record. Once the file
    has records open_call_hours later, it is walked with what is known."""
    later = OTHER.replace("2026-06-11 13:5", "2026-06-12 13:5").replace(
        "1781179080.150", "1781265480.150"
    )
    cut = point(org, "nocdr")
    summary = import_file(
        org, cut, "asterisk-cdr", write(tmp_path / "a.csv", [*HALVES, later]), "Master.csv"
    )
    assert summary.rejects == []
    assert len(legs(org, cut)) >= 2


@pytest.mark.parametrize("order", ["again", "reversed"])
def test_a_held_call_already_counted_is_not_held_again(org, tmp_path: Path, order: str) -> None:
    """The first file read again (under another name) after the call was counted, or the
    files read the other way round: the halves are not held (a later file would walk them
    alone, and count the call twice)."""
    later = OTHER.replace("2026-06-11 13:5", "2026-06-12 13:5").replace(
        "1781179080.150", "1781265480.150"
    )
    cut = point(org, order)
    a = write(tmp_path / "a.csv", [OTHER, *HALVES])
    b = write(tmp_path / "b.csv", CALLER)
    files = [(a, "Master.csv.1"), (b, "Master.csv"), (a, "/var/log/Master.csv.1")]
    if order == "reversed":
        files = [(b, "Master.csv"), (a, "Master.csv.1")]
    for path, name in files:
        import_file(org, cut, "asterisk-cdr", path, name)
    counted = legs(org, cut)
    import_file(org, cut, "asterisk-cdr", write(tmp_path / "c.csv", [later]), "Master.csv")
    assert legs(org, cut) - counted == {
        ("cdr:1781265480.150:150:in", "in_answered", 4, 60, ""),
        ("cdr:1781265480.150:150:out", "out_answered", 4, 60, ""),
    }
    assert not RejectedRecord.objects.filter(
        collection_point=cut, reason="incomplete_call", resolved=False
    ).exists()


def test_a_record_written_twice_is_read_once(org, tmp_path: Path) -> None:
    """A record again in the same file (a line written twice, an export's row again) is one
    record: the legs of the file without it, and the second a rejected duplicate."""
    once, twice = point(org, "once"), point(org, "twice")
    import_file(org, once, "asterisk-cdr", write(tmp_path / "a.csv", ROWS + [OTHER]))
    summary = import_file(
        org, twice, "asterisk-cdr", write(tmp_path / "b.csv", ROWS[:1] + ROWS + [OTHER, OTHER])
    )
    assert sorted((r.line, r.reason) for r in summary.rejects) == [
        (2, "duplicate"),
        (len(ROWS) + 3, "duplicate"),
    ]
    assert legs(org, twice) == legs(org, once) != set()


def test_a_call_cut_by_rotation_is_held_where_a_record_is_rejected_too(org, tmp_path: Path) -> None:
    """A record rejected on its line (here the other call's written twice) does not keep the
    cut call from being held: the rows keep the ids they were read with."""
    cut = point(org, "cut")
    first = import_file(
        org, cut, "asterisk-cdr", write(tmp_path / "a.csv", [OTHER, OTHER, *HALVES]), "Master.csv"
    )
    assert [(r.line, r.reason) for r in first.rejects] == [
        (2, "duplicate"),
        (3, "incomplete_call"),
        (4, "incomplete_call"),
    ]


def test_a_cut_file_imported_twice_still_holds_its_call_for_the_next(org, tmp_path: Path) -> None:
    """The same cut Master.csv sent twice (a shipper's retry): its held records are not taken
    up by their own copies; the next file still makes the call whole."""
    whole = point(org, "whole")
    import_file(org, whole, "asterisk-cdr", write(tmp_path / "all.csv", [OTHER, *ROWS]))
    cut = point(org, "cut")
    a = write(tmp_path / "a.csv", [OTHER, *HALVES])
    import_file(org, cut, "asterisk-cdr", a, "Master.csv")
    again = import_file(org, cut, "asterisk-cdr", a, "Master.csv")
    assert (again.imported, again.calls_replaced) == (0, 0)
    held = RejectedRecord.objects.filter(collection_point=cut, reason="incomplete_call")
    assert held.filter(resolved=False).count() == 2
    import_file(org, cut, "asterisk-cdr", write(tmp_path / "b.csv", CALLER), "Master.csv")
    assert legs(org, cut) == legs(org, whole)
    assert not held.filter(resolved=False).exists()

"""queue_log as operations deliver it: calls in progress, restarts, repeated lines, growing
copies, and files no parser foresaw."""

from pathlib import Path

import pytest

from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.ingest.pipeline import import_file
from vaxelstat.orgs.models import CollectionPoint

T = 1781074800
CALL = [
    f"{T}|c1|400|NONE|ENTERQUEUE||0701234567|1",
    f"{T + 5}|c1|400|PJSIP/1001|RINGNOANSWER|5000",
    f"{T + 12}|c1|400|PJSIP/1002|CONNECT|12|{T}.9|4",
]
END = [f"{T + 100}|c1|400|PJSIP/1002|COMPLETECALLER|12|88|1"]


pytestmark = pytest.mark.usefixtures("engine")


@pytest.fixture
def point(org):  # type: ignore[no-untyped-def]
    return CollectionPoint.objects.create(organization=org, name="pbx", format="asterisk-queue-log")


def legs(org) -> set[tuple]:  # type: ignore[no-untyped-def,type-arg]
    return {
        (leg["object_kind"], leg["type"], leg["wait_s"], leg["talk_s"], leg["note"])
        for leg in get_store().legs(Scope.whole(org.id))
    }


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def test_a_call_in_progress_is_answered_and_completed_once_by_the_next_file(
    org, point, tmp_path: Path
) -> None:
    import_file(org, point, "asterisk-queue-log", write(tmp_path / "a", CALL), "queue_log")
    assert ("acd", "answered", 12, 0, "in progress") in legs(org)
    import_file(org, point, "asterisk-queue-log", write(tmp_path / "b", END), "queue_log")
    whole = {
        ("acd", "answered", 12, 88, ""),
        ("user", "in_answered", 4, 88, ""),
        ("user", "in_no_answer", 5, 0, ""),
    }
    assert legs(org) == whole
    # The same files again change nothing.
    for name in ("a", "b"):
        import_file(org, point, "asterisk-queue-log", tmp_path / name, "queue_log")
    assert legs(org) == whole


def test_a_growing_copy_imported_again_reads_each_line_once(org, point, tmp_path: Path) -> None:
    """The same queue_log, first as it was at noon, then grown: the lines the first import
    left open come first, the file holds them again, and they are read once (a ring time
    counted twice was the fault)."""
    import_file(org, point, "asterisk-queue-log", write(tmp_path / "q", CALL), "queue_log")
    summary = import_file(
        org, point, "asterisk-queue-log", write(tmp_path / "q", CALL + END), "queue_log"
    )
    assert summary.rejects == []
    assert legs(org) == {
        ("acd", "answered", 12, 88, ""),
        ("user", "in_answered", 4, 88, ""),
        ("user", "in_no_answer", 5, 0, ""),
    }


def test_a_line_twice_in_a_file_is_read_once_and_named(org, point, tmp_path: Path) -> None:
    path = write(tmp_path / "q", [*CALL[:2], CALL[1], *CALL[2:], *END])
    summary = import_file(org, point, "asterisk-queue-log", path)
    assert [(r.line, r.reason) for r in summary.rejects] == [(3, "duplicate")]
    assert ("user", "in_no_answer", 5, 0, "") in legs(org)


def test_a_restart_ends_the_calls_open_before_it(org, point, tmp_path: Path) -> None:
    waiting = [f"{T + 2}|c2|400|NONE|ENTERQUEUE||0702222222|2"]
    restart = [f"{T + 60}|NONE|NONE|NONE|QUEUESTART|"]
    import_file(org, point, "asterisk-queue-log", write(tmp_path / "q", CALL + waiting + restart))
    assert legs(org) == {
        ("acd", "answered", 12, 48, "ended by restart"),
        ("user", "in_answered", 4, 48, "ended by restart"),
        ("user", "in_no_answer", 5, 0, ""),
        ("acd", "abandoned", 58, 0, "ended by restart"),
    }


def test_numbers_no_call_can_have_are_rejected_not_a_crash(org, point, tmp_path: Path) -> None:
    path = write(
        tmp_path / "q",
        [
            f"{T * 1000}|m|400|NONE|ENTERQUEUE||0701|1",  # milliseconds: no epoch
            f"{T}|c3|400|NONE|ENTERQUEUE||0701|1",
            f"{T + 9}|c3|400|NONE|ABANDON|1|1|inf",
            f"{T}|c4|400|NONE|ENTERQUEUE||0701|1",
            f"{T + 9}|c4|400|NONE|ABANDON|1|1|1e30",
        ],
    )
    summary = import_file(org, point, "asterisk-queue-log", path)
    assert [(r.line, r.reason) for r in summary.rejects] == [
        (1, "bad_time"),
        (3, "bad_number"),
        (5, "bad_number"),
    ]


def test_a_file_the_engine_cannot_read_goes_to_rejected_and_the_spool_goes_on(
    org, tmp_path: Path, settings
) -> None:
    from vaxelstat.server import collect_spool_once, spool_folder

    settings.SPOOL_DIR = tmp_path / "spool"
    # A pattern Python's re accepts and DuckDB's (RE2) refuses: a look-ahead.
    bad = CollectionPoint.objects.create(
        organization=org,
        name="bad",
        format="asterisk-queue-log",
        settings={"extension_pattern": r"(?!9)\d{4}"},
    )
    good = CollectionPoint.objects.create(
        organization=org, name="good", format="asterisk-queue-log"
    )
    for point in (bad, good):
        spool_folder(point).mkdir(parents=True, exist_ok=True)
        write(spool_folder(point) / "queue_log", CALL + END)
    collect_spool_once()
    rejected = spool_folder(bad) / "rejected"
    assert (rejected / "queue_log").exists()
    assert "could not be read" in (rejected / "queue_log.why.txt").read_text()
    assert (spool_folder(good) / "done" / "queue_log").exists()
    assert ("acd", "answered", 12, 88, "") in legs(org)


def test_files_read_newest_first_give_the_calls_across_their_cut(
    org, point, tmp_path: Path
) -> None:
    """The end of a call read before the file with its start (rotated files pushed newest
    first): kept as no_start_event, and read again with the file of its start, which makes
    the call whole; reading either file again changes nothing."""
    newer, older = write(tmp_path / "q.1", END), write(tmp_path / "q.2", CALL)
    first = import_file(org, point, "asterisk-queue-log", newer, "queue_log")
    assert [r.reason for r in first.rejects] == ["no_start_event"]
    assert legs(org) == set()
    import_file(org, point, "asterisk-queue-log", older, "queue_log.1")
    whole = {
        ("acd", "answered", 12, 88, ""),
        ("user", "in_answered", 4, 88, ""),
        ("user", "in_no_answer", 5, 0, ""),
    }
    assert legs(org) == whole
    import_file(org, point, "asterisk-queue-log", newer, "queue_log")
    import_file(org, point, "asterisk-queue-log", older, "queue_log.1")
    assert legs(org) == whole

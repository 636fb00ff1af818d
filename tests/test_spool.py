"""The spool collector as operations feed it: files still being written, rotated files."""

import threading
import time
from pathlib import Path

import pytest
from test_queue_log_operations import CALL, END, T, legs, write

from vaxelstat.orgs.models import CollectionPoint
from vaxelstat.server import collect_spool_once, rotation_order, spool_folder


def test_rotated_files_sort_oldest_first() -> None:
    names = ["queue_log", "queue_log.1", "queue_log.10", "queue_log.2", "Master.csv", "b.csv"]
    assert sorted((Path(n) for n in names), key=rotation_order) == [
        Path(n)
        for n in ["Master.csv", "b.csv", "queue_log.10", "queue_log.2", "queue_log.1", "queue_log"]
    ]


def test_rotated_queue_logs_give_the_calls_across_their_cuts(org, tmp_path: Path, settings) -> None:
    """A call that entered the queue before logrotate cut queue_log and ended after: the
    rotated files, dropped together, are read oldest first, so the call is whole (read newest
    first, its end would come before its start)."""
    settings.SPOOL_DIR = tmp_path / "spool"
    point = CollectionPoint.objects.create(
        organization=org, name="pbx", format="asterisk-queue-log"
    )
    folder = spool_folder(point)
    folder.mkdir(parents=True)
    write(folder / "queue_log.2", CALL[:1])
    write(folder / "queue_log.1", CALL[1:])
    write(folder / "queue_log", END)
    assert collect_spool_once() == 3
    assert sorted(p.name for p in (folder / "done").iterdir()) == [
        "queue_log",
        "queue_log.1",
        "queue_log.2",
    ]
    assert legs(org) == {
        ("acd", "answered", 12, 88, ""),
        ("user", "in_answered", 4, 88, ""),
        ("user", "in_no_answer", 5, 0, ""),
    }


@pytest.mark.slow
def test_a_file_still_being_written_is_taken_whole(org, tmp_path: Path, settings) -> None:
    """A queue_log written at 1 MB/s into the spool for 1.5 s while the collector looks every
    quarter second: the collector leaves it until it has not changed for its settle time,
    then reads every call in it."""
    settings.SPOOL_DIR = tmp_path / "spool"
    settings.SPOOL_SETTLE_SECONDS = 1.0
    point = CollectionPoint.objects.create(
        organization=org, name="pbx", format="asterisk-queue-log"
    )
    folder = spool_folder(point)
    folder.mkdir(parents=True)
    path = folder / "queue_log"
    calls = 0

    def writer() -> None:
        nonlocal calls
        with open(path, "a", encoding="utf-8") as f:
            for _ in range(15):
                chunk = []
                while sum(map(len, chunk)) < 100_000:
                    t = T + calls * 10
                    chunk.append(f"{t}|w{calls}|400|NONE|ENTERQUEUE||0701234567|1\n")
                    chunk.append(f"{t + 3}|w{calls}|400|NONE|ABANDON|1|1|3\n")
                    calls += 1
                f.write("".join(chunk))
                f.flush()
                time.sleep(0.1)

    writing = threading.Thread(target=writer)
    writing.start()
    rounds = 0
    while not (folder / "done" / "queue_log").exists() and rounds < 80:
        collect_spool_once()
        rounds += 1
        time.sleep(0.25)
    writing.join()
    assert (folder / "done" / "queue_log").exists(), "the collector never took the file"
    assert calls > 10_000
    from vaxelstat.calls.scope import Scope
    from vaxelstat.calls.store import get_store

    abandoned = [leg for leg in get_store().legs(Scope.whole(org.id)) if leg["type"] == "abandoned"]
    assert len(abandoned) == calls


def test_a_tmp_file_waits_for_its_rename(org, tmp_path: Path, settings) -> None:
    settings.SPOOL_DIR = tmp_path / "spool"
    point = CollectionPoint.objects.create(
        organization=org, name="pbx", format="asterisk-queue-log"
    )
    folder = spool_folder(point)
    folder.mkdir(parents=True)
    write(folder / "queue_log.tmp", CALL + END)
    assert collect_spool_once() == 0
    (folder / "queue_log.tmp").rename(folder / "queue_log")
    assert collect_spool_once() == 1
    assert ("acd", "answered", 12, 88, "") in legs(org)


def test_a_poisoned_file_delays_no_other_organization(
    org, tmp_path: Path, settings, monkeypatch
) -> None:
    """A file whose import fails in a way nobody foresaw (here: the parser raises) goes to
    rejected/ with why, and another organization's file is read in the same round."""
    from vaxelstat.ingest import pipeline
    from vaxelstat.orgs.models import Organization

    settings.SPOOL_DIR = tmp_path / "spool"
    other = Organization.objects.create(slug="beta", name="Beta AB")
    bad = CollectionPoint.objects.create(organization=org, name="pbx", format="asterisk-queue-log")
    good = CollectionPoint.objects.create(
        organization=other, name="pbx", format="asterisk-queue-log"
    )
    for point in (bad, good):
        spool_folder(point).mkdir(parents=True)
    write(spool_folder(bad) / "queue_log", ["poison"])
    write(spool_folder(good) / "queue_log", CALL + END)
    real = pipeline.parse_into

    def poisoned(ws, fmt, path, source, carried=0):  # type: ignore[no-untyped-def]
        if path.read_text().startswith("poison"):
            raise MemoryError("poisoned")
        return real(ws, fmt, path, source, carried)

    monkeypatch.setattr(pipeline, "parse_into", poisoned)
    assert collect_spool_once() == 2
    assert "poisoned" in (spool_folder(bad) / "rejected" / "queue_log.why.txt").read_text()
    assert (spool_folder(good) / "done" / "queue_log").exists()
    assert ("acd", "answered", 12, 88, "") in legs(other)

"""What a process that died leaves behind is cleaned up when the server starts."""

import os
import time
from pathlib import Path

from vaxelstat import tmpfiles
from vaxelstat.exports.models import Export
from vaxelstat.server import cleaned_up


def _dead_pid() -> int:
    """A process id no process has."""
    pid = 4_000_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid += 1


def test_the_temporary_files_of_a_dead_process_are_removed(settings, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    folder = tmpfiles.folder()
    dead = folder / f"{_dead_pid()}-push-abc-queue_log"
    dead.write_bytes(b"x" * 1000)
    mine = tmpfiles.reserved(".csv")
    old_unnamed = folder / "tmpabc.arrow"
    old_unnamed.write_bytes(b"y")
    hour_ago = time.time() - tmpfiles.UNNAMED_AFTER_S - 60
    os.utime(old_unnamed, (hour_ago, hour_ago))
    new_unnamed = folder / "tmpdef.arrow"
    new_unnamed.write_bytes(b"z")
    # An import's workspace spilled to disk: its folder, with what is in it.
    dead_spill = folder / f"{_dead_pid()}-import"
    dead_spill.mkdir()
    (dead_spill / "duckdb_temp_storage-0.tmp").write_bytes(b"w" * 1000)
    my_spill = folder / f"{os.getpid()}-import"
    my_spill.mkdir(exist_ok=True)
    assert tmpfiles.remove_leftovers() == 3
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [mine.name, new_unnamed.name, my_spill.name]
    )
    assert mine.name.startswith(f"{os.getpid()}-")


def test_an_export_a_dead_worker_left_running_is_queued_again_at_start(
    org, settings, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    from django.utils import timezone

    from vaxelstat.accounts.models import User

    user = User.objects.create_user("ada@acme.example", "Ada-lösen-2026", organization=org)
    export = Export.objects.create(
        organization=org,
        owner=user,
        request={},
        format=Export.Format.CSV,
        status=Export.Status.RUNNING,
        started=timezone.now(),
        progress=10,
    )
    cleaned_up()
    export.refresh_from_db()
    assert (export.status, export.progress) == (Export.Status.QUEUED, 0)

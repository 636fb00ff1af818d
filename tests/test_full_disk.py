"""A full disk: one clear error naming the data directory and the room wanted, the store as
it was and usable, the spool keeping the file, and imports going on once there is room."""

import subprocess
from pathlib import Path

import pytest

from vaxelstat.calls import store as store_module
from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.ingest.pipeline import NoSpace, import_file
from vaxelstat.orgs.models import CollectionPoint
from vaxelstat.server import collect_spool_once, spool_folder

T = 1781074800


@pytest.fixture
def small_disk(tmp_path: Path, settings):  # type: ignore[no-untyped-def]
    """A data directory on a 12 MB file system of its own (a tmpfs: needs root)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"no tmpfs can be mounted here: {done.stderr.decode().strip()}")
    settings.DATA_DIR = mount / "data"
    settings.DATA_DIR.mkdir()
    settings.CALLSTORE_URL = f"duckdb:///{settings.DATA_DIR / 'calls.duckdb'}"
    settings.SPOOL_DIR = settings.DATA_DIR / "spool"
    yield mount
    store_module.close_stores()
    subprocess.run(["umount", "-l", str(mount)], check=False)


def queue_log(path: Path, first: int, calls: int) -> Path:
    path.write_text(
        "".join(
            f"{T + i}|c{i}|400|NONE|ENTERQUEUE||0701|1\n{T + i + 4}|c{i}|400|NONE|ABANDON|1|1|4\n"
            for i in range(first, first + calls)
        )
    )
    return path


@pytest.mark.slow
def test_a_full_disk_is_one_clear_error_and_imports_go_on_once_there_is_room(
    org, small_disk: Path, tmp_path: Path
) -> None:
    point = CollectionPoint.objects.create(organization=org, name="q", format="asterisk-queue-log")
    import_file(org, point, "asterisk-queue-log", queue_log(tmp_path / "a", 0, 1000))
    held = get_store().count(Scope.whole(org.id))
    spool_folder(point).mkdir(parents=True)
    spooled = queue_log(spool_folder(point) / "queue_log", 70_000, 10)
    filler = small_disk / "filler"
    with open(filler, "wb") as f:
        try:
            f.write(b"x" * 12 * 2**20)
        except OSError:
            pass  # the disk is full now
    big = queue_log(tmp_path / "b", 1000, 60_000)
    with pytest.raises(NoSpace) as failed:
        import_file(org, point, "asterisk-queue-log", big)
    assert f"the disk of {small_disk / 'data'} is full" in str(failed.value)
    assert get_store().count(Scope.whole(org.id)) == held  # as it was, and readable

    # The spool keeps a file it cannot import for now.
    collect_spool_once()
    assert spooled.exists()

    filler.unlink()
    collect_spool_once()
    assert (spool_folder(point) / "done" / "queue_log").exists()
    assert get_store().count(Scope.whole(org.id)) == held + 10

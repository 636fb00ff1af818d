"""An import within a memory bound: what its workspace cannot hold goes to the data
directory's tmp/, the legs are the same, and they reach the store a batch at a time."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from django.core.exceptions import ImproperlyConfigured
from rows import store_rows

from vaxelstat import settings as vaxelstat_settings
from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import OTHER_POINT, get_store
from vaxelstat.demo.asterisk_writer import write_master_csv
from vaxelstat.demo.simulator import simulate
from vaxelstat.ingest import workspace
from vaxelstat.ingest.models import ImportRun
from vaxelstat.ingest.pipeline import UnreadableFile, import_file
from vaxelstat.orgs.models import CollectionPoint, Organization


@contextmanager
def held_to(limit: str) -> Iterator[None]:
    """The workspace database of large files held to `limit`, put back as it was after."""
    database = workspace._connection(small=False)
    (before,) = database.execute("SELECT current_setting('memory_limit')").fetchone()
    database.execute(f"SET memory_limit = '{limit}'")
    try:
        yield
    finally:
        database.execute(f"SET memory_limit = '{before.replace(' ', '')}'")
        database.close()


@pytest.fixture(scope="module")
def large_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Master.csv of some 120,000 lines (a week of the demo's PBX, 20 times over)."""
    path = tmp_path_factory.mktemp("large") / "Master.csv"
    cdr = simulate(seed=9, days=7, end=datetime(2026, 11, 20, 18, tzinfo=UTC), scale=20.0).cdr
    write_master_csv(cdr, path, "Europe/Stockholm")
    assert path.stat().st_size > 25 * 2**20
    return path


def _legs(org: Organization) -> list[tuple[Any, ...]]:
    return sorted(
        (leg["leg_id"], leg["call_id"], leg["type"], leg["start_utc"], leg["wait_s"], leg["talk_s"])
        for leg in get_store().legs(Scope.whole(org.id))
    )


@pytest.mark.slow
@pytest.mark.usefixtures("engine")
def test_a_file_larger_than_the_bound_spills_to_the_data_directory_and_gives_the_same_legs(
    db, large_master: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = large_master
    free, held = (Organization.objects.create(slug=slug, name=slug) for slug in ("free", "held"))
    for org in (free, held):
        CollectionPoint.objects.create(organization=org, name="pbx", format="asterisk-cdr")
    free_summary = import_file(free, free.collection_points.get(), "asterisk-cdr", path)

    # What the workspace wrote to disk, seen after each of its statements.
    spilled: list[tuple[int, str]] = []
    run = workspace.Workspace.run

    def watched(self: workspace.Workspace, sql: str, values: Any = None) -> Any:
        result = run(self, sql, values)
        with workspace._connection(small=False) as other:
            spilled.extend(
                other.execute("SELECT size, path FROM duckdb_temporary_files()").fetchall()
            )
        return result

    monkeypatch.setattr(workspace.Workspace, "run", watched)
    # (Held to 100MB the file writes some 35 MB to disk: at 160MB, since the walk is a table a
    # step, as little as 0.7 MB on some machines; below some 60 MB it fails for want of memory.)
    with held_to("100MB"):
        held_summary = import_file(held, held.collection_points.get(), "asterisk-cdr", path)

    assert spilled, "the bound held the file in memory: nothing was written to disk"
    folder = Path(spilled[0][1]).parent
    assert folder.name == f"{os.getpid()}-import-large" and folder.parent.name == "tmp"
    assert max(size for size, _ in spilled) > 2**20
    assert held_summary.imported == free_summary.imported > 80_000
    assert held_summary.rejected == free_summary.rejected == 0
    assert _legs(held) == _legs(free)


@pytest.mark.slow
def test_a_bound_too_small_for_the_file_fails_it_with_a_message_naming_the_setting(
    org, large_master: Path
) -> None:
    point = CollectionPoint.objects.create(organization=org, name="pbx", format="asterisk-cdr")
    with held_to("32MB"), pytest.raises(UnreadableFile) as failed:
        import_file(org, point, "asterisk-cdr", large_master)
    message = str(failed.value)
    assert message.startswith(f"{large_master}: could not be read: Out of Memory Error")
    assert "set VAXELSTAT_IMPORT_MEMORY higher" in message
    assert get_store().count(Scope.whole(org.id)) == 0
    assert not ImportRun.objects.filter(organization=org).exists()


@pytest.mark.usefixtures("both_engines")
def test_a_store_takes_legs_a_batch_at_a_time_and_none_where_one_is_of_another_point(
    org,
) -> None:  # type: ignore[no-untyped-def]
    store = get_store()
    point = CollectionPoint.objects.create(organization=org, name="pbx", format="canonical")
    other = CollectionPoint.objects.create(organization=org, name="other", format="canonical")
    window = (datetime(2026, 11, 20, 8, tzinfo=UTC), datetime(2026, 11, 20, 12, tzinfo=UTC))
    start = datetime(2026, 11, 20, 9, tzinfo=UTC)
    good = store_rows(org.id, point.id, start, 250)
    store.apply(
        org.id,
        point.id,
        pa.RecordBatchReader.from_batches(good.schema, good.to_batches(100)),
        [],
        *window,
    )
    assert store.count(Scope.whole(org.id)) == 250

    # The second batch is another point's: the first, the point's own, is not stored either.
    later = datetime(2026, 11, 20, 10, tzinfo=UTC)
    mixed = [
        store_rows(org.id, point.id, later, 100).to_batches()[0],
        store_rows(org.id, other.id, later, 100).to_batches()[0],
    ]
    with pytest.raises(ValueError, match=OTHER_POINT):
        store.apply(
            org.id, point.id, pa.RecordBatchReader.from_batches(good.schema, mixed), [], *window
        )
    assert store.count(Scope.whole(org.id)) == 250


@pytest.mark.parametrize("value", ["100MB", "0GB", "2 TB", "lots", "-1GB"])
def test_an_import_memory_bound_below_what_an_import_needs_or_unreadable_is_refused(
    value: str,
) -> None:
    with pytest.raises(ImproperlyConfigured, match="VAXELSTAT_IMPORT_MEMORY"):
        vaxelstat_settings._import_memory(value)


def test_an_import_memory_bound_is_read_in_megabytes_or_gigabytes() -> None:
    assert vaxelstat_settings._import_memory("2gb") == "2GB"
    assert vaxelstat_settings._import_memory(" 1500 MiB ") == "1500MiB"
    assert vaxelstat_settings._import_memory("256MB") == "256MB"
    default = vaxelstat_settings._import_memory(None)
    assert default.endswith("MiB") and int(default[:-3]) >= 256

"""`make bench`: import speed on 1-million-line files from the simulator, as medians.

Run: make bench
     .venv/bin/python -m vaxelstat.bench --lines 1000000 --repeat 3
It uses a throwaway data directory and never touches ./var.
"""

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _first_lines(source: Path, target: Path, count: int) -> int:
    """Copy the first `count` lines; return how many there were."""
    n = 0
    with open(source, encoding="utf-8") as f, open(target, "w", encoding="utf-8") as out:
        for line in f:
            if n == count:
                break
            out.write(line)
            n += 1
    return n


def _lines_after(source: Path, target: Path, skip: int, count: int) -> int:
    """Copy `count` lines after the first `skip`; return how many there were."""
    n = 0
    with open(source, encoding="utf-8") as f, open(target, "w", encoding="utf-8") as out:
        for number, line in enumerate(f):
            if number < skip:
                continue
            if n == count:
                break
            out.write(line)
            n += 1
    return n


@contextmanager
def throwaway_data(prefix: str) -> Iterator[Path]:
    """A data directory of its own for a bench (never ./var, the embedded databases), removed
    with its store (a gigabyte or more) when the bench ends."""
    data = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["VAXELSTAT_DATA"] = str(data)
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("CALLSTORE_URL", None)
    try:
        yield data
    finally:
        from django.conf import settings

        if settings.configured:
            from vaxelstat.calls.store import close_stores

            close_stores()
        shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000, help="lines per file")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with throwaway_data("vaxelstat-bench-") as data:
        _bench(args, data)


def _bench(args: argparse.Namespace, data: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxelstat.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from vaxelstat.calls.store import get_store
    from vaxelstat.demo.asterisk_writer import write_master_csv, write_queue_log
    from vaxelstat.demo.simulator import simulate
    from vaxelstat.ingest.pipeline import import_file
    from vaxelstat.orgs.models import CollectionPoint, Organization

    call_command("migrate", verbosity=0)
    # Enough traffic for both files to reach the line count (the busiest PBX of the demo,
    # 40 times over, for 90 days).
    t0 = time.perf_counter()
    result = simulate(seed=1, days=90, scale=40.0)
    print(f"simulated {result.stats['calls']} calls in {time.perf_counter() - t0:.1f} s")
    full_cdr, full_queue_log = data / "Master.full.csv", data / "queue_log.full"
    write_master_csv(result.cdr, full_cdr, "Europe/Stockholm")
    write_queue_log(result.queue_log, full_queue_log)
    del result

    for fmt, full, name in (
        ("asterisk-queue-log", full_queue_log, "queue_log"),
        ("asterisk-cdr", full_cdr, "Master.csv"),
    ):
        path = data / name
        lines = _first_lines(full, path, args.lines)
        times = []
        for i in range(args.repeat):
            org = Organization.objects.create(slug=f"bench-{fmt}-{i}", name="Bench")
            point = CollectionPoint.objects.create(
                organization=org, name="pbx", format=fmt, settings={"trunk_peers": ["trunk"]}
            )
            t0 = time.perf_counter()
            summary = import_file(org, point, fmt, path)
            times.append(time.perf_counter() - t0)
            get_store().delete_organization(org.id)
        median = statistics.median(times)
        runs = ", ".join(f"{t:.2f}" for t in times)
        print(
            f"import {fmt}: {lines:,} lines, {summary.imported:,} legs, median {median:.2f} s "
            f"= {lines / median:,.0f} lines/s (of {args.repeat} runs: {runs} s)"
        )

    # The next lines of the same PBX, as the spool or a push brings them, into the collection
    # point that already holds the first file's legs: what each new file costs.
    org = Organization.objects.create(slug="bench-incremental", name="Bench")
    point = CollectionPoint.objects.create(
        organization=org, name="pbx", format="asterisk-cdr", settings={"trunk_peers": ["trunk"]}
    )
    held = import_file(org, point, "asterisk-cdr", data / "Master.csv").imported
    times, size = [], 20_000
    for i in range(args.repeat):
        piece = data / f"Master.next-{i}.csv"
        lines = _lines_after(full_cdr, piece, args.lines + i * size, size)
        t0 = time.perf_counter()
        import_file(org, point, "asterisk-cdr", piece)
        times.append(time.perf_counter() - t0)
    runs = ", ".join(f"{t:.2f}" for t in times)
    print(
        f"import asterisk-cdr, the next {lines:,} lines each into a collection point holding "
        f"{held:,} legs: median {statistics.median(times):.2f} s (of {args.repeat} runs: {runs} s)"
    )


if __name__ == "__main__":
    main()

"""`make bench`: import speed on 1-million-line files from the simulator, as medians, with
the peak memory of the process that imports (each import runs in a process of its own, which
the bench starts: its peak is the import's, not the simulation's), and where the time of the
run nearest the median went, step by step (the workspace's statements, the sort of the legs,
the store's insert: what the import logs at DEBUG).

Run: make bench
     .venv/bin/python -m vaxelstat.bench --lines 1000000 --repeat 3
It uses a throwaway data directory and never touches ./var.
"""

import argparse
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Import memory bounds measured on the Master.csv (each once).
BOUNDS = ("1GB", "512MB")


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


def _import_in_a_process(
    fmt: str, path: Path, slug: str, memory: str = ""
) -> tuple[float, int, float, list[tuple[float, str]]]:
    """(seconds, legs, peak memory in MB, the time of each step the import logged) of one
    import in a process of its own (of the same data directory; its workspace held to
    `memory`, else to the default bound), its organization's legs deleted after."""
    env = {k: v for k, v in os.environ.items() if k != "VAXELSTAT_IMPORT_MEMORY"}
    if memory:
        env["VAXELSTAT_IMPORT_MEMORY"] = memory
    child = subprocess.Popen(
        [sys.executable, "-m", "vaxelstat.bench", "--import-one", fmt, str(path), slug],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    out = child.stdout.read() if child.stdout else ""
    if child.wait():
        raise SystemExit(f"the import of {path} failed")
    done = json.loads(out.strip().splitlines()[-1])
    steps = [(float(seconds), str(name)) for seconds, name in done["steps"]]
    return float(done["seconds"]), int(done["legs"]), float(done["peak_mb"]), steps


class _Steps(logging.Handler):
    """The steps an import logs at DEBUG with their time ("0.123 s: what"), as (seconds,
    what): the workspace's statements, the sort of the legs, the store's insert."""

    def __init__(self) -> None:
        from vaxelstat.ingest.workspace import step_of  # (once Django is set up)

        super().__init__(logging.DEBUG)
        self.step_of = step_of
        self.steps: list[tuple[float, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if (step := self.step_of(record.getMessage())) is not None:
            self.steps.append(step)


def _where_it_went(seconds: float, steps: list[tuple[float, str]]) -> list[str]:
    """Lines of where an import's time went: its steps of at least 3% of it, the others
    summed, and what no step covers (the app database, Python, waiting for the digest)."""
    big = sorted((s for s in steps if s[0] >= 0.03 * seconds), reverse=True)
    rest = [t for t, _ in steps if t < 0.03 * seconds]
    lines = [f"    {t:5.2f} s  {what}" for t, what in big]
    lines.append(f"    {sum(rest):5.2f} s  {len(rest)} other steps")
    lines.append(f"    {seconds - sum(t for t, _ in steps):5.2f} s  outside the steps")
    return lines


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: its own since it began, unlike the
    rusage of a child, which Linux counts from before the child's exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _WithoutPandas:
    """An import finder that finds no pandas, as on a server."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"No module named {name!r} (a server has none)", name=name)


def _import_one(fmt: str, path: Path, slug: str) -> None:
    """(In the import's own process.) Import the file into a new organization; print its
    time and legs as JSON; delete its legs. It imports as a server does, whose install has no
    pandas (a development dependency, chDB's): where pandas is installed, pyarrow's reading of
    Python values (the queue_log's agent time) imports it, a quarter of a second and some
    80 MB of the process's peak that no server has."""
    sys.meta_path.insert(0, _WithoutPandas())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxelstat.settings")
    import django

    django.setup()
    from vaxelstat.calls.store import close_stores, get_store
    from vaxelstat.ingest.pipeline import import_file
    from vaxelstat.orgs.models import CollectionPoint, Organization

    org = Organization.objects.create(slug=slug, name="Bench")
    point = CollectionPoint.objects.create(
        organization=org, name="pbx", format=fmt, settings={"trunk_peers": ["trunk"]}
    )
    steps = _Steps()
    ingest = logging.getLogger("vaxelstat.ingest")
    ingest.setLevel(logging.DEBUG)
    ingest.addHandler(steps)
    # The bench prints the steps itself: the console keeps to what it showed (a warning, an
    # error: why an import failed).
    for handler in logging.getLogger().handlers:
        handler.setLevel(max(handler.level, logging.INFO))
    t0 = time.perf_counter()
    summary = import_file(org, point, fmt, path)
    seconds = time.perf_counter() - t0
    ingest.removeHandler(steps)
    get_store().delete_organization(org.id)
    close_stores()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "legs": summary.imported,
                "peak_mb": _peak_mb(),
                "steps": steps.steps,
            }
        )
    )


def main() -> None:
    if sys.argv[1:2] == ["--import-one"]:
        _import_one(sys.argv[2], Path(sys.argv[3]), sys.argv[4])
        return
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

    from vaxelstat.calls.store import close_stores
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

    close_stores()  # (each import's process opens the store)
    lines_of: dict[str, int] = {}
    for fmt, full, name in (
        ("asterisk-queue-log", full_queue_log, "queue_log"),
        ("asterisk-cdr", full_cdr, "Master.csv"),
    ):
        path = data / name
        lines = lines_of[name] = _first_lines(full, path, args.lines)
        times, peaks, imported, steps_of = [], [], 0, []
        for i in range(args.repeat):
            seconds, imported, peak_mb, steps = _import_in_a_process(fmt, path, f"bench-{fmt}-{i}")
            times.append(seconds)
            peaks.append(peak_mb)
            steps_of.append(steps)
        median = statistics.median(times)
        runs = ", ".join(f"{t:.2f}" for t in times)
        print(
            f"import {fmt}: {lines:,} lines, {imported:,} legs, median {median:.2f} s "
            f"= {lines / median:,.0f} lines/s (of {args.repeat} runs: {runs} s), "
            f"peak memory {max(peaks):,.0f} MB"
        )
        # The run nearest the median, step by step.
        nearest = min(range(args.repeat), key=lambda i: abs(times[i] - median))
        print(f"  where its run of {times[nearest]:.2f} s went:")
        print("\n".join(_where_it_went(times[nearest], steps_of[nearest])))

    # The same Master.csv with the workspace held to a bound it cannot keep the file in: what
    # a bound costs in time, and how far it holds the process's peak.
    lines = lines_of["Master.csv"]
    for memory in BOUNDS:
        seconds, imported, peak_mb, _ = _import_in_a_process(
            "asterisk-cdr", data / "Master.csv", f"bench-bounded-{memory}", memory
        )
        print(
            f"import asterisk-cdr with VAXELSTAT_IMPORT_MEMORY={memory}: {lines:,} lines, "
            f"{imported:,} legs, {seconds:.2f} s = {lines / seconds:,.0f} lines/s, "
            f"peak memory {peak_mb:,.0f} MB"
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

"""`make bench`: how fast the demo's logs are simulated and imported, as medians.

Run: make bench   (or: .venv/bin/python -m vaxelstat.bench --days 90 --repeat 3)
It uses a throwaway data directory and never touches ./var.
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--scale", type=float, default=1.0, help="traffic multiplier")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="vaxelstat-bench-"))
    os.environ["VAXELSTAT_DATA"] = str(data)
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("CALLSTORE_URL", None)
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
    t0 = time.perf_counter()
    result = simulate(seed=1, days=args.days, scale=args.scale)
    simulated = time.perf_counter() - t0
    master, queue_log = data / "Master.csv", data / "queue_log"
    write_master_csv(result.cdr, master, "Europe/Stockholm")
    write_queue_log(result.queue_log, queue_log)
    print(
        f"simulate {args.days} days x{args.scale}: {result.stats['calls']} calls "
        f"in {simulated:.2f} s"
    )

    for fmt, path, lines in (
        ("asterisk-cdr", master, len(result.cdr)),
        ("asterisk-queue-log", queue_log, len(result.queue_log)),
    ):
        times = []
        for i in range(args.repeat):
            org = Organization.objects.create(slug=f"bench-{fmt}-{i}", name="Bench")
            point = CollectionPoint.objects.create(
                organization=org, name="pbx", format=fmt, settings={"trunk_peers": ["trunk"]}
            )
            t0 = time.perf_counter()
            import_file(org, point, fmt, path)
            times.append(time.perf_counter() - t0)
            get_store().delete_organization(org.id)
        median = statistics.median(times)
        print(
            f"import {fmt}: {lines} lines, median {median:.2f} s = "
            f"{lines / median:,.0f} lines/s (of {args.repeat} runs)"
        )


if __name__ == "__main__":
    main()

"""Where the product and a reading of a real sample differ, record by record.

Run: .venv/bin/python tests/readings/compare.py [sample name...]
(the names of tests/test_samples_counted.py's cases that count against a reading; all of
them without one). For each record line, the legs (kind, object, type) the product gives
and those the reading gives, where they differ. Needs ../shared/samples.
"""

import csv
import hashlib
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent.parent)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxelstat.settings")
os.environ.setdefault("VAXELSTAT_DATA", "/tmp/vaxelstat-compare")

import django  # noqa: E402

django.setup()

from samples import SAMPLES  # noqa: E402
from test_samples_counted import CASES  # noqa: E402

from vaxelstat.ingest.parsers import PARSERS  # noqa: E402
from vaxelstat.ingest.parsers.base import SourceSettings, read_lines  # noqa: E402


def lines_of_records(path: Path, fmt: str) -> dict[str, int]:
    """The line each leg's record is on, by the part of the leg id that names the record."""
    found: dict[str, int] = {}
    if fmt == "broadworks":
        copies: Counter[str] = Counter()
        for number, text in read_lines(path):
            digest = hashlib.sha1(text.encode()).hexdigest()
            copies[digest] += 1
            found[f"sha1:{digest}:{copies[digest]}"] = number
        return found
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        for number, row in enumerate(csv.DictReader(f), start=2):
            found[f"{row.get('uniqueid', '')}:{row.get('sequence', '')}"] = number
    return found


def record_of(leg_id: str) -> str:
    parts = leg_id.split(":")
    return ":".join(parts[1:4]) if parts[0] == "bw" else ":".join(parts[1:3])


def compare(case: tuple) -> None:  # type: ignore[type-arg]
    name, fmt, files, point_settings, timezone, reading, _wrong = case
    settings = SourceSettings.from_dict(point_settings, timezone)
    path = SAMPLES / files[0]
    lines = lines_of_records(path, fmt)
    ours: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for leg in PARSERS[fmt].parse(path, settings).legs:
        line = lines.get(record_of(leg.leg_id), 0)
        ours[line].append((leg.object_kind, leg.object_number, leg.type))
    theirs: dict[int, list[tuple[str, str]]] = defaultdict(list)
    with open(HERE / reading, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            theirs[int(row["line"])].append((row["kind"], row["type"]))
    print(f"== {name}")
    differing = 0
    for line in sorted(set(ours) | set(theirs)):
        product = sorted(ours.get(line, []))
        if sorted((k, t) for k, _, t in product) != sorted(theirs.get(line, [])):
            differing += 1
            print(f"line {line}: product {product} reading {sorted(theirs.get(line, []))}")
    print(f"{differing} lines differ")


def main() -> None:
    wanted = set(sys.argv[1:])
    for case in CASES:
        if isinstance(case[5], str) and (not wanted or case[0] in wanted):
            compare(case)


if __name__ == "__main__":
    main()

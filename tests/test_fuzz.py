"""Every format's reader on damaged files: the test vectors' logs with fields replaced by values
no PBX writes (huge and negative numbers, times in 1970 and 2100, NUL bytes, cut lines, lines
twice). No exception escapes but a file the reader says it cannot read, and no leg the store
would take has a start outside 1990..tomorrow or a wait or talk outside 0..24 hours."""

import os
import random
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vaxelstat.ingest.parsers.base import (
    EARLIEST,
    MAX_SECONDS,
    NotReadable,
    SourceSettings,
    latest,
)
from vaxelstat.ingest.pipeline import UnreadableFile, parse_into
from vaxelstat.ingest.workspace import Workspace

# Damaged files by the hundred, on every engine.
pytestmark = pytest.mark.slow

VECTORS = Path(__file__).resolve().parent.parent / "docs" / "test-vectors"
SEEDS = [
    (p.stem, f["format"], f["text"].lstrip("\n"), v.get("settings", {}), v.get("timezone"))
    for p in sorted(VECTORS.glob("*/*.toml"))
    for v in [tomllib.loads(p.read_text(encoding="utf-8"))]
    for f in v["files"]
]
# How many damaged files a run reads (`make test`: 24, a few seconds; `make fuzz`: 2,000).
FILES = int(os.environ.get("VAXELSTAT_FUZZ_FILES", "24"))
VALUES = [
    "99999999999999999999",
    "2147483648",
    "-2147483649",
    "-5",
    "-1",
    "1e30",
    "nan",
    "inf",
    "0",
    "4102444800",
    "2100-01-01 00:00:00",
    "1970-01-01 00:00:00",
    "0000-00-00 00:00:00",
    "2026-13-45 25:61:61",
    "\x00",
    "",
    "9" * 400,
    "A" * 2000,
]
SEPARATORS = (",", "|", ";")
T = TypeVar("T")


class Drawn:
    """Choices drawn by Hypothesis."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def int(self, low: int, high: int) -> int:
        return self.data.draw(st.integers(low, high))

    def pick(self, values: Sequence[T]) -> T:
        return self.data.draw(st.sampled_from(values))


class Seeded:
    """Choices of a seeded generator (the same every run)."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def int(self, low: int, high: int) -> int:
        return self.random.randint(low, high)

    def pick(self, values: Sequence[T]) -> T:
        return self.random.choice(values)


def damage(text: str, choose: "Drawn | Seeded") -> str:
    lines = text.split("\n")
    for _ in range(choose.int(1, 3)):
        i = choose.int(0, len(lines) - 1)
        line = lines[i]
        how = choose.pick(["field", "cut", "twice", "number"])
        if how == "field":
            sep = next((s for s in SEPARATORS if s in line), ",")
            parts = line.split(sep)
            j = choose.int(0, len(parts) - 1)
            value = choose.pick(VALUES)
            parts[j] = f'"{value}"' if parts[j].startswith('"') else value
            lines[i] = sep.join(parts)
        elif how == "cut":
            lines[i] = line[: choose.int(0, len(line))]
        elif how == "twice":
            lines.insert(i, line)
        else:
            numbers = list(re.finditer(r"\d+", line))
            if numbers:
                m = numbers[choose.int(0, len(numbers) - 1)]
                factor = choose.pick([-1, 1000, 100_000_000])
                lines[i] = line[: m.start()] + str(int(m.group()) * factor) + line[m.end() :]
    return "\n".join(lines)


ran = 0


@settings(
    max_examples=FILES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_damaged_file_gives_no_traceback_and_no_absurd_leg(data, tmp_path: Path) -> None:
    global ran
    name, fmt, text, point_settings, timezone = data.draw(st.sampled_from(SEEDS))
    damaged = damage(text, Drawn(data))
    path = tmp_path / f"{name}.log"
    path.write_bytes(damaged.encode("utf-8", "surrogatepass"))
    source = SourceSettings.from_dict(point_settings, timezone or "Europe/Stockholm")
    with Workspace(path.stat().st_size) as ws:
        try:
            parse_into(ws, fmt, path, source)
        except (NotReadable, duckdb.Error):
            return  # a file the reader says it cannot read: the import says so, per file
        ws.reject_implausible_legs()
        stored = ws.con.execute("SELECT start_utc, wait_s, talk_s FROM staged").fetchall()
    ran += 1
    low, high = EARLIEST.replace(tzinfo=None), latest().replace(tzinfo=None)
    for start, wait, talk in stored:
        assert low <= start <= high, (name, damaged)
        assert 0 <= (wait or 0) <= MAX_SECONDS and 0 <= (talk or 0) <= MAX_SECONDS, (
            name,
            damaged,
        )


def test_the_fuzzing_read_files() -> None:
    """(Says how many damaged files were read whole, of the FILES drawn.)"""
    print(f"{ran} of {FILES} damaged files read, none with a traceback or an absurd leg")


# How many damaged files `make test` re-imports fixed (`make fuzz`: 240), on each engine.
FIXES = int(os.environ.get("VAXELSTAT_FIX_FILES", "6"))


@pytest.mark.django_db
@pytest.mark.usefixtures("both_engines")
def test_a_fixed_file_after_its_damaged_version_makes_a_clean_import(tmp_path: Path) -> None:
    """A test vector's file damaged (as above) and imported, then the file as it is: the store
    holds what importing the vector clean gives, every leg whole. Counts what differs."""
    from test_corrections import stored

    from vaxelstat.ingest import vectors
    from vaxelstat.ingest.pipeline import import_file
    from vaxelstat.orgs.models import CollectionPoint, Organization

    every = vectors.all_vectors()
    wrong: list[str] = []
    for n in range(FIXES):
        choose = Seeded(n)
        vector = choose.pick(every)
        k = choose.int(0, len(vector.files) - 1)
        texts = [f.text.lstrip("\n") for f in vector.files]
        broken = damage(texts[k], choose)
        if broken == texts[k]:
            continue
        outcome = {}
        for run, order in (("clean", [*range(len(texts))]), ("fixed", [*range(len(texts)), -1])):
            org = Organization.objects.create(slug=f"{run}-{n}", name=run, timezone=vector.timezone)
            point = CollectionPoint.objects.create(
                organization=org,
                name="pbx",
                format=vector.files[0].format,
                settings=vector.settings,
            )
            for i in order:
                # The damaged file first, under the name the fixed one comes again with.
                text = texts[k if i == -1 else i] if run == "clean" or i != k else broken
                name = f"{k if i == -1 else i}-{vector.files[k if i == -1 else i].name}"
                path = tmp_path / run / str(n) / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(text.encode("utf-8", "surrogatepass"))
                try:
                    import_file(org, point, vector.files[k if i == -1 else i].format, path)
                except UnreadableFile:
                    pass  # the damaged file unread: nothing of it stored
            outcome[run] = stored(org)
        if outcome["fixed"] != outcome["clean"]:
            wrong.append(f"{vector.key} (file {k}): {broken!r}")
    print(f"{FIXES} damaged files re-imported fixed: {len(wrong)} not a clean import")
    assert not wrong, "\n".join(wrong)

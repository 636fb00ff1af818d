"""The parsers written in SQL give exactly the legs and rejections of the Python walks the
product had before (kept here as oracles, tests/oracles): queue_log's, and the Asterisk
CDR's."""

import csv
import zoneinfo
from datetime import UTC, datetime
from pathlib import Path

import pytest
from oracles import asterisk_cdr as cdr_oracle
from oracles import asterisk_queue_log as oracle
from samples import SAMPLES
from test_samples_counted import CASES

from vaxelstat.calls.legs import LEG_FIELDS
from vaxelstat.demo.asterisk_writer import write_master_csv, write_queue_log
from vaxelstat.demo.simulator import simulate
from vaxelstat.ingest import vectors
from vaxelstat.ingest.parsers import asterisk_cdr, asterisk_queue_log
from vaxelstat.ingest.parsers.base import ParseResult, SourceSettings
from vaxelstat.ingest.workspace import Workspace

SETTINGS = SourceSettings(timezone=zoneinfo.ZoneInfo("Europe/Stockholm"))
CDR_SAMPLES = [c for c in CASES if c[1] == "asterisk-cdr"]
T = 1700000000
EDGE_CASES = f"""\
{T}|a|400|NONE|ENTERQUEUE||0701112233|1|Anna
{T + 15}|a|400|Local/1001@from-queue/n|RINGNOANSWER|15000
{T + 30}|a|400|PJSIP/1001-0000abcd|RINGNOANSWER|15000
{T + 35}|a|400|Local/1002@from-queue/n|CONNECT|35|{T}.9|5
{T + 200}|a|400|Local/1002@from-queue/n|BLINDTRANSFER|1005|from-internal|35|165|1
{T + 201}|a|400|NONE|ABANDON|1|1|9
not a queue_log line

yesterday|b|400|NONE|ENTERQUEUE||0702|1
{T}|b|400|NONE|ENTERQUEUE||anonymous|1
{T + 3}|b|400|NONE|ABANDON|1|1
{T}|c|401|NONE|ENTERQUEUE||1003|1
{T + 12}|c|401|NONE|EXITWITHKEY|5|1|1|12
{T}|d|401|NONE|ENTERQUEUE||0704|1
{T + 1}|d|401|NONE|EXITEMPTY|1|1|1
{T + 2}|e|401|NONE|JOINEMPTY|
{T + 2}|f|401|NONE|CLOSED|
{T}|g|400|NONE|ENTERQUEUE||0705|1
{T + 300}|g|400|NONE|EXITWITHTIMEOUT|1
{T}|h|400|NONE|ENTERQUEUE||0706|1
{T + 9}|h|400|PJSIP/1003|RINGNOANSWER|nine
{T + 20}|h|400|PJSIP/1003|CONNECT|20||4
{T + 90}|h|400|PJSIP/1003|COMPLETEAGENT|20|70|1
{T}|i|400|NONE|ENTERQUEUE||0707|1
{T}|i|400|NONE|ENTERQUEUE||0707|1
{T + 5}|i|400|NONE|ABANDON|1|1|5
{T}|MANAGER|400|Local/1004@from-queue/n|ADDMEMBER|
{T + 50}|j|400|PJSIP/1001|COMPLETECALLER|1|2|3
{T}|k|400|NONE|ENTERQUEUE||0708|1
"""


def as_sets(result: ParseResult) -> tuple[set[tuple], set[tuple], set[tuple], int]:
    legs = set()
    for leg in result.legs:
        values = [getattr(leg, name) for name in LEG_FIELDS]
        values[LEG_FIELDS.index("start")] = leg.start.astimezone(UTC).replace(tzinfo=None)
        legs.add(tuple(values))
    rejects = {(r.line, str(r.reason)) for r in result.rejects}
    return legs, rejects, result.memberships, result.lines


def reference(path: Path) -> tuple[set[tuple], set[tuple], set[tuple], int]:
    return as_sets(oracle.parse(path, SETTINGS))


def fast(path: Path) -> tuple[set[tuple], set[tuple], set[tuple], int]:
    """The SQL's calls: the agents' time (a rule the oracle never had) is left out here; it
    has worked examples of its own (test_agents)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(asterisk_queue_log, "agent_time", lambda ws, carried: None)
        return as_sets(asterisk_queue_log.parse(path, SETTINGS))


@pytest.mark.django_db
def test_the_queue_log_fast_path_agrees_on_edge_cases(tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    path.write_text(EDGE_CASES)
    ref, got = reference(path), fast(path)
    assert got[1] == ref[1]  # rejections
    assert got[0] == ref[0]  # legs
    assert got[2:] == ref[2:]  # memberships, lines read
    assert len(ref[0]) > 10 and len(ref[1]) >= 5


@pytest.mark.slow
@pytest.mark.django_db
def test_the_queue_log_fast_path_agrees_on_simulated_traffic(tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    write_queue_log(simulate(seed=4, days=21).queue_log, path)
    ref, got = reference(path), fast(path)
    assert got == ref
    assert len(ref[0]) > 5000


def cdr_reference(path: Path, settings: SourceSettings) -> tuple[set[tuple], set[tuple], dict]:
    result = cdr_oracle.parse(path, settings)
    legs = set()
    for leg in result.legs:
        values = [getattr(leg, name) for name in LEG_FIELDS]
        values[LEG_FIELDS.index("start")] = leg.start.astimezone(UTC).replace(tzinfo=None)
        legs.add(tuple(values))
    assert result.rejects == []
    return legs, result.memberships, result.names


def cdr_fast(path: Path, settings: SourceSettings) -> tuple[set[tuple], set[tuple], dict]:
    with Workspace() as ws:
        asterisk_cdr.read_into(ws, path, settings)
        legs = set(ws.run("SELECT * FROM staged").fetchall())
        return legs, ws.memberships(), ws.names()


@pytest.mark.slow
@pytest.mark.django_db
def test_the_cdr_fast_path_agrees_on_simulated_traffic(tmp_path: Path) -> None:
    """Three weeks up to 2 November 2026 include the repeated hour of 25 October."""
    path = tmp_path / "Master.csv"
    result = simulate(seed=5, days=21, end=datetime(2026, 11, 2, 12, tzinfo=UTC))
    write_master_csv(result.cdr, path, "Europe/Stockholm")
    settings = SourceSettings(
        timezone=zoneinfo.ZoneInfo("Europe/Stockholm"), trunk_peers=frozenset({"trunk"})
    )
    ref, got = cdr_reference(path, settings), cdr_fast(path, settings)
    assert len(ref[0]) > 10_000
    assert got[0] - ref[0] == set() and ref[0] - got[0] == set()
    assert got[1:] == ref[1:]


@pytest.mark.django_db
def test_the_cdr_fast_path_agrees_on_the_worked_examples(tmp_path: Path) -> None:
    """Every worked example of test_asterisk_cdr in one file, each call kept apart."""
    import test_asterisk_cdr as examples

    rows = []
    for index, name in enumerate(sorted(dir(examples))):
        if not name.startswith("test_") or name == "test_layouts_by_column_count_and_bad_rows":
            continue
        folder = tmp_path / name
        folder.mkdir()
        getattr(examples, name)(folder)
        if not (folder / "Master.csv").exists():
            continue  # an example of another layout (a DB export)
        for fields in csv.reader((folder / "Master.csv").read_text().splitlines()):
            fields[16], fields[19] = f"{index}-{fields[16]}", f"{index}-{fields[19]}"
            rows.append(fields)
    path = tmp_path / "Master.csv"
    with open(path, "w", newline="") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL).writerows(rows)
    ref = cdr_reference(path, examples.SETTINGS)
    got = cdr_fast(path, examples.SETTINGS)
    assert len(ref[0]) > 25
    assert got[0] - ref[0] == set() and ref[0] - got[0] == set()
    assert got[1:] == ref[1:]


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in CDR_SAMPLES], ids=[c[0] for c in CDR_SAMPLES])
def test_the_cdr_sql_agrees_with_the_oracle_on_every_real_sample(case: tuple) -> None:  # type: ignore[type-arg]
    """Every layout (18, 19, 21 columns, a DB export with a header) and every shape the real
    samples hold: the same legs, rejections, names and memberships, row for row."""
    if not SAMPLES.is_dir():
        pytest.skip(f"{SAMPLES} is absent: the real samples live beside the repository")
    name, _fmt, files, point_settings, timezone, *_ = case
    settings = SourceSettings.from_dict(point_settings, timezone)
    path = SAMPLES / files[0]
    ref, got = cdr_oracle.parse(path, settings), asterisk_cdr.parse(path, settings)
    assert as_sets(got)[0] == as_sets(ref)[0]
    assert [(r.line, r.reason) for r in got.rejects] == [(r.line, r.reason) for r in ref.rejects]
    assert (got.lines, got.names, got.memberships) == (ref.lines, ref.names, ref.memberships)


CDR_VECTORS = [
    v
    for v in vectors.all_vectors()
    if {f.format for f in v.files} == {"asterisk-cdr"} and len(v.files) == 1
]


@pytest.mark.django_db
@pytest.mark.parametrize("vector", CDR_VECTORS, ids=[v.key for v in CDR_VECTORS])
def test_the_cdr_sql_agrees_with_the_oracle_on_every_vector(
    vector: vectors.Vector, tmp_path: Path
) -> None:
    """Every rule a vector shows, walked by the SQL and by the oracle alike."""
    path = tmp_path / "Master.csv"
    path.write_text(vector.files[0].text.lstrip("\n"), encoding="utf-8")
    settings = SourceSettings.from_dict(vector.settings, vector.timezone)
    ref = cdr_reference(path, settings)
    got = cdr_fast(path, settings)
    assert got[0] - ref[0] == set() and ref[0] - got[0] == set()
    assert got[1:] == ref[1:]

"""Corrections: a file that covers calls already stored (its fixed version, a growing copy,
the whole file after a part) replaces those calls' legs with its reading, call by call. After
a damaged file and then the file as it should be, the store holds what a clean import of the
right file gives: no leg of the damaged reading is left, none of the right one is missing."""

import csv
import io
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from samples import SAMPLES, needs_samples
from test_samples_counted import CASES

from vaxelstat.calls.legs import IN_PROGRESS, STORE_COLUMN_NAMES
from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.demo import switchboard as sb
from vaxelstat.ingest.pipeline import ImportSummary, import_file
from vaxelstat.orgs.models import CollectionPoint, MeasuredObject, Organization

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_engines")]

END = datetime(2026, 11, 20, 18, tzinfo=UTC)


def kept_columns() -> list[str]:
    """The columns of a leg compared: all but where it was stored from."""
    return [
        c for c in STORE_COLUMN_NAMES if c not in ("org_id", "collection_point_id", "import_id")
    ]


def stored(org: Organization) -> Counter[tuple]:  # type: ignore[type-arg]
    """Every leg of the org, whole (its object by identity, not by id; not the import)."""
    identity = {
        o.id: (o.kind, o.source_identity) for o in MeasuredObject.objects.filter(organization=org)
    }
    kept = kept_columns()
    return Counter(
        tuple(identity[leg[c]] if c == "object_id" else leg[c] for c in kept)
        for leg in get_store().legs(Scope.whole(org.id))
    )


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def text_of(records: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\n").writerows(records)
    return out.getvalue()


def _middle(records: list[list[str]], fits: Callable[[list[str]], bool], at: float) -> int:
    """The index of the first record that fits from `at` (a fraction of the file) on."""
    for i in range(int(len(records) * at), len(records)):
        if fits(records[i]):
            return i
    raise AssertionError("no record fits")


# Master.csv columns (21): 7 lastapp, 9 start, 13 billsec, 14 disposition, 16 uniqueid,
# 19 linkedid.
def answered_dial(r: list[str]) -> bool:
    return r[7] == "Dial" and r[14] == "ANSWERED" and int(r[13]) > 20


def cdr_left_out(records: list[list[str]], at: float) -> list[list[str]]:
    i = _middle(records, answered_dial, at)
    return records[:i] + records[i + 1 :]


def cdr_time_garbled(records: list[list[str]], at: float) -> list[list[str]]:
    i = _middle(records, answered_dial, at)
    return [
        *records[:i],
        [*records[i][:9], "2026-13-45 25:61:00", *records[i][10:]],
        *records[i + 1 :],
    ]


def cdr_no_answer(records: list[list[str]], at: float) -> list[list[str]]:
    i = _middle(records, answered_dial, at)
    damaged = [*records[i][:13], "0", "NO ANSWER", *records[i][15:]]
    return [*records[:i], damaged, *records[i + 1 :]]


def cdr_talk_changed(records: list[list[str]], at: float) -> list[list[str]]:
    i = _middle(records, answered_dial, at)
    damaged = [*records[i][:13], "7", *records[i][14:]]
    return [*records[:i], damaged, *records[i + 1 :]]


def cdr_call_id_changed(records: list[list[str]], at: float) -> list[list[str]]:
    """A Dial record of a call of several whose linkedid gained a digit: the record is a call
    of its own (its leg ids are the right file's)."""
    i = next(
        i
        for i in range(int(len(records) * at), len(records))
        if answered_dial(records[i]) and records[i - 1][19] == records[i][19]
    )
    damaged = [*records[i][:19], records[i][19] + "0", *records[i][20:]]
    return [*records[:i], damaged, *records[i + 1 :]]


def first_part(records: list[list[str]], at: float) -> list[list[str]]:
    return records[: int(len(records) * at)]


# Each damage at its own place in one file (a fraction of the way in).
CDR_DAMAGES = [
    cdr_call_id_changed,
    cdr_left_out,
    cdr_time_garbled,
    cdr_no_answer,
    cdr_talk_changed,
]


# queue_log: time|callid|queue|agent|event|data1|data2|data3
def lines_of(text: str) -> list[list[str]]:
    return [line.split("|") for line in text.splitlines()]


def joined(lines: list[list[str]]) -> str:
    return "".join("|".join(fields) + "\n" for fields in lines)


def connect(fields: list[str]) -> bool:
    return fields[4] == "CONNECT"


def ql_connect_left_out(lines: list[list[str]], at: float) -> list[list[str]]:
    i = _middle(lines, connect, at)
    return lines[:i] + lines[i + 1 :]


def ql_wait_changed(lines: list[list[str]], at: float) -> list[list[str]]:
    i = _middle(lines, connect, at)
    return [*lines[:i], [*lines[i][:5], str(int(lines[i][5]) + 40), *lines[i][6:]], *lines[i + 1 :]]


def ql_agent_changed(lines: list[list[str]], at: float) -> list[list[str]]:
    i = _middle(lines, connect, at)
    return [*lines[:i], [*lines[i][:3], "PJSIP/9999", *lines[i][4:]], *lines[i + 1 :]]


QL_DAMAGES = [ql_connect_left_out, ql_wait_changed, ql_agent_changed]


def _import(
    org: Organization, fmt: str, path: Path, text: str, settings: dict | None = None
) -> ImportSummary:
    point, _ = CollectionPoint.objects.get_or_create(
        organization=org,
        name="pbx",
        defaults={"format": fmt, "settings": settings or {"trunk_peers": [sb.TRUNK]}},
    )
    path.write_text(text, encoding="utf-8")
    return import_file(org, point, fmt, path)


def _corrected(
    tmp_path: Path,
    fmt: str,
    right: str,
    damaged: str,
    slug: str,
    settings: dict | None = None,
    timezone: str = "Europe/Stockholm",
) -> None:
    clean = Organization.objects.create(slug=f"clean-{slug}", name="Clean", timezone=timezone)
    _import(clean, fmt, tmp_path / "clean", right, settings)
    expected = stored(clean)
    org = Organization.objects.create(slug=slug, name="Fixed", timezone=timezone)
    _import(org, fmt, tmp_path / "log", damaged, settings)
    wrong = stored(org)
    assert wrong != expected, "the damage changed nothing: no test"
    summary = _import(org, fmt, tmp_path / "log", right, settings)
    assert stored(org) == expected
    # The calls the damaged reading had wrong were replaced, and said so (a call or an
    # agent's session stored in progress that has ended since is no correction).
    note = kept_columns().index("note")
    if any(leg[note] != IN_PROGRESS for leg in wrong - expected):
        assert summary.calls_replaced > 0
    # And the right file again changes nothing.
    again = _import(org, fmt, tmp_path / "log", right, settings)
    assert (again.imported, again.calls_replaced) == (0, 0)
    assert stored(org) == expected


def damaged(records: list[list[str]], damages: list[Callable]) -> list[list[str]]:  # type: ignore[type-arg]
    """Every damage of the list, each at its own place in the file."""
    for n, damage in enumerate(damages):
        records = damage(records, (n + 1) / (len(damages) + 1))
    return records


@pytest.mark.parametrize("shape", ["records damaged", "the first part"])
def test_a_fixed_master_csv_makes_the_store_a_clean_import_of_it(
    simulated_logs, tmp_path: Path, shape: str
) -> None:  # type: ignore[no-untyped-def]
    master, _ = simulated_logs(5, 1, END)
    right = master.read_text(encoding="utf-8")
    damages = CDR_DAMAGES if shape == "records damaged" else [first_part]
    broken = text_of(damaged(rows(right), damages))
    assert broken != right
    _corrected(tmp_path, "asterisk-cdr", right, broken, shape.replace(" ", "-"))


@pytest.mark.parametrize("shape", ["lines damaged", "the first part"])
def test_a_fixed_queue_log_makes_the_store_a_clean_import_of_it(
    simulated_logs, tmp_path: Path, shape: str
) -> None:  # type: ignore[no-untyped-def]
    _, queue_log = simulated_logs(5, 1, END)
    right = queue_log.read_text(encoding="utf-8")
    damages = QL_DAMAGES if shape == "lines damaged" else [first_part]
    broken = joined(damaged(lines_of(right), damages))
    assert broken != right
    _corrected(tmp_path, "asterisk-queue-log", right, broken, shape.replace(" ", "-"))


@needs_samples
def test_a_fixed_real_pbxware_cdr_makes_the_store_a_clean_import_of_it(tmp_path: Path) -> None:
    """The real PBXware CDR export (a DB table's, with a header): an answered Dial's record
    read as not answered, another left out, then the file as it was."""
    case = next(c for c in CASES if c[0] == "PBXware cdr")
    _, fmt, (name,), settings, timezone, *_ = case
    right = (SAMPLES / name).read_text(encoding="utf-8")
    lines = right.splitlines(keepends=True)
    dials = [i for i, line in enumerate(lines) if ",Dial," in line and ",ANSWERED," in line]
    first, second = dials[len(dials) // 3], dials[len(dials) * 2 // 3]
    lines[first] = lines[first].replace(",ANSWERED,", ",NO ANSWER,")
    del lines[second]
    _corrected(tmp_path, fmt, right, "".join(lines), "pbxware", settings, timezone)


def _damaged_lines(text: str, change: Callable[[str], str], header: bool) -> str:
    """A line a third of the way in changed, another two thirds in left out."""
    lines = text.splitlines(keepends=True)
    body = range(1 if header else 0, len(lines))
    first, second = body[len(body) // 3], body[len(body) * 2 // 3]
    lines[first] = change(lines[first])
    del lines[second]
    return "".join(lines)


def test_a_fixed_broadworks_file_makes_the_store_a_clean_import_of_it(tmp_path: Path) -> None:
    """Read leg by leg (a call's records may be in several files): the file of the same name
    again, fixed, replaces the legs its broken version gave (a record's release a minute
    early; a record left out). BroadWorks names each record (recordId)."""
    from vaxelstat.ingest import vectors

    vector = next(v for v in vectors.all_vectors() if v.key == "broadworks/hunt-group-answered")
    right = vector.files[0].text.lstrip("\n")

    def change(line: str) -> str:
        fields = line.split(",")
        fields[13] = fields[13].replace("093209.", "093109.")
        return ",".join(fields)

    broken = _damaged_lines(right, change, header=False)
    assert broken != right
    _corrected(tmp_path, "broadworks", right, broken, "bw", vector.settings, vector.timezone)


@needs_samples
def test_a_fixed_freeswitch_csv_makes_the_store_a_clean_import_of_it(tmp_path: Path) -> None:
    """The real FreeSWITCH CSV sample: a channel's billsec changed, another left out, then
    the file as it was, under its name."""
    case = next(c for c in CASES if c[0] == "FreeSWITCH CSV, a spreadsheet's copy")
    _, fmt, (sample,), settings, timezone, *_ = case
    right = (SAMPLES / sample).read_text(encoding="utf-8")

    def change(line: str) -> str:
        fields = line.split(",")
        fields[8] = str(int(fields[8]) + 30)
        return ",".join(fields)

    broken = _damaged_lines(right, change, header=False)
    assert broken != right
    _corrected(tmp_path, fmt, right, broken, fmt, settings, timezone)


@needs_samples
def test_a_fixed_broadworks_derivative_removes_the_legs_of_its_damaged_records(
    tmp_path: Path,
) -> None:
    """The Evolve IP derivative names a record by its line's digest: a damaged line's leg has
    another id than the mended one's. The file of the same name again, fixed, giving again
    most of what its earlier version stored, is that file: the legs only the damaged lines
    gave are gone."""
    case = next(c for c in CASES if c[0] == "BroadWorks, the Evolve IP derivative")
    _, fmt, (sample,), settings, timezone, *_ = case
    right = (SAMPLES / sample).read_text(encoding="utf-8")

    def change(line: str) -> str:
        fields = line.split(",")
        fields[11] = fields[11][:-5] + ("59:00" if fields[11][-5:] != "59:00" else "58:00")
        return ",".join(fields)

    broken = _damaged_lines(right, change, header=True)
    assert broken != right
    _corrected(tmp_path, fmt, right, broken, "derivative", settings, timezone)


@pytest.mark.parametrize(
    ("key", "right_id", "damaged_id"),
    [
        # A channel's uuid with a digit group written wrong (a minus sign in it).
        ("freeswitch/csv-user-busy", "-8cd2-e", "-8cd2--e"),
        # A record's recordId with its time zone offset written wrong.
        ("broadworks/outgoing-external-unanswered", ".5051+010000,", ".5051+-10000,"),
    ],
)
def test_a_fixed_file_of_one_record_replaces_the_leg_of_its_damaged_id(
    tmp_path: Path, key: str, right_id: str, damaged_id: str
) -> None:
    """A file of a single record whose id the damage changed: the fixed file gives again
    none of the ids its damaged version stored, but the same record (its object, starting the
    same second): that file's version, whose leg of the damaged id is gone."""
    from vaxelstat.ingest import vectors

    vector = next(v for v in vectors.all_vectors() if v.key == key)
    (file,) = vector.files
    right = file.text.lstrip("\n")
    assert right.count(right_id) == 1
    broken = right.replace(right_id, damaged_id)
    _corrected(tmp_path, file.format, right, broken, "one-record", vector.settings)


def test_a_rotated_freeswitch_csv_of_the_same_name_loses_no_leg(tmp_path: Path) -> None:
    """Files of one name are not one file: the next Master.csv after a rotation (a call that
    began before the last one's ended among them) adds its legs, and takes none away."""
    from vaxelstat.ingest import vectors

    vector = next(
        v for v in vectors.all_vectors() if v.key == "freeswitch/csv-answered-a-and-b-leg"
    )
    call = vector.files[0].text.lstrip("\n")

    def moved(minute: str, uuids: str) -> str:
        """The vector's call at 10:<minute>, its channels named anew."""
        return (
            call.replace("10:0", f"10:{minute}")
            .replace("c99c8415", f"{uuids}9c8415")
            .replace("94c7cdb9", f"{uuids}4c7cdb9")
        )

    # The first file: calls at 10:00 and 10:40; the next (rotated at 10:50): a call that
    # began at 10:30 and ended after the rotation, and one at 10:55.
    first = moved("0", "a") + moved("4", "b")
    second = moved("3", "c") + moved("5", "d")
    org = Organization.objects.create(slug="rotated", name="Rotated")
    _import(org, "freeswitch-csv", tmp_path / "Master.csv", first, vector.settings)
    after_first = stored(org)
    _import(org, "freeswitch-csv", tmp_path / "Master.csv", second, vector.settings)
    both = stored(org)
    assert after_first and len(both) == 2 * len(after_first)
    assert all(both[leg] for leg in after_first)


def test_a_re_sent_part_of_a_queue_log_after_the_whole_file_changes_nothing(
    simulated_logs, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The first part of a queue_log sent again after the whole, cut while a call was
    connected: that call, in progress in the part, does not replace the call ended. (The
    CDR's like case: test_cdr_operations, a call cut by rotation.)"""
    _, queue_log = simulated_logs(5, 2, END)
    right = queue_log.read_text(encoding="utf-8")
    lines = lines_of(right)
    part = joined(lines[: _middle(lines, connect, 0.5) + 1])
    org = Organization.objects.create(slug="resent", name="Re-sent")
    _import(org, "asterisk-queue-log", tmp_path / "log", right)
    whole = stored(org)
    summary = _import(org, "asterisk-queue-log", tmp_path / "log", part)
    assert (summary.imported, summary.calls_replaced) == (0, 0)
    assert summary.duplicates > 100
    assert stored(org) == whole


def test_a_record_held_for_its_damaged_uniqueid_gives_way_to_its_fixed_version(
    tmp_path: Path,
) -> None:
    """A record whose uniqueid was damaged looks like a channel of a call whose first record
    is still to come: it is held, and carried before the next Master.csv. That next file is
    the fixed one, with the record again: only the file's version is read, and the held one
    is taken up."""
    from test_cdr_operations import OTHER, ROWS

    from vaxelstat.ingest.models import RejectedRecord

    right = "".join(f"{line}\n" for line in [*ROWS, OTHER])
    broken = right.replace(
        '"1781179080.150","","","1781179080.150"', '"17811790800.150","","","1781179080.150"'
    )
    assert broken != right
    clean = Organization.objects.create(slug="clean", name="Clean")
    _import(clean, "asterisk-cdr", tmp_path / "clean.csv", right)
    org = Organization.objects.create(slug="fixed", name="Fixed")
    first = _import(org, "asterisk-cdr", tmp_path / "Master.csv", broken)
    assert [r.reason for r in first.rejects] == ["incomplete_call"]
    second = _import(org, "asterisk-cdr", tmp_path / "Master.csv", right)
    assert second.lines_read == len(ROWS) + 1 and second.rejects == []
    assert stored(org) == stored(clean)
    assert not RejectedRecord.objects.filter(
        collection_point__organization=org, resolved=False
    ).exists()


def test_a_db_export_whose_header_was_cut_is_not_read_and_its_fixed_version_is(
    tmp_path: Path,
) -> None:
    """A header that names fewer columns than its records have cannot say what their fields
    are: the file is not read at all (one error naming it), and the file with its header
    whole is then imported as clean."""
    from vaxelstat.ingest import vectors
    from vaxelstat.ingest.pipeline import UnreadableFile

    vector = next(
        v for v in vectors.all_vectors() if v.key == "asterisk-cdr/click-to-call-user-not-answering"
    )
    right = vector.files[0].text.lstrip("\n")
    header, rest = right.split("\n", 1)
    broken = header[: header.index(",userfield")] + ",userfie\n" + rest
    settings = vector.settings
    clean = Organization.objects.create(slug="clean", name="Clean", timezone=vector.timezone)
    _import(clean, "asterisk-cdr", tmp_path / "clean.csv", right, settings)
    org = Organization.objects.create(slug="fixed", name="Fixed", timezone=vector.timezone)
    with pytest.raises(UnreadableFile, match="line 2 has"):
        _import(org, "asterisk-cdr", tmp_path / "cdr.csv", broken, settings)
    assert stored(org) == Counter()
    _import(org, "asterisk-cdr", tmp_path / "cdr.csv", right, settings)
    assert stored(org) == stored(clean) != Counter()

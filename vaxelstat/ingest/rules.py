"""The rules that cross files: what a file's staged legs become against what the collection
point already holds. They run in the import's workspace (DuckDB in memory), the same whatever
engine holds the call store; the store only answers two reads and applies the outcome.

- A leg id twice in the file keeps its earliest leg.
- Corrections, call by call: a call the store holds, read again the same, adds nothing (its
  legs are duplicates); read otherwise (a fixed file, a growing copy, the whole file after a
  part), the reading replaces the stored call's legs of its source whole. A reading in which
  the call is still in progress (IN_PROGRESS) does not replace the call ended.
- Pickups: where the queue_log credits member X with a call (CONNECT) that another phone
  picked up from X's ringing (the CDR's Pickup), the group's answering member is the picker
  and X's leg is unanswered (FORMATS.md §2.4). Whichever file comes first, the outcome is the
  same: stored legs this changes are replaced.
- The local start in the organization's time zone, and the measured object's id.
"""

import logging
import time
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyarrow as pa

from vaxelstat.calls.legs import IN_PROGRESS, SAME_LEG_WITHIN, STORE_COLUMN_NAMES, STORE_COLUMNS
from vaxelstat.calls.store import CallStore
from vaxelstat.ingest.workspace import Workspace, log_step

log = logging.getLogger(__name__)

PICKUP_OF = "pickup of "
# The settled legs leave the workspace this many at a time (some 35 MB).
BATCH_ROWS = 100_000


@dataclass
class Settled:
    # The legs to store (STORE_COLUMNS, in start order), read once, a batch at a time (a file's
    # legs are never all in Python's memory), and the ids of stored legs they replace.
    rows: pa.RecordBatchReader
    replaces: list[str]
    inserted: int
    duplicates: int
    # Calls the store held whose legs this file's reading replaced (a correction).
    calls_replaced: int
    # The window of starts that both reads and the replacement look in.
    earliest: datetime
    latest: datetime


def forget_held_of_stored_calls(
    ws: Workspace, store: CallStore, org_id: int, point_id: int
) -> None:
    """A record held back with its call (not yet ended in its file) is not held where the
    collection point already holds that call's legs as ended: an earlier file read again
    after the call was counted, or the files read out of order. Holding it would walk it
    alone later, and count the call twice. A call the point holds in progress is still
    open: this file's lines of it are held with the earlier ones (a queue call or an agent's
    session across three files keeps its middle file's lines: its pauses, its CONNECT)."""
    (held, earliest, latest) = ws.one(
        "SELECT count(*), min(start_utc), max(start_utc) FROM ws_held"
    )
    if not held:
        return
    # A call held since long ago (an agent logged in since Friday) is stored up to the
    # earlier file's end, where its in-progress note is: the window reaches to this file's
    # last leg.
    (last_leg,) = ws.one("SELECT max(start_utc) FROM staged")
    if last_leg is not None and last_leg > latest:
        latest = last_leg
    # The held starts are local times: a day either side covers every offset.
    ws.con.register(
        "stored_held",
        store.stored_keys(
            org_id, point_id, earliest - timedelta(days=1), latest + timedelta(days=1)
        ),
    )
    ws.run(
        "DELETE FROM ws_rejects WHERE line IN (SELECT line FROM ws_held "
        "WHERE call_id IN (SELECT call_id FROM stored_held GROUP BY call_id "
        "HAVING count(*) FILTER (WHERE note = $in_progress) = 0))",
        {"in_progress": IN_PROGRESS},
    )
    ws.con.unregister("stored_held")


def settle(
    ws: Workspace,
    store: CallStore,
    org_id: int,
    point_id: int,
    import_id: int,
    timezone: str,
    object_ids: dict[tuple[str, str], int],
    same_file: Sequence[int] = (),
) -> Settled | None:
    """Decide what the staged legs add to the store; None if the file gave no legs.
    `same_file`: the point's earlier imports of a file of this one's name (this file may be
    their fixed version: _corrections)."""
    run = ws.run
    (total, earliest, latest) = ws.one(
        "SELECT count(*), min(start_utc), max(start_utc) FROM staged"
    )
    if not total:
        return None
    earliest, latest = earliest - SAME_LEG_WITHIN, latest + SAME_LEG_WITHIN
    # One leg per id: the earliest (the window only where an id repeats: it costs a sort).
    (repeated,) = ws.one("SELECT count(*) - count(DISTINCT leg_id) FROM staged")
    batch = "staged"
    if repeated:
        batch = "batch"
        run(
            "CREATE OR REPLACE TEMP TABLE batch AS SELECT * FROM staged "
            "QUALIFY row_number() OVER (PARTITION BY leg_id ORDER BY start_utc, call_id) = 1"
        )
    ws.con.register(
        "stored_keys",
        store.stored_keys(org_id, point_id, earliest, latest),
    )
    if batch != "fresh":
        run(f"ALTER TABLE {batch} RENAME TO fresh")
    run("CREATE OR REPLACE TEMP TABLE ids (kind VARCHAR, identity VARCHAR, object_id BIGINT)")
    ws.insert("ids", [(k, i, o) for (k, i), o in object_ids.items()])
    changed = _pickups(ws, store, org_id, point_id, earliest, latest)
    replaces, calls_replaced = _corrections(
        ws, store, org_id, point_id, earliest, latest, same_file
    )
    ws.con.unregister("stored_keys")
    (inserted,) = ws.one("SELECT count(*) FROM fresh")
    _local_offsets(ws, timezone)
    rest = ", ".join(f"f.{name}" for name in STORE_COLUMN_NAMES[9:])
    started = time.perf_counter()
    rows = ws.con.sql(
        f"SELECT $org_id::INTEGER AS org_id, m.object_id, f.object_kind, "  # noqa: S608
        f"$point_id::BIGINT AS collection_point_id, $import_id::BIGINT AS import_id, "
        f"f.leg_id, f.call_id, f.start_utc, "
        f"CASE WHEN o.off IS NULL THEN timezone($tz, f.start_utc::TIMESTAMPTZ) "
        f"ELSE f.start_utc + to_seconds(o.off) END AS start_local, {rest} "
        f"FROM fresh f "
        f"JOIN ids m ON m.kind = f.object_kind AND m.identity = f.object_identity "
        f"LEFT JOIN offsets o ON o.h = date_trunc('hour', f.start_utc) "
        f"UNION ALL SELECT {', '.join(STORE_COLUMN_NAMES)} FROM changed "
        f"ORDER BY start_utc",
        params={"org_id": org_id, "point_id": point_id, "import_id": import_id, "tz": timezone},
    ).to_arrow_reader(BATCH_ROWS)
    log_step(log, started, "the legs in start order")
    return Settled(
        rows=rows,
        replaces=sorted(set(replaces) | set(changed)),
        inserted=int(inserted),
        calls_replaced=calls_replaced,
        duplicates=int(total) - int(inserted),
        earliest=earliest,
        latest=latest,
    )


# A leg's source: the prefix of its id ('cdr', 'ql', 'bw', 'fs', …). A file replaces legs of
# its own source only: another source's legs of a call (the queue_log's, of a CDR's call) are
# that source's reading.
SOURCE = "split_part(leg_id, ':', 1)"
# What a reading replaces. The Asterisk readers read a call whole from one file (the CDR holds
# a call's records until its first channel's record is written; the queue_log carries an open
# call's lines into the next file): a call read again otherwise replaces all its stored legs of
# the source. A FreeSWITCH channel or a BroadWorks record may be in another file than the rest
# of its call, and one channel's file may read a leg as less than its call's other file did
# (the B-leg's file does not know the A-leg sent the call to voicemail): for those sources a
# leg read again replaces the stored leg of its id where that one was in progress, or where a
# file of this one's name gave it (this is that file's fixed version: a rotated file of the
# same name holds other records, not this one's); else the first reading of an ended leg
# stays. A leg only the broken version gave (its record's id damaged) is gone where the
# earlier file of the name was this one's version (_gone): names repeat (a spool's, a push's,
# a rotated Master.csv's), so the name alone proves nothing.
WHOLE_CALLS = ("cdr", "ql")
UNIT = f"CASE WHEN {SOURCE} IN {WHOLE_CALLS} THEN call_id ELSE leg_id END"
# What a stored leg and a leg read again must agree in to be the same leg.
SAME = f"hash(leg_id, call_id, object_id, start_utc, {', '.join(STORE_COLUMN_NAMES[9:])})"


def _corrections(
    ws: Workspace,
    store: CallStore,
    org_id: int,
    point_id: int,
    earliest: datetime,
    latest: datetime,
    same_file: Sequence[int],
) -> tuple[list[str], int]:
    """Settle the fresh legs against the calls the store holds, call by call (leg by leg for
    the sources not read in whole calls: WHOLE_CALLS): a call read again as it is stored adds
    nothing; a call read otherwise (the fixed version of a file, a growing copy, the whole
    file after a part) replaces the stored call's legs of the same source, except that a
    reading with the call still in progress does not replace the call ended (nor, for the
    other sources, any reading an ended leg but a file's fixed version). A stored call is the
    file's where its id is, or where one of its leg ids is (a call whose id a fixed record
    mends). Leaves in `fresh` the legs to store; returns the ids of the stored legs
    they replace and how many stored calls were corrected (not those stored in progress that
    have ended since)."""
    run = ws.run
    # Which stored unit (a call, or a leg: UNIT) of the same source each unit read holds: by
    # its id, or by a leg id they share (a call whose id a fixed record mends).
    run(
        f"CREATE OR REPLACE TEMP TABLE links AS "  # noqa: S608
        f"WITH f AS (SELECT leg_id, {UNIT} AS unit, {SOURCE} AS src FROM fresh), "
        f"k AS (SELECT leg_id, call_id, {UNIT} AS unit, {SOURCE} AS src FROM stored_keys) "
        f"SELECT DISTINCT f.unit, f.src, k.unit AS stored_unit, k.call_id AS stored_call "
        f"FROM f JOIN k ON k.unit = f.unit AND k.src = f.src "
        f"UNION SELECT f.unit, f.src, k.unit, k.call_id FROM f JOIN k ON k.leg_id = f.leg_id"
    )
    gone = _gone(ws, same_file)
    stored_calls = [c for (c,) in run("SELECT DISTINCT stored_call FROM links").fetchall()]
    if not stored_calls:
        return [leg_id for leg_id, _ in gone], len({call for _, call in gone})
    ws.con.register(
        "stored_calls",
        store.stored_legs_of_calls(org_id, point_id, earliest, latest, stored_calls),
    )
    try:
        run(
            f"CREATE OR REPLACE TEMP TABLE prior AS "  # noqa: S608
            f"SELECT *, {UNIT} AS unit, {SOURCE} AS src FROM stored_calls"
        )
    finally:
        ws.con.unregister("stored_calls")
    # Each unit read against the stored units it holds: the same legs (count and content), or
    # not; and whether either is of a call still in progress.
    run(
        f"""CREATE OR REPLACE TEMP TABLE outcomes AS
        WITH read AS (
          SELECT {UNIT} AS unit, {SOURCE} AS src, count(*) AS n, sum({SAME}) AS digest,
            bool_or(f.note = $progress) AS open
          FROM fresh f JOIN ids m ON m.kind = f.object_kind AND m.identity = f.object_identity
          WHERE ({UNIT}, {SOURCE}) IN (SELECT (unit, src) FROM links)
          GROUP BY ALL),
        held AS (
          SELECT l.read_unit AS unit, l.read_src AS src, count(*) AS n,
            sum({SAME}) AS digest, bool_or(p.note = $progress) AS open,
            bool_and(list_contains($same_file::BIGINT[], p.import_id)) AS same_file
          FROM (SELECT DISTINCT unit AS read_unit, src AS read_src, stored_unit FROM links) l
          JOIN prior p ON p.unit = l.stored_unit AND p.src = l.read_src
          GROUP BY ALL)
        SELECT r.unit, r.src, h.open AS was_open,
          CASE WHEN r.n = h.n AND r.digest = h.digest THEN 'same'
               WHEN r.open AND NOT h.open THEN 'ended'
               WHEN r.src NOT IN {WHOLE_CALLS} AND NOT h.open AND NOT h.same_file
                 THEN 'kept'
               ELSE 'replaced' END AS outcome
        FROM read r JOIN held h USING (unit, src)""",  # noqa: S608
        {"progress": IN_PROGRESS, "same_file": list(same_file)},
    )
    replaces = [
        leg_id
        for (leg_id,) in run(
            "SELECT DISTINCT p.leg_id FROM outcomes o "
            "JOIN links l USING (unit, src) "
            "JOIN prior p ON p.unit = l.stored_unit AND p.src = l.src "
            "WHERE o.outcome = 'replaced'"
        ).fetchall()
    ]
    # (A call stored in progress that has ended since is no correction: not counted.)
    corrected = {
        call
        for (call,) in run(
            "SELECT DISTINCT l.src || ':' || l.stored_call FROM outcomes o "
            "JOIN links l USING (unit, src) WHERE o.outcome = 'replaced' AND NOT o.was_open"
        ).fetchall()
    }
    replaces += [leg_id for leg_id, _ in gone]
    calls_replaced = len(corrected | {f"{leg.split(':', 1)[0]}:{call}" for leg, call in gone})
    # A unit stored as it is read, or stored ended and read in progress (or read again from
    # a source not read in whole calls), stays as stored.
    run(
        f"DELETE FROM fresh WHERE ({SOURCE}, {UNIT}) IN ("  # noqa: S608
        f"SELECT (src, unit) FROM outcomes WHERE outcome <> 'replaced')"
    )
    # A replaced unit's legs are the file's reading, pickups and all: no stored leg of it is
    # changed besides.
    run(
        f"DELETE FROM changed WHERE ({SOURCE}, {UNIT}) IN ("  # noqa: S608
        f"SELECT (src, unit) FROM outcomes WHERE outcome = 'replaced')"
    )
    return replaces, calls_replaced


# A leg's end, near enough: its start, wait and talk.
LEG_END = "start_utc + to_seconds(coalesce(wait_s, 0) + coalesce(talk_s, 0))"


def _gone(ws: Workspace, same_file: Sequence[int]) -> list[tuple[str, str]]:
    """(leg id, call id) of the stored legs of a source read leg by leg that this file's
    earlier version gave and this reading no longer does (a record whose id the damage
    changed). A leg is given again by this reading where it gives its id, or a leg of the
    same object starting the same second (its record, read with another id). An earlier
    import of a file of this name is its earlier version only where this reading gives again
    at least half the legs it stored (a rotated file of the same name gives none of them);
    and of its legs not given again, only those that ended within the span this reading's
    legs end in, or whose record this reading gives with another id, are the file's (a part
    sent again says nothing of the calls that ended after it)."""
    if not same_file:
        return []
    return [
        (leg_id, call_id)
        for leg_id, call_id in ws.run(
            f"""WITH earlier AS (
              SELECT leg_id, call_id, import_id, object_id, start_utc, {SOURCE} AS src,
                {LEG_END} AS ended
              FROM stored_keys
              WHERE list_contains($same_file::BIGINT[], import_id)
                AND {SOURCE} NOT IN {WHOLE_CALLS}),
            reading AS (
              SELECT f.leg_id, m.object_id, f.start_utc, {SOURCE} AS src, {LEG_END} AS ended
              FROM fresh f JOIN ids m ON m.kind = f.object_kind AND m.identity = f.object_identity),
            again AS (
              SELECT e.*, e.leg_id IN (SELECT leg_id FROM reading) AS same_id,
                (e.src, e.object_id, e.start_utc) IN (
                  SELECT (src, object_id, start_utc) FROM reading) AS same_record
              FROM earlier e),
            versions AS (
              SELECT import_id FROM again GROUP BY import_id
              HAVING 2 * count(*) FILTER (same_id OR same_record) >= count(*)),
            spans AS (
              SELECT src, min(ended) AS first, max(ended) AS last FROM reading GROUP BY ALL)
            SELECT a.leg_id, a.call_id FROM again a JOIN spans s USING (src)
            WHERE a.import_id IN (SELECT import_id FROM versions) AND NOT a.same_id
              AND (a.same_record OR a.ended BETWEEN s.first AND s.last)""",  # noqa: S608
            {"same_file": list(same_file)},
        ).fetchall()
    ]


def _pickups(
    ws: Workspace,
    store: CallStore,
    org_id: int,
    point_id: int,
    earliest: datetime,
    latest: datetime,
) -> list[str]:
    """Apply the pickup rule to the fresh legs and to the stored legs of the same calls.
    Leaves the changed stored legs in the table `changed`; returns their ids."""
    run = ws.run
    # Calls with a pickup and a queue_log leg, of which this file brings a leg: first the
    # few with a pickup (a scan, not a grouping of every leg), then those with a queue leg.
    run(
        "CREATE OR REPLACE TEMP TABLE pickup_calls AS "
        "SELECT DISTINCT call_id FROM fresh WHERE starts_with(note, $pickup) "
        "UNION SELECT call_id FROM stored_keys WHERE starts_with(note, $pickup) "
        "AND call_id IN (SELECT call_id FROM fresh)",
        {"pickup": PICKUP_OF},
    )
    calls = [
        c
        for (c,) in run(
            "SELECT call_id FROM pickup_calls p WHERE "
            "EXISTS (SELECT 1 FROM fresh f WHERE f.call_id = p.call_id "
            "        AND starts_with(f.leg_id, 'ql:')) "
            "OR EXISTS (SELECT 1 FROM stored_keys k WHERE k.call_id = p.call_id "
            "           AND starts_with(k.leg_id, 'ql:'))"
        ).fetchall()
    ]
    columns = ", ".join(f"{name} {kind}" for name, kind in STORE_COLUMNS)
    run(f"CREATE OR REPLACE TEMP TABLE changed ({columns})")
    if not calls:
        return []
    stored = store.stored_legs_of_calls(org_id, point_id, earliest, latest, calls)
    ws.con.register("stored_calls", stored)
    try:
        # Of a source this file reads in whole calls, its reading of the call is the call's:
        # the stored legs of it (a version the file corrects) name no pickup.
        run(
            f"INSERT INTO changed SELECT * FROM stored_calls "  # noqa: S608
            f"WHERE NOT ({SOURCE} IN {WHOLE_CALLS} "
            f"AND ({SOURCE}, call_id) IN (SELECT ({SOURCE}, call_id) FROM fresh))"
        )
    finally:
        ws.con.unregister("stored_calls")
    run(
        "CREATE OR REPLACE TEMP TABLE pickups AS "
        "SELECT DISTINCT call_id, member_number AS picker, substr(note, $n) AS target FROM ("
        "  SELECT call_id, member_number, note FROM fresh "
        "  UNION ALL SELECT call_id, member_number, note FROM changed) "
        "WHERE starts_with(note, $pickup)",
        {"pickup": PICKUP_OF, "n": len(PICKUP_OF) + 1},
    )
    run("ALTER TABLE changed ADD COLUMN touched BOOLEAN DEFAULT false")
    for table, touched in (("fresh", ""), ("changed", ", touched = true")):
        # The member queue_log credits did not answer: the picker did.
        run(
            f"UPDATE {table} SET type = 'in_no_answer', talk_s = 0, "  # noqa: S608
            f"note = 'picked up by ' || p.picker{touched} FROM pickups p "
            f"WHERE {table}.call_id = p.call_id AND {table}.object_kind = 'user' "
            f"AND starts_with({table}.leg_id, 'ql:') AND {table}.member_number = p.target "
            f"AND {table}.type = 'in_answered'"
        )
        run(
            f"UPDATE {table} SET member_number = p.picker{touched} FROM pickups p "  # noqa: S608
            f"WHERE {table}.call_id = p.call_id AND {table}.object_kind = 'acd' "
            f"AND starts_with({table}.leg_id, 'ql:') AND {table}.member_number = p.target "
            f"AND {table}.type = 'answered'"
        )
        # The picker took the group's call: its caller, and the group it came through.
        run(
            f"UPDATE {table} SET group_from = g.object_number, from_number = g.from_number, "  # noqa: S608
            f"from_name = g.from_name, internal = g.internal{touched} FROM pickups p, ("
            f"  SELECT call_id, object_number, from_number, from_name, internal FROM fresh "
            f"  WHERE object_kind = 'acd' AND starts_with(leg_id, 'ql:') UNION ALL "
            f"  SELECT call_id, string_split(leg_id, ':')[-2], from_number, from_name, internal "
            f"  FROM changed "
            f"  WHERE object_kind = 'acd' AND starts_with(leg_id, 'ql:')) g "
            f"WHERE {table}.call_id = p.call_id AND g.call_id = p.call_id "
            f"AND {table}.note = $pickup || p.target AND {table}.group_from = ''",
            {"pickup": PICKUP_OF},
        )
    run("DELETE FROM changed WHERE NOT touched")
    run("ALTER TABLE changed DROP COLUMN touched")
    return [r for (r,) in run("SELECT leg_id FROM changed").fetchall()]


def _local_offsets(ws: Workspace, timezone: str) -> None:
    """The organization's UTC offset in each UTC hour the fresh legs start in, where it holds
    for the whole hour (elsewhere the local time is computed leg by leg)."""
    tz = zoneinfo.ZoneInfo(timezone)
    hours = [
        h for (h,) in ws.run("SELECT DISTINCT date_trunc('hour', start_utc) FROM fresh").fetchall()
    ]
    offsets: list[int | None] = []
    for hour in hours:
        start = hour.replace(tzinfo=UTC)
        first = start.astimezone(tz).utcoffset()
        last = (start + timedelta(minutes=59, seconds=59)).astimezone(tz).utcoffset()
        offsets.append(int(first.total_seconds()) if first is not None and first == last else None)
    ws.run(
        "CREATE OR REPLACE TEMP TABLE offsets AS "
        "SELECT unnest($h::TIMESTAMP[]) AS h, unnest($off::INTEGER[]) AS off",
        {"h": hours, "off": offsets},
    )

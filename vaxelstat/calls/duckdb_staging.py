"""DuckDB's staging of one file's legs: the fast paths read the file with DuckDB's own CSV
reader, the reference parser's legs come as CSV, and the commit stores the new legs
clustered by start, with their local time, all or none."""

import os
import tempfile
import zoneinfo
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from django.conf import settings

from vaxelstat.calls import fast_cdr, fast_queue_log
from vaxelstat.calls.legs import (
    SAME_LEG_WITHIN,
    STAGE_COLUMNS,
    STORE_COLUMN_NAMES,
    Leg,
)
from vaxelstat.calls.store import DuckDBStore, LoadResult, Staging, legs_csv


class DuckDBStaging(Staging):
    def __init__(self, store: DuckDBStore) -> None:
        self.store = store
        self.cur = store._cursor()
        self.cur.execute("SET TimeZone = 'UTC'")
        columns = ", ".join(f"{name} {kind}" for name, kind in STAGE_COLUMNS)
        self.cur.execute(f"CREATE OR REPLACE TEMP TABLE staged ({columns})")
        # The format read by a fast path, if one was.
        self.fast_format: str | None = None
        self.complex_rows: Path | None = None

    def add_legs(self, legs: list[Leg]) -> None:
        with legs_csv(legs, header=True, quote_all=True) as path:
            types = ", ".join(f"'{name}': '{kind}'" for name, kind in STAGE_COLUMNS)
            # Column names and types are the constants of STAGE_COLUMNS; the path is bound.
            self.cur.execute(
                f"INSERT INTO staged SELECT * FROM read_csv(?, header = true, "  # noqa: S608
                f"columns = {{{types}}}, quote = '\"', escape = '\"', nullstr = '\\N', "
                f"timestampformat = '%Y-%m-%d %H:%M:%S')",
                [str(path)],
            )

    def add_fast(self, fmt: str, path: Path, source: Any) -> bool:
        if fmt == "asterisk-cdr" and fast_cdr.is_cdr_csv(path):
            return self._add_fast_cdr(path, source)
        if fmt != "asterisk-queue-log" or not fast_queue_log.is_native(path):
            return False
        try:
            fast_queue_log.stage(
                self.cur,
                path,
                source.extension_pattern.pattern,
                sorted(source.trunk_peers),
                sorted(source.extensions),
            )
        except duckdb.Error:
            # Not UTF-8, say: the reference parser reads what the fast path cannot.
            return False
        (self.lines,) = self.cur.execute("SELECT count(*) FROM ql_ev").fetchone()
        self.fast_format = "asterisk-queue-log"
        return True

    def _add_fast_cdr(self, path: Path, source: Any) -> bool:
        """Stage a clean 21-column Master.csv; the calls of shapes the fast path does not walk
        go through the reference parser. False (nothing staged) for a file with any record
        the reference would reject, or local hours with more than two offsets."""
        values: dict[str, Any] = {
            "path": str(path),
            "pattern": source.extension_pattern.pattern,
            "trunk_peers": sorted(source.trunk_peers),
            "extensions": sorted(source.extensions),
            "inbound_contexts": sorted(source.inbound_contexts),
            "ivr_contexts": sorted(source.ivr_contexts),
            "rule_contexts": sorted(source.rule_contexts),
        }
        cur = self.cur
        try:
            for sql in fast_cdr.read_statements():
                fast_cdr.run(cur, sql, values)
        except duckdb.Error:
            return False
        # A file with any record the reference would reject goes to it whole: the walk below
        # only ever sees good rows.
        (rejected,) = cur.execute(
            "SELECT (SELECT count(*) FROM cdr_reject_errors) "
            "+ (SELECT count(*) FROM cdr_parsed WHERE bad)"
        ).fetchone()
        if rejected:
            return False
        hours = [h for (h,) in cur.execute("SELECT h FROM cdr_hour_list").fetchall()]
        offsets = [local_offsets(h, source.timezone) for h in hours]
        if any(o is None for o in offsets):
            return False
        cur.execute(
            "CREATE OR REPLACE TEMP TABLE cdr_hours AS SELECT unnest($h) AS h, "
            "unnest($off0) AS off0, unnest($off1) AS off1",
            {
                "h": hours,
                "off0": [o[0] for o in offsets if o],
                "off1": [o[1] for o in offsets if o],
            },
        )
        # The walk orders what it needs itself (rowid of cdr_parsed is the file's order);
        # its own tables may come out in any order.
        cur.execute("SET preserve_insertion_order = false")
        try:
            for sql in fast_cdr.walk_statements():
                fast_cdr.run(cur, sql, values)
            fast_cdr.run(cur, fast_cdr.legs_statement(), values)
            fast_cdr.run(cur, fast_cdr.memberships_statement(), values)
        finally:
            cur.execute("RESET preserve_insertion_order")
        self.fast_names = dict(cur.execute(fast_cdr.names_statement()).fetchall())
        (self.lines,) = cur.execute("SELECT count(*) FROM cdr_parsed").fetchone()
        self.complex_rows = self._complex_rows_file()
        self.fast_format = "asterisk-cdr"
        return True

    def _complex_rows_file(self) -> Path | None:
        """The rows of the calls left to the reference parser, as a Master.csv of their own."""
        (count,) = self.cur.execute(
            "SELECT count(*) FROM cdr_parsed i JOIN cdr_complex c USING (cid)"
        ).fetchone()
        if not count:
            return None
        tmp_dir = settings.DATA_DIR / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=tmp_dir, suffix=".csv")
        os.close(handle)
        columns = ", ".join(fast_cdr.LEFTOVER.get(c, "''") for c in fast_cdr.COLUMNS)
        self.cur.execute(
            f"COPY (SELECT {columns} FROM cdr_parsed i JOIN cdr_complex c "  # noqa: S608
            f"USING (cid) ORDER BY i.rowid) "
            f"TO '{name}' (HEADER false, QUOTE '\"', FORCE_QUOTE *)"
        )
        return Path(name)

    def fast_rejects(self) -> list[tuple[int, str, str, str]]:
        if self.fast_format != "asterisk-queue-log":
            return []
        return self.cur.execute("SELECT * FROM ql_rejects ORDER BY line").fetchall()

    def fast_memberships(self) -> set[tuple[str, str]]:
        if self.fast_format is None:
            return set()
        return set(self.cur.execute("SELECT grp, member FROM staged_memberships").fetchall())

    def fast_leftover(self) -> Path | None:
        return self.complex_rows

    def objects(self) -> list[tuple[str, str, str]]:
        return self.cur.execute(
            "SELECT object_kind, object_identity, any_value(object_number) FROM staged GROUP BY ALL"
        ).fetchall()

    def commit(
        self,
        org_id: int,
        point_id: int,
        import_id: int,
        timezone: str,
        object_ids: dict[tuple[str, str], int],
    ) -> LoadResult:
        cur = self.cur
        cur.execute(
            "CREATE OR REPLACE TEMP TABLE staged_ids (kind VARCHAR, identity VARCHAR, "
            "object_id BIGINT)"
        )
        if object_ids:
            cur.executemany(
                "INSERT INTO staged_ids VALUES (?, ?, ?)",
                [(k, i, o) for (k, i), o in object_ids.items()],
            )
        # The leg's own fields, after org_id … start_local.
        rest = ", ".join(f"s.{name}" for name in STORE_COLUMN_NAMES[9:])
        self._local_offsets(timezone)
        with self.store._write_lock:
            cur.execute("BEGIN TRANSACTION")
            try:
                (total, repeated, earliest, latest) = cur.execute(
                    "SELECT count(*), count(*) - count(DISTINCT leg_id), min(start_utc), "
                    "max(start_utc) FROM staged"
                ).fetchone()
                if not total:
                    cur.execute("COMMIT")
                    return LoadResult(inserted=0, duplicates=0)
                # A leg id twice in the batch keeps its earliest leg; without repeats the
                # window that picks it is skipped.
                batch = (
                    "(SELECT *, row_number() OVER (PARTITION BY leg_id ORDER BY start_utc) AS n "
                    "FROM staged)"
                    if repeated
                    else "(SELECT *, 1 AS n FROM staged)"
                )
                # Column names are the constants of STORE_COLUMNS; values are bound.
                (inserted,) = cur.execute(
                    f"INSERT INTO legs ({', '.join(STORE_COLUMN_NAMES)}) "  # noqa: S608
                    f"SELECT ?, m.object_id, s.object_kind, ?, ?, s.leg_id, s.call_id, "
                    f"s.start_utc, CASE WHEN o.off IS NULL "
                    f"THEN timezone(?, s.start_utc::TIMESTAMPTZ) "
                    f"ELSE s.start_utc + to_seconds(o.off) END, "
                    f"{rest} "
                    f"FROM {batch} s "
                    f"JOIN staged_ids m "
                    f"  ON m.kind = s.object_kind AND m.identity = s.object_identity "
                    f"LEFT JOIN staged_offsets o ON o.h = date_trunc('hour', s.start_utc) "
                    f"WHERE s.n = 1 AND NOT EXISTS (SELECT 1 FROM legs l WHERE l.org_id = ? "
                    f"  AND l.collection_point_id = ? AND l.start_utc BETWEEN ? AND ? "
                    f"  AND l.leg_id = s.leg_id) "
                    f"ORDER BY s.start_utc",
                    [
                        org_id,
                        point_id,
                        import_id,
                        timezone,
                        org_id,
                        point_id,
                        earliest - SAME_LEG_WITHIN,
                        latest + SAME_LEG_WITHIN,
                    ],
                ).fetchone()
                self._join_pickups(org_id, point_id)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        return LoadResult(inserted=inserted, duplicates=total - inserted)

    def _local_offsets(self, timezone: str) -> None:
        """The organization's UTC offset in each UTC hour the staged legs start in, where it
        holds for the whole hour (elsewhere the local time is computed leg by leg)."""
        tz = zoneinfo.ZoneInfo(timezone)
        hours = [
            h
            for (h,) in self.cur.execute(
                "SELECT DISTINCT date_trunc('hour', start_utc) FROM staged"
            ).fetchall()
        ]
        offsets: list[int | None] = []
        for hour in hours:
            start = hour.replace(tzinfo=UTC)
            first = start.astimezone(tz).utcoffset()
            last = (start + timedelta(minutes=59, seconds=59)).astimezone(tz).utcoffset()
            offsets.append(
                int(first.total_seconds()) if first is not None and first == last else None
            )
        self.cur.execute(
            "CREATE OR REPLACE TEMP TABLE staged_offsets AS "
            "SELECT unnest($h::TIMESTAMP[]) AS h, unnest($off::INTEGER[]) AS off",
            {"h": hours, "off": offsets},
        )

    def _join_pickups(self, org_id: int, point_id: int) -> None:
        """Join the queue_log and CDR legs of the staged calls where a phone picked up a call
        ringing at a queue member: queue_log credits the member (CONNECT), the CDR shows who
        talked (FORMATS.md §2.4). The member's leg becomes unanswered and the group's answering
        member is the picker. Repeating it changes nothing."""
        cur = self.cur
        cur.execute(
            "CREATE OR REPLACE TEMP TABLE staged_pickups AS "
            "SELECT DISTINCT call_id, member_number AS picker, substr(note, 11) AS target "
            "FROM legs WHERE org_id = ? AND collection_point_id = ? AND note LIKE 'pickup of %' "
            "AND call_id IN (SELECT call_id FROM staged)",
            [org_id, point_id],
        )
        cur.execute(
            "UPDATE legs SET type = 'in_no_answer', talk_s = 0, "
            "note = 'picked up by ' || p.picker FROM staged_pickups p "
            "WHERE legs.org_id = ? AND legs.collection_point_id = ? "
            "AND legs.call_id = p.call_id AND legs.object_kind = 'user' "
            "AND starts_with(legs.leg_id, 'ql:') AND legs.member_number = p.target "
            "AND legs.type = 'in_answered'",
            [org_id, point_id],
        )
        cur.execute(
            "UPDATE legs SET member_number = p.picker FROM staged_pickups p "
            "WHERE legs.org_id = ? AND legs.collection_point_id = ? "
            "AND legs.call_id = p.call_id AND legs.object_kind = 'acd' "
            "AND starts_with(legs.leg_id, 'ql:') AND legs.member_number = p.target "
            "AND legs.type = 'answered'",
            [org_id, point_id],
        )

    def close(self) -> None:
        leftover = self.fast_leftover()
        if leftover is not None:
            leftover.unlink(missing_ok=True)
        self.cur.close()


def local_offsets(hour: datetime, tz: Any) -> tuple[int, int] | None:
    """The UTC offsets, in seconds, of a local hour read with fold 0 and fold 1 (the two
    readings of a repeated hour), or None if they change within the hour."""
    readings = []
    for moment in (hour, hour + timedelta(minutes=30), hour + timedelta(minutes=59, seconds=59)):
        readings.append(
            tuple(
                int(moment.replace(tzinfo=tz, fold=fold).utcoffset().total_seconds())  # type: ignore[union-attr]
                for fold in (0, 1)
            )
        )
    if len(set(readings)) != 1:
        return None
    return readings[0][0], readings[0][1]

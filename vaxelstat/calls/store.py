"""The call store: the one module that talks to the analytic engine.

Nothing else in the project imports an engine's driver. Every method takes the organization
first and every query filters on it; code that must cross organizations says so in its name
(`unscoped_…`).

Engines are chosen by CALLSTORE_URL's scheme from ENGINES. DuckDB (the default) keeps one
file that one process at a time may open for writing: a second process gets StoreBusy and
hands its work to the process that holds the store (see vaxelstat.control).
"""

import csv
import os
import re
import tempfile
import threading
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import duckdb
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from vaxelstat.calls import fast_cdr, fast_queue_log, generate
from vaxelstat.calls.legs import (
    LEG_FIELDS,
    SAME_LEG_WITHIN,
    STAGE_COLUMN_NAMES,
    STAGE_COLUMNS,
    STORE_COLUMN_NAMES,
    STORE_COLUMNS,
    Leg,
)
from vaxelstat.calls.scope import Scope


class StoreBusy(Exception):
    """Another process holds the call store open for writing."""


@dataclass(frozen=True)
class LoadResult:
    inserted: int
    # Legs whose natural key was already stored, or repeated within the batch.
    duplicates: int


class CallStore:
    """The interface every engine implements."""

    # Which SQL the report engine writes for this store (reports.engine.SQL, period.BUCKETS).
    dialect = "duckdb"

    def __init__(self, url: str) -> None:
        self.url = url

    def staging(self) -> "Staging":
        """A place to put one file's legs before they are committed to the store."""
        raise NotImplementedError

    def counts_by_object(self, scope: Scope) -> dict[int, int]:
        raise NotImplementedError

    def count(self, scope: Scope) -> int:
        raise NotImplementedError

    def legs(self, scope: Scope) -> list[dict[str, Any]]:
        """Every leg in scope, oldest first, as dicts of STORE_COLUMNS."""
        raise NotImplementedError

    def delete_organization(self, org_id: int) -> int:
        raise NotImplementedError

    def calls_before(self, org_id: int, before: datetime) -> int:
        """How many of the organization's calls started before `before` (UTC): what its
        gallring would delete."""
        raise NotImplementedError

    def delete_calls_before(self, org_id: int, before: datetime) -> int:
        """Gallring: delete every leg of the organization's calls that started before
        `before` (UTC), later legs of such a call included; return how many calls."""
        raise NotImplementedError

    def aggregate(
        self,
        scope: Scope,
        object_ids: list[int],
        where: str,
        params: dict[str, Any],
        bucket: str,
        measures: list[str],
    ) -> list[tuple[Any, list[Any]]]:
        """Each bucket's measures, and the total (bucket None), over the legs of these
        objects (those of them in scope) that match `where` (SQL with named parameters)."""
        raise NotImplementedError

    def legs_page(
        self,
        scope: Scope,
        object_ids: list[int],
        where: str,
        params: dict[str, Any],
        order: str,
        limit: int | None,
        offset: int,
    ) -> tuple[int, list[dict[str, Any]]]:
        """How many legs of these objects (those of them in scope) match `where`, and a page
        of them in `order`."""
        raise NotImplementedError

    def generate_synthetic(
        self,
        org_id: int,
        legs: int,
        object_ids: list[int],
        kinds: list[str],
        end: datetime,
        days: int,
    ) -> None:
        """Synthetic legs for benchmarks."""
        raise NotImplementedError

    def unscoped_compact(self) -> None:
        """Rewrite the store in (organization, start) order."""
        raise NotImplementedError

    def unscoped_delete_all(self) -> None:
        """Delete every organization's legs (for tests)."""
        raise NotImplementedError

    def unscoped_drop_before(self, month: date) -> int:
        """Retention, for every organization: delete the legs that started (UTC) before the
        first day of `month`; return how many."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class DuckDBStore(CallStore):
    def __init__(self, url: str) -> None:
        self.url = url
        self.path = Path(urlparse(url).path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(
                str(self.path), config={"block_allocator_memory": settings.DUCKDB_BLOCK_MEMORY}
            )
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                pid = re.search(r"PID (\d+)", str(exc))
                holder = f" (process {pid.group(1)})" if pid else ""
                raise StoreBusy(f"The call store {self.path} is in use{holder}") from exc
            raise
        columns = ", ".join(f"{name} {kind}" for name, kind in STORE_COLUMNS)
        self._con.execute(f"CREATE TABLE IF NOT EXISTS legs ({columns})")
        self._write_lock = threading.Lock()

    def _cursor(self) -> Any:
        # A cursor is a connection of its own to the same database: one per use keeps
        # web threads, the worker and the collector out of each other's way.
        return self._con.cursor()

    def staging(self) -> "DuckDBStaging":
        return DuckDBStaging(self)

    def _in_scope(self, scope: Scope) -> tuple[str, list[Any]]:
        """The WHERE clause (and its values) of the legs in scope."""
        if scope.objects is None:
            return "org_id = ?", [scope.org_id]
        return "org_id = ? AND object_id IN (SELECT unnest(?))", [
            scope.org_id,
            sorted(scope.objects),
        ]

    def counts_by_object(self, scope: Scope) -> dict[int, int]:
        where, values = self._in_scope(scope)
        cur = self._cursor()
        try:
            rows = cur.execute(
                f"SELECT object_id, count(*) FROM legs WHERE {where} GROUP BY object_id",  # noqa: S608
                values,
            ).fetchall()
        finally:
            cur.close()
        return {object_id: n for object_id, n in rows}

    def count(self, scope: Scope) -> int:
        where, values = self._in_scope(scope)
        cur = self._cursor()
        try:
            (n,) = cur.execute(f"SELECT count(*) FROM legs WHERE {where}", values).fetchone()  # noqa: S608
        finally:
            cur.close()
        return int(n)

    def legs(self, scope: Scope) -> list[dict[str, Any]]:
        where, values = self._in_scope(scope)
        cur = self._cursor()
        try:
            cur.execute(f"SELECT * FROM legs WHERE {where} ORDER BY start_utc, leg_id", values)  # noqa: S608
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        finally:
            cur.close()

    def aggregate(
        self,
        scope: Scope,
        object_ids: list[int],
        where: str,
        params: dict[str, Any],
        bucket: str,
        measures: list[str],
    ) -> list[tuple[Any, list[Any]]]:
        object_ids, org_id = scope.allowed(object_ids), scope.org_id
        if not object_ids:
            return []
        # The organization filter is the store's own; `where`, `bucket` and `measures` are
        # SQL the report engine writes from its constants, with values as parameters.
        sql = (
            f"SELECT {bucket} AS bucket, grouping(bucket) AS is_total, "  # noqa: S608
            f"{', '.join(measures)} FROM legs "
            f"WHERE org_id = $org_id AND object_id IN (SELECT unnest($object_ids)) AND ({where}) "
            f"GROUP BY GROUPING SETS ((bucket), ())"
        )
        cur = self._cursor()
        try:
            values = {**params, "org_id": org_id, "object_ids": object_ids}
            rows = cur.execute(sql, _named(sql, values)).fetchall()
        finally:
            cur.close()
        return [(None if is_total else bucket, list(values)) for bucket, is_total, *values in rows]

    def legs_page(
        self,
        scope: Scope,
        object_ids: list[int],
        where: str,
        params: dict[str, Any],
        order: str,
        limit: int | None,
        offset: int,
    ) -> tuple[int, list[dict[str, Any]]]:
        object_ids, org_id = scope.allowed(object_ids), scope.org_id
        if not object_ids:
            return 0, []
        matching = (
            "FROM legs WHERE org_id = $org_id AND object_id IN (SELECT unnest($object_ids)) "
            f"AND ({where})"
        )
        values = {**params, "org_id": org_id, "object_ids": object_ids}
        cur = self._cursor()
        try:
            count_sql = f"SELECT count(*) {matching}"  # noqa: S608
            (total,) = cur.execute(count_sql, _named(count_sql, values)).fetchone()
            # The page is found on the narrow columns, then its few legs are read whole: much
            # cheaper than sorting every matching leg with all its columns.
            page_sql = (
                f"SELECT collection_point_id, leg_id, start_utc {matching} "  # noqa: S608
                f"ORDER BY {order} LIMIT $limit OFFSET $offset"
            )
            values.update(limit=limit if limit is not None else total, offset=offset)
            keys = cur.execute(page_sql, _named(page_sql, values)).fetchall()
            rows = []
            if keys:
                cur.execute(
                    "SELECT * FROM legs WHERE org_id = $org_id AND start_utc BETWEEN $first "
                    "AND $last AND leg_id IN (SELECT unnest($leg_ids))",
                    {
                        "org_id": org_id,
                        "first": min(k[2] for k in keys),
                        "last": max(k[2] for k in keys),
                        "leg_ids": [k[1] for k in keys],
                    },
                )
                names = [d[0] for d in cur.description]
                found = {
                    (r["collection_point_id"], r["leg_id"]): r
                    for r in (dict(zip(names, row, strict=True)) for row in cur.fetchall())
                }
                rows = [found[(point, leg_id)] for point, leg_id, _ in keys]
        finally:
            cur.close()
        return int(total), rows

    def generate_synthetic(
        self,
        org_id: int,
        legs: int,
        object_ids: list[int],
        kinds: list[str],
        end: datetime,
        days: int,
    ) -> None:
        """Synthetic legs for benchmarks (vaxelstat.calls.generate)."""
        with self._write_lock:
            cur = self._cursor()
            try:
                generate.generate(cur, org_id, legs, object_ids, kinds, end, days)
            finally:
                cur.close()

    def calls_before(self, org_id: int, before: datetime) -> int:
        cur = self._cursor()
        try:
            (n,) = cur.execute(
                "SELECT count(DISTINCT (collection_point_id, call_id)) FROM legs "
                "WHERE org_id = ? AND start_utc < ?",
                [org_id, before.astimezone(UTC).replace(tzinfo=None)],
            ).fetchone()
        finally:
            cur.close()
        return int(n)

    def delete_calls_before(self, org_id: int, before: datetime) -> int:
        cutoff = before.astimezone(UTC).replace(tzinfo=None)
        with self._write_lock:
            cur = self._cursor()
            try:
                cur.execute("BEGIN TRANSACTION")
                (n,) = cur.execute(
                    "SELECT count(DISTINCT (collection_point_id, call_id)) FROM legs "
                    "WHERE org_id = ? AND start_utc < ?",
                    [org_id, cutoff],
                ).fetchone()
                cur.execute(
                    "DELETE FROM legs WHERE org_id = ? AND (collection_point_id, call_id) IN "
                    "(SELECT collection_point_id, call_id FROM legs "
                    "WHERE org_id = ? AND start_utc < ?)",
                    [org_id, org_id, cutoff],
                )
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            finally:
                cur.close()
        return int(n)

    def delete_organization(self, org_id: int) -> int:
        with self._write_lock:
            cur = self._cursor()
            try:
                (n,) = cur.execute("DELETE FROM legs WHERE org_id = ?", [org_id]).fetchone()
            finally:
                cur.close()
        return int(n)

    def unscoped_delete_all(self) -> None:
        with self._write_lock:
            cur = self._cursor()
            try:
                cur.execute("DELETE FROM legs")
            finally:
                cur.close()

    def unscoped_drop_before(self, month: date) -> int:
        cutoff = datetime(month.year, month.month, 1)
        with self._write_lock:
            cur = self._cursor()
            try:
                (n,) = cur.execute("DELETE FROM legs WHERE start_utc < ?", [cutoff]).fetchone()
                return int(n)
            finally:
                cur.close()

    def unscoped_compact(self) -> None:
        with self._write_lock:
            cur = self._cursor()
            try:
                cur.execute("BEGIN TRANSACTION")
                cur.execute(
                    "CREATE OR REPLACE TABLE legs AS SELECT * FROM legs ORDER BY org_id, start_utc"
                )
                cur.execute("COMMIT")
                cur.execute("CHECKPOINT")
            finally:
                cur.close()

    def close(self) -> None:
        self._con.close()


class Staging:
    """One file's legs, staged by object identity until the objects have ids.

    Legs come from a parser (`add_legs`) or, where the engine has one, from a fast path that
    reads the file itself (`add_fast`). `commit` stores the legs whose natural key is new, all
    of them or none.
    """

    lines = 0

    def __enter__(self) -> "Staging":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_legs(self, legs: list[Leg]) -> None:
        raise NotImplementedError

    def add_fast(self, fmt: str, path: Path, source: Any) -> bool:
        """Read `path` with the engine's fast path for `fmt`; False where there is none."""
        return False

    def fast_rejects(self) -> list[tuple[int, str, str, str]]:
        """(line, reason, detail, raw) of the records the fast path rejected."""
        return []

    def fast_memberships(self) -> set[tuple[str, str]]:
        return set()

    # Display names the fast path read, by object identity.
    fast_names: dict[str, str] = {}

    def fast_leftover(self) -> Path | None:
        """A file of the records the fast path left to the reference parser, if any."""
        return None

    def objects(self) -> list[tuple[str, str, str]]:
        """(kind, identity, number) of every object the staged legs name."""
        raise NotImplementedError

    def commit(
        self,
        org_id: int,
        point_id: int,
        import_id: int,
        timezone: str,
        object_ids: dict[tuple[str, str], int],
    ) -> LoadResult:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


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
        tmp_dir = settings.DATA_DIR / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            dir=tmp_dir, suffix=".csv", mode="w", encoding="utf-8", newline=""
        ) as tmp:
            out = csv.writer(tmp, quoting=csv.QUOTE_ALL)
            out.writerow(STAGE_COLUMN_NAMES)
            for leg in legs:
                row = [getattr(leg, name) for name in LEG_FIELDS]
                row[LEG_FIELDS.index("start")] = leg.start.astimezone(UTC).strftime(
                    "%Y-%m-%d %H:%M:%S"
                )
                row[LEG_FIELDS.index("internal")] = "true" if leg.internal else "false"
                out.writerow(row)
            tmp.flush()
            types = ", ".join(f"'{name}': '{kind}'" for name, kind in STAGE_COLUMNS)
            # Column names and types are the constants of STAGE_COLUMNS; the path is bound.
            self.cur.execute(
                f"INSERT INTO staged SELECT * FROM read_csv(?, header = true, "  # noqa: S608
                f"columns = {{{types}}}, quote = '\"', escape = '\"', nullstr = '\\N', "
                f"timestampformat = '%Y-%m-%d %H:%M:%S')",
                [tmp.name],
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


def _named(sql: str, values: dict[str, Any]) -> dict[str, Any]:
    """The values a statement names as $parameters (DuckDB refuses any other)."""
    names = set(re.findall(r"\$(\w+)", sql))
    return {k: v for k, v in values.items() if k in names}


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


def _clickhouse(url: str) -> CallStore:
    from vaxelstat.calls.clickhouse import ClickHouseStore

    return ClickHouseStore(url)


# Engines by CALLSTORE_URL scheme; ClickHouse's module loads only when asked for.
ENGINES: dict[str, Callable[[str], CallStore]] = {
    "duckdb": DuckDBStore,
    "chdb": _clickhouse,
    "clickhouse": _clickhouse,
    "clickhouses": _clickhouse,
}

_stores: dict[str, CallStore] = {}
_stores_lock = threading.Lock()


def get_store(url: str | None = None) -> CallStore:
    """Return this process's store for `url` (default: settings.CALLSTORE_URL), opening it once."""
    url = url or settings.CALLSTORE_URL
    with _stores_lock:
        if url not in _stores:
            scheme = urlparse(url).scheme
            if scheme not in ENGINES:
                known = ", ".join(f"{s}://" for s in ENGINES)
                raise ImproperlyConfigured(
                    f"CALLSTORE_URL {url!r}: unknown engine {scheme!r} (known: {known})"
                )
            _stores[url] = ENGINES[scheme](url)
        return _stores[url]


def close_stores() -> None:
    with _stores_lock:
        for store in _stores.values():
            store.close()
        _stores.clear()

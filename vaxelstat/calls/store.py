"""The call store: the one door to the analytic engine (ClickHouse's in clickhouse.py). It
stores and queries legs; it does not parse (vaxelstat.ingest makes the legs and decides, the
same for every engine, what a file adds: the store answers its reads and applies it).

Nothing outside vaxelstat.calls imports an engine's driver. Every method takes the organization
first and every query filters on it; code that must cross organizations says so in its name
(`unscoped_…`).

Engines are chosen by CALLSTORE_URL's scheme from ENGINES. DuckDB (the default) keeps one
file that one process at a time may open for writing: a second process gets StoreBusy and
hands its work to the process that holds the store (see vaxelstat.control).
"""

import re
import threading
import uuid
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import duckdb
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from vaxelstat.calls import generate, results
from vaxelstat.calls.legs import STORE_COLUMN_NAMES, STORE_COLUMNS
from vaxelstat.calls.scope import Scope

if TYPE_CHECKING:
    import pyarrow as pa


class StoreBusy(Exception):
    """Another process holds the call store open for writing."""


# The methods that change calls: an organization's (its id their first argument), or any
# organization's. Each gives the calls a new version when it ends (vaxelstat.calls.results:
# figures kept of the calls before are not given again).
WRITES = {
    "apply": True,
    "delete_organization": True,
    "delete_calls_before": True,
    "generate_synthetic": True,
    "unscoped_delete_all": False,
    "unscoped_drop_before": False,
}


def _announcing(write: Callable[..., Any], by_organization: bool) -> Callable[..., Any]:
    def announced(self: "CallStore", *args: Any, **kwargs: Any) -> Any:
        try:
            return write(self, *args, **kwargs)
        finally:
            if not by_organization:
                results.changed(results.EVERYONE)
            else:
                results.changed(kwargs["org_id"] if "org_id" in kwargs else args[0])

    announced.__doc__, announced.__name__ = write.__doc__, write.__name__
    return announced


# Why a store refuses rows given to it for another organization or point than they are of.
OTHER_POINT = "legs of another organization or point"


class CallStore:
    """The interface every engine implements."""

    # Which SQL the report engine writes for this store (reports.engine.SQL, period.BUCKETS).
    dialect = "duckdb"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, by_organization in WRITES.items():
            if name in cls.__dict__:
                setattr(cls, name, _announcing(cls.__dict__[name], by_organization))

    def __init__(self, url: str) -> None:
        self.url = url

    @property
    def kept_as(self) -> str:
        """What this store's kept answers are kept under: its own (another process may have
        written the same store before this one opened it)."""
        return self.__dict__.setdefault("_kept_as", uuid.uuid4().hex)  # type: ignore[no-any-return]

    @property
    def keeps_answers(self) -> bool:
        """Whether answers are kept (vaxelstat.calls.results): where no other process may
        write the store while this one has it open (DuckDB's file: see StoreBusy), or where
        every process renews one shared version."""
        return True

    def _kept(self, key: tuple[Any, ...], make: Callable[[], Any], size_of: Any = None) -> Any:
        """An answer kept under (this store, the organization's version, key), or made."""
        if not self.keeps_answers:
            return make()
        org_id = key[1]
        return results.kept.get_or_make(
            (self.kept_as, results.version(org_id), *key), make, size_of
        )

    def writing(self) -> threading.Lock:
        """Held by an import from reading what the store holds until it has applied what
        its file adds: two imports into one point cannot both add the same leg."""
        lock: threading.Lock = self.__dict__.setdefault("_import_lock", threading.Lock())
        return lock

    def stored_keys(
        self, org_id: int, point_id: int, earliest: datetime, latest: datetime
    ) -> "pa.Table":
        """(leg_id, call_id, note, import_id, object_id, start_utc, wait_s, talk_s) of the point's
        legs that start (UTC) within [earliest, latest]: what an import's rules compare its legs
        with."""
        raise NotImplementedError

    def stored_legs_of_calls(
        self,
        org_id: int,
        point_id: int,
        earliest: datetime,
        latest: datetime,
        call_ids: list[str],
    ) -> "pa.Table":
        """Every column of the collection point's legs of these calls within the window."""
        raise NotImplementedError

    def apply(
        self,
        org_id: int,
        point_id: int,
        rows: "pa.Table | pa.RecordBatchReader",
        replaces: list[str],
        earliest: datetime,
        latest: datetime,
    ) -> None:
        """Store `rows` (STORE_COLUMNS; a reader's batches are read once, one at a time) in
        place of the point's legs `replaces` (ids, within the window): all of it or, where
        the engine allows, nothing. Rows of another organization or point than the one named
        are refused (ValueError, OTHER_POINT), and nothing is stored."""
        raise NotImplementedError

    def counts_by_object(self, scope: Scope) -> dict[int, int]:
        """The calls of each object: its legs, not an agent's time (direction 'agent'); kept
        until the organization's calls change, as aggregate's answers are."""
        objects = results.frozen(scope.objects) if scope.objects is not None else None
        return self._kept(  # type: ignore[no-any-return]
            ("counts", scope.org_id, objects), lambda: self._counts_by_object(scope), len
        )

    def _counts_by_object(self, scope: Scope) -> dict[int, int]:
        raise NotImplementedError

    def count(self, scope: Scope) -> int:
        raise NotImplementedError

    def count_of_import(self, org_id: int, import_id: int) -> int:
        """How many legs one import stored (its store commit is whole or nothing)."""
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
        source: str = "",
    ) -> list[tuple[Any, list[Any]]]:
        """Each bucket's measures, and the total (bucket None), over the legs of these
        objects (those of them in scope) that match `where` (SQL with named parameters).
        `source`: SQL of the legs with columns of their own (over `{legs}`: see from_legs).
        The answer is kept until the organization's calls change (vaxelstat.calls.results);
        it is shared, to be read, never changed."""
        allowed = scope.allowed(object_ids)
        key = (
            "aggregate",
            scope.org_id,
            tuple(allowed),
            where,
            results.frozen(params),
            bucket,
            tuple(measures),
            source,
        )
        return self._kept(  # type: ignore[no-any-return]
            key, lambda: self._aggregate(scope, allowed, where, params, bucket, measures, source)
        )

    def _aggregate(
        self,
        scope: Scope,
        object_ids: list[int],
        where: str,
        params: dict[str, Any],
        bucket: str,
        measures: list[str],
        source: str = "",
    ) -> list[tuple[Any, list[Any]]]:
        """aggregate, as the engine answers it."""
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
        source: str = "",
    ) -> tuple[int, list[dict[str, Any]]]:
        """How many legs of these objects (those of them in scope) match `where`, and a page
        of them in `order` (`source` as for aggregate); kept as aggregate's answers are."""
        allowed = scope.allowed(object_ids)
        key = (
            "legs",
            scope.org_id,
            tuple(allowed),
            where,
            results.frozen(params),
            order,
            limit,
            offset,
            source,
        )
        return self._kept(  # type: ignore[no-any-return]
            key,
            lambda: self._legs_page(scope, allowed, where, params, order, limit, offset, source),
            lambda answer: 1 + sum(len(leg) for leg in answer[1]),
        )

    def _legs_page(
        self,
        scope: Scope,
        object_ids: list[int],
        where: str,
        params: dict[str, Any],
        order: str,
        limit: int | None,
        offset: int,
        source: str = "",
    ) -> tuple[int, list[dict[str, Any]]]:
        """legs_page, as the engine answers it."""
        raise NotImplementedError

    @staticmethod
    def total_of_page(found: int, limit: int | None, offset: int, count: Callable[[], int]) -> int:
        """How many legs match, a page of `limit` from `offset` having found `found`: a page
        not full (nor past the last leg) is the last, after `offset` legs; else (a full page,
        a page past the end, no page asked for) `count()`. A call's few legs, or a cell of a
        few calls, are then one query, not two."""
        if limit and found < limit and (found or not offset):
            return offset + found
        return count()

    @staticmethod
    def from_legs(source: str) -> str:
        """What a query reads legs from: the table, or `source` with the organization's legs
        (the store's own filter, `$org_id`) where it says `{legs}`."""
        if not source:
            return "legs"
        organization = "(SELECT * FROM legs WHERE org_id = $org_id)"
        return f"({source.replace('{legs}', organization)}) AS legs"

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

    def migrate(self) -> None:
        """Make the store's tables where they are missing (`vaxelstat migrate`)."""

    def unscoped_census(self) -> list[tuple[int, int, date, int]]:
        """(organization, collection point, month, legs) of every month holding legs, by the
        month (UTC) the legs start in, in that order: what a copy of the store moves and
        checks."""
        raise NotImplementedError

    def legs_between(
        self, org_id: int, point_id: int, start: datetime, end: datetime
    ) -> "pa.Table":
        """Every column (STORE_COLUMNS) of a collection point's legs that start (UTC) at or
        after `start` and before `end`, by start and id."""
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

    def backup_to(self, path: Path) -> None:
        """A consistent copy of the store into a new database file (the embedded store)."""
        raise NotImplementedError("this engine has its own backup (ClickHouse: BACKUP)")

    def ping(self) -> None:
        """Ask the store something (a count of no organization's legs): raises where it
        cannot answer."""
        self.count(Scope.whole(0))

    def close(self) -> None:
        raise NotImplementedError


def _rollback(cur: Any) -> None:
    """Roll back a failed write. A COMMIT that failed (a full disk) has ended the transaction
    already: the error to tell is the first one, not the rollback's."""
    try:
        cur.execute("ROLLBACK")
    except duckdb.Error:
        pass


class DuckDBStore(CallStore):
    def backup_to(self, path: Path) -> None:
        # Under the write lock, in one transaction: no import lands half in the copy.
        literal = "'" + str(path).replace("'", "''") + "'"
        with self._write_lock:
            with closing(self._cursor()) as cur:
                (name,) = cur.execute("SELECT current_database()").fetchone()
                cur.execute(f"ATTACH {literal} AS vaxelstat_backup")
                try:
                    cur.execute(f'COPY FROM DATABASE "{name}" TO vaxelstat_backup')
                finally:
                    cur.execute("DETACH vaxelstat_backup")

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

    def stored_keys(
        self, org_id: int, point_id: int, earliest: datetime, latest: datetime
    ) -> "pa.Table":
        with closing(self._cursor()) as cur:
            return cur.sql(
                "SELECT leg_id, call_id, note, import_id, object_id, start_utc, wait_s, talk_s "
                "FROM legs "
                "WHERE org_id = $org AND collection_point_id = $point "
                "AND start_utc BETWEEN $earliest AND $latest",
                params={"org": org_id, "point": point_id, "earliest": earliest, "latest": latest},
            ).to_arrow_table()

    def stored_legs_of_calls(
        self,
        org_id: int,
        point_id: int,
        earliest: datetime,
        latest: datetime,
        call_ids: list[str],
    ) -> "pa.Table":
        with closing(self._cursor()) as cur:
            return cur.sql(
                "SELECT * FROM legs WHERE org_id = $org AND collection_point_id = $point "
                "AND start_utc BETWEEN $earliest AND $latest "
                "AND call_id IN (SELECT unnest($calls::VARCHAR[]))",
                params={
                    "org": org_id,
                    "point": point_id,
                    "earliest": earliest,
                    "latest": latest,
                    "calls": call_ids,
                },
            ).to_arrow_table()

    def apply(
        self,
        org_id: int,
        point_id: int,
        rows: "pa.Table | pa.RecordBatchReader",
        replaces: list[str],
        earliest: datetime,
        latest: datetime,
    ) -> None:
        with self._write_lock, closing(self._cursor()) as cur:
            # The rows come sorted by start. Each thread appends the batches it takes to row
            # groups of its own, each in start order, so the store stays clustered by
            # organization and start (a period's rows are in as many row groups as before,
            # give or take one a thread), at half the time of an insert that puts the
            # batches back in their order (measured: 0.6 s against 1.1 s for 712,000 legs).
            # This cursor's setting only.
            cur.execute("SET SESSION preserve_insertion_order = false")
            cur.register("applied_rows", rows)
            cur.execute("BEGIN TRANSACTION")
            try:
                if replaces:
                    cur.execute(
                        "DELETE FROM legs WHERE org_id = $org AND collection_point_id = $point "
                        "AND start_utc BETWEEN $earliest AND $latest "
                        "AND leg_id IN (SELECT unnest($ids::VARCHAR[]))",
                        {
                            "org": org_id,
                            "point": point_id,
                            "earliest": earliest,
                            "latest": latest,
                            "ids": replaces,
                        },
                    )
                # A row of another organization or point than the one named fails the
                # statement (the rows are read once: they are checked as they go in).
                cur.execute(
                    f"INSERT INTO legs ({', '.join(STORE_COLUMN_NAMES)}) "  # noqa: S608
                    f"SELECT {', '.join(STORE_COLUMN_NAMES)} FROM applied_rows "
                    f"WHERE CASE WHEN org_id = $org AND collection_point_id = $point THEN true "
                    f"ELSE error($other) END",
                    {"org": org_id, "point": point_id, "other": OTHER_POINT},
                )
                cur.execute("COMMIT")
            except duckdb.Error as exc:
                _rollback(cur)
                if OTHER_POINT in str(exc):
                    raise ValueError(OTHER_POINT) from exc
                raise
            except BaseException:
                _rollback(cur)
                raise
            finally:
                cur.unregister("applied_rows")

    def _in_scope(self, scope: Scope) -> tuple[str, list[Any]]:
        """The WHERE clause (and its values) of the legs in scope."""
        if scope.objects is None:
            return "org_id = ?", [scope.org_id]
        return "org_id = ? AND object_id IN (SELECT unnest(?))", [
            scope.org_id,
            sorted(scope.objects),
        ]

    def _counts_by_object(self, scope: Scope) -> dict[int, int]:
        where, values = self._in_scope(scope)
        with closing(self._cursor()) as cur:
            rows = cur.execute(
                f"SELECT object_id, count(*) FROM legs WHERE {where} "  # noqa: S608
                "AND direction <> 'agent' GROUP BY object_id",
                values,
            ).fetchall()
        return {object_id: n for object_id, n in rows}

    def count(self, scope: Scope) -> int:
        where, values = self._in_scope(scope)
        with closing(self._cursor()) as cur:
            (n,) = cur.execute(f"SELECT count(*) FROM legs WHERE {where}", values).fetchone()  # noqa: S608
        return int(n)

    def count_of_import(self, org_id: int, import_id: int) -> int:
        with closing(self._cursor()) as cur:
            (n,) = cur.execute(
                "SELECT count(*) FROM legs WHERE org_id = ? AND import_id = ?", [org_id, import_id]
            ).fetchone()
        return int(n)

    def legs(self, scope: Scope) -> list[dict[str, Any]]:
        where, values = self._in_scope(scope)
        with closing(self._cursor()) as cur:
            cur.execute(f"SELECT * FROM legs WHERE {where} ORDER BY start_utc, leg_id", values)  # noqa: S608
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def _aggregate(
        self,
        scope: Scope,
        object_ids: list[int],
        where: str,
        params: dict[str, Any],
        bucket: str,
        measures: list[str],
        source: str = "",
    ) -> list[tuple[Any, list[Any]]]:
        object_ids, org_id = scope.allowed(object_ids), scope.org_id
        if not object_ids:
            return []
        # The organization filter is the store's own; `where`, `bucket` and `measures` are
        # SQL the report engine writes from its constants, with values as parameters.
        sql = (
            f"SELECT {bucket} AS bucket, grouping(bucket) AS is_total, "  # noqa: S608
            f"{', '.join(measures)} FROM {self.from_legs(source)} "
            f"WHERE org_id = $org_id AND object_id IN (SELECT unnest($object_ids)) AND ({where}) "
            f"GROUP BY GROUPING SETS ((bucket), ())"
        )
        with closing(self._cursor()) as cur:
            values = {**params, "org_id": org_id, "object_ids": object_ids}
            rows = cur.execute(sql, _named(sql, values)).fetchall()
        return [(None if is_total else bucket, list(values)) for bucket, is_total, *values in rows]

    def _legs_page(
        self,
        scope: Scope,
        object_ids: list[int],
        where: str,
        params: dict[str, Any],
        order: str,
        limit: int | None,
        offset: int,
        source: str = "",
    ) -> tuple[int, list[dict[str, Any]]]:
        object_ids, org_id = scope.allowed(object_ids), scope.org_id
        if not object_ids:
            return 0, []
        matching = (
            f"FROM {self.from_legs(source)} "
            "WHERE org_id = $org_id AND object_id IN (SELECT unnest($object_ids)) "
            f"AND ({where})"
        )
        values = {**params, "org_id": org_id, "object_ids": object_ids}
        with closing(self._cursor()) as cur:
            count_sql = f"SELECT count(*) {matching}"  # noqa: S608

            def count() -> int:
                (n,) = cur.execute(count_sql, _named(count_sql, values)).fetchone()
                return int(n)

            total = count() if limit is None else None
            # The page is found on the narrow columns, then its few legs are read whole: much
            # cheaper than sorting every matching leg with all its columns.
            page_sql = (
                f"SELECT collection_point_id, leg_id, start_utc {matching} "  # noqa: S608
                f"ORDER BY {order} LIMIT $limit OFFSET $offset"
            )
            values.update(limit=limit if limit is not None else total, offset=offset)
            keys = cur.execute(page_sql, _named(page_sql, values)).fetchall()
            if total is None:
                total = self.total_of_page(len(keys), limit, offset, count)
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
            with closing(self._cursor()) as cur:
                generate.generate(cur, org_id, legs, object_ids, kinds, end, days)

    def unscoped_census(self) -> list[tuple[int, int, date, int]]:
        with closing(self._cursor()) as cur:
            rows = cur.execute(
                "SELECT org_id, collection_point_id, date_trunc('month', start_utc)::DATE AS m, "
                "count(*) FROM legs GROUP BY ALL ORDER BY ALL"
            ).fetchall()
        return [(org, point, month, int(n)) for org, point, month, n in rows]

    def legs_between(
        self, org_id: int, point_id: int, start: datetime, end: datetime
    ) -> "pa.Table":
        with closing(self._cursor()) as cur:
            return cur.sql(
                f"SELECT {', '.join(STORE_COLUMN_NAMES)} FROM legs "  # noqa: S608
                "WHERE org_id = $org AND collection_point_id = $point "
                "AND start_utc >= $start AND start_utc < $end ORDER BY start_utc, leg_id",
                params={
                    "org": org_id,
                    "point": point_id,
                    "start": start.astimezone(UTC).replace(tzinfo=None),
                    "end": end.astimezone(UTC).replace(tzinfo=None),
                },
            ).to_arrow_table()

    def calls_before(self, org_id: int, before: datetime) -> int:
        with closing(self._cursor()) as cur:
            (n,) = cur.execute(
                "SELECT count(DISTINCT (collection_point_id, call_id)) FROM legs "
                "WHERE org_id = ? AND start_utc < ?",
                [org_id, before.astimezone(UTC).replace(tzinfo=None)],
            ).fetchone()
        return int(n)

    def delete_calls_before(self, org_id: int, before: datetime) -> int:
        cutoff = before.astimezone(UTC).replace(tzinfo=None)
        with self._write_lock, closing(self._cursor()) as cur:
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
                _rollback(cur)
                raise
        return int(n)

    def delete_organization(self, org_id: int) -> int:
        with self._write_lock:
            with closing(self._cursor()) as cur:
                (n,) = cur.execute("DELETE FROM legs WHERE org_id = ?", [org_id]).fetchone()
        return int(n)

    def unscoped_delete_all(self) -> None:
        with self._write_lock:
            with closing(self._cursor()) as cur:
                cur.execute("DELETE FROM legs")

    def unscoped_drop_before(self, month: date) -> int:
        cutoff = datetime(month.year, month.month, 1)
        with self._write_lock:
            with closing(self._cursor()) as cur:
                (n,) = cur.execute("DELETE FROM legs WHERE start_utc < ?", [cutoff]).fetchone()
                return int(n)

    def unscoped_compact(self) -> None:
        with self._write_lock:
            with closing(self._cursor()) as cur:
                cur.execute("BEGIN TRANSACTION")
                cur.execute(
                    "CREATE OR REPLACE TABLE legs AS SELECT * FROM legs ORDER BY org_id, start_utc"
                )
                cur.execute("COMMIT")
                cur.execute("CHECKPOINT")

    def close(self) -> None:
        self._con.close()


def _named(sql: str, values: dict[str, Any]) -> dict[str, Any]:
    """The values a statement names as $parameters (DuckDB refuses any other)."""
    names = set(re.findall(r"\$(\w+)", sql))
    return {k: v for k, v in values.items() if k in names}


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

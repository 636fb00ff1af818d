"""The call store: the one module that talks to the analytic engine.

Nothing else in the project imports an engine's driver. Every method takes the organization
first and every query filters on it; code that must cross organizations says so in its name
(`unscoped_…`).

Engines are chosen by CALLSTORE_URL's scheme from ENGINES. DuckDB (the default) keeps one
file that one process at a time may open for writing: a second process gets StoreBusy and
hands its work to the process that holds the store (see vaxelstat.control).
"""

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from vaxelstat.calls.legs import STORE_COLUMN_NAMES, STORE_COLUMNS


class StoreBusy(Exception):
    """Another process holds the call store open for writing."""


@dataclass(frozen=True)
class LoadResult:
    inserted: int
    # Legs whose natural key was already stored, or repeated within the batch.
    duplicates: int


class CallStore:
    """The interface every engine implements."""

    def __init__(self, url: str) -> None:
        self.url = url

    def load(self, org_id: int, csv_path: Path) -> LoadResult:
        """Append the legs of a CSV file with STORE_COLUMNS, skipping known natural keys.

        All of the file's new legs are stored, or none.
        """
        raise NotImplementedError

    def counts_by_object(self, org_id: int) -> dict[int, int]:
        raise NotImplementedError

    def count(self, org_id: int) -> int:
        raise NotImplementedError

    def legs(self, org_id: int) -> list[dict[str, Any]]:
        """Every leg of the organization, oldest first, as dicts of STORE_COLUMNS."""
        raise NotImplementedError

    def delete_organization(self, org_id: int) -> int:
        raise NotImplementedError

    def compact(self) -> None:
        """Rewrite the store in (organization, start) order."""
        raise NotImplementedError

    def unscoped_delete_all(self) -> None:
        """Delete every organization's legs (for tests)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class DuckDBStore(CallStore):
    def __init__(self, url: str) -> None:
        import duckdb

        self.url = url
        self.path = Path(urlparse(url).path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(str(self.path))
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

    def load(self, org_id: int, csv_path: Path) -> LoadResult:
        types = ", ".join(f"'{name}': '{kind}'" for name, kind in STORE_COLUMNS)
        names = ", ".join(STORE_COLUMN_NAMES)
        with self._write_lock:
            cur = self._cursor()
            try:
                cur.execute("BEGIN TRANSACTION")
                # Column names and types are the constants of STORE_COLUMNS; values are bound.
                cur.execute(
                    f"CREATE TEMP TABLE incoming AS SELECT * FROM read_csv(?, header = true, "  # noqa: S608
                    f"columns = {{{types}}}, quote = '\"', escape = '\"', nullstr = '\\N', "
                    f"timestampformat = '%Y-%m-%d %H:%M:%S')",
                    [str(csv_path)],
                )
                (total,) = cur.execute(
                    "SELECT count(*) FROM incoming WHERE org_id = ?", [org_id]
                ).fetchone()
                (wrong_org,) = cur.execute(
                    "SELECT count(*) FROM incoming WHERE org_id <> ?", [org_id]
                ).fetchone()
                if wrong_org:
                    raise ValueError(f"{csv_path}: legs of another organization")
                (inserted,) = cur.execute(
                    f"INSERT INTO legs ({names}) SELECT {names} FROM ("  # noqa: S608
                    f"  SELECT *, row_number() OVER (PARTITION BY collection_point_id, leg_id"
                    f"    ORDER BY start_utc) AS n FROM incoming WHERE org_id = ?) i"
                    f" WHERE n = 1 AND NOT EXISTS (SELECT 1 FROM legs l WHERE l.org_id = ?"
                    f"  AND l.collection_point_id = i.collection_point_id"
                    f"  AND l.leg_id = i.leg_id)"
                    f" ORDER BY start_utc",
                    [org_id, org_id],
                ).fetchone()
                cur.execute("DROP TABLE incoming")
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            finally:
                cur.close()
        return LoadResult(inserted=inserted, duplicates=total - inserted)

    def counts_by_object(self, org_id: int) -> dict[int, int]:
        cur = self._cursor()
        try:
            rows = cur.execute(
                "SELECT object_id, count(*) FROM legs WHERE org_id = ? GROUP BY object_id",
                [org_id],
            ).fetchall()
        finally:
            cur.close()
        return {object_id: n for object_id, n in rows}

    def count(self, org_id: int) -> int:
        cur = self._cursor()
        try:
            (n,) = cur.execute("SELECT count(*) FROM legs WHERE org_id = ?", [org_id]).fetchone()
        finally:
            cur.close()
        return int(n)

    def legs(self, org_id: int) -> list[dict[str, Any]]:
        cur = self._cursor()
        try:
            cur.execute("SELECT * FROM legs WHERE org_id = ? ORDER BY start_utc, leg_id", [org_id])
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        finally:
            cur.close()

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

    def compact(self) -> None:
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


# Engines by CALLSTORE_URL scheme. The report engine issue adds chdb:// and clickhouse://.
ENGINES: dict[str, type[CallStore]] = {"duckdb": DuckDBStore}

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

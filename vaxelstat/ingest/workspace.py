"""One import's workspace: an in-memory DuckDB where a file becomes legs, whatever engine
holds the call store.

Parsers written in SQL read the file into it themselves; parsers written in Python hand it
their ParseResult (`add_result`). Either way the workspace ends with the tables

- `staged`: the file's legs, by object identity (STAGE_COLUMNS),
- `ws_rejects`: (line, reason, detail, raw) of the records it rejected,
- `ws_names`: (identity, name), display names the file shows,
- `ws_memberships`: (grp, member) identities of group membership the file shows,

and vaxelstat.ingest.rules settles them against what the store already holds. Nothing here
knows the store's engine: the legs leave as Arrow record batches.
"""

import functools
import logging
import os
import threading
import time
from collections.abc import Sequence
from datetime import UTC
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
from django.conf import settings

from vaxelstat import tmpfiles
from vaxelstat.calls import arrow
from vaxelstat.calls.legs import LEG_FIELDS, STAGE_COLUMNS, Leg

if TYPE_CHECKING:
    from vaxelstat.ingest.parsers.base import ParseResult, Reject

STAGE_SCHEMA = arrow.schema(STAGE_COLUMNS)
# At DEBUG, the time of every statement an import runs here (`make bench` prints them: where
# an import's time goes).
log = logging.getLogger(__name__)
# How a step of an import is logged with its time ("0.123 s: what"), and read back (step_of).
STEP = "%.3f s: %s"


def log_step(logger: logging.Logger, started: float, what: str) -> None:
    """At DEBUG, a step of an import that began at `started` (time.perf_counter())."""
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(STEP, time.perf_counter() - started, what)


def step_of(message: str) -> tuple[float, str] | None:
    """(seconds, what) of a message log_step wrote; None for any other."""
    seconds, _, what = message.partition(" s: ")
    try:
        return float(seconds), what
    except ValueError:
        return None


def legs_table(legs: Sequence[Leg]) -> pa.Table:
    """Legs as an Arrow table of STAGE_COLUMNS (start as naive UTC), a column at a time."""
    columns: dict[str, list[Any]] = {}
    for (name, _), field_name in zip(STAGE_COLUMNS, LEG_FIELDS, strict=True):
        values = list(map(attrgetter(field_name), legs))
        if field_name == "start":
            values = [value.astimezone(UTC).replace(tzinfo=None) for value in values]
        columns[name] = values
    return pa.table(columns, schema=STAGE_SCHEMA)


# Below this many bytes a file is read on one thread: for a small file a second thread costs
# more than it saves (a quarter of the time of a file of a few calls).
SMALL_FILE = 1 << 20
# The process's workspace databases, by (small files?, the folder each writes what it cannot
# hold to).
_databases: dict[tuple[bool, str], duckdb.DuckDBPyConnection] = {}
_databases_lock = threading.Lock()
# Held by a reader that needs a table in the file's order (insertion order is a setting of the
# whole database, which other imports share).
ORDERED_READ = threading.Lock()


def _connection(small: bool) -> duckdb.DuckDBPyConnection:
    """A connection of its own to one of the process's two in-memory DuckDBs (one on a single
    thread for small files, one with every thread for the rest; the number of threads is a
    database's, not a connection's). A database for every import keeps the memory its
    allocator has touched (VAXELSTAT_DUCKDB_BLOCK_MEMORY): a fresh one per file paid the
    page faults again every time. Each import's tables are temporary: its connection's own.
    The database of the rest holds at most IMPORT_MEMORY, that of small files the least an
    import needs (MIN_IMPORT_MEMORY_MB); beyond it, each writes what it holds to a folder of
    its own in the data directory's tmp/ (which tmpfiles.remove_leftovers removes once this
    process is gone); a data directory that changed (a test's) gets databases of its own."""
    spill = str(tmpfiles.folder() / f"{os.getpid()}-import-{'small' if small else 'large'}")
    key = (small, spill)
    with _databases_lock:
        if key not in _databases:
            # Every statement orders what it needs itself: tables may come out in any order
            # (cheaper with two threads or more). The setting is the database's: a reader
            # that needs the file's order takes it under ORDERED_READ.
            config: dict[str, Any] = {
                "block_allocator_memory": settings.DUCKDB_BLOCK_MEMORY,
                "preserve_insertion_order": False,
                "memory_limit": (
                    f"{settings.MIN_IMPORT_MEMORY_MB}MB" if small else settings.IMPORT_MEMORY
                ),
                "temp_directory": spill,
            }
            if small:
                config["threads"] = 1
            _databases[key] = duckdb.connect(":memory:", config=config)
        return _databases[key].cursor()


_parsing = threading.Lock()


@functools.lru_cache(maxsize=1)
def _parser() -> duckdb.DuckDBPyConnection:
    """A database of its own that only parses (DuckDB's default one would be another in-memory
    database of the process, with a thread a core)."""
    return duckdb.connect(":memory:", config={"threads": 1})


@functools.lru_cache(maxsize=256)
def _parsed(sql: str) -> "duckdb.Statement | str":
    """A statement as DuckDB parsed it, once a process (the same statement runs for every file:
    the walk of a Master.csv is 43 kB of SQL, whose parsing took 20 ms of each file's import,
    a fifth of a small file's). Each run takes a copy of it, on any connection. Text that is
    not one statement is left to DuckDB to parse (and run, or refuse)."""
    try:
        with _parsing:
            statements = duckdb.extract_statements(sql, connection=_parser())
    except duckdb.Error:
        return sql
    return statements[0] if len(statements) == 1 else sql


def statement_name(sql: str) -> str:
    """A statement as a log names it: its first 80 characters, without its comments."""
    text = " ".join(line.split("--")[0] for line in sql.splitlines())
    return " ".join(text.split())[:80]


class Workspace:
    def __init__(self, size: int = 0) -> None:
        """`size`: the size in bytes of the file to be read."""
        self.con = _connection(size < SMALL_FILE)
        self.con.execute("SET TimeZone = 'UTC'")
        if size < SMALL_FILE:
            # A small file's tables are small: planning its few dozen statements costs more
            # than any plan saves (a third of a vector's import; a file of 1 MB imports as
            # fast either way, measured).
            self.con.execute("PRAGMA disable_optimizer")
        columns = ", ".join(f"{name} {kind}" for name, kind in STAGE_COLUMNS)
        self.con.execute(f"CREATE TEMP TABLE staged ({columns})")
        self.con.execute(
            "CREATE TEMP TABLE ws_rejects (line INTEGER, reason VARCHAR, detail VARCHAR, "
            "raw VARCHAR)"
        )
        self.con.execute("CREATE TEMP TABLE ws_names (identity VARCHAR, name VARCHAR)")
        # Records held back (incomplete_call) by the call they belong to, and its start.
        self.con.execute(
            "CREATE TEMP TABLE ws_held (line INTEGER, call_id VARCHAR, start_utc TIMESTAMP)"
        )
        self.con.execute("CREATE TEMP TABLE ws_memberships (grp VARCHAR, member VARCHAR)")
        # Lines the file had, as its parser counts them.
        self.lines = 0

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc: object) -> None:
        self.con.close()

    def run(self, sql: str, values: dict[str, Any] | None = None) -> Any:
        """Run a statement with the `$name` values it names (DuckDB refuses any other)."""
        values = values or {}
        started = time.perf_counter()
        result = self.con.execute(_parsed(sql), {k: v for k, v in values.items() if f"${k}" in sql})
        if log.isEnabledFor(logging.DEBUG):
            log_step(log, started, statement_name(sql))
        return result

    def one(self, sql: str, values: dict[str, Any] | None = None) -> tuple[Any, ...]:
        """The one row a statement gives (read whole: DuckDB lets no other work on the
        connection begin before a result is)."""
        row: tuple[Any, ...] = self.run(sql, values).fetchall()[0]
        return row

    def insert(self, table: str, rows: Sequence[Sequence[Any]]) -> None:
        """Rows (values in the order of the table's columns) into one of the workspace's
        tables, a column at a time through Arrow: DuckDB's executemany runs its statement once
        a row (half a millisecond each, measured: 0.58 s for the ids of 1,000 objects, which
        every import of the organization paid)."""
        if not rows:
            return
        # (The insert takes the columns by position: their names here are any.)
        columns = zip(*rows, strict=True)
        self.con.register("ws_rows", pa.table({f"c{i}": list(c) for i, c in enumerate(columns)}))
        try:
            self.con.execute(f"INSERT INTO {table} SELECT * FROM ws_rows")  # noqa: S608
        finally:
            self.con.unregister("ws_rows")

    def add_legs(self, legs: Sequence[Leg]) -> None:
        if legs:
            table = legs_table(legs)
            self.con.register("ws_incoming", table)
            try:
                self.con.execute("INSERT INTO staged SELECT * FROM ws_incoming")
            finally:
                self.con.unregister("ws_incoming")

    def add_rejects(self, rejects: Sequence["Reject"]) -> None:
        if rejects:
            self.insert("ws_rejects", [(r.line, str(r.reason), r.detail, r.raw) for r in rejects])

    def add_held(self, held: Sequence[tuple[int, str, Any]]) -> None:
        """(line, call id, start as naive UTC or local) of records held back with a call not
        ended in the file (rules.forget_held_of_stored_calls forgets those the point holds)."""
        if held:
            self.insert("ws_held", held)

    def add_result(self, result: "ParseResult") -> None:
        """What a parser written in Python found."""
        self.add_legs(result.legs)
        self.add_rejects(result.rejects)
        if result.names:
            self.insert("ws_names", list(result.names.items()))
        if result.memberships:
            self.insert("ws_memberships", sorted(result.memberships))
        self.lines += result.lines

    def reject_implausible_legs(self) -> int:
        """The last guard, whatever the format: a leg whose start is not from 1990 to
        tomorrow, whose wait or talk is not 0 to 24 hours, or whose object's number is longer
        than a number is (64 characters) or holds a NUL, is not stored; it becomes a
        rejected record that says which leg and why (its record's line is not known here: the
        parsers reject what they can on its line first). Return how many."""
        from vaxelstat.ingest.parsers.base import EARLIEST, MAX_SECONDS, latest

        values = {
            "earliest": EARLIEST.replace(tzinfo=None),
            "latest": latest().replace(tzinfo=None),
            "most": MAX_SECONDS,
        }
        # Its "record" is the leg as read (unique in the file: it is kept once).
        found = self.con.execute(
            """SELECT leg_id,
                 CASE WHEN start_utc NOT BETWEEN $earliest AND $latest
                        THEN 'bad_time' ELSE 'bad_number' END,
                 'start ' || start_utc::VARCHAR || ' UTC, wait ' || wait_s::VARCHAR
                   || ' s, talk ' || talk_s::VARCHAR || ' s, a number of '
                   || length(object_number)::VARCHAR || ' characters: not a call''s (a time '
                   || 'from 1990 to tomorrow, waits and talk of 0 to 24 hours, numbers of at '
                   || 'most 64 characters)',
                 'leg ' || left(leg_id, 300) || ' (' || object_kind || ' '
                   || left(object_number, 100) || ')'
               FROM staged
               WHERE start_utc NOT BETWEEN $earliest AND $latest
                  OR coalesce(wait_s, 0) NOT BETWEEN 0 AND $most
                  OR coalesce(talk_s, 0) NOT BETWEEN 0 AND $most
                  -- An object's number no PBX has: longer than a number is, or with a NUL.
                  OR length(object_number) > 64 OR length(object_identity) > 200
                  OR contains(object_identity, chr(0))""",
            values,
        ).fetchall()
        if found:
            self.insert(
                "ws_rejects", [(0, reason, detail, raw) for _, reason, detail, raw in found]
            )
            self.con.execute(
                "DELETE FROM staged WHERE leg_id IN (SELECT unnest($ids::VARCHAR[]))",
                {"ids": [leg_id for leg_id, *_ in found]},
            )
        return len(found)

    def rejects(self) -> list["Reject"]:
        """The records the file's parser rejected, in line order."""
        from vaxelstat.ingest.parsers.base import Reason, Reject

        rows = self.con.execute("SELECT * FROM ws_rejects ORDER BY line").fetchall()
        return [Reject(line, Reason(reason), detail, raw) for line, reason, detail, raw in rows]

    def names(self) -> dict[str, str]:
        """The first name the file gives each identity."""
        return dict(
            self.con.execute(
                "SELECT identity, first(name ORDER BY rowid) FROM ws_names GROUP BY identity"
            ).fetchall()
        )

    def memberships(self) -> set[tuple[str, str]]:
        return set(self.con.execute("SELECT DISTINCT grp, member FROM ws_memberships").fetchall())

    def objects(self) -> list[tuple[str, str, str]]:
        """(kind, identity, number) of every object the staged legs name."""
        return self.con.execute(
            "SELECT object_kind, object_identity, any_value(object_number) FROM staged GROUP BY ALL"
        ).fetchall()

    def result(self) -> "ParseResult":
        """What the file gave, as a parser written in Python gives it."""
        from vaxelstat.ingest.parsers.base import ParseResult

        return ParseResult(
            legs=self.staged_legs(),
            rejects=self.rejects(),
            lines=self.lines,
            names=self.names(),
            memberships=self.memberships(),
        )

    def staged_legs(self) -> list[Leg]:
        """The staged legs as Leg objects (start aware, UTC), in start order."""
        names = [name for name, _ in STAGE_COLUMNS]
        rows = self.con.execute(
            f"SELECT {', '.join(names)} FROM staged ORDER BY start_utc, leg_id"  # noqa: S608
        ).fetchall()
        legs = []
        for row in rows:
            values = dict(zip(LEG_FIELDS, row, strict=True))
            values["start"] = values["start"].replace(tzinfo=UTC)
            legs.append(Leg(**values))
        return legs

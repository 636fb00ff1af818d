"""The ClickHouse engine of the call store: in process through chDB (`chdb:///PATH`), or a
ClickHouse server through clickhouse-connect (`clickhouse://USER:PASSWORD@HOST:8123/DATABASE`,
`clickhouses://` for TLS; `?cluster=NAME` for a sharded and replicated cluster).

The table is a MergeTree ordered by (organization, start) and partitioned by month, so
retention drops whole partitions and a report reads one organization's range. On a cluster
each shard keeps `legs_local`, a ReplicatedMergeTree, and `legs` is the Distributed table over
them, sharded by organization so that one organization's legs stay on one shard. Both
transports run the same statements; only how a statement and a CSV file reach the engine
differs. The report
engine writes its statements with `$name` parameters; here they become ClickHouse query
parameters (`{name:Type}`), typed from the values. ClickHouse has no multi-statement
transactions: a file's legs go in with one INSERT, which ClickHouse applies whole for up to a
million rows.
"""

import json
import queue
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, unquote, urlparse

import pyarrow as pa
import pyarrow.compute as pc

from vaxelstat import tmpfiles
from vaxelstat.calls import results
from vaxelstat.calls.arrow import ARROW_TYPES
from vaxelstat.calls.legs import STORE_COLUMN_NAMES, STORE_COLUMNS
from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import OTHER_POINT, CallStore

TYPES = {
    "INTEGER": "Int32",
    "BIGINT": "Int64",
    "VARCHAR": "String",
    "BOOLEAN": "Bool",
    "TIMESTAMP": "DateTime('UTC')",
}
LOW_CARDINALITY = {"object_kind", "direction", "type"}


def _column_type(name: str, kind: str) -> str:
    base = TYPES[kind]
    return f"LowCardinality({base})" if name in LOW_CARDINALITY else base


def _ch_value(value: Any) -> tuple[str, str]:
    """(ClickHouse type, the parameter's text) of a Python value."""
    if isinstance(value, bool):
        return "Bool", "true" if value else "false"
    if isinstance(value, int):
        return "Int64", str(value)
    if isinstance(value, float):
        return "Float64", repr(value)
    if isinstance(value, datetime):
        return "DateTime('UTC')", value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return "Date", value.isoformat()
    if isinstance(value, time):
        return "String", value.isoformat()
    if isinstance(value, list):
        if all(isinstance(v, int) for v in value):
            return "Array(Int64)", "[" + ",".join(str(v) for v in value) + "]"
        quoted = ",".join(
            "'" + str(v).replace("\\", "\\\\").replace("'", "\\'") + "'" for v in value
        )
        return "Array(String)", f"[{quoted}]"
    return "String", str(value)


def to_clickhouse(sql: str, values: dict[str, Any]) -> tuple[str, dict[str, tuple[str, str]]]:
    """Rewrite `$name` parameters as `{name:Type}`; give each one's (type, value as text)."""
    used = set(re.findall(r"\$(\w+)", sql))
    typed = {name: _ch_value(values[name]) for name in used}
    text = re.sub(r"\$(\w+)", lambda m: f"{{{m.group(1)}:{typed[m.group(1)][0]}}}", sql)
    return text, typed


def _python(value: Any, kind: str) -> Any:
    """A value of JSON output back to Python, by its ClickHouse type."""
    if value is None:
        return None
    base = kind.removeprefix("Nullable(").removeprefix("LowCardinality(").rstrip(")")
    if base.startswith("DateTime"):
        return datetime.fromisoformat(value)
    if base == "Date":
        return date.fromisoformat(value)
    if base.startswith(("Int", "UInt")) and isinstance(value, str):
        return int(value)
    return value


def _as_store_types(table: pa.Table) -> pa.Table:
    """ClickHouse's Arrow as the store's column types: DateTime arrives as seconds (uint32),
    Bool perhaps as a number."""
    kinds = dict(STORE_COLUMNS)
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        kind = kinds.get(name)
        if kind == "TIMESTAMP" and not pa.types.is_timestamp(column.type):
            column = pc.multiply(column.cast(pa.int64()), 1_000_000).cast(pa.timestamp("us"))
        elif kind == "TIMESTAMP":
            column = column.cast(pa.timestamp("us"))
        elif kind in ARROW_TYPES:
            column = column.cast(ARROW_TYPES[kind])
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


class ChdbTransport:
    """ClickHouse in this process: chDB connections to one folder, each running one statement
    at a time and all of them side by side (the web threads' reports at once)."""

    CONNECTIONS = 4

    def __init__(self, url: str) -> None:
        import chdb

        path = Path(urlparse(url).path)
        path.mkdir(parents=True, exist_ok=True)
        self._pool: queue.Queue[Any] = queue.Queue()
        self._all = [chdb.connect(str(path)) for _ in range(self.CONNECTIONS)]
        for connection in self._all:
            self._pool.put(connection)

    def _query(self, text: str, fmt: str, values: dict[str, str]) -> Any:
        connection = self._pool.get()
        try:
            return connection.query(text, fmt, params=values)
        finally:
            self._pool.put(connection)

    def query(self, text: str, params: dict[str, tuple[str, str]]) -> str:
        # Parameters are read in ClickHouse's escaped text form: a string's backslashes,
        # tabs and line breaks are escaped (the server transport has clickhouse-connect do it).
        values = {k: _escaped(v) if kind == "String" else v for k, (kind, v) in params.items()}
        return str(self._query(text, "JSONCompact", values))

    def command(self, text: str, params: dict[str, tuple[str, str]]) -> None:
        self.query(text, params)

    def query_arrow(self, text: str, params: dict[str, tuple[str, str]]) -> pa.Table:
        values = {k: _escaped(v) if kind == "String" else v for k, (kind, v) in params.items()}
        result = self._query(text, "ArrowStream", values)
        return pa.ipc.open_stream(result.bytes()).read_all()

    def insert_file(self, table: str, path: Path, names: list[str], sync: bool) -> None:
        """Insert the rows of an Arrow file (columns `names`) with one statement."""
        columns = ", ".join(names)
        self.query(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM file({{path:String}}, 'Arrow')",
            {"path": ("String", str(path))},
        )

    def close(self) -> None:
        for _ in self._all:  # (each back from its statement)
            self._pool.get()
        for connection in self._all:
            connection.close()


class _Text:
    """A parameter already in ClickHouse's text form (clickhouse-connect sends it as it is)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


# How many of its last inserts' deduplication tokens a table keeps (a retried insert's block is
# stored once).
DEDUPLICATION_WINDOW = 1000

# How many calls one DELETE names (gallring's calls across its cutoff).
DELETE_BATCH = 10_000

# How long a statement may take on a server, in seconds, unless the URL says (`?timeout=`).
SERVER_TIMEOUT_S = 300.0


def server_options(url: str) -> dict[str, Any]:
    """clickhouse-connect's options for a server URL: clickhouse[s]://USER:PASSWORD@HOST:PORT/DB
    with, optionally, `?timeout=SECONDS` (each statement's, default SERVER_TIMEOUT_S) and
    `?settings=NAME:VALUE,NAME:VALUE` (ClickHouse settings for every statement). On a cluster
    (`?cluster=`) an organization's statements go to its shard alone
    (optimize_skip_unused_shards), unless the URL's settings say otherwise."""
    parts = urlparse(url)
    query = parse_qs(parts.query)
    secure = parts.scheme == "clickhouses"
    try:
        timeout = float(query.get("timeout", [SERVER_TIMEOUT_S])[-1])
    except ValueError:
        raise ValueError("CALLSTORE_URL: timeout is a number of seconds") from None
    if not 0 < timeout <= 86400:
        raise ValueError("CALLSTORE_URL: timeout is 0 to 86400 seconds")
    settings: dict[str, str] = {}
    if query.get("cluster"):
        settings["optimize_skip_unused_shards"] = "1"
    for pair in ",".join(query.get("settings", [])).split(","):
        if not pair.strip():
            continue
        name, colon, value = pair.partition(":")
        if not colon or not re.fullmatch(r"[a-z_][a-z0-9_]*", name.strip()):
            raise ValueError(f"CALLSTORE_URL: setting {pair!r} is not NAME:VALUE")
        settings[name.strip()] = value.strip()
    return {
        "host": parts.hostname or "localhost",
        "port": parts.port or (8443 if secure else 8123),
        "username": unquote(parts.username or "default"),
        "password": unquote(parts.password or ""),
        "database": parts.path.lstrip("/") or "default",
        "secure": secure,
        "connect_timeout": min(timeout, 10.0),
        "send_receive_timeout": timeout,
        "settings": settings,
        # No session: requests are independent, so the client's pool of connections serves
        # the web threads at once (a session would take them one at a time).
        "autogenerate_session_id": False,
        # Query and parameters in the body, not the URL: a list of a file's call ids passes a
        # server's limit on a URL's length (http_max_uri_size, 1 MiB).
        "form_encode_query_params": True,
    }


class _Read:
    """A file's bytes as an insert's body, read from its start each time the body is sent
    (clickhouse-connect sends an insert again once where the connection closed)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __iter__(self) -> Iterator[bytes]:
        with open(self.path, "rb") as f:
            while chunk := f.read(1 << 20):
                yield chunk


class ServerTransport:
    """A ClickHouse server over HTTP(S) through clickhouse-connect."""

    def __init__(self, url: str) -> None:
        import clickhouse_connect

        self.client = clickhouse_connect.get_client(**server_options(url))

    @staticmethod
    def _values(params: dict[str, tuple[str, str]]) -> dict[str, Any]:
        # Strings go as Python strings (clickhouse-connect escapes them); the rest as text.
        return {k: v if kind == "String" else _Text(v) for k, (kind, v) in params.items()}

    def query(self, text: str, params: dict[str, tuple[str, str]]) -> str:
        return self.client.raw_query(
            text, parameters=self._values(params), fmt="JSONCompact"
        ).decode()

    def command(self, text: str, params: dict[str, tuple[str, str]]) -> None:
        # A statement without a result (DDL, DELETE, OPTIMIZE): sent without a FORMAT, which
        # ClickHouse refuses after it; its parameters in the body too (client.command would
        # put them in the URL: a DELETE of a file's replaced legs passes its length).
        self.client.raw_query(text, parameters=self._values(params))

    def query_arrow(self, text: str, params: dict[str, tuple[str, str]]) -> pa.Table:
        return self.client.query_arrow(text, parameters=self._values(params))

    def insert_file(self, table: str, path: Path, names: list[str], sync: bool) -> None:
        """Insert the rows of an Arrow file (columns `names`) with one statement, the file
        sent as it is read. Where the connection fails before the answer (the server may
        have stored them), the insert is sent once more with the same deduplication token:
        the table stores such a block once (the store's tables keep the tokens of their last
        DEDUPLICATION_WINDOW inserts)."""
        from clickhouse_connect.driver.exceptions import OperationalError

        settings: dict[str, Any] = {"insert_deduplication_token": uuid.uuid4().hex}
        if sync:
            settings["insert_distributed_sync"] = 1
        # (An iterable body, which urllib3 sends as it reads it: its length said, as one body,
        # not in chunks. clickhouse-connect's types name no iterable.)
        body: Any = _Read(path)
        length = {"Content-Length": str(path.stat().st_size)}
        for attempt in (1, 2):
            try:
                self.client.raw_insert(
                    table, names, body, settings=settings, fmt="Arrow", transport_settings=length
                )
                return
            except OperationalError:
                if attempt == 2:
                    raise

    def close(self) -> None:
        self.client.close()


def _written(
    rows: pa.Table | pa.RecordBatchReader, out: IO[bytes], org_id: int, point_id: int
) -> int:
    """Write the rows to an Arrow file (its columns LZ4-compressed, as clickhouse-connect
    sends them), a batch at a time; return how many. A row of another organization or point
    than the one named fails it (OTHER_POINT)."""
    batches = rows.to_batches() if isinstance(rows, pa.Table) else rows
    count = 0
    options = pa.ipc.IpcWriteOptions(compression="lz4")
    with pa.ipc.new_file(out, rows.schema, options=options) as writer:
        for batch in batches:
            if batch.num_rows and not (
                pc.all(pc.equal(batch["org_id"], org_id)).as_py()
                and pc.all(pc.equal(batch["collection_point_id"], point_id)).as_py()
            ):
                raise ValueError(OTHER_POINT)
            writer.write_batch(batch)
            count += batch.num_rows
    out.flush()
    return count


class ClickHouseStore(CallStore):
    dialect = "clickhouse"

    def __init__(self, url: str) -> None:
        self.url = url
        parts = urlparse(url)
        self.transport: ChdbTransport | ServerTransport = (
            ChdbTransport(url) if parts.scheme == "chdb" else ServerTransport(url)
        )
        self.cluster = parse_qs(parts.query).get("cluster", [""])[0]
        if self.cluster and not re.fullmatch(r"[A-Za-z0-9_]+", self.cluster):
            raise ValueError(f"CALLSTORE_URL: cluster name {self.cluster!r} is not a plain name")
        self.local = "legs_local" if self.cluster else "legs"
        # The tables are made once: a store opened where they are sends no DDL (on a cluster,
        # DDL ON CLUSTER waits for every node, and fails while one is down).
        if self._made():
            return
        self.migrate()

    def migrate(self) -> None:
        """Make the store's tables where they are missing (`vaxelstat migrate` does, once;
        a store opened without them does too), and bring an older table's settings up to
        date."""
        columns = ", ".join(f"{name} {_column_type(name, kind)}" for name, kind in STORE_COLUMNS)
        layout = "PARTITION BY toYYYYMM(start_utc) ORDER BY (org_id, start_utc)"
        if self.cluster:
            # Each shard's replicas hold legs_local; legs spreads organizations over shards.
            # (A replicated table keeps its inserts' tokens: replicated_deduplication_window.)
            on = f"ON CLUSTER {self.cluster}"
            self.execute(
                f"CREATE TABLE IF NOT EXISTS legs_local {on} ({columns}) "
                "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/legs_local', "
                f"'{{replica}}') {layout}"
            )
            self.execute(
                f"CREATE TABLE IF NOT EXISTS legs {on} AS legs_local "
                f"ENGINE = Distributed({self.cluster}, currentDatabase(), legs_local, org_id)"
            )
        elif isinstance(self.transport, ServerTransport):
            # A server's answer may be lost: its inserts carry tokens the table keeps.
            window = f"non_replicated_deduplication_window = {DEDUPLICATION_WINDOW}"
            self.execute(
                f"CREATE TABLE IF NOT EXISTS legs ({columns}) ENGINE = MergeTree {layout} "
                f"SETTINGS {window}"
            )
            # A table made before the setting was.
            self.execute(f"ALTER TABLE legs MODIFY SETTING {window}")
        else:
            # In process (chDB) no answer is lost, and no insert is dropped as a repeat.
            self.execute(f"CREATE TABLE IF NOT EXISTS legs ({columns}) ENGINE = MergeTree {layout}")

    @property
    def keeps_answers(self) -> bool:
        """chDB is this process's alone. A server may be written by other processes (`vaxelstat
        import` beside the server): answers are kept where they all renew one version (the
        app database's cache), and not on a cluster, whose replicas may answer a read just
        after a write with what they held before it (the answer would be kept as the new)."""
        if isinstance(self.transport, ChdbTransport):
            return True
        return results.shared() and not self.cluster

    def _made(self) -> bool:
        """Whether this database holds the store's tables (the local one and `legs`)."""
        rows = self.query(
            "SELECT count() AS n FROM system.tables WHERE database = currentDatabase() "
            "AND name IN ('legs', $local)",
            {"local": self.local},
        )
        return int(rows[0]["n"]) == (2 if self.cluster else 1)

    @property
    def _on_cluster(self) -> str:
        return f" ON CLUSTER {self.cluster}" if self.cluster else ""

    def query(self, sql: str, values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one statement; rows as dicts of Python values."""
        text, params = to_clickhouse(sql, values or {})
        raw = self.transport.query(text, params)
        if not raw.strip():
            return []
        data = json.loads(raw)
        meta = data["meta"]
        return [
            {m["name"]: _python(v, m["type"]) for m, v in zip(meta, row, strict=True)}
            for row in data["data"]
        ]

    def execute(self, sql: str, values: dict[str, Any] | None = None) -> None:
        """Run one statement without a result (DDL, DELETE, OPTIMIZE, TRUNCATE)."""
        text, params = to_clickhouse(sql, values or {})
        self.transport.command(text, params)

    def query_arrow(self, sql: str, values: dict[str, Any] | None = None) -> pa.Table:
        """Run one statement; its rows as an Arrow table of the store's own column types."""
        text, params = to_clickhouse(sql, values or {})
        return _as_store_types(self.transport.query_arrow(text, params))

    def stored_keys(
        self, org_id: int, point_id: int, earliest: datetime, latest: datetime
    ) -> pa.Table:
        return self.query_arrow(
            "SELECT leg_id, call_id, note, import_id, object_id, start_utc, wait_s, talk_s "
            "FROM legs "
            "WHERE org_id = $org_id AND collection_point_id = $point_id "
            "AND start_utc BETWEEN $earliest AND $latest",
            {"org_id": org_id, "point_id": point_id, "earliest": earliest, "latest": latest},
        )

    def stored_legs_of_calls(
        self,
        org_id: int,
        point_id: int,
        earliest: datetime,
        latest: datetime,
        call_ids: list[str],
    ) -> pa.Table:
        return self.query_arrow(
            f"SELECT {', '.join(STORE_COLUMN_NAMES)} FROM legs WHERE org_id = $org_id "
            "AND collection_point_id = $point_id AND start_utc BETWEEN $earliest AND $latest "
            "AND has($calls, call_id)",
            {
                "org_id": org_id,
                "point_id": point_id,
                "earliest": earliest,
                "latest": latest,
                "calls": call_ids,
            },
        )

    def apply(
        self,
        org_id: int,
        point_id: int,
        rows: pa.Table | pa.RecordBatchReader,
        replaces: list[str],
        earliest: datetime,
        latest: datetime,
    ) -> None:
        # ClickHouse has no transactions over two statements: the replaced legs go first, so
        # a failure between the two loses them until the file is imported again (which then
        # finds them missing and stores them); a file's own legs go in with one INSERT, of a
        # file written a batch at a time (and checked as it is written: of rows of another
        # organization or point, nothing is stored).
        with tmpfiles.named(".arrow") as tmp:
            count = _written(rows, tmp, org_id, point_id)
            if replaces:
                self.execute(
                    f"DELETE FROM {self.local}{self._on_cluster} WHERE org_id = $org_id "
                    "AND collection_point_id = $point_id "
                    "AND start_utc BETWEEN $earliest AND $latest AND has($ids, leg_id)",
                    {
                        "org_id": org_id,
                        "point_id": point_id,
                        "earliest": earliest,
                        "latest": latest,
                        "ids": replaces,
                    },
                )
            if count:
                # On a cluster the insert returns once every shard has its legs, so that a
                # re-import right after sees them.
                self.transport.insert_file(
                    "legs", Path(tmp.name), rows.schema.names, sync=bool(self.cluster)
                )

    def _in_scope(self, scope: Scope) -> tuple[str, dict[str, Any]]:
        """The WHERE clause (and its values) of the legs in scope."""
        if scope.objects is None:
            return "org_id = $org_id", {"org_id": scope.org_id}
        return "org_id = $org_id AND has($visible, object_id)", {
            "org_id": scope.org_id,
            "visible": sorted(scope.objects),
        }

    def _counts_by_object(self, scope: Scope) -> dict[int, int]:
        where, values = self._in_scope(scope)
        rows = self.query(
            f"SELECT object_id, count() AS n FROM legs WHERE {where} AND direction <> 'agent' "
            "GROUP BY object_id",
            values,
        )
        return {r["object_id"]: int(r["n"]) for r in rows}

    def count(self, scope: Scope) -> int:
        where, values = self._in_scope(scope)
        return int(self.query(f"SELECT count() AS n FROM legs WHERE {where}", values)[0]["n"])

    def count_of_import(self, org_id: int, import_id: int) -> int:
        rows = self.query(
            "SELECT count() AS n FROM legs WHERE org_id = $org_id AND import_id = $import_id",
            {"org_id": org_id, "import_id": import_id},
        )
        return int(rows[0]["n"])

    def legs(self, scope: Scope) -> list[dict[str, Any]]:
        where, values = self._in_scope(scope)
        return self.query(f"SELECT * FROM legs WHERE {where} ORDER BY start_utc, leg_id", values)

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
        columns = ", ".join(f"{m} AS m{i}" for i, m in enumerate(measures))
        # The organization filter is the store's own; the rest is the report engine's SQL.
        rows = self.query(
            f"SELECT {bucket} AS bucket, grouping(bucket) AS is_total, {columns} "
            f"FROM {self.from_legs(source)} "
            f"WHERE org_id = $org_id AND has($object_ids, object_id) AND ({where}) "
            f"GROUP BY GROUPING SETS ((bucket), ())",
            {**params, "org_id": org_id, "object_ids": object_ids},
        )
        return [
            (None if r["is_total"] else r["bucket"], [r[f"m{i}"] for i in range(len(measures))])
            for r in rows
        ]

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
            f"FROM {self.from_legs(source)} WHERE org_id = $org_id "
            f"AND has($object_ids, object_id) AND ({where})"
        )
        values = {**params, "org_id": org_id, "object_ids": object_ids}

        def count() -> int:
            return int(self.query(f"SELECT count() AS n {matching}", values)[0]["n"])

        total = count() if limit is None else None
        values.update(limit=limit if limit is not None else total, offset=offset)
        rows = self.query(
            f"SELECT * {matching} ORDER BY {order} LIMIT $limit OFFSET $offset", values
        )
        if total is None:
            total = self.total_of_page(len(rows), limit, offset, count)
        return total, rows

    def generate_synthetic(
        self,
        org_id: int,
        legs: int,
        object_ids: list[int],
        kinds: list[str],
        end: datetime,
        days: int,
    ) -> None:
        from vaxelstat.calls.generate import generate_clickhouse_sql

        self.execute(
            generate_clickhouse_sql(),
            {
                "org_id": org_id,
                "legs": legs,
                "object_ids": object_ids,
                "kinds": kinds,
                "end": end,
                "days": days,
            },
        )

    def unscoped_census(self) -> list[tuple[int, int, date, int]]:
        rows = self.query(
            "SELECT org_id, collection_point_id, toStartOfMonth(start_utc) AS month, "
            "count() AS n FROM legs GROUP BY org_id, collection_point_id, month ORDER BY "
            "org_id, collection_point_id, month"
        )
        return [(r["org_id"], r["collection_point_id"], r["month"], int(r["n"])) for r in rows]

    def legs_between(self, org_id: int, point_id: int, start: datetime, end: datetime) -> pa.Table:
        return self.query_arrow(
            f"SELECT {', '.join(STORE_COLUMN_NAMES)} FROM legs WHERE org_id = $org_id "
            "AND collection_point_id = $point_id AND start_utc >= $start AND start_utc < $end "
            "ORDER BY start_utc, leg_id",
            {
                "org_id": org_id,
                "point_id": point_id,
                "start": start.astimezone(UTC),
                "end": end.astimezone(UTC),
            },
        )

    def calls_before(self, org_id: int, before: datetime) -> int:
        rows = self.query(
            "SELECT uniqExact(collection_point_id, call_id) AS n FROM legs "
            "WHERE org_id = $org_id AND start_utc < $before",
            {"org_id": org_id, "before": before.astimezone(UTC)},
        )
        return int(rows[0]["n"])

    def delete_calls_before(self, org_id: int, before: datetime) -> int:
        # A replicated table refuses a mutation with a subquery (each replica would run it
        # on its own data): the calls on both sides of `before` are found first, and each
        # DELETE names its legs by literal values.
        cutoff = before.astimezone(UTC)
        n = self.calls_before(org_id, before)
        across = self.query(
            "SELECT collection_point_id AS point, call_id, max(start_utc) AS last FROM legs "
            "WHERE org_id = $org_id GROUP BY collection_point_id, call_id "
            "HAVING min(start_utc) < $before AND max(start_utc) >= $before",
            {"org_id": org_id, "before": cutoff},
        )
        # The calls' later legs go first: were a DELETE to fail, the next gallring finds
        # these calls again by their earlier legs.
        for i in range(0, len(across), DELETE_BATCH):
            batch = across[i : i + DELETE_BATCH]
            self.execute(
                f"DELETE FROM {self.local}{self._on_cluster} WHERE org_id = $org_id "
                "AND start_utc BETWEEN $before AND $last "
                "AND has($keys, concat(toString(collection_point_id), '/', call_id))",
                {
                    "org_id": org_id,
                    "before": cutoff,
                    "last": max(r["last"] for r in batch),
                    "keys": [f"{r['point']}/{r['call_id']}" for r in batch],
                },
            )
        self.execute(
            f"DELETE FROM {self.local}{self._on_cluster} WHERE org_id = $org_id "
            "AND start_utc < $before",
            {"org_id": org_id, "before": cutoff},
        )
        return n

    def delete_organization(self, org_id: int) -> int:
        n = self.count(Scope.whole(org_id))
        self.execute(
            f"DELETE FROM {self.local}{self._on_cluster} WHERE org_id = $org_id",
            {"org_id": org_id},
        )
        return n

    def unscoped_compact(self) -> None:
        """Merge each month whose legs lie in more than one part on some replica, or whose
        part still holds deleted legs (a DELETE only hides them), a month per statement (a
        whole table's OPTIMIZE rewrites every month, and passes any timeout)."""
        # (system.parts of every replica of the store's table.)
        parts = "clusterAllReplicas($cluster, system.parts)" if self.cluster else "system.parts"
        partitions = self.query(
            "SELECT partition_id FROM (SELECT partition_id, count() AS parts, "
            "max(has_lightweight_delete) AS deleted "
            f"FROM {parts} WHERE database = currentDatabase() AND table = $table "
            "AND active GROUP BY partition_id, hostName()) "
            "GROUP BY partition_id HAVING max(parts) > 1 OR max(deleted) "
            "ORDER BY partition_id",
            {"cluster": self.cluster, "table": self.local},
        )
        for p in partitions:
            if p["partition_id"].isdigit():  # (a month, toYYYYMM: digits only)
                self.execute(
                    f"OPTIMIZE TABLE {self.local}{self._on_cluster} "
                    f"PARTITION ID '{p['partition_id']}' FINAL"
                )

    def unscoped_delete_all(self) -> None:
        self.execute(f"TRUNCATE TABLE {self.local}{self._on_cluster}")

    def unscoped_drop_before(self, month: date) -> int:
        """Retention: drop the whole months before `month`, partition by partition."""
        cutoff = month.year * 100 + month.month
        # Counted through `legs`, which reads one replica of each shard: each leg once. (A
        # month's partition id is its toYYYYMM.)
        partitions = self.query(
            "SELECT toString(toYYYYMM(start_utc)) AS partition, count() AS n FROM legs "
            "GROUP BY partition"
        )
        dropped = 0
        for p in partitions:
            if p["partition"].isdigit() and int(p["partition"]) < cutoff:
                # The partition id is digits only (checked above).
                self.execute(
                    f"ALTER TABLE {self.local}{self._on_cluster} "
                    f"DROP PARTITION ID '{p['partition']}'"
                )
                dropped += int(p["n"])
        return dropped

    def close(self) -> None:
        self.transport.close()

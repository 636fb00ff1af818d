"""A stand-in for a ClickHouse server's HTTP interface, over chDB (ClickHouse's engine in
process), for the tests of the server transport (vaxelstat.calls.clickhouse.ServerTransport).

It is a stand-in for the transport, not for a server's semantics: it answers the requests
clickhouse-connect makes (a query in the body or in `query`, bind parameters as `param_*`,
the output format a query names after FORMAT, an insert whose data follows in the body, lz4,
zstd or gzip bodies, the request's database, an insert's settings) with what chDB answers,
up to CONNECTIONS statements at once (on chDB connections to one folder). What a server adds
(users and grants, sessions, clusters, settings beyond an insert's) it does not have: a real
server is tested where VAXELSTAT_TEST_CLICKHOUSE_URL names one.

Run: python tests/clickhouse_http.py DIR  (prints the port it listens on, on 127.0.0.1)
"""

import gzip
import json
import queue
import re
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

FORMAT = re.compile(r"\s+FORMAT\s+(\w+)\s*;?\s*$", re.IGNORECASE)
INSERT = re.compile(r"^\s*INSERT\s+INTO\s+(\S+)\s*(\([^)]*\))?\s*FORMAT\s+(\w+)\s*$", re.I | re.S)


def _decoded(body: bytes, encoding: str) -> bytes:
    if not body or not encoding:
        return body
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "lz4":
        import lz4.frame

        return lz4.frame.decompress(body)
    if encoding == "zstd":
        import zstandard

        return zstandard.ZstdDecompressor().decompressobj().decompress(body)
    raise ValueError(f"no Content-Encoding {encoding}")


def _form_fields(content_type: str, body: bytes) -> dict[str, str]:
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    return {
        part.get_param("name", header="content-disposition"): part.get_content()
        for part in message.iter_parts()
    }


def _literal(text: str) -> str:
    """A string literal of ClickHouse SQL."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


# Statements the stand-in runs at once (chDB runs one at a time per connection).
CONNECTIONS = 8


class _Connection:
    """One of the stand-in's chDB connections, with its current database."""

    def __init__(self, path: str) -> None:
        import chdb

        self.chdb = chdb.connect(path)
        self.database = "default"

    def query(self, text: str, fmt: str, params: dict[str, str], database: str) -> Any:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", database):
            raise ValueError(f"no database {database!r}")
        if database != self.database:
            self.chdb.query(f"USE {database}", "TabSeparated")
            self.database = database
        return self.chdb.query(text, fmt, params=params)


class Endpoint:
    def __init__(self, path: str) -> None:
        # Connections to one folder share its tables, and each runs its statement beside the
        # others' (as a server's sessions do).
        self.pool: queue.Queue[_Connection] = queue.Queue()
        for _ in range(CONNECTIONS):
            self.pool.put(_Connection(path))
        self.files = Path(tempfile.mkdtemp(prefix="clickhouse-http-"))

    def _query(self, text: str, fmt: str, params: dict[str, str], database: str) -> Any:
        connection = self.pool.get()
        try:
            return connection.query(text, fmt, params, database)
        finally:
            self.pool.put(connection)

    def run(
        self,
        query: str,
        data: bytes,
        params: dict[str, str],
        settings: dict[str, str],
        database: str = "default",
    ) -> tuple[bytes, str]:
        """(the answer's bytes, its format) of a statement, in the request's database. An
        insert applies the request's settings (a deduplication token, say); other statements
        do not."""
        insert = INSERT.match(query)
        if insert and data:
            table, columns, fmt = insert.groups()
            path = self.files / f"insert-{threading.get_ident()}-{time.monotonic_ns()}"
            path.write_bytes(data)
            names = columns.strip("()") if columns else "*"
            source = f"file('{path}', '{fmt}')"
            applied = ", ".join(
                f"{name} = {_literal(value)}"
                for name, value in settings.items()
                if re.fullmatch(r"[a-z_][a-z0-9_]*", name)
            )
            with_settings = f"SETTINGS {applied}" if applied else ""
            # (The insert's own text, rewritten to read its data from a file.)
            query = (
                f"INSERT INTO {table} {columns or ''} {with_settings} "  # noqa: S608
                f"SELECT {names} FROM {source}"
            )
            try:
                self._query(query, "TabSeparated", params, database)
            finally:
                path.unlink()
            return b"", "TabSeparated"
        # The text goes to ClickHouse's parser as the server has it, FORMAT and all (a
        # statement without a result refuses one there as here).
        named = FORMAT.search(query)
        fmt = named.group(1) if named else "TabSeparated"
        result = self._query(query, fmt, params, database)
        return (result.bytes() if result is not None else b""), fmt


# The request fields that are the HTTP interface's own, not ClickHouse settings.
TRANSPORT_FIELDS = {
    "query",
    "database",
    "default_format",
    "buffer_size",
    "session_id",
    "session_timeout",
    "session_check",
    "query_id",
    "quota_key",
    "wait_end_of_query",
    "client_protocol_version",
    "compress",
    "decompress",
    "enable_http_compression",
    "send_progress_in_http_headers",
    "http_headers_progress_interval_ms",
    "user",
    "password",
}


class InFlight:
    """How many requests the stand-in is answering at once, and the most so far (what a test
    of a client's concurrency reads at GET /_stand_in/in_flight)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = self.peak = 0

    def __enter__(self) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.now -= 1


def handler(endpoint: Endpoint) -> type[BaseHTTPRequestHandler]:
    in_flight = InFlight()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _answer(self) -> None:
            if self.path.startswith("/_stand_in/in_flight"):
                answer = json.dumps({"peak": in_flight.peak}).encode()
                if "reset" in self.path:
                    in_flight.peak = 0
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
                return
            with in_flight:
                self._statement()

        def _statement(self) -> None:
            url = urlparse(self.path)
            fields = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = _decoded(self.rfile.read(length), self.headers.get("Content-Encoding", ""))
            content_type = self.headers.get("Content-Type", "")
            if content_type.startswith("multipart/form-data"):
                # clickhouse-connect's form_encode_query_params: the query and its parameters
                # as the body's fields.
                fields |= _form_fields(content_type, body)
                body = b""
            params = {k[6:]: v for k, v in fields.items() if k.startswith("param_")}
            settings = {
                k: v
                for k, v in fields.items()
                if not k.startswith("param_") and k not in TRANSPORT_FIELDS
            }
            if "query" in fields:
                query, data = fields["query"], body
            else:
                query, data = body.decode("utf-8"), b""
            try:
                answer, fmt = endpoint.run(
                    query, data, params, settings, fields.get("database") or "default"
                )
                status, headers = 200, {"X-ClickHouse-Format": fmt}
            except Exception as exc:  # every failure is the server's error answer
                answer = f"Code: 1000. DB::Exception: {exc}".encode()
                status, headers = 500, {"X-ClickHouse-Exception-Code": "1000"}
            self.send_response(status)
            headers["X-ClickHouse-Summary"] = json.dumps({"read_rows": "0", "written_rows": "0"})
            headers["X-ClickHouse-Timezone"] = "UTC"
            headers["Content-Type"] = "application/octet-stream"
            headers["Content-Length"] = str(len(answer))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(answer)

        do_GET = do_POST = _answer

    return Handler


def main() -> None:
    endpoint = Endpoint(sys.argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(endpoint))
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

"""The server transport's own behaviour: statements at once, a lost answer to an insert,
mutations a replicated table accepts, compaction a month at a time (ClickHouse over HTTP:
the stand-in over chDB, or VAXELSTAT_TEST_CLICKHOUSE_URL's server)."""

import json
import os
import socket
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from rows import store_rows

from vaxelstat.calls import clickhouse
from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.ingest.pipeline import import_file
from vaxelstat.orgs.models import CollectionPoint

pytestmark = [pytest.mark.django_db, pytest.mark.clickhouse_server]

REAL_SERVER = bool(os.environ.get("VAXELSTAT_TEST_CLICKHOUSE_URL"))


def _stand_in(url: str, what: str) -> Any:
    parts = urlparse(url)
    with urllib.request.urlopen(f"http://{parts.hostname}:{parts.port}/_stand_in/{what}") as r:
        return json.loads(r.read())


def test_four_slow_statements_take_about_as_long_as_one(clickhouse_server_url: str) -> None:
    """No lock in the transport: four web threads' statements of a second each are at the
    server together, and take about a second (one at a time they would take four)."""
    store = get_store(clickhouse_server_url)
    if not REAL_SERVER:
        _stand_in(clickhouse_server_url, "in_flight?reset")
    errors: list[BaseException] = []

    def slow() -> None:
        try:
            store.query("SELECT sleep(1) AS slept")
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=slow) for _ in range(4)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - began
    assert not errors
    assert took < 2.0, f"4 statements of 1 s took {took:.1f} s"
    if not REAL_SERVER:
        assert _stand_in(clickhouse_server_url, "in_flight")["peak"] == 4


class LosingProxy:
    """A TCP proxy in front of the server that loses the answers to the first `lose` INSERTs:
    the server has stored the rows, the client sees its connection closed."""

    def __init__(self, upstream: str, lose: int) -> None:
        self.lose = lose
        parts = urlparse(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 8123)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.inserts = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    @staticmethod
    def _message(sock: socket.socket, buffered: bytes) -> tuple[bytes, bytes] | None:
        """One HTTP message (head and Content-Length body), and what followed it."""
        data = buffered
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length, chunked = 0, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
            elif name.strip().lower() == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
        if chunked:  # (a server's answer: up to its last, empty chunk)
            while b"0\r\n\r\n" not in rest:
                chunk = sock.recv(65536)
                if not chunk:
                    return None
                rest += chunk
            length = rest.index(b"0\r\n\r\n") + 5
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            rest += chunk
        return head + b"\r\n\r\n" + rest[:length], rest[length:]

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(self.upstream)
        pending = answered = b""
        try:
            while (request := self._message(client, pending)) is not None:
                message, pending = request
                upstream.sendall(message)
                answer = self._message(upstream, answered)
                if answer is None:
                    return
                response, answered = answer
                # (An insert's statement is in its URL; its rows in the body.)
                if b"INSERT" in message.split(b"\r\n", 1)[0].upper():
                    self.inserts += 1
                    if self.inserts <= self.lose:
                        return  # the answer is lost
                client.sendall(response)
        finally:
            client.close()
            upstream.close()

    def close(self) -> None:
        self.listener.close()


def test_an_insert_whose_answer_was_lost_is_stored_once(
    org, clickhouse_server_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    get_store(clickhouse_server_url)  # the tables are there
    # Two answers lost: clickhouse-connect sends an insert again once itself where the
    # connection closed; the store sends it once more, with the same token.
    proxy = LosingProxy(clickhouse_server_url, lose=2)
    parts = urlparse(clickhouse_server_url)
    through = clickhouse_server_url.replace(f":{parts.port}/", f":{proxy.port}/")
    store = clickhouse.ClickHouseStore(through)
    try:
        point = CollectionPoint.objects.create(organization=org, name="pbx", format="canonical")
        start = datetime(2026, 11, 20, 9, tzinfo=UTC)
        source = get_store(clickhouse_server_url)
        rows = store_rows(org.id, point.id, start, 50)
        store.apply(org.id, point.id, rows, [], start, start + timedelta(hours=1))
        assert proxy.inserts == 3  # sent again after each lost answer
        assert source.count(Scope.whole(org.id)) == 50
    finally:
        store.close()
        proxy.close()


@pytest.mark.slow  # a simulated fortnight
def test_mutations_name_their_legs_by_value_and_compaction_goes_a_month_at_a_time(
    org, settings, clickhouse_server_url: str, simulated_logs, request
) -> None:  # type: ignore[no-untyped-def]
    """A replicated table refuses a mutation with a subquery; a whole table's OPTIMIZE FINAL
    rewrites every month: gallring and compaction send neither."""
    settings.CALLSTORE_URL = clickhouse_server_url
    master, queue_log = simulated_logs(21, 14, datetime(2026, 11, 20, 18, tzinfo=UTC), org.timezone)
    point = CollectionPoint.objects.create(organization=org, name="pbx", format="asterisk")
    for fmt, path in (("asterisk-cdr", master), ("asterisk-queue-log", queue_log)):
        import_file(org, point, fmt, path)
    store = get_store()
    sent = request.getfixturevalue("server_commands")
    store.unscoped_compact()
    optimized = [t for t in sent if t.startswith("OPTIMIZE")]
    assert optimized and all("PARTITION ID '2026" in t for t in optimized)
    parts = store.query(
        "SELECT partition_id, count() AS n FROM system.parts WHERE database = currentDatabase() "
        "AND table = 'legs' AND active GROUP BY partition_id"
    )
    assert parts and all(int(p["n"]) == 1 for p in parts)

    before = store.count(Scope.whole(org.id))
    limit = datetime(2026, 11, 13, tzinfo=UTC)
    old_calls = {
        leg["call_id"]
        for leg in store.legs(Scope.whole(org.id))
        if leg["start_utc"].replace(tzinfo=UTC) < limit
    }
    store.delete_calls_before(org.id, limit)
    mutations = [t for t in sent if t.startswith(("DELETE", "ALTER"))]
    assert mutations and not [t for t in mutations if "SELECT" in t.upper()]
    left = store.legs(Scope.whole(org.id))
    assert 0 < len(left) < before and old_calls
    assert not [leg for leg in left if leg["call_id"] in old_calls]

    # The deleted legs leave the disk at the next compaction (a DELETE only hides them).
    store.unscoped_compact()
    hidden = store.query(
        "SELECT count() AS n FROM system.parts WHERE database = currentDatabase() "
        "AND table = 'legs' AND active AND has_lightweight_delete"
    )
    assert int(hidden[0]["n"]) == 0


def test_migrate_makes_the_stores_tables_and_brings_an_older_ones_settings_up_to_date(
    settings, clickhouse_server_url: str
) -> None:  # type: ignore[no-untyped-def]
    from django.core.management import call_command

    from vaxelstat.calls.legs import STORE_COLUMNS

    server = get_store(clickhouse_server_url)
    server.execute("DROP DATABASE IF EXISTS older")
    server.execute("CREATE DATABASE older")
    columns = ", ".join(f"{n} {clickhouse._column_type(n, k)}" for n, k in STORE_COLUMNS)
    server.execute(
        f"CREATE TABLE older.legs ({columns}) ENGINE = MergeTree "
        "PARTITION BY toYYYYMM(start_utc) ORDER BY (org_id, start_utc)"
    )
    from vaxelstat.calls import store as store_module

    settings.CALLSTORE_URL = clickhouse_server_url.rsplit("/", 1)[0] + "/older"
    call_command("migrate", verbosity=0)
    (made,) = server.query("SHOW CREATE TABLE older.legs")
    assert "non_replicated_deduplication_window = 1000" in next(iter(made.values()))
    store_module._stores.pop(settings.CALLSTORE_URL).close()
    server.execute("DROP DATABASE older")

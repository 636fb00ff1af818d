import fcntl
import os
import pickle
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from django.conf import settings

from vaxelstat.calls import store as store_module


@pytest.fixture(scope="session", autouse=True)
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Give each test process a data directory (and so a call store) of its own."""
    path = tmp_path_factory.mktemp("data")
    saved = settings.DATA_DIR, settings.CALLSTORE_URL, settings.SPOOL_DIR
    settings.DATA_DIR = path
    settings.CALLSTORE_URL = f"duckdb:///{path / 'calls.duckdb'}"
    settings.SPOOL_DIR = path / "spool"
    # A test's spooled files are complete when they are dropped: no wait for them to settle
    # (the tests of settling set their own).
    saved_settle = settings.SPOOL_SETTLE_SECONDS
    settings.SPOOL_SETTLE_SECONDS = 0.0
    yield path
    settings.SPOOL_SETTLE_SECONDS = saved_settle
    store_module.close_stores()
    settings.DATA_DIR, settings.CALLSTORE_URL, settings.SPOOL_DIR = saved


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing() -> Iterator[None]:
    """Tests make many users: a fast hash for them (the product's Argon2 is tested on its
    own, in test_accounts)."""
    saved = settings.PASSWORD_HASHERS
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *saved]
    yield
    settings.PASSWORD_HASHERS = saved


# Legs a module's tests share (shared_simulation): (store url, [(org, point, Arrow rows)]).
_shared_legs: list[tuple[str, list[tuple[int, int, Any]]]] = []


@pytest.fixture(autouse=True)
def fresh_rate_limits(request: pytest.FixtureRequest) -> None:
    """Each test counts its own requests against the rate limits (the counters are in the
    process's cache, which outlives a test, or on PostgreSQL in the app database). A test
    without the database makes no requests."""
    from django.core.cache import cache

    uses_db = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
        "live_server",
        "client",
        "admin_client",
    } & set(request.fixturenames)
    if uses_db:
        request.getfixturevalue(
            "db" if "transactional_db" not in request.fixturenames else "transactional_db"
        )
        cache.clear()


@pytest.fixture(params=["duckdb", "chdb"])
def engine(request, settings) -> str:  # type: ignore[no-untyped-def]
    """A test on each engine: DuckDB, and ClickHouse through chDB (a module whose every test
    runs on both says `pytestmark = pytest.mark.usefixtures("engine")`)."""
    if request.param == "chdb":
        pytest.importorskip("chdb", reason="chDB (ClickHouse in process) is not installed")
        # chDB runs one embedded server per process: one path for the whole test session.
        settings.CALLSTORE_URL = f"chdb:///{settings.DATA_DIR / 'clickhouse'}"
    return str(request.param)


@pytest.fixture(autouse=True)
def empty_call_store(django_db_blocker) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Empty the call store after each test, as the database is rolled back.

    SQLite reuses the ids of rolled-back rows, so legs left behind would belong to the
    next test's organization. The legs of data a module shares (whose rows outlive the test)
    are put back as they were, whatever the test did to them. (A write to the store renews
    the organization's version in the cache, which on PostgreSQL is the app database's: a
    test without the database may have written the store.)
    """
    yield
    with django_db_blocker.unblock():
        for store in store_module._stores.values():
            store.unscoped_delete_all()
        for url, groups in _shared_legs:
            store = store_module.get_store(url)
            for org_id, point_id, rows in groups:
                earliest, latest = rows["start_utc"][0].as_py(), rows["start_utc"][-1].as_py()
                store.apply(org_id, point_id, rows, [], earliest, latest)


@pytest.fixture
def org(db):  # type: ignore[no-untyped-def]
    from vaxelstat.orgs.models import Organization

    return Organization.objects.create(slug="acme", name="Acme AB")


@dataclass
class Inbox:
    """The messages a real SMTP server on 127.0.0.1 received, as parsed e-mails."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["To"]]

    def last_to(self, address: str, timeout: float = 5.0) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if found:
                return found[-1]
            time.sleep(0.05)
        raise AssertionError(f"no e-mail to {address} within {timeout} s")


@pytest.fixture
def smtp(settings) -> Iterator[Inbox]:  # type: ignore[no-untyped-def]
    """An aiosmtpd server on a free local port, and the settings that send mail to it."""
    from aiosmtpd.controller import Controller

    inbox = Inbox(port=0)

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            inbox.messages.append(message_from_bytes(envelope.content, policy=default))
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
        }
    }
    try:
        yield inbox
    finally:
        controller.stop()


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


@pytest.fixture
def world(db, tmp_path):  # type: ignore[no-untyped-def]
    """Organization A with Alice (admin) and Bob (may see only the support group), organization
    B with Charlie (its admin); each organization with queues and calls in the call store."""
    return make_world(tmp_path)


def make_world(tmp_path: Path) -> "World":
    from vaxelstat.accounts.models import User
    from vaxelstat.ingest.pipeline import import_file
    from vaxelstat.orgs.models import CollectionPoint, MeasuredObject, Organization

    a = Organization.objects.create(slug="a", name="Alfa AB")
    b = Organization.objects.create(slug="b", name="Beta AB")
    t = 1700000000
    for org, queues in ((a, {"400": 3, "401": 2}), (b, {"777": 4})):
        lines = []
        for queue, calls in queues.items():
            for i in range(calls):
                call = f"{queue}-{i}"
                lines.append(f"{t + i}|{call}|{queue}|NONE|ENTERQUEUE||0701{i}|1\n")
                lines.append(f"{t + i + 5}|{call}|{queue}|NONE|ABANDON|1|1|5\n")
        path = tmp_path / f"{org.slug}.queue_log"
        path.write_text("".join(lines))
        point = CollectionPoint.objects.create(
            organization=org, name="pbx", format="asterisk-queue-log"
        )
        import_file(org, point, "asterisk-queue-log", path)
    support = MeasuredObject.objects.get(organization=a, number="400")
    support.display_name = "Support"
    support.save()
    alice = User.objects.create_user(
        "alice@a.example", "Alice-lösen-2026", name="Alice", organization=a, is_org_admin=True
    )
    bob = User.objects.create_user(
        "bob@a.example", "Bob-lösen-2026", name="Bob", organization=a, sees_all=False
    )
    bob.visible_objects.set([support])
    charlie = User.objects.create_user(
        "charlie@b.example",
        "Charlie-lösen-2026",
        name="Charlie",
        organization=b,
        is_org_admin=True,
    )
    return World(a, b, alice, bob, charlie, support)


@dataclass
class World:
    a: Any
    b: Any
    alice: Any
    bob: Any
    charlie: Any
    support: Any


def _run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every process of this test run shares (under xdist each worker's base
    temporary directory is <run>/popen-gwN, so <run> is the run's)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def _only_one_at_a_time(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (made if need be) for the block: the first process of
    the run to need something makes it, the others wait for it and read it."""
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def simulation(tmp_path_factory):  # type: ignore[no-untyped-def]
    """simulate(seed, days, end) of the demo switchboard, simulated once per test run: the
    first test process to need it pickles it for the others (tests read it, never change it).
    Only for a fixed `end`: the default end is the time of the call."""
    from vaxelstat.demo.simulator import simulate

    folder = _run_dir(tmp_path_factory) / "simulations"
    folder.mkdir(exist_ok=True)
    made: dict[tuple, Any] = {}  # type: ignore[type-arg]

    def sim(seed: int, days: int, end: datetime):  # type: ignore[no-untyped-def]
        key = (seed, days, end)
        if key not in made:
            path = folder / f"{seed}-{days}-{end.timestamp():.0f}.pickle"
            with _only_one_at_a_time(path.with_suffix(".lock")):
                if path.exists():
                    made[key] = pickle.loads(path.read_bytes())
                else:
                    made[key] = simulate(seed=seed, days=days, end=end)
                    path.with_suffix(".part").write_bytes(pickle.dumps(made[key]))
                    path.with_suffix(".part").rename(path)
        return made[key]

    return sim


@pytest.fixture(scope="session")
def simulated_logs(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The demo switchboard's Master.csv and queue_log for (seed, days, end), simulated and
    written once per test run (tests read them, never write them)."""
    from vaxelstat.demo.asterisk_writer import write_master_csv, write_queue_log
    from vaxelstat.demo.simulator import simulate

    def logs(seed: int, days: int, end: datetime, timezone: str = "Europe/Stockholm"):  # type: ignore[no-untyped-def]
        folder = (
            _run_dir(tmp_path_factory)
            / f"sim-{seed}-{days}-{end.timestamp():.0f}-{timezone.replace('/', '_')}"
        )
        master, queue_log = folder / "Master.csv", folder / "queue_log"
        folder.mkdir(exist_ok=True)
        with _only_one_at_a_time(folder / ".lock"):
            if not queue_log.exists():
                result = simulate(seed=seed, days=days, end=end)
                write_master_csv(result.cdr, folder / "Master.csv.part", timezone)
                write_queue_log(result.queue_log, folder / "queue_log.part")
                (folder / "Master.csv.part").rename(master)
                (folder / "queue_log.part").rename(queue_log)
        return master, queue_log

    return logs


def simulate_into(world: World, simulated_logs: Any) -> World:
    """Organization A of the world with a simulated fortnight of the demo switchboard (to
    Friday 20 November 2026), every kind of object in it; Bob still sees only Support (400)."""
    from datetime import UTC

    from vaxelstat.demo import switchboard as sb
    from vaxelstat.ingest.pipeline import import_file
    from vaxelstat.orgs.models import CollectionPoint

    master, queue_log = simulated_logs(
        4, 14, datetime(2026, 11, 20, 18, tzinfo=UTC), world.a.timezone
    )
    point = CollectionPoint.objects.create(
        organization=world.a, name="demo", format="asterisk", settings={"trunk_peers": [sb.TRUNK]}
    )
    for fmt, path in (("asterisk-cdr", master), ("asterisk-queue-log", queue_log)):
        import_file(world.a, point, fmt, path)
    return world


@pytest.fixture(scope="module")
def shared_simulation(django_db_setup, django_db_blocker, tmp_path_factory, simulated_logs):  # type: ignore[no-untyped-def]
    """The simulated world made once for a module's tests (importing it is the costly part),
    as Django's TestCase.setUpTestData does: its rows are made in a transaction that each test's
    own one nests in (a savepoint), and that is rolled back after the module; its legs are
    put back in the call store after each test (empty_call_store). Yields the primary keys."""
    from django.db import transaction

    from vaxelstat.calls import arrow
    from vaxelstat.calls.legs import STORE_COLUMNS
    from vaxelstat.calls.scope import Scope

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = simulate_into(make_world(tmp_path_factory.mktemp("world")), simulated_logs)
            url = settings.CALLSTORE_URL
            store = store_module.get_store(url)
            groups: dict[tuple[int, int], list[dict[str, Any]]] = {}
            for org in (world.a, world.b):
                for leg in store.legs(Scope.whole(org.id)):
                    groups.setdefault((leg["org_id"], leg["collection_point_id"]), []).append(leg)
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    schema = arrow.schema(STORE_COLUMNS)
    _shared_legs.append(
        (url, [(o, p, pa.Table.from_pylist(legs, schema)) for (o, p), legs in groups.items()])
    )
    try:
        yield {name: getattr(world, name).pk for name in World.__dataclass_fields__}
    finally:
        _shared_legs.clear()
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            for store in store_module._stores.values():
                store.unscoped_delete_all()


@pytest.fixture
def simulated(shared_simulation, db):  # type: ignore[no-untyped-def]
    """Organization A of the world with a simulated fortnight of the demo switchboard (to
    Friday 20 November 2026), every kind of object in it; Bob still sees only Support (400).

    Made once per module (shared_simulation) and read afresh from the database for each test
    (test_browser, whose transactions are real, makes its own)."""
    from vaxelstat.accounts.models import User
    from vaxelstat.orgs.models import MeasuredObject, Organization

    pks = shared_simulation
    return World(
        a=Organization.objects.get(pk=pks["a"]),
        b=Organization.objects.get(pk=pks["b"]),
        alice=User.objects.get(pk=pks["alice"]),
        bob=User.objects.get(pk=pks["bob"]),
        charlie=User.objects.get(pk=pks["charlie"]),
        support=MeasuredObject.objects.get(pk=pks["support"]),
    )


@pytest.fixture(scope="session")
def clickhouse_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ClickHouse server's HTTP interface for the server transport: the one
    VAXELSTAT_TEST_CLICKHOUSE_URL names, else the stand-in over chDB (tests/clickhouse_http.py)
    in a process of its own."""
    if url := os.environ.get("VAXELSTAT_TEST_CLICKHOUSE_URL"):
        yield url
        return
    pytest.importorskip("chdb", reason="chDB (ClickHouse in process) is not installed")
    folder = tmp_path_factory.mktemp("clickhouse-http")
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("clickhouse_http.py")), str(folder)],
        stdout=subprocess.PIPE,
        text=True,
    )
    port = (process.stdout.readline() if process.stdout else "").strip()
    if not port.isdigit():
        process.kill()
        pytest.fail("the ClickHouse HTTP stand-in did not start")
    yield f"clickhouse://default:@127.0.0.1:{port}/default"
    process.terminate()
    process.wait(timeout=30)


# The call store engines a test of a rule runs on: DuckDB, ClickHouse in process (chDB) and a
# ClickHouse server over HTTP (the last one in `make test` only: see below).
ENGINES = [
    "duckdb",
    "chdb",
    pytest.param("clickhouse_server", marks=pytest.mark.clickhouse_server),
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test on a ClickHouse server starts one (the stand-in over chDB, a process of its own,
    in each test process) and sends the statements chDB runs in process over HTTP: it is
    slow by the suite's rule (`make test-sqlite` leaves it out; `make test`, the slow run and
    the run on PostgreSQL take it). Every rule's test still runs on DuckDB and chDB in the
    quick run."""
    for item in items:
        if item.get_closest_marker("clickhouse_server") or "clickhouse_server_url" in getattr(
            item, "fixturenames", ()
        ):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def server_commands(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statements without a result (DDL, DELETE, OPTIMIZE, ALTER) the server transport
    sends from now on, in order (they are sent too)."""
    from vaxelstat.calls import clickhouse

    sent: list[str] = []
    command = clickhouse.ServerTransport.command

    def spy(self, text: str, params: dict) -> None:  # type: ignore[no-untyped-def, type-arg]
        sent.append(text)
        command(self, text, params)

    monkeypatch.setattr(clickhouse.ServerTransport, "command", spy)
    return sent


def use_engine(engine: str, request: Any, settings: Any) -> str:
    """Make `engine` the call store of the test (CALLSTORE_URL); return its URL."""
    if engine == "chdb":
        pytest.importorskip("chdb", reason="chDB (ClickHouse in process) is not installed")
        settings.CALLSTORE_URL = f"chdb:///{settings.DATA_DIR / 'clickhouse'}"
    elif engine == "clickhouse_server":
        settings.CALLSTORE_URL = request.getfixturevalue("clickhouse_server_url")
    return str(settings.CALLSTORE_URL)


@pytest.fixture(params=ENGINES)
def both_engines(request, settings) -> str:  # type: ignore[no-untyped-def]
    """A test on each engine of the call store: DuckDB, ClickHouse in process (chDB) and a
    ClickHouse server over HTTP (a module takes it with
    `pytestmark = pytest.mark.usefixtures("both_engines")`)."""
    use_engine(request.param, request, settings)
    return str(request.param)

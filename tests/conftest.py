import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

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
    yield path
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


@pytest.fixture(autouse=True)
def empty_call_store() -> Iterator[None]:
    """Empty the call store after each test, as the database is rolled back.

    SQLite reuses the ids of rolled-back rows, so legs left behind would belong to the
    next test's organization.
    """
    yield
    for store in store_module._stores.values():
        store.unscoped_delete_all()


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


@pytest.fixture(scope="session")
def simulated_logs(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The demo switchboard's Master.csv and queue_log for (seed, days, end), simulated and
    written once per test process (tests read them, never write them)."""
    from vaxelstat.demo.asterisk_writer import write_master_csv, write_queue_log
    from vaxelstat.demo.simulator import simulate

    made: dict[tuple, tuple[Path, Path]] = {}  # type: ignore[type-arg]

    def logs(seed: int, days: int, end: Any = None, timezone: str = "Europe/Stockholm"):  # type: ignore[no-untyped-def]
        key = (seed, days, end, timezone)
        if key not in made:
            folder = tmp_path_factory.mktemp(f"sim-{seed}-{days}")
            result = simulate(seed=seed, days=days, end=end)
            write_master_csv(result.cdr, folder / "Master.csv", timezone)
            write_queue_log(result.queue_log, folder / "queue_log")
            made[key] = (folder / "Master.csv", folder / "queue_log")
        return made[key]

    return logs


@pytest.fixture
def simulated(world, simulated_logs):  # type: ignore[no-untyped-def]
    """Organization A of the world with a simulated fortnight of the demo switchboard (to
    Friday 20 November 2026), every kind of object in it; Bob still sees only Support (400)."""
    from datetime import UTC, datetime

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

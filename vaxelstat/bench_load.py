"""`make bench`'s load test: clients at once over a mix of report pages, the specification, a
dashboard, the start page and the API, against `vaxelstat serve` on loopback, on the embedded
default and on the ClickHouse path; requests per second, p50/p95/p99 and errors.

Run: .venv/bin/python -m vaxelstat.bench_load [--users 50] [--seconds 20] [--path both]

Each path gets a throwaway data directory with the demo's traffic (`vaxelstat demo --no-serve`),
then a server: on the embedded default one process (SQLite, DuckDB); on the ClickHouse path
the server VAXELSTAT_BENCH_CLICKHOUSE_URL names, else the suite's stand-in over chDB
(tests/clickhouse_http.py, up to 8 statements at once on this machine: its figures are chDB
behind a Python HTTP server, not a ClickHouse server's), with PostgreSQL as app database where
one answers at VAXELSTAT_BENCH_PG (then `serve --workers 2`). Each client is a logged-in
session (and an API key of its own) that asks as a browser does: it takes gzip and sends back
the cookies the server set (the CSRF cookie: without it every page makes a new one).
Measured one after the other on the same server, each for --seconds after 5 seconds not counted
(the server warms up): the throughput of 1, 5, 20 and 50 clients that ask again as soon as they
have an answer, then --users people who wait 1 to 3 seconds (2 on average) between answer and
question. The clients and the server share this machine's cores. Errors count from the start,
times after the warm-up.
"""

import argparse
import http.client
import http.cookies
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VAXELSTAT = str(Path(sys.executable).with_name("vaxelstat"))
WARM_UP_S = 5.0
PG = os.environ.get("VAXELSTAT_BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")


def _prepare(users: int) -> None:
    """(In the path's own process.) Sessions and API keys for the demo's administrator, and
    the ids the requests name, as JSON on standard output."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxelstat.settings")
    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from vaxelstat.accounts.models import User
    from vaxelstat.api.models import ApiToken
    from vaxelstat.orgs.models import MeasuredObject
    from vaxelstat.saved.models import Dashboard

    admin = User.objects.get(email="admin@demo.example")
    sessions, keys = [], []
    for i in range(users):
        session = SessionStore()
        session[SESSION_KEY] = str(admin.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = admin.get_session_auth_hash()
        session.create()
        sessions.append(session.session_key)
        keys.append(ApiToken.make(admin, f"load {i}")[1])
    queues = list(
        MeasuredObject.objects.filter(organization=admin.organization, kind="acd").values_list(
            "id", flat=True
        )
    )
    dashboard = Dashboard.objects.get(organization=admin.organization, name="Kundtjänst")
    print(
        json.dumps(
            {"sessions": sessions, "keys": keys, "queues": queues, "dashboard": dashboard.pk}
        )
    )


def _requests(prepared: dict[str, Any], today: date) -> list[tuple[str, str, bool]]:
    """(name, path, by API key) of the mix: what people open most, more often."""
    week = f"from={today - timedelta(days=6)}&to={today}"
    queues = "&".join(f"o={q}" for q in prepared["queues"])
    return [
        ("start", "/", False),
        ("report, a week by day", f"/basrapporter/?report=acd.incoming&{week}&{queues}", False),
        (
            "report, today by quarter-hour",
            f"/basrapporter/?report=acd.incoming&from={today}&to={today}&group=15min&{queues}",
            False,
        ),
        ("report of users", f"/basrapporter/?report=user.incoming&{week}", False),
        ("report of waits", f"/basrapporter/?report=acd.waits&{week}&group=hour&{queues}", False),
        (
            "specification",
            f"/basrapporter/samtal/?report=acd.incoming&{week}&{queues}&measure=answered",
            False,
        ),
        ("dashboard", f"/dashboardkatalog/{prepared['dashboard']}/", False),
        ("API report", f"/api/v1/reports/acd.incoming?objects=all&{week}&group=day", True),
    ]


class User(threading.Thread):
    def __init__(
        self,
        port: int,
        session: str,
        key: str,
        mix: list[tuple[str, str, bool]],
        counted: float,
        until: float,
        think: tuple[float, float] = (0.5, 1.5),
    ) -> None:
        """A user who asks from now until `until`, waiting `think` (from, to) seconds between
        answer and question; the answers from `counted` on count."""
        super().__init__(daemon=True)
        self.port, self.key, self.mix = port, key, mix
        self.counted, self.until, self.think = counted, until, think
        self.times: list[tuple[str, float]] = []
        self.errors: list[str] = []
        self.random = random.Random(session)
        # As a browser: the cookies the server set (the CSRF cookie a form's page sets), sent
        # back with every page; compressed answers taken.
        self.cookies = {"sessionid": session}

    def _keep_cookies(self, headers: list[str]) -> None:
        """As a browser keeps what Set-Cookie says: a cookie set, or a cookie deleted."""
        for header in headers:
            for morsel in http.cookies.SimpleCookie(header).values():
                if morsel["max-age"] == "0":
                    self.cookies.pop(morsel.key, None)
                else:
                    self.cookies[morsel.key] = morsel.coded_value

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        while time.monotonic() < self.until:
            name, path, api = self.random.choice(self.mix)
            headers = {"Host": "localhost", "Accept-Encoding": "gzip"}
            if api:
                headers["Authorization"] = f"Bearer {self.key}"
            else:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            began = time.monotonic()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                if not api:
                    self._keep_cookies(response.headers.get_all("Set-Cookie") or [])
                if response.status != 200:
                    self.errors.append(f"{name}: {response.status}")
            except (OSError, http.client.HTTPException, http.cookies.CookieError) as exc:
                self.errors.append(f"{name}: {type(exc).__name__}")
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            if began >= self.counted:
                self.times.append((name, time.monotonic() - began))
            time.sleep(self.random.uniform(*self.think))
        connection.close()


def _ms(values: list[float], p: float) -> str:
    """The p-th percentile of the times, in whole milliseconds (nearest rank)."""
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000:.0f}"


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@contextmanager
def _stand_in(folder: Path) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "clickhouse_http.py"), str(folder)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = (process.stdout.readline() if process.stdout else "").strip()
        if not port.isdigit():
            raise SystemExit("the ClickHouse stand-in did not start (is chDB installed?)")
        yield f"clickhouse://default:@127.0.0.1:{port}/default"
    finally:
        process.terminate()
        process.wait(30)


@contextmanager
def _postgres() -> Iterator[str | None]:
    """A throwaway PostgreSQL database, or None where none answers."""
    try:
        import psycopg

        admin = psycopg.connect(PG, autocommit=True, connect_timeout=3)
    except Exception:
        yield None
        return
    name = f"vaxelstat_load_{os.getpid()}"
    admin.execute(f"DROP DATABASE IF EXISTS {name}")
    admin.execute(f"CREATE DATABASE {name}")
    try:
        yield PG.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


# The numbers of clients whose throughput is measured (each asks again at once).
LEVELS = (1, 5, 20, 50)


def run_path(
    path: str,
    users: int,
    seconds: float,
    days: int,
    threads: int = 0,
    levels: tuple[int, ...] = LEVELS,
) -> str:
    data = Path(tempfile.mkdtemp(prefix=f"vaxelstat-load-{path}-"))
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, data, True)
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "CALLSTORE_URL", "DJANGO_SETTINGS_MODULE")
        }
        env["VAXELSTAT_DATA"] = str(data)
        workers = 1
        described = "the embedded default (SQLite, DuckDB), one process"
        if path == "clickhouse":
            url = os.environ.get("VAXELSTAT_BENCH_CLICKHOUSE_URL") or stack.enter_context(
                _stand_in(data / "clickhouse")
            )
            env["CALLSTORE_URL"] = url
            described = (
                "a ClickHouse server"
                if os.environ.get("VAXELSTAT_BENCH_CLICKHOUSE_URL")
                else "the ClickHouse stand-in over chDB"
            )
            if database := stack.enter_context(_postgres()):
                env["DATABASE_URL"] = database
                workers = 2
                described += ", PostgreSQL, 2 web processes"
            else:
                described += ", SQLite, one process"
        demo = subprocess.run(
            [VAXELSTAT, "demo", "--no-serve", "--days", str(days)],
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
        )
        if demo.returncode:
            raise SystemExit(f"the demo failed on the {path} path: {demo.stderr[-2000:]}")
        prepared = json.loads(
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "vaxelstat.bench_load",
                    "--prepare",
                    str(max(users, *levels)),
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
                check=True,
            ).stdout
        )
        server = subprocess.Popen(
            [
                VAXELSTAT,
                "serve",
                "--port",
                "0",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        stack.callback(_stop, server)
        info = data / "server.json"
        for _ in range(600):
            if info.exists():
                break
            time.sleep(0.1)
        port = json.loads(info.read_text())["port"]
        time.sleep(2)  # (the web processes start)
        mix = _requests(prepared, date.today())
        lines = [f"load {path}, on {described}:"]
        # Throughput: clients that ask again as soon as they have their answer.
        for clients in levels:
            lines.append(
                _crowd(port, prepared, mix, clients, seconds, (0.0, 0.0), f"{clients} clients")
            )
        # People: each waits about 2 seconds between answer and question.
        lines.append(
            _crowd(port, prepared, mix, users, seconds, (1.0, 3.0), f"{users} users, 2 s apart")
        )
        return "\n".join(lines)


def _crowd(
    port: int,
    prepared: dict[str, Any],
    mix: list[tuple[str, str, bool]],
    users: int,
    seconds: float,
    think: tuple[float, float],
    name: str,
) -> str:
    """`users` asking for `seconds` (after WARM_UP_S not counted): one line of figures, then
    one per kind of request."""
    counted = time.monotonic() + WARM_UP_S
    until = counted + seconds
    crowd = [
        User(port, session, key, mix, counted, until, think)
        for session, key in list(zip(prepared["sessions"], prepared["keys"], strict=True))[:users]
    ]
    for user in crowd:
        user.start()
    for user in crowd:
        user.join()
    named = [t for u in crowd for t in u.times]
    times = [t for _, t in named]
    errors = [e for u in crowd for e in u.errors]
    shown = ", ".join(sorted(set(errors))[:5])
    return (
        f"  {name}: {len(times):,} requests, {len(times) / seconds:.1f}/s, "
        f"p50 {_ms(times, 50)} ms, p95 {_ms(times, 95)} ms, p99 {_ms(times, 99)} ms, "
        f"{len(errors)} errors"
        + (f" ({shown})" if errors else "")
        + "".join(
            f"\n    {kind}: {len(of)}, p50 {_ms(of, 50)} ms, p95 {_ms(of, 95)} ms"
            for kind, _, _ in mix
            if (of := [t for n, t in named if n == kind])
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0, help="of each measurement")
    parser.add_argument("--days", type=int, default=30, help="days of the demo's traffic")
    parser.add_argument("--path", choices=["both", "embedded", "clickhouse"], default="both")
    parser.add_argument(
        "--threads", type=int, default=0, help="each web process's threads (default: serve's)"
    )
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        _prepare(args.prepare)
        return
    if not 1 <= args.users <= 500 or not 1 <= args.seconds <= 3600 or not 1 <= args.days <= 366:
        parser.error("--users is 1 to 500, --seconds 1 to 3600 and --days 1 to 366")
    paths = ["embedded", "clickhouse"] if args.path == "both" else [args.path]
    for path in paths:
        print(run_path(path, args.users, args.seconds, args.days, args.threads), flush=True)


if __name__ == "__main__":
    main()

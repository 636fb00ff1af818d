"""`vaxelstat serve --workers N`: N web processes and one worker, on PostgreSQL and a ClickHouse
server (the stand-in over chDB), in processes of their own."""

import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from test_serve import VAXELSTAT, T, env_for

from vaxelstat.server import STOP_WAIT_S

pytestmark = [pytest.mark.slow, pytest.mark.clickhouse_server]

PG = os.environ.get("VAXELSTAT_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def app_database() -> Iterator[str]:
    """A PostgreSQL database of the test's own."""
    name = f"vaxelstat_workers_{os.getpid()}"
    try:
        admin = psycopg.connect(PG, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at {PG}: {exc}")
    admin.execute(f"DROP DATABASE IF EXISTS {name}")
    admin.execute(f"CREATE DATABASE {name}")
    yield PG.rsplit("/", 1)[0] + f"/{name}"
    admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _knows_server(child: int, server: int) -> bool:
    try:
        environ = Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
    return f"VAXELSTAT_SERVER_PID={server}".encode() in environ


def _wait_for(what: str, check, seconds: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.1)
    pytest.fail(f"waited {seconds:.0f} s for {what}")


def _serving(data: Path, env: dict[str, str], *args: str) -> tuple[subprocess.Popen[str], int]:
    """`vaxelstat serve --port 0 ARGS` started, and the port it announces once it serves."""
    process = subprocess.Popen(
        [VAXELSTAT, "serve", "--port", "0", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    info_path = data / "server.json"
    try:
        _wait_for("the server", info_path.exists)
    except BaseException:
        process.kill()
        raise
    return process, json.loads(info_path.read_text())["port"]


def _processes_of(data: Path) -> list[int]:
    """The processes serving from this data directory (a web process its server no longer
    knows, too)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            environ = (entry / "environ").read_bytes().split(b"\0") if entry.name.isdigit() else []
        except OSError:
            continue
        if f"VAXELSTAT_DATA={data}".encode() in environ:
            found.append(int(entry.name))
    return found


def _stopped(process: subprocess.Popen[str], data: Path) -> str:
    """What a stopping server printed. Where it has not stopped in its own bound (it waits up
    to STOP_WAIT_S for the worker, then as long for the web processes), each of the processes
    serving from the test's data directory prints its threads' stacks (SIGUSR1), one after
    the other, and the test fails with them and the processes' command lines."""
    try:
        return process.communicate(timeout=2 * STOP_WAIT_S + 30)[0]
    except subprocess.TimeoutExpired:
        pass
    left = []
    for pid in _processes_of(data):
        with contextlib.suppress(OSError):
            command = (Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")).decode()
            left.append(f"{pid}: {command}")
            os.kill(pid, signal.SIGUSR1)
            time.sleep(1)
    for pid in _processes_of(data):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    try:
        output = process.communicate(timeout=30)[0]
    except subprocess.TimeoutExpired as exc:
        output = f"(something else holds its output)\n{exc.output}"
    pytest.fail(f"the server did not stop; its processes: {left}; it printed:\n{output}")


def test_several_web_processes_answer_and_the_worker_runs_once(
    tmp_path: Path, app_database: str, clickhouse_server_url: str
) -> None:
    data = tmp_path / "var"
    env = env_for(data) | {"DATABASE_URL": app_database, "CALLSTORE_URL": clickhouse_server_url}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [VAXELSTAT, *args], env=env, capture_output=True, text=True, timeout=120
        )

    assert run("migrate").returncode == 0
    assert run("org", "add", "acme", "--name", "Acme AB").returncode == 0
    process, port = _serving(data, env, "--workers", "3", "--threads", "2")
    try:
        # Each knows its server by the pid the server gave it (once it has started: a child
        # just forked, not yet running its own program, still shows the server's environment).
        _wait_for(
            "3 web processes that know their server",
            lambda: (
                len(web := _children(process.pid)) == 3
                and all(_knows_server(child, process.pid) for child in web)
            ),
        )

        def health() -> dict:  # type: ignore[type-arg]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
                return json.loads(r.read())  # type: ignore[no-any-return]

        answers = [health() for _ in range(12)]
        assert all(a["status"] == "ok" and a["worker"] == "ok" for a in answers)

        # The CLI imports into the store itself (no server holds it): no hand-over.
        path = tmp_path / "queue_log"
        path.write_text(f"{T}|a|400|NONE|ENTERQUEUE||0701|1\n{T + 9}|a|400|NONE|ABANDON|1|1|9\n")
        imported = run("import", "--org", "acme", "--format", "asterisk-queue-log", str(path))
        assert "imported 1, duplicates 0" in imported.stdout, imported.stderr

        # One worker: a file in the spool is imported once, whatever the number of processes.
        spool = data / "spool" / "acme" / "asterisk-queue-log"
        _wait_for("the spool folder", lambda: (spool / "done").exists())
        (spool / ".part").write_text(
            f"{T + 100}|b|400|NONE|ENTERQUEUE||0702|1\n{T + 104}|b|400|NONE|ABANDON|1|1|4\n"
        )
        (spool / ".part").rename(spool / "queue_log.1")
        _wait_for("the spooled file", lambda: (spool / "done" / "queue_log.1").exists())
        with psycopg.connect(app_database) as db:
            (runs,) = db.execute("SELECT count(*) FROM ingest_importrun").fetchone()  # type: ignore[misc]
        assert runs == 2

        # A web process that dies is started again; the others answer meanwhile.
        first = _children(process.pid)
        os.kill(first[0], signal.SIGKILL)
        assert health()["status"] == "ok"
        _wait_for(
            "a new web process",
            lambda: len(now := _children(process.pid)) == 3 and first[0] not in now,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        output = _stopped(process, data)
    assert process.returncode == 0, output
    assert "3 web processes of 2 threads and one worker" in output
    assert "started again" in output
    # Nothing is left serving (its output closed: no process holds it).
    assert _processes_of(data) == []


def test_several_web_processes_need_a_clickhouse_server_and_postgresql(tmp_path: Path) -> None:
    result = subprocess.run(
        [VAXELSTAT, "serve", "--workers", "2"],
        env=env_for(tmp_path / "var"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "need a ClickHouse server" in result.stderr


def test_a_web_only_server_answers_and_leaves_the_work_to_the_worker(
    tmp_path: Path, app_database: str, clickhouse_server_url: str
) -> None:
    """A further machine behind a load balancer: pages, and no spool collector or jobs."""
    data = tmp_path / "var"
    env = env_for(data) | {"DATABASE_URL": app_database, "CALLSTORE_URL": clickhouse_server_url}
    subprocess.run([VAXELSTAT, "migrate"], env=env, check=True, capture_output=True)
    for command in (
        ["org", "add", "acme", "--name", "Acme AB"],
        ["point", "add", "--org", "acme", "pbx", "--format", "asterisk-queue-log"],
    ):
        subprocess.run([VAXELSTAT, *command], env=env, check=True, capture_output=True)
    spool = data / "spool" / "acme" / "pbx"
    process, port = _serving(data, env, "--web-only")
    try:
        url = f"http://127.0.0.1:{port}/healthz"
        with urllib.request.urlopen(url, timeout=10) as r:
            health = json.loads(r.read())
        assert health["status"] == "ok" and health["worker"] == "not in this process"
        spool.mkdir(parents=True)
        (spool / "queue_log").write_text(f"{T}|a|400|NONE|ENTERQUEUE||0701|1\n")
        time.sleep(3)  # the collector would have taken it (every 0.5 s, settled after 1 s)
        assert (spool / "queue_log").exists() and not (spool / "done").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        output = _stopped(process, data)
    assert "and no worker" in output

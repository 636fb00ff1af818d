"""The installed command in processes of its own, on the embedded default (SQLite, DuckDB)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from vaxelstat.calls.scope import Scope

pytestmark = pytest.mark.slow

VAXELSTAT = str(Path(sys.executable).with_name("vaxelstat"))
T = 1700000000


def env_for(data: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CALLSTORE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["VAXELSTAT_DATA"] = str(data)
    # The spool collector looks every half second (5 by default), so a test waits less.
    env["VAXELSTAT_SPOOL_SECONDS"] = "0.5"
    env["VAXELSTAT_SPOOL_SETTLE_SECONDS"] = "1"
    return env


def vaxelstat(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [VAXELSTAT, *args], env=env_for(data), capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture
def server(data: Path) -> Iterator[dict]:
    assert vaxelstat(data, "org", "add", "acme", "--name", "Acme AB").returncode == 0
    process = subprocess.Popen(
        [VAXELSTAT, "serve", "--port", "0"],
        env=env_for(data),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    info_path = data / "server.json"
    for _ in range(200):
        if info_path.exists():
            break
        time.sleep(0.05)
    else:
        process.kill()
        pytest.fail(f"server did not start: {process.communicate()[0]}")
    info = json.loads(info_path.read_text())
    yield {"process": process, **info}
    process.send_signal(signal.SIGINT)
    process.wait(timeout=20)


def test_the_cli_works_on_a_fresh_data_directory(data: Path, tmp_path: Path) -> None:
    result = vaxelstat(data, "org", "add", "acme", "--name", "Acme AB")
    assert result.returncode == 0, result.stderr
    path = tmp_path / "queue_log"
    path.write_text(f"{T}|a|400|NONE|ENTERQUEUE||0701|1\n{T + 9}|a|400|NONE|ABANDON|1|1|9\nx\n")
    result = vaxelstat(data, "import", "--org", "acme", "--format", "asterisk-queue-log", str(path))
    assert result.returncode == 3
    assert f"{path}:3: malformed" in result.stderr
    assert "imported 1" in result.stdout
    usage = vaxelstat(data, "import", "--org", "acme", "--format", "nonsense", str(path))
    assert usage.returncode == 2 and "invalid choice" in usage.stderr


def test_import_is_handed_to_the_server_that_holds_the_store(
    server: dict, data: Path, tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    path.write_text(f"{T}|a|400|NONE|ENTERQUEUE||0701|1\n{T + 9}|a|400|NONE|ABANDON|1|1|9\n")
    result = vaxelstat(data, "import", "--org", "acme", "--format", "asterisk-queue-log", str(path))
    assert result.returncode == 0, result.stderr
    assert "imported 1, duplicates 0" in result.stdout
    again = vaxelstat(data, "import", "--org", "acme", "--format", "asterisk-queue-log", str(path))
    assert "imported 0, duplicates 1" in again.stdout

    # The spool collector picks up a file dropped in the collection point's folder.
    spool = data / "spool" / "acme" / "asterisk-queue-log"
    for _ in range(200):
        if (spool / "done").exists():
            break
        time.sleep(0.05)
    (spool / ".partial").write_text(
        f"{T + 100}|b|400|NONE|ENTERQUEUE||0702|1\n{T + 104}|b|400|NONE|ABANDON|1|1|4\n"
    )
    (spool / ".partial").rename(spool / "queue_log.1")
    for _ in range(300):
        if (spool / "done" / "queue_log.1").exists():
            break
        time.sleep(0.05)
    else:
        pytest.fail("the spool collector did not take the file")

    # Reports and the specification are handed over too.
    report = vaxelstat(
        data,
        "report",
        "--org",
        "acme",
        "--report",
        "acd.incoming",
        "--objects",
        "400",
        "--from",
        "2023-11-14",
        "--to",
        "2023-11-15",
        "--format",
        "csv",
    )
    assert report.returncode == 0, report.stderr
    assert report.stdout.splitlines()[1] == "Totalt,,2,0,2,0,,0.0"
    calls = vaxelstat(
        data,
        "calls",
        "--org",
        "acme",
        "--report",
        "acd.incoming",
        "--objects",
        "400",
        "--from",
        "2023-11-14",
        "--to",
        "2023-11-15",
    )
    assert json.loads(calls.stdout)["total"] == 2

    with urllib.request.urlopen(f"http://127.0.0.1:{server['port']}/login/") as response:
        assert response.status == 200
        assert "Logga in" in response.read().decode()


def test_the_server_withdraws_its_announcement_on_stop(server: dict, data: Path) -> None:
    server["process"].send_signal(signal.SIGINT)
    server["process"].wait(timeout=20)
    assert not (data / "server.json").exists()
    result = vaxelstat(data, "org", "list")
    assert "acme" in result.stdout


def test_sigterm_stops_the_server_cleanly(server: dict, data: Path) -> None:
    """systemd's stop: the announcement withdrawn, the call store closed (checkpointed: no
    write-ahead log left), and the process ends with 0."""
    with urllib.request.urlopen(f"http://127.0.0.1:{server['port']}/healthz", timeout=10) as r:
        health = json.loads(r.read())
    assert health["status"] == "ok" and health["worker"] == "ok"
    server["process"].send_signal(signal.SIGTERM)
    assert server["process"].wait(timeout=60) == 0
    assert not (data / "server.json").exists()
    assert not (data / "calls.duckdb.wal").exists()
    assert (data / "calls.duckdb").exists()


def test_sigusr1_prints_every_threads_stack_and_the_server_serves_on(server: dict) -> None:
    """What a server that does not stop or answer is doing: `kill -USR1` prints its threads'
    stacks (the worker's loops among them) to stderr, and it serves on."""
    process = server["process"]
    health = f"http://127.0.0.1:{server['port']}/healthz"
    with urllib.request.urlopen(health, timeout=10) as r:
        assert json.loads(r.read())["worker"] == "ok"  # (its threads have begun)
    process.send_signal(signal.SIGUSR1)
    with urllib.request.urlopen(health, timeout=10) as r:
        assert json.loads(r.read())["status"] == "ok"
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=60)[0]
    assert process.returncode == 0, output
    assert "most recent call first" in output
    assert "in _loop" in output and "in _nightly_loop" in output


def test_a_web_process_whose_server_is_gone_stops(data: Path) -> None:
    """A web process started as its server stopped (its parent already another process):
    it stops on its own, not serve on without a worker, holding the port and the server's
    output."""
    assert vaxelstat(data, "migrate").returncode == 0
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.set_inheritable(True)
        fd = listener.fileno()
        process = subprocess.Popen(
            [sys.executable, "-m", "vaxelstat.cli", "serve", "--web-process", str(fd)],
            env=env_for(data) | {"VAXELSTAT_SERVER_PID": str(os.getpid() + 10_000_000)},
            pass_fds=(fd,),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            output = process.communicate(timeout=60)[0]
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail(f"the web process serves on: {process.communicate()[0]}")
    assert process.returncode == 0, output
    assert "is gone: this web process stops" in output and "Traceback" not in output


def test_an_import_killed_half_way_leaves_the_store_as_it_was(data: Path, tmp_path: Path) -> None:
    from vaxelstat.calls.store import DuckDBStore
    from vaxelstat.demo.asterisk_writer import write_master_csv
    from vaxelstat.demo.simulator import simulate

    assert vaxelstat(data, "org", "add", "acme", "--name", "Acme AB").returncode == 0
    master = tmp_path / "Master.csv"
    write_master_csv(simulate(seed=2, days=30).cdr, master, "Europe/Stockholm")
    command = [VAXELSTAT, "import", "--org", "acme", "--format", "asterisk-cdr", str(master)]

    def stored() -> int:
        store = DuckDBStore(f"duckdb:///{data / 'calls.duckdb'}")
        try:
            return store.count(Scope.whole(1))  # (the file's legs, read anew each time)
        finally:
            store.close()

    counts = []
    for delay in (0.3, 0.7, 1.1, 1.5, 1.9):
        process = subprocess.Popen(
            command, env=env_for(data), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(delay)
        process.kill()
        process.wait()
        counts.append(stored())
    finished = vaxelstat(data, *command[1:])
    assert finished.returncode == 0, finished.stderr
    total = stored()
    assert total > 10_000
    # Each killed import stored all of its legs or none.
    assert set(counts) <= {0, total}, counts


def test_in_production_commands_are_handed_to_the_server(tmp_path: Path) -> None:
    """With the production settings (HTTPS redirect, one host name), another process's
    import and backup still reach the server that holds the store."""
    data = tmp_path / "var"
    env = {
        **env_for(data),
        "VAXELSTAT_PRODUCTION": "1",
        "VAXELSTAT_ALLOWED_HOSTS": "stat.example.com",
        "VAXELSTAT_SECRET_KEY": "a-key-for-this-test-only-" + "x" * 30,
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [VAXELSTAT, *args], env=env, capture_output=True, text=True, timeout=120
        )

    assert run("migrate", "-v0").returncode == 0
    assert run("org", "add", "acme", "--name", "Acme AB").returncode == 0
    process = subprocess.Popen(
        [VAXELSTAT, "serve", "--port", "0"], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        for _ in range(200):
            if (data / "server.json").exists():
                break
            time.sleep(0.05)
        path = tmp_path / "queue_log"
        path.write_text(f"{T}|a|400|NONE|ENTERQUEUE||0701|1\n{T + 9}|a|400|NONE|ABANDON|1|1|9\n")
        imported = run("import", "--org", "acme", "--format", "asterisk-queue-log", str(path))
        assert imported.returncode == 0, imported.stderr
        assert "imported 1" in imported.stdout
        backed_up = run("backup", str(tmp_path / "backup"))
        assert backed_up.returncode == 0, backed_up.stderr
        assert (tmp_path / "backup" / "calls.duckdb").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0

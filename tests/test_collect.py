"""`vaxelstat collect`: a queue_log followed while it is written, rotated (renamed, then copied
and truncated) and the collector killed and started again, sent to a running server, leaves
the store as importing the whole log at once does."""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_corrections import stored

from vaxelstat.collect import Collector, Fatal
from vaxelstat.ingest.pipeline import import_file
from vaxelstat.orgs.models import CollectionPoint, Organization

END = datetime(2026, 11, 20, 18, tzinfo=UTC)
FORMAT = "asterisk-queue-log"


@pytest.fixture
def day(simulated_logs) -> list[str]:  # type: ignore[no-untyped-def]
    """The demo switchboard's simulated fortnight of queue_log (the one the other tests read),
    its first 6,000 lines."""
    _, queue_log = simulated_logs(4, 14, END, "Europe/Stockholm")
    return queue_log.read_text(encoding="utf-8").splitlines(keepends=True)[:6000]


def _point(slug: str) -> tuple[Organization, CollectionPoint, str]:
    org = Organization.objects.create(slug=slug, name=slug)
    point = CollectionPoint.objects.create(organization=org, name="pbx", format=FORMAT)
    token = point.new_push_token()
    point.save()
    return org, point, token


def _append(path: Path, lines: list[str]) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write("".join(lines))


def _command(point: CollectionPoint, url: str, *options: object) -> list[str]:
    """`vaxelstat collect` for the point at `url` (the last option its file)."""
    return [
        sys.executable,
        "-m",
        "vaxelstat.collect",
        "--point",
        str(point.id),
        "--url",
        url,
        *map(str, options),
    ]


def _whole(tmp_path: Path, lines: list[str]):  # type: ignore[no-untyped-def]
    """The store's legs of the whole log imported at once (another organization)."""
    org, point, _ = _point("whole")
    path = tmp_path / "whole" / "queue_log"
    path.parent.mkdir()
    path.write_text("".join(lines), encoding="utf-8")
    import_file(org, point, FORMAT, path)
    return stored(org)


# (It starts the collector's command: a process.)
@pytest.mark.slow
def test_a_log_followed_through_rotations_and_restarts_ends_as_one_import(
    live_server, day, tmp_path: Path
) -> None:
    org, point, token = _point("followed")
    logs = tmp_path / "pbx"
    logs.mkdir()
    log = logs / "queue_log"
    state = tmp_path / "state.json"
    cut = [0, 400, 900, 1400, 1900, 2400, len(day)]
    assert len(day) > 3000

    def collector() -> Collector:
        return Collector(live_server.url, point.id, token, [str(log)], state, FORMAT)

    # Written in pieces, a line cut in the middle at the end of the first: only whole lines go.
    _append(log, day[: cut[1]] + [day[cut[1]][:10]])
    collector().round()
    assert json.loads(state.read_text())["files"][0]["offset"] == len("".join(day[: cut[1]]))
    _append(log, [day[cut[1]][10:]] + day[cut[1] + 1 : cut[2]])
    collector().round()
    # Rotated by renaming, with lines written to the old file after the last round: they are
    # sent before the new file's.
    log.rename(logs / "queue_log.1")
    _append(logs / "queue_log.1", day[cut[2] : cut[3]])
    _append(log, day[cut[3] : cut[4]])
    collector().round()
    # Copied and truncated (logrotate's copytruncate), again with lines after the last round.
    _append(log, day[cut[4] : cut[5]])
    (logs / "queue_log.2").write_bytes(log.read_bytes())
    log.write_text("", encoding="utf-8")
    _append(log, day[cut[5] : cut[6] - 300])

    # The real command, killed (SIGKILL, between or in the middle of requests) and started
    # again while the rest is written.
    command = _command(
        point, live_server.url, "--format", FORMAT, "--state", str(state), "--interval", "0.5", log
    )
    env = {**os.environ, "VAXELSTAT_PUSH_TOKEN": token}
    first = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    time.sleep(1.2)
    first.send_signal(signal.SIGKILL)
    first.wait()
    _append(log, day[cut[6] - 300 :])
    second = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        size = log.stat().st_size
        while time.monotonic() < deadline:
            files = json.loads(state.read_text())["files"] if state.exists() else []
            if files and files[0]["offset"] == size:
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"the collector did not catch up: {state.read_text()}")
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=10) == 0
    followed = stored(org)
    assert followed == _whole(tmp_path, day)
    assert sum(followed.values()) > 1000


def test_the_server_away_then_back_loses_nothing(live_server, day, tmp_path: Path) -> None:
    org, point, token = _point("away")
    log = tmp_path / "queue_log"
    _append(log, day[:500])
    state = tmp_path / "state.json"
    away = Collector("http://127.0.0.1:9", point.id, token, [str(log)], state, FORMAT, timeout=2)
    with pytest.raises(OSError):
        away.round()
    assert not state.exists() or json.loads(state.read_text())["files"][0]["offset"] == 0
    back = Collector(live_server.url, point.id, token, [str(log)], state, FORMAT)
    back.round()
    assert stored(org) == _whole(tmp_path, day[:500])


# (It starts the collector's command: a process.)
@pytest.mark.slow
def test_a_wrong_token_stops_the_collector_with_the_servers_reason(
    live_server, day, tmp_path: Path
) -> None:
    _, point, _ = _point("wrong")
    log = tmp_path / "queue_log"
    _append(log, day[:10])
    wrong = Collector(live_server.url, point.id, "nope", [str(log)], tmp_path / "s.json", FORMAT)
    with pytest.raises(Fatal, match="401.*wrong token"):
        wrong.round()
    done = subprocess.run(
        _command(point, live_server.url, "--once", "--state", str(tmp_path / "t.json"), log),
        env={**os.environ, "VAXELSTAT_PUSH_TOKEN": "nope"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "wrong token" in done.stderr


def test_an_answer_rejecting_every_line_of_a_long_piece_is_read(
    live_server, tmp_path: Path
) -> None:
    """Twenty calls that entered the queue and have not ended: the server holds every line
    (a 422 naming twenty records), and the collector goes on from after them."""
    org, point, token = _point("held")
    log = tmp_path / "queue_log"
    t = int(END.timestamp())
    _append(log, [f"{t + i}|held-{i}|400|NONE|ENTERQUEUE||07011100{i:02d}|1\n" for i in range(20)])
    state = tmp_path / "state.json"
    sent = Collector(live_server.url, point.id, token, [str(log)], state, FORMAT).round()
    assert sent == log.stat().st_size
    assert json.loads(state.read_text())["files"][0]["offset"] == sent

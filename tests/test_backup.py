# ruff: noqa: F811  (the fixtures data and server come from test_serve)
"""Backup and restore of the embedded default, with the installed command: a backup made
while the server runs, restored into another data directory, gives the same reports, call by
call; a restore refuses a running server and moves aside what was there."""

import json
from pathlib import Path

import pytest
from test_serve import T, data, server, vaxelstat  # noqa: F401 (the fixtures)

pytestmark = pytest.mark.slow

REPORT = [
    "--org", "acme", "--report", "acd.incoming", "--objects", "400",
    "--from", "2023-11-14", "--to", "2023-11-15",
]  # fmt: skip


def _queue_log(path: Path, calls: int) -> Path:
    lines = []
    for i in range(calls):
        t = T + 60 * i
        end = "COMPLETECALLER|4|30|1" if i % 3 else "ABANDON|1|1|9"
        lines.append(f"{t}|c{i}|400|NONE|ENTERQUEUE||0701{i}|1\n")
        if i % 3:
            lines.append(f"{t + 4}|c{i}|400|Agent/1001|CONNECT|4|c{i}.1|3\n")
            lines.append(f"{t + 34}|c{i}|400|Agent/1001|{end}\n")
        else:
            lines.append(f"{t + 9}|c{i}|400|NONE|{end}\n")
    path.write_text("".join(lines))
    return path


def _figures(data: Path) -> tuple[str, dict]:
    """The report, and the calls behind it."""
    report = vaxelstat(data, "report", *REPORT, "--format", "csv")
    return report.stdout, _calls(data)


def _calls(data: Path) -> dict:
    calls = vaxelstat(data, "calls", *REPORT, "--limit", "1000")
    assert calls.returncode == 0, calls.stderr
    return json.loads(calls.stdout)


def test_a_backup_made_while_serving_restores_the_same_reports(
    server: dict,
    data: Path,
    tmp_path: Path,
) -> None:
    path = _queue_log(tmp_path / "queue_log", 30)
    imported = vaxelstat(
        data, "import", "--org", "acme", "--format", "asterisk-queue-log", str(path)
    )
    assert imported.returncode == 0, imported.stderr
    before = _figures(data)
    assert "Totalt,,30," in before[0]

    made = vaxelstat(data, "backup", str(tmp_path / "backup"))
    assert made.returncode == 0, made.stderr
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert {"app.sqlite3", "calls.duckdb", "secret_key"} <= set(manifest["parts"])
    again = vaxelstat(data, "backup", str(tmp_path / "backup"))
    assert again.returncode == 2 and "not empty" in again.stderr

    # A restore refuses the data directory a server runs on.
    refused = vaxelstat(data, "restore", str(tmp_path / "backup"))
    assert refused.returncode == 1 and "stop it" in refused.stderr

    elsewhere = tmp_path / "elsewhere"
    restored = vaxelstat(elsewhere, "restore", str(tmp_path / "backup"))
    assert restored.returncode == 0, restored.stderr
    assert _figures(elsewhere) == before
    assert (elsewhere / "secret_key").read_text() == (data / "secret_key").read_text()


def test_a_restore_moves_aside_what_was_there(data: Path, tmp_path: Path) -> None:
    assert vaxelstat(data, "org", "add", "acme", "--name", "Acme AB").returncode == 0
    path = _queue_log(tmp_path / "queue_log", 6)
    assert (
        vaxelstat(
            data, "import", "--org", "acme", "--format", "asterisk-queue-log", str(path)
        ).returncode
        == 0
    )
    before = _calls(data)
    assert vaxelstat(data, "backup", str(tmp_path / "b")).returncode == 0
    more = _queue_log(tmp_path / "more", 12)
    assert (
        vaxelstat(
            data, "import", "--org", "acme", "--format", "asterisk-queue-log", str(more)
        ).returncode
        == 0
    )
    assert _calls(data) != before
    restored = vaxelstat(data, "restore", str(tmp_path / "b"))
    assert restored.returncode == 0, restored.stderr
    assert "before-restore-" in restored.stdout
    assert _calls(data) == before
    aside = next(data.glob("before-restore-*"))
    assert (aside / "calls.duckdb").exists() and (aside / "app.sqlite3").exists()
    # A backup whose file was changed is refused.
    (tmp_path / "b" / "calls.duckdb").write_bytes(b"not a database")
    broken = vaxelstat(data, "restore", str(tmp_path / "b"))
    assert broken.returncode == 2 and "digest" in broken.stderr

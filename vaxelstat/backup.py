"""Backup and restore of the embedded default: the app database (SQLite), the call store
(DuckDB), the exports' files and the secret key, as one folder with a manifest.

A backup is consistent while the server runs: SQLite's online backup copies the app database
in one transaction, and the call store is copied by the process that holds it (the server,
handed the command), in one transaction under its write lock, so no import lands half in the
copy. A restore is into a data directory no server runs on; what was there is moved aside.
PostgreSQL and ClickHouse have their own tools (pg_dump, ClickHouse's BACKUP): the manifest
says which parts a backup holds.
"""

import json
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connection

from vaxelstat.calls.store import get_store
from vaxelstat.ingest.pipeline import file_digest

MANIFEST = "manifest.json"
APP_DB = "app.sqlite3"
CALLS = "calls.duckdb"
EXPORTS = "exports"
SECRET = "secret_key"


class BackupError(Exception):
    pass


def backup(target: Path) -> dict[str, object]:
    """Write a backup into `target` (a new or empty folder); return its manifest."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: a backup goes into a new folder")
    target.mkdir(parents=True, exist_ok=True)
    parts: dict[str, str] = {}
    skipped: list[str] = []
    if connection.vendor == "sqlite":
        source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        copy = sqlite3.connect(target / APP_DB)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        parts[APP_DB] = file_digest(target / APP_DB)
    else:
        skipped.append(f"app database ({connection.vendor}): pg_dump it (docs/production.md)")
    store = get_store()
    if settings.CALLSTORE_URL.startswith("duckdb:"):
        store.backup_to(target / CALLS)
        parts[CALLS] = file_digest(target / CALLS)
    else:
        skipped.append("call store (ClickHouse): use ClickHouse's BACKUP (docs/production.md)")
    exports = settings.DATA_DIR / EXPORTS
    if exports.is_dir():
        shutil.copytree(exports, target / EXPORTS)
        parts[EXPORTS] = "folder"
    secret = settings.DATA_DIR / SECRET
    if secret.exists():
        shutil.copy2(secret, target / SECRET)
        (target / SECRET).chmod(0o600)
        parts[SECRET] = file_digest(target / SECRET)
    manifest: dict[str, object] = {
        "made": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_dir": str(settings.DATA_DIR),
        "parts": parts,
        "not_in_it": skipped,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def restore(source: Path) -> Path | None:
    """Put the backup in `source` in place in the data directory (no server may run on it).
    What the data directory held of the same parts is moved into a folder beside them,
    whose path is returned (None if there was nothing)."""
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source} holds no backup ({MANIFEST}: {exc})") from None
    parts = manifest.get("parts", {})
    for name, digest in parts.items():
        if digest != "folder" and file_digest(source / name) != digest:
            raise BackupError(f"{source / name} is not the file the backup wrote (its digest)")
    data = settings.DATA_DIR
    data.mkdir(parents=True, exist_ok=True)
    aside = data / f"before-restore-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    moved = False
    for name in parts:
        for path in (data / name, data / f"{name}.wal", data / f"{name}-wal", data / f"{name}-shm"):
            if path.exists():
                aside.mkdir(exist_ok=True)
                shutil.move(str(path), aside / path.name)
                moved = True
    for name, digest in parts.items():
        if digest == "folder":
            shutil.copytree(source / name, data / name)
        else:
            shutil.copy2(source / name, data / name)
    if (data / SECRET).exists():
        (data / SECRET).chmod(0o600)
    return aside if moved else None

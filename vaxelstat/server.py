"""`vaxelstat serve`: web threads, the background worker and the spool collector in one process.

In the embedded default one process owns the DuckDB call store; this is that process.
"""

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections

from vaxelstat import control, tmpfiles
from vaxelstat.calls.store import close_stores, get_store
from vaxelstat.ingest.parsers import PARSERS, POINT_FORMATS
from vaxelstat.ingest.parsers.base import Reason
from vaxelstat.ingest.pipeline import NoSpace, UnreadableFile, import_file
from vaxelstat.orgs.models import CollectionPoint

log = logging.getLogger(__name__)


def spool_folder(point: CollectionPoint) -> Path | None:
    """The point's spool folder, SPOOL/<organization>/<point>; None where the names would
    lead out of the spool (a point named before names were slugs: '../x')."""
    root = Path(os.path.normpath(settings.SPOOL_DIR))
    folder = Path(os.path.normpath(root / point.organization.slug / point.name))
    if folder.parent.parent != root:
        return None
    return folder


def file_format(point: CollectionPoint, path: Path) -> str | None:
    """The parser for a spooled file: the point's format, or for an Asterisk point, by name."""
    formats = POINT_FORMATS.get(point.format, (point.format,))
    if len(formats) == 1:
        return formats[0] if formats[0] in PARSERS else None
    return "asterisk-queue-log" if "queue_log" in path.name else "asterisk-cdr"


def _why(target: Path, reason: str) -> None:
    """Beside a rejected file, a note of why it was rejected."""
    target.with_name(target.name + ".why.txt").write_text(reason + "\n", encoding="utf-8")


def rotation_order(path: Path) -> tuple[str, int, str]:
    """Rotated files oldest first: `queue_log.2`, `queue_log.1`, then `queue_log` (a rotated
    file's number counts back from the one being written); others by name."""
    base, dot, number = path.name.rpartition(".")
    if dot and number.isdigit():
        return base, -int(number), path.name
    return path.name, 0, path.name


def waiting_files(folder: Path, now: float) -> list[Path]:
    """The files of a spool folder ready to be read, in the order to read them: not hidden,
    not a `.tmp` still being written, and unchanged for SPOOL_SETTLE_SECONDS (a file still
    growing waits for a later round)."""
    ready = []
    for path in folder.iterdir():
        if not path.is_file() or path.name.startswith(".") or path.name.endswith(".tmp"):
            continue
        try:
            changed = path.stat().st_mtime
        except FileNotFoundError:
            continue  # moved away meanwhile
        if now - changed >= settings.SPOOL_SETTLE_SECONDS:
            ready.append(path)
    return sorted(ready, key=rotation_order)


def collect_spool_once() -> int:
    """Import every file waiting in a spool folder; move it to done/ or rejected/."""
    handled = 0
    for point in CollectionPoint.objects.select_related("organization"):
        folder = spool_folder(point)
        if folder is None:
            log.warning(
                "collection point %s (%r): its name leads out of the spool folder, not read "
                "(rename it to letters, digits, - and _)",
                point.pk,
                point.name,
            )
            continue
        for sub in ("done", "rejected"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        for path in waiting_files(folder, time.time()):
            fmt = file_format(point, path)
            target = "rejected"
            try:
                if fmt is None:
                    raise UnreadableFile(f"{path}: no parser for {point.format}")
                summary = import_file(point.organization, point, fmt, path)
                # Records held for the next file (a call still going on) are read, not
                # rejected: a file of nothing else is done too.
                held = sum(1 for r in summary.rejects if r.reason == Reason.INCOMPLETE_CALL)
                if summary.lines_read > summary.rejected - held:
                    target = "done"
            except NoSpace as exc:
                # The file stays for a later round: imported once there is room.
                log.warning("%s", exc)
                continue
            except UnreadableFile as exc:
                log.warning("%s", exc)
                _why(folder / target / path.name, str(exc))
            except Exception as exc:
                # One file that fails in a way nobody foresaw must not stop the collection
                # of every other file and organization: it goes to rejected/, with why.
                log.exception("%s: the import failed", path)
                _why(folder / target / path.name, f"{path}: the import failed: {exc}")
            shutil.move(str(path), folder / target / path.name)
            handled += 1
    return handled


def run_exports() -> int:
    from vaxelstat.exports.tasks import remove_expired, run_pending

    return run_pending() + remove_expired()


def send_saved_reports() -> int:
    from vaxelstat.saved.tasks import send_due

    return send_due()


def send_service_level_alerts() -> int:
    from vaxelstat.orgs.alerts import send_alerts

    return send_alerts()


def run_retention() -> int:
    from vaxelstat.orgs.retention import run_all

    return run_all()


def _loop(name: str, every_s: float, job: Callable[[], object], stop: threading.Event) -> None:
    while not stop.wait(every_s):
        try:
            job()
        except Exception:
            log.exception("%s failed", name)
        finally:
            close_old_connections()


# Periodic work of the background worker: (name, every seconds, job).
WORKER_JOBS: list[tuple[str, float, Callable[[], object]]] = [
    ("spool collector", settings.SPOOL_SECONDS, collect_spool_once),
    ("call store compaction", 24 * 3600.0, lambda: get_store().unscoped_compact()),
    ("gallring", 24 * 3600.0, run_retention),
    ("exports", 2.0, run_exports),
    ("scheduled reports", 60.0, send_saved_reports),
    ("service-level larm", 300.0, send_service_level_alerts),
]


def cleaned_up() -> None:
    """What a process that died left behind: its temporary files (a push's body, an import's
    copy) are removed, the exports it was running are queued again at once, and its imports
    cut between the app database and the store are completed or removed."""
    from vaxelstat.exports.tasks import requeue_interrupted
    from vaxelstat.ingest.pipeline import complete_interrupted

    files, exports, imports = (
        tmpfiles.remove_leftovers(),
        requeue_interrupted(),
        complete_interrupted(),
    )
    if files or exports or imports:
        log.warning(
            "left behind by a process that stopped: %d temporary files removed, "
            "%d exports queued again, %d imports completed or removed",
            files,
            exports,
            imports,
        )


def serve(host: str, port: int, threads: int = 8) -> None:
    from waitress import create_server

    from vaxelstat.wsgi import application

    get_store()  # Hold the store before announcing, so other processes hand work over.
    cleaned_up()
    server = create_server(application, host=host, port=port, threads=threads)
    actual_port = int(server.effective_port)  # type: ignore[attr-defined]
    stop = threading.Event()
    settings.CONTROL_TOKEN = control.announce(actual_port)
    # From the announcement on, a stop (Ctrl-C) at any moment withdraws it.
    try:
        workers = [
            threading.Thread(target=_loop, args=(name, every, job, stop), name=name, daemon=True)
            for name, every, job in WORKER_JOBS
        ]
        for worker in workers:
            worker.start()
        print(
            f"Växelstatistik is serving on http://{host}:{actual_port}/ (Ctrl-C stops)",
            flush=True,
        )
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        control.withdraw()
        time.sleep(0.1)
        close_stores()

"""`vaxelstat serve`: web threads, the background worker and the spool collector in one process.

In the embedded default one process owns the DuckDB call store; this is that process. With a
ClickHouse server as call store and PostgreSQL as app database, `serve --workers N` runs N web
processes on one listening socket and keeps the worker (spool collector, exports, scheduled
reports, alerts, the night's work) in this process alone: each job runs once, whatever N.
"""

import faulthandler
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import zoneinfo
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

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


def _run(name: str, job: Callable[[], object]) -> None:
    try:
        job()
    except Exception:
        log.exception("%s failed", name)
    finally:
        close_old_connections()


def _loop(name: str, every_s: float, job: Callable[[], object], stop: threading.Event) -> None:
    while not stop.wait(every_s):
        _run(name, job)


def forget_report_keys() -> int:
    """The short keys of reports no page has shown for QUERY_DAYS (their links go stale)."""
    from vaxelstat.saved.models import QUERY_DAYS, ReportQuery

    old = timezone.now() - timedelta(days=QUERY_DAYS)
    return ReportQuery.objects.filter(made__lt=old).delete()[0]


def nightly() -> None:
    """The night's work: gallring (each organization's retention), then the call store's
    compaction."""
    _run("gallring", run_retention)
    _run("call store compaction", lambda: get_store().unscoped_compact())
    _run("report keys", forget_report_keys)


# The night's work runs at this local time (TIME_ZONE), and at start when the last run is more
# than a day old (a server restarted every day still runs it). Its last run is kept in the
# data directory.
NIGHTLY_AT = dt_time(3, 0)


def _last_nightly() -> Path:
    return settings.DATA_DIR / "nightly-last-run"


def next_nightly(now: datetime, last: datetime | None) -> datetime:
    """When the night's work runs next: now if it last ran more than a day ago (or never),
    else at the next NIGHTLY_AT after `now`."""
    if last is None or now - last > timedelta(days=1):
        return now
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(tz)
    at = datetime.combine(local.date(), NIGHTLY_AT, tzinfo=tz)
    if at <= local:
        at = datetime.combine(local.date() + timedelta(days=1), NIGHTLY_AT, tzinfo=tz)
    return at.astimezone(UTC)


def _nightly_loop(stop: threading.Event) -> None:
    path = _last_nightly()
    while True:
        try:
            last: datetime | None = datetime.fromisoformat(path.read_text().strip())
        except (OSError, ValueError):
            last = None
        now = datetime.now(UTC)
        wait = (next_nightly(now, last) - now).total_seconds()
        if stop.wait(max(wait, 0)):
            return
        nightly()
        path.write_text(datetime.now(UTC).isoformat())


# Periodic work of the background worker: (name, every seconds, job).
WORKER_JOBS: list[tuple[str, float, Callable[[], object]]] = [
    ("spool collector", settings.SPOOL_SECONDS, collect_spool_once),
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


# The background worker's threads of this process (while it serves): /healthz asks whether
# they are alive.
WORKERS: list[threading.Thread] = []
# How long a stop waits for the work under way (an import, an export) to finish; what is not
# finished then is taken up again at the next start.
STOP_WAIT_S = 30.0


def _stacks_on_request() -> None:
    """SIGUSR1 writes every Python thread's stack to stderr (the journal): what a process that
    does not stop, or does not answer, is doing (`kill -USR1 PID`). Registered first thing, so
    a process still starting prints too (the signal's default would end it)."""
    try:
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    except (AttributeError, OSError, RuntimeError, ValueError) as exc:
        # (No SIGUSR1 here, or no stderr to write to: the server serves without it.)
        log.warning("SIGUSR1 will not print the threads' stacks: %s", exc)


def _stop_signal(signum: int, frame: object) -> None:
    """SIGTERM (systemd's stop) stops as Ctrl-C does."""
    raise KeyboardInterrupt


def _web_server(threads: int, **where: Any) -> Any:
    from waitress import create_server

    from vaxelstat.wsgi import application

    # The forwarded headers reach vaxelstat.proxy, which believes only the trusted proxies.
    return create_server(application, threads=threads, clear_untrusted_proxy_headers=False, **where)


def _start_worker(stop: threading.Event) -> None:
    """The background worker's threads, in this process."""
    WORKERS[:] = [
        threading.Thread(target=_loop, args=(name, every, job, stop), name=name, daemon=True)
        for name, every, job in WORKER_JOBS
    ]
    WORKERS.append(
        threading.Thread(target=_nightly_loop, args=(stop,), name="nightly", daemon=True)
    )
    for worker in WORKERS:
        worker.start()


def _stop_worker(stop: threading.Event) -> bool:
    """Stop the worker's threads; False where one is still at work after STOP_WAIT_S (what
    it does is taken up at the next start)."""
    stop.set()
    deadline = time.monotonic() + STOP_WAIT_S
    for worker in WORKERS:
        worker.join(max(0.0, deadline - time.monotonic()))
    busy = [worker.name for worker in WORKERS if worker.is_alive()]
    WORKERS.clear()
    if busy:
        log.warning("stopping without waiting longer for: %s", ", ".join(busy))
    return not busy


def _close_stores_unless_busy(idle: bool) -> None:
    """Close the stores, unless a worker's thread is still at work in them: the store's own
    log then brings it back at the next start (a close under an insert would break it)."""
    if idle:
        close_stores()
    else:
        log.warning("the stores are left to their logs: work in them was under way")


def default_threads() -> int:
    """Web threads per process: two per core this process may use, at most 8. Pages are
    mostly Python, which runs one thread at a time: past a couple of threads per core they
    only take turns (measured with make bench's load test on 2 cores: 8 threads gave p95
    250 to 470 ms, 4 gave 95 to 230 ms)."""
    cores = getattr(os, "process_cpu_count", os.cpu_count)() or 1
    return max(2, min(8, 2 * cores))


def serve(host: str, port: int, threads: int = 0, workers: int = 1, web_only: bool = False) -> None:
    """Serve on host:port: web threads and the worker in this process, or with `workers`
    above 1, that many web processes beside this one's worker (see why_not_many). With
    `web_only`, no worker here (another machine's serve runs it). `threads` 0: the
    default_threads()."""
    _stacks_on_request()
    threads = threads or default_threads()
    if workers > 1:
        serve_many(host, port, threads, workers, web_only)
        return
    get_store()  # Hold the store before announcing, so other processes hand work over.
    if not web_only:
        # (A web-only machine leaves what a stopped worker left to the worker's machine: its
        # exports under way are that worker's.)
        cleaned_up()
    server = _web_server(threads, host=host, port=port)
    actual_port = int(server.effective_port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, _stop_signal)
    settings.CONTROL_TOKEN = control.announce(actual_port)
    # From the announcement on, a stop (Ctrl-C, SIGTERM) at any moment withdraws it.
    try:
        if not web_only:
            _start_worker(stop)
        print(
            f"Växelstatistik is serving on http://{host}:{actual_port}/ with {threads} threads"
            f"{' and no worker' if web_only else ''} (Ctrl-C stops)",
            flush=True,
        )
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        began = time.monotonic()
        control.withdraw()
        server.close()
        _close_stores_unless_busy(_stop_worker(stop))
        log.info("stopped in %.1f s", time.monotonic() - began)


def why_not_many() -> str | None:
    """Why this configuration cannot run several web processes (None where it can): each
    process opens the call store and the app database, which an embedded store (DuckDB,
    chDB) allows one process only, and SQLite serves several writing processes badly."""
    scheme = urlparse(settings.CALLSTORE_URL).scheme
    if scheme not in ("clickhouse", "clickhouses"):
        return (
            f"the call store ({scheme}://) lets one process hold it: several web processes "
            "need a ClickHouse server (CALLSTORE_URL=clickhouse://USER:PASSWORD@HOST:8123/DB)"
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return (
            "the app database is SQLite: several web processes need PostgreSQL "
            "(DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DB)"
        )
    return None


# A web process that dies is started again after this many seconds (at most once a second,
# so one that cannot start does not spin).
RESTART_AFTER_S = 1.0


def _web_process(listener: socket.socket, threads: int, web_only: bool) -> subprocess.Popen[bytes]:
    fd = listener.fileno()
    env = dict(os.environ)
    env["VAXELSTAT_SERVER_PID"] = str(os.getpid())
    if not web_only:
        # /healthz of a web process asks whether the worker (this process) lives.
        env["VAXELSTAT_WORKER_PID"] = str(os.getpid())
    command = ["-m", "vaxelstat.cli", "serve", "--web-process", str(fd), "--threads", str(threads)]
    return subprocess.Popen([sys.executable, *command], pass_fds=(fd,), env=env)


def serve_many(host: str, port: int, threads: int, workers: int, web_only: bool = False) -> None:
    """This process listens and keeps the worker; `workers` web processes answer on its
    socket (the kernel hands each connection to one of them). One that dies is started
    again; a stop (Ctrl-C, SIGTERM) stops them all."""
    get_store()
    if not web_only:
        cleaned_up()
    listener = socket.create_server((host, port), backlog=1024)
    listener.set_inheritable(True)
    actual_port = listener.getsockname()[1]
    stop = threading.Event()
    # A stop is asked for by a signal and taken between the supervisor's steps: raised where
    # the signal came (as in serve), it could come while a web process was being started,
    # which then served on, forked but not yet known, after the rest had stopped.
    asked: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda signum, frame: asked.append(signum))
    settings.CONTROL_TOKEN = control.announce(actual_port)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(workers):
            processes.append(_web_process(listener, threads, web_only))
        if not web_only:
            _start_worker(stop)
        print(
            f"Växelstatistik is serving on http://{host}:{actual_port}/ with {workers} web "
            f"processes of {threads} threads and {'no' if web_only else 'one'} worker "
            "(Ctrl-C stops)",
            flush=True,
        )
        while not asked:
            time.sleep(RESTART_AFTER_S)
            for i, process in enumerate(processes):
                if process.poll() is not None and not asked:
                    log.warning(
                        "web process %d stopped (exit %s): started again",
                        process.pid,
                        process.returncode,
                    )
                    try:
                        processes[i] = _web_process(listener, threads, web_only)
                    except OSError:
                        # (No memory or processes left: tried again the next round; the
                        # others serve meanwhile.)
                        log.exception("a web process could not be started")
    finally:
        began = time.monotonic()
        control.withdraw()
        for process in processes:
            if process.poll() is None:
                process.terminate()
        idle = _stop_worker(stop)
        deadline = time.monotonic() + STOP_WAIT_S
        for process in processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("web process %d did not stop: killed", process.pid)
                process.kill()
        listener.close()
        _close_stores_unless_busy(idle)
        log.info("stopped in %.1f s", time.monotonic() - began)


def _stop_when_orphaned(parent: int) -> None:
    """Stop this process once its server is gone (killed outright, it could not stop its
    web processes: they would serve on without a worker, and hold the port a new start
    needs)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)


def _server_pid() -> int:
    """The pid of the server that started this web process, as it passed it
    (VAXELSTAT_SERVER_PID); else this process's parent."""
    value = os.environ.get("VAXELSTAT_SERVER_PID", "")
    return int(value) if value.isdigit() else os.getppid()


def serve_web_process(fd: int, threads: int) -> None:
    """One of serve_many's web processes: pages on the socket it was given, no worker."""
    _stacks_on_request()
    parent = _server_pid()
    if os.getppid() != parent:
        # Started as its server stopped (the server already gone): it serves nothing.
        log.warning("the server (pid %d) is gone: this web process stops", parent)
        return
    listener = socket.socket(fileno=fd)
    server = _web_server(threads, sockets=[listener])
    signal.signal(signal.SIGTERM, _stop_signal)
    try:
        threading.Thread(target=_stop_when_orphaned, args=(parent,), daemon=True).start()
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        close_stores()

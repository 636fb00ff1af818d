"""Source file → parser → measured objects → call store, with a stored summary per file."""

import errno
import hashlib
import logging
import os
import shutil
import socket
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

import duckdb
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from vaxelstat import tmpfiles
from vaxelstat.calls.legs import Leg
from vaxelstat.calls.store import get_store
from vaxelstat.ingest import rules
from vaxelstat.ingest.models import ImportRun, RejectedRecord
from vaxelstat.ingest.parsers import PARSERS, POINT_FORMATS, asterisk_cdr, asterisk_queue_log
from vaxelstat.ingest.parsers.base import NotReadable, Reason, Reject, SourceSettings
from vaxelstat.ingest.workspace import Workspace, log_step
from vaxelstat.orgs.models import CollectionPoint, GroupMembership, MeasuredObject, Organization

log = logging.getLogger(__name__)


class UnreadableFile(Exception):
    """A file that could not be read at all."""


class NoSpace(UnreadableFile):
    """The data directory's disk is full: the file is not imported (nothing of it is stored),
    and can be imported once there is room (the spool keeps it for its next round)."""


def _no_space(exc: BaseException) -> bool:
    """Whether an error is a full disk's, as the OS, DuckDB or SQLite tell it."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    text = str(exc)
    return "No space left on device" in text or "database or disk is full" in text


def _no_space_error(path: Path) -> NoSpace:
    free = shutil.disk_usage(settings.DATA_DIR).free
    needed = 3 * path.stat().st_size if path.exists() else 0
    return NoSpace(
        f"{path}: not imported: the disk of {settings.DATA_DIR} is full ({free // 2**20} MB "
        f"free; this file needs about {max(1, needed // 2**20)} MB more); import it again "
        "once there is room"
    )


@dataclass
class ImportSummary:
    path: Path
    lines_read: int = 0
    imported: int = 0
    duplicates: int = 0
    # Calls stored before whose legs this file's reading replaced (a correction).
    calls_replaced: int = 0
    rejects: list[Reject] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.rejects)


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def raw_digest(raw: str) -> str:
    return hashlib.sha1(raw.encode("utf-8", "replace")).hexdigest()


# How much of a rejected record's text is kept (its length and digest say the rest).
RAW_KEPT = 4096


def kept_text(text: str, most: int) -> str:
    """Text from a file as the app database keeps it: a NUL written as \\x00 (PostgreSQL's
    text holds none), and at most `most` characters."""
    text = text.replace("\x00", "\\x00")
    return text if len(text) <= most else text[: most - 1] + "…"


def kept_raw(raw: str) -> str:
    """A rejected record's text as kept: whole up to RAW_KEPT characters, else its start,
    its full length and its digest (which is what finds it again)."""
    if len(raw) <= RAW_KEPT:
        return kept_text(raw, RAW_KEPT)
    return (
        kept_text(raw[:RAW_KEPT], RAW_KEPT)
        + f"… ({len(raw)} characters in all, sha1 {raw_digest(raw)})"
    )


# The process that runs an import ("host:pid"), as its run records it.
OWNER = f"{socket.gethostname()}:{os.getpid()}"
# A run of another host left incomplete this long is taken to be its dead process's.
FOREIGN_RUN_GONE_AFTER = timedelta(days=1)


def _gone(run: ImportRun) -> bool:
    """Whether the process that ran an import is no more."""
    host, _, pid = run.owner.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        return not tmpfiles.alive(int(pid))
    return timezone.now() - run.started > FOREIGN_RUN_GONE_AFTER


def complete_interrupted(point: CollectionPoint | None = None) -> int:
    """The runs a process that died left incomplete (of `point`, or all): completed where
    the store holds their legs (its commit is whole or nothing), else removed with their
    rejected records (nothing of their file was stored). Return how many."""
    runs = ImportRun.objects.filter(complete=False)
    if point is not None:
        runs = runs.filter(collection_point=point)
    handled = 0
    for run in runs:
        if not _gone(run):
            continue
        stored = get_store().count_of_import(run.organization_id, run.id)
        if stored:
            run.legs_imported, run.complete, run.finished = stored, True, timezone.now()
            run.save(update_fields=["legs_imported", "complete", "finished"])
        else:
            run.delete()
        handled += 1
    return handled


def collection_point_for(org: Organization, fmt: str, name: str | None = None) -> CollectionPoint:
    """The named collection point, the organization's only one reading `fmt`, or a new one."""
    if name:
        point, _ = CollectionPoint.objects.get_or_create(
            organization=org, name=name, defaults={"format": fmt}
        )
        return point
    matching = [
        p
        for p in org.collection_points.all()
        if p.format == fmt or fmt in POINT_FORMATS.get(p.format, ())
    ]
    if len(matching) == 1:
        return matching[0]
    point, _ = CollectionPoint.objects.get_or_create(
        organization=org, name=fmt, defaults={"format": fmt}
    )
    return point


def _resolve_objects(
    org: Organization,
    point: CollectionPoint,
    objects: list[tuple[str, str, str]],
    names: dict[str, str],
    memberships: set[tuple[str, str]],
) -> dict[tuple[str, str], int]:
    """Find or create the measured object of every (kind, identity, number); return ids."""
    existing = {
        (o.kind, o.source_identity): o for o in MeasuredObject.objects.filter(organization=org)
    }
    new = [
        MeasuredObject(
            organization=org,
            kind=kind,
            source_identity=identity,
            number=number,
            display_name=kept_text(names.get(identity, ""), 200),
            collection_point=point,
        )
        for kind, identity, number in objects
        if (kind, identity) not in existing
    ]
    if new:
        MeasuredObject.objects.bulk_create(new)
        for obj in MeasuredObject.objects.filter(organization=org):
            existing[(obj.kind, obj.source_identity)] = obj
    unnamed = [o for o in existing.values() if not o.display_name and o.source_identity in names]
    for obj in unnamed:
        obj.display_name = kept_text(names[obj.source_identity], 200)
    MeasuredObject.objects.bulk_update(unnamed, ["display_name"])
    by_identity = {identity: o for (_, identity), o in existing.items()}
    pairs = [
        GroupMembership(group=by_identity[g], member=by_identity[m])
        for g, m in memberships
        if g in by_identity and m in by_identity
    ]
    GroupMembership.objects.bulk_create(pairs, ignore_conflicts=True)
    return {key: o.id for key, o in existing.items()}


# How many of a point's queue_log lines without their call's start are read again with each
# file (the latest): enough for the files of a rotation read in any order.
CARRIED_ENDS = 5000


def carried_over(point: CollectionPoint, fmt: str, path: Path) -> list[RejectedRecord]:
    """The lines of calls an earlier file of this point and format left open (a queue_log
    rotates while calls wait in the queue; a Master.csv while a call goes on), to be read
    again just before this file's own."""
    if fmt == asterisk_cdr.FORMAT:
        if asterisk_cdr.layout(path)[1]:
            return []  # a DB export's first line is its header: nothing goes before it
    elif fmt != asterisk_queue_log.FORMAT or not asterisk_queue_log.is_native(path):
        return []
    # A file of the same name too: a spool or a push brings each rotated file under one name.
    # Its lines that repeat carried ones are read once (the queue_log's de-duplication; a
    # CDR call held is not held again once stored), so importing a file again changes nothing.
    waiting = RejectedRecord.objects.filter(
        collection_point=point, resolved=False, import_run__format=fmt
    )
    held = list(waiting.filter(reason=Reason.INCOMPLETE_CALL).order_by("import_run_id", "line"))
    if fmt == asterisk_queue_log.FORMAT:
        # The ends of calls whose start was in a file not read yet (rotated files read out of
        # order): read again with each file, so the one with their starts makes the calls
        # whole (the lines are read in time order). The latest CARRIED_ENDS of them.
        ends = waiting.filter(reason=Reason.NO_START_EVENT).order_by("-id")[:CARRIED_ENDS]
        held += sorted(ends, key=lambda r: (r.import_run_id, r.line))
    # A queue_log's own lines only, not a table export's rows.
    return [r for r in held if fmt == asterisk_cdr.FORMAT or "|" in r.raw]


@contextmanager
def _after(carried: list[RejectedRecord], path: Path) -> Iterator[Path]:
    """`path`, or a copy of it with the carried lines first."""
    if not carried:
        yield path
        return
    with tmpfiles.named(".queue_log") as tmp:
        tmp.write("".join(f"{r.raw.rstrip()}\n" for r in carried).encode("utf-8"))
        with open(path, "rb") as f:
            shutil.copyfileobj(f, tmp)
        tmp.flush()
        yield Path(tmp.name)


def store_legs(
    org_id: int,
    point_id: int,
    import_id: int,
    timezone: str,
    legs: list[Leg],
    object_ids: dict[tuple[str, str], int],
) -> int:
    """Store legs made elsewhere (tests, tools) by the rules of an import; return how many
    were new."""
    store = get_store()
    with Workspace(len(legs) * 200) as ws, store.writing():
        ws.add_legs(legs)
        settled = rules.settle(ws, store, org_id, point_id, import_id, timezone, object_ids)
        if settled is None:
            return 0
        store.apply(
            org_id, point_id, settled.rows, settled.replaces, settled.earliest, settled.latest
        )
        return settled.inserted


def parse_into(
    ws: Workspace, fmt: str, path: Path, source: SourceSettings, carried: int = 0
) -> None:
    """Read a file of the format into the workspace: by the format's SQL where it has one
    (queue_log, the Asterisk CDR), else by its Python parser. `carried`: how
    many of the first lines were carried over from earlier files (queue_log, the CDR)."""
    if fmt == asterisk_queue_log.FORMAT:
        asterisk_queue_log.read_into(ws, path, source, carried)
    elif fmt == asterisk_cdr.FORMAT:
        asterisk_cdr.read_into(ws, path, source, carried)
    else:
        ws.add_result(PARSERS[fmt].parse(path, source))


def import_file(
    org: Organization, point: CollectionPoint, fmt: str, path: Path, source_name: str = ""
) -> ImportSummary:
    """Import one file: all its accepted legs, or none; re-importing it adds nothing.

    `source_name` names the file in the summary and the rejected records when `path` is a
    temporary copy (a pushed file). A full disk is one NoSpace error that says so.
    """
    try:
        return _import_file(org, point, fmt, path, source_name)
    except NoSpace:
        raise
    except Exception as exc:
        if _no_space(exc) or (exc.__cause__ is not None and _no_space(exc.__cause__)):
            log.warning("%s: the disk is full", path)
            raise _no_space_error(path) from exc
        if short := _out_of_memory(exc):
            raise UnreadableFile(
                f"{path}: could not be read: {short} (an import may hold "
                f"{settings.IMPORT_MEMORY}: set VAXELSTAT_IMPORT_MEMORY higher, or free the "
                "disk of the data directory, where an import writes what it cannot hold)"
            ) from exc
        raise


def _out_of_memory(exc: BaseException) -> str:
    """DuckDB's words where an error, or an error it came of, is its want of memory (in the
    workspace, or in the store's insert as it reads the workspace's batches); else ''."""
    while exc is not None:
        for line in str(exc).splitlines():
            if "Out of Memory Error" in line:
                return line[line.index("Out of Memory Error") :]
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return ""


def _import_file(
    org: Organization, point: CollectionPoint, fmt: str, path: Path, source_name: str
) -> ImportSummary:
    source_name = source_name or str(path)
    # The file's name as the app database keeps it (its runs and rejected records).
    file_name = kept_text(source_name, 1000)
    if fmt not in PARSERS:
        raise UnreadableFile(f"{path}: format {fmt!r} cannot be read yet")
    try:
        path.stat()
    except OSError as exc:
        raise UnreadableFile(f"{path}: {exc.strerror or exc}") from exc
    started = timezone.now()
    complete_interrupted(point)
    source = SourceSettings.from_dict(point.settings, org.timezone)
    carried = carried_over(point, fmt, path)
    store = get_store()
    # The file's digest is computed beside the parsing (hashlib lets go of the GIL).
    with (
        ThreadPoolExecutor(max_workers=1) as hasher,
        Workspace(path.stat().st_size) as ws,
        _after(carried, path) as read,
    ):
        hashing = hasher.submit(file_digest, path)
        try:
            parse_into(ws, fmt, read, source, carried=len(carried))
            ws.reject_implausible_legs()
            rules.forget_held_of_stored_calls(ws, store, org.id, point.id)
        except duckdb.Error as exc:
            # What the engine could not read at all (an extension_pattern its regular
            # expressions refuse, say): the file is not read, and the message says why.
            detail = str(exc).splitlines()[0]
            raise UnreadableFile(f"{path}: could not be read: {detail}") from exc
        except NotReadable as exc:
            raise UnreadableFile(f"{path}: could not be read: {exc}") from exc
        except Exception as exc:
            # A reader that failed on something no rule of it foresaw: the file is not read
            # (nothing of it is stored), the user is told why, the log keeps the whole story.
            log.exception("%s: the reader failed", path)
            raise UnreadableFile(f"{path}: could not be read: {type(exc).__name__}: {exc}") from exc
        rejects = ws.rejects()
        names, memberships = ws.names(), ws.memberships()
        # The carried lines came first: rejected again, they stay their own file's records.
        # (Line 0: a leg the last guard rejected, whose line is not known.)
        still_carried = {carried[r.line - 1].pk for r in rejects if 0 < r.line <= len(carried)}
        rejects = [
            r if r.line == 0 else replace(r, line=r.line - len(carried))
            for r in rejects
            if r.line == 0 or r.line > len(carried)
        ]
        lines = ws.lines - len(carried)
        summary = ImportSummary(path, lines_read=lines, rejects=rejects)
        try:
            digest = hashing.result()
        except OSError as exc:
            raise UnreadableFile(f"{path}: {exc.strerror or exc}") from exc
        # The objects first, committed on their own: every leg the store takes points at
        # objects that exist (a re-import finds the same ones again).
        with transaction.atomic():
            object_ids = _resolve_objects(org, point, ws.objects(), names, memberships)
        # The run, marked incomplete until its legs are stored: a process that dies in
        # between leaves a run the next one completes or removes (complete_interrupted).
        with transaction.atomic():
            run = ImportRun.objects.create(
                organization=org,
                collection_point=point,
                format=fmt,
                file_name=file_name,
                file_sha256=digest,
                started=started,
                finished=started,
                lines_read=lines,
                rejected=len(rejects),
                rejected_by_reason=dict(Counter(str(r.reason) for r in rejects)),
                complete=False,
                owner=OWNER,
            )
            RejectedRecord.objects.bulk_create(
                [
                    RejectedRecord(
                        organization=org,
                        collection_point=point,
                        import_run=run,
                        file_name=file_name,
                        line=r.line,
                        reason=str(r.reason),
                        detail=kept_text(r.detail, 500),
                        raw=kept_raw(r.raw),
                        raw_sha1=raw_digest(r.raw),
                    )
                    for r in rejects
                ],
                ignore_conflicts=True,
            )
        try:
            # What the file adds is decided and applied under the store's write lock, so two
            # imports into one point cannot both add the same leg; the store's commit is
            # whole or nothing.
            # The point's earlier imports of a file of this name (the latest thousand): this
            # one may be its fixed version.
            same_file = list(
                ImportRun.objects.filter(collection_point=point, file_name=file_name)
                .exclude(pk=run.pk)
                .order_by("-id")
                .values_list("id", flat=True)[:1000]
            )
            with store.writing():
                settled = rules.settle(
                    ws, store, org.id, point.id, run.id, org.timezone, object_ids, same_file
                )
                if settled is not None:
                    applying = time.perf_counter()
                    store.apply(
                        org.id,
                        point.id,
                        settled.rows,
                        settled.replaces,
                        settled.earliest,
                        settled.latest,
                    )
                    log_step(log, applying, "the store takes the legs")
        except BaseException:
            # Where nothing of the file is stored, nor is its run, nor are its records; where
            # the store took the legs (it failed after its commit), the run stays incomplete
            # for complete_interrupted.
            try:
                if not store.count_of_import(org.id, run.id):
                    run.delete()
            except Exception:
                log.exception("%s: the import's run is left for the next start", path)
            raise
        inserted = settled.inserted if settled else 0
        duplicates = settled.duplicates if settled else 0
        calls_replaced = settled.calls_replaced if settled else 0
        with transaction.atomic():
            # Records rejected before that this import of the same file no longer rejects
            # have been fixed (and their legs imported now); carried ones still open stay.
            still = [raw_digest(r.raw) for r in rejects]
            still += [raw_digest(c.raw) for c in carried if c.pk in still_carried]
            RejectedRecord.objects.filter(
                collection_point=point, file_name=file_name, resolved=False
            ).exclude(raw_sha1__in=still).update(resolved=True)
            # Calls an earlier file left open that ended in this one.
            RejectedRecord.objects.filter(
                pk__in=[c.pk for c in carried if c.pk not in still_carried]
            ).update(resolved=True)
            run.legs_imported, run.duplicates = inserted, duplicates
            run.calls_replaced = calls_replaced
            run.finished, run.complete = timezone.now(), True
            run.save(
                update_fields=[
                    "legs_imported",
                    "duplicates",
                    "calls_replaced",
                    "finished",
                    "complete",
                ]
            )
    summary.imported, summary.duplicates = inserted, duplicates
    summary.calls_replaced = calls_replaced
    log.debug(
        "%s: %d lines, %d legs imported, %d duplicates, %d calls replaced, %d rejected",
        path,
        summary.lines_read,
        summary.imported,
        summary.duplicates,
        summary.calls_replaced,
        summary.rejected,
    )
    return summary

"""Exports as background tasks: rows of Export are the queue, so a task asked for survives a
restart; the server's worker runs them one at a time, e-mails what is to be sent, and deletes
files past their time."""

import logging
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from vaxelstat.exports import render
from vaxelstat.exports.content import ExportRequest, gather
from vaxelstat.exports.models import Export
from vaxelstat.orgs.visibility import scope_for
from vaxelstat.reports.measures import REPORTS

log = logging.getLogger(__name__)
# A task still running after this long belongs to a process that died: it is run again.
STALE_AFTER = timedelta(minutes=15)
MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "csv": "text/csv",
    "excel-csv": "text/csv",
}
# A format's file name ending.
EXTENSIONS = {"excel-csv": "csv"}


def folder(export: Export) -> Path:
    return Path(settings.DATA_DIR) / "exports" / str(export.pk)


def _progress(export: Export, percent: int) -> None:
    export.progress = percent
    Export.objects.filter(pk=export.pk).update(progress=percent)


def make_file(export: Export) -> Path:
    """Build the export's file with its owner's permissions as they are now."""
    request = ExportRequest.from_json(export.request)
    scope = scope_for(export.owner, export.organization)
    # In the owner's language: the words of the file (its headings, names and notes).
    with translation.override(export.owner.language):
        content = gather(export.organization, scope, request)
        _progress(export, 60)
        target = folder(export)
        target.mkdir(parents=True, exist_ok=True)
        path = target / file_name(export, request)
        if export.format == "csv":
            path.write_text(render.csv_text(content), encoding="utf-8")
        else:
            render.RENDERERS[export.format](content, path)
    return path


# Characters a file name may not hold on some system (Windows' reserved ones, controls).
NOT_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
# The longest name of a file before its ending (the export keeps at most 200 characters).
NAME_MOST = 150


def title(export: Export, request: ExportRequest) -> str:
    """What the file holds, in its owner's language: the saved report's name or the report's,
    "Samtal" before it for the calls alone, and the period."""
    with translation.override(export.owner.language):
        name = request.title or REPORTS[request.report].name
        if "calls" in request.include and "table" not in request.include:
            name = f"{_('Samtal')} – {name}"
    period = request.first if request.first == request.last else f"{request.first}–{request.last}"
    return f"{name[: NAME_MOST - len(period) - 1]} {period}"


def file_name(export: Export, request: ExportRequest) -> str:
    """The title as a file's name any system keeps, with the format's ending."""
    name = NOT_IN_NAMES.sub("-", title(export, request)).strip(" .-")
    return f"{name or 'export'}.{EXTENSIONS.get(export.format, export.format)}"


def send(export: Export, path: Path) -> None:
    """One message per address, each with the file attached, in its owner's language."""
    request = ExportRequest.from_json(export.request)
    what = title(export, request)
    with translation.override(export.owner.language):
        subject = _("Växelstatistik: %(what)s") % {"what": what}
        lines = [
            _("Hej!"),
            "",
            _("%(owner)s skickar %(what)s från Växelstatistik.")
            % {"owner": export.owner, "what": what},
            _("Filen finns som bilaga: %(file)s.") % {"file": path.name},
        ]
        if request.title:
            lines += [
                "",
                _(
                    "Det är den sparade rapporten %(name)s; dess ägare ändrar eller stoppar "
                    "utskicket under Sparade rapporter."
                )
                % {"name": request.title},
            ]
        body = "\n".join(lines) + "\n"
    data = path.read_bytes()
    for address in export.email_to:
        message = EmailMessage(subject, body, None, [address], reply_to=[export.owner.email])
        message.attach(path.name, data, MIME[export.format])
        message.send()


def run(export: Export) -> None:
    try:
        path = make_file(export)
        if export.email_to:
            _progress(export, 90)
            send(export, path)
        export.file_name, export.size = path.name, path.stat().st_size
        export.path = str(path.relative_to(Path(settings.DATA_DIR) / "exports"))
        export.status, export.progress, export.finished = Export.Status.DONE, 100, timezone.now()
        export.save(update_fields=["file_name", "size", "path", "status", "progress", "finished"])
    except Exception as exc:
        log.exception("export %s failed", export.pk)
        export.status, export.error, export.finished = (
            Export.Status.FAILED,
            str(exc)[:500],
            timezone.now(),
        )
        export.save(update_fields=["status", "error", "finished"])


def requeue_interrupted() -> int:
    """At the worker's start: the exports a worker that died left running are queued again
    at once (one worker runs the exports of a data directory); return how many."""
    return Export.objects.filter(status=Export.Status.RUNNING).update(
        status=Export.Status.QUEUED, progress=0
    )


NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def _next_queued() -> Export | None:
    """The export to run next: the oldest of the organization served least recently (whose
    latest export started earliest, or that has had none). One organization's many or long
    exports take their turns with every other organization's, its scheduled e-mails too."""
    queued = Export.objects.filter(status=Export.Status.QUEUED)
    waiting = set(queued.values_list("organization_id", flat=True))
    if not waiting:
        return None
    served = dict(
        Export.objects.filter(organization_id__in=waiting, started__isnull=False)
        .values_list("organization_id")
        .annotate(Max("started"))
    )
    # Never served first (by id), then the longest since served.
    org = min(waiting, key=lambda o: (o in served, served.get(o) or NEVER, o))
    return (
        queued.filter(organization_id=org)
        .select_related("owner", "organization")
        .order_by("created")
        .first()
    )


def run_pending() -> int:
    """Run every queued export (and any a dead process left running); return how many."""
    Export.objects.filter(
        status=Export.Status.RUNNING, started__lt=timezone.now() - STALE_AFTER
    ).update(status=Export.Status.QUEUED, progress=0)
    done = 0
    while True:
        with transaction.atomic():
            export = _next_queued()
            if export is None:
                return done
            claimed = Export.objects.filter(pk=export.pk, status=Export.Status.QUEUED).update(
                status=Export.Status.RUNNING, started=timezone.now(), progress=10
            )
        if claimed:
            run(export)
            done += 1


def remove_expired() -> int:
    """Delete the files (and rows) of exports past their time."""
    expired = list(Export.objects.filter(expires__lt=timezone.now()))
    for export in expired:
        shutil.rmtree(folder(export), ignore_errors=True)
    Export.objects.filter(pk__in=[e.pk for e in expired]).delete()
    return len(expired)

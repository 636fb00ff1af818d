"""Exportera: ask for an export of a report (or of its calls), follow its progress, fetch the
file. Only the export's owner sees or fetches it."""

from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vaxelstat.exports.content import INCLUDES, ExportRequest, refusal
from vaxelstat.exports.models import Export
from vaxelstat.orgs.visibility import current_organization
from vaxelstat.params import ids, whole
from vaxelstat.reports.measures import BY_KEY, REPORTS, chosen_columns
from vaxelstat.reports.period import GROUPS
from vaxelstat.reports.specification import filter_texts


def addresses(text: str) -> tuple[list[str], str]:
    """The comma-separated addresses, or an error naming the first bad one."""
    found = [a.strip() for a in text.split(",") if a.strip()]
    if not found:
        return [], _("Skriv minst en e-postadress.")
    for address in found:
        try:
            validate_email(address)
        except ValidationError:
            return [], _("Ogiltig e-postadress: %(address)s") % {"address": address}
    return found, ""


def _request(post: dict) -> ExportRequest:  # type: ignore[type-arg]
    report = post.get("report", "")
    if report not in REPORTS or post.get("group", "day") not in GROUPS:
        raise Http404
    objects = ids(post.getlist("o"))  # type: ignore[attr-defined]
    include = [i for i in post.getlist("include") if i in INCLUDES] or ["table"]  # type: ignore[attr-defined]

    def number(name: str) -> int | None:
        return whole(post.get(name))

    measure = post.get("measure") or None
    if measure is not None and (REPORTS[report].scope, measure) not in BY_KEY:
        raise Http404
    return ExportRequest(
        report=report,
        first=post.get("from", ""),
        last=post.get("to", ""),
        window=post.get("time", ""),
        group=post.get("group", "day"),
        objects=objects,
        include=include,
        filters={
            "type": post.get("type") or None,
            "text": filter_texts(post),
            "wait_min": number("wait_min"),
            "wait_max": number("wait_max"),
            "talk_min": number("talk_min"),
            "talk_max": number("talk_max"),
        },
        measure=measure,
        bucket=number("bucket"),
        measures=[m.key for m in chosen_columns(REPORTS[report], post.getlist("m")) or []],  # type: ignore[attr-defined]
        by_object=post.get("rows") == "object",
    )


def _refused(request: HttpRequest, error: str) -> HttpResponse:
    """The export refused, with why and a way back (only to a page of this site: the field
    comes back from the browser)."""
    back = request.POST.get("back", "")
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}
    ):
        back = ""
    return render(request, "exports/refused.html", {"error": error, "back": back}, status=400)


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    """Spara som fil or Skicka som e-post: queue the export, then show its progress."""
    if not request.user.may_open("reports"):  # type: ignore[union-attr]
        raise Http404
    org = current_organization(request)
    wanted = _request(request.POST)
    fmt = request.POST.get("format", "xlsx")
    if fmt not in Export.Format.values:
        raise Http404
    if why := refusal(wanted, fmt):
        return _refused(request, why)
    to: list[str] = []
    if request.POST.get("action") == "email":
        to, error = addresses(request.POST.get("addresses", ""))
        if error:
            return _refused(request, error)
    export = Export.objects.create(
        owner=request.user,  # type: ignore[misc]
        organization=org,
        format=fmt,
        request=wanted.as_json(),
        email_to=to,
    )
    return redirect("export", export.pk)


def _own(request: HttpRequest, export_id: int) -> Export:
    return get_object_or_404(Export, pk=export_id, owner=request.user)


@login_required
def status(request: HttpRequest, export_id: int) -> HttpResponse:
    export = _own(request, export_id)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(
            {
                "status": export.status,
                "label": export.get_status_display(),
                "progress": export.progress,
                "file": export.file_name if export.status == Export.Status.DONE else "",
            }
        )
    wanted = ExportRequest.from_json(export.request)
    back = (
        reverse("reports")
        + "?"
        + urlencode(
            {
                "report": wanted.report,
                "from": wanted.first,
                "to": wanted.last,
                "time": wanted.window,
                "group": wanted.group,
                "o": ",".join(str(o) for o in wanted.objects),
            }
        )
    )
    return render(request, "exports/status.html", {"export": export, "back": back})


@login_required
def download(request: HttpRequest, export_id: int) -> FileResponse:
    export = _own(request, export_id)
    if export.status != Export.Status.DONE or export.expires < timezone.now() or not export.path:
        raise Http404
    path = Path(settings.DATA_DIR) / "exports" / export.path
    if not path.is_file():
        raise Http404
    return FileResponse(open(path, "rb"), as_attachment=True, filename=export.file_name)

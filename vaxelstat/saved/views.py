"""Sparade rapporter: Basrapporter kept under a name, opened with their period worked out on
the day, changed, deleted, and e-mailed on a schedule. Each user sees only their own."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vaxelstat.orgs.models import MeasuredObject
from vaxelstat.orgs.visibility import current_organization, scope_for
from vaxelstat.params import ids
from vaxelstat.reports.measures import REPORTS, chosen_columns
from vaxelstat.reports.period import GROUPS, local_today
from vaxelstat.saved.forms import NewSavedReportForm, SavedReportForm
from vaxelstat.saved.models import SavedReport


def _may(request: HttpRequest, module: str) -> None:
    if not request.user.may_open(module):  # type: ignore[union-attr]
        raise Http404


def _own(request: HttpRequest, pk: int) -> SavedReport:
    return get_object_or_404(
        SavedReport, pk=pk, owner=request.user, organization=current_organization(request)
    )


def report_url(saved: SavedReport) -> str:
    """The page of the saved report (Basrapporter or Avancerade rapporter), its period worked
    out today."""
    today = local_today(saved.organization.tzinfo)
    first, last = saved.dates(today)
    query = {
        "report": saved.report,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "time": saved.window,
        "group": saved.group,
        "o": ",".join(str(o) for o in saved.object_ids),
        "m": saved.measures,
        "rows": "object" if saved.by_object else "",
    }
    page = reverse("advanced") if saved.advanced else reverse("reports")
    return page + "?" + urlencode({k: v for k, v in query.items() if v}, doseq=True)


@login_required
def saved_list(request: HttpRequest) -> HttpResponse:
    _may(request, "advanced")
    org = current_organization(request)
    rows = [
        {
            "saved": saved,
            "report": REPORTS[saved.report].name if saved.report in REPORTS else "",
            "open": report_url(saved),
        }
        for saved in SavedReport.objects.filter(
            owner=request.user,  # type: ignore[misc]
            organization=org,
        ).select_related("last_export")
    ]
    return render(request, "saved/list.html", {"rows": rows})


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    """Spara rapporten: from the Basrapporter page, its report, objects, period and grouping."""
    _may(request, "reports")
    _may(request, "advanced")
    org = current_organization(request)
    post = request.POST
    report, group = post.get("report", ""), post.get("group", "day")
    if report not in REPORTS or group not in GROUPS:
        raise Http404
    wanted = ids(post.getlist("o"))
    # Only the organization's objects of the report's kind that this user may see now; the
    # report shows what they may see when it is opened or sent.
    objects = sorted(
        MeasuredObject.objects.filter(
            organization=org,
            kind=REPORTS[report].kind,
            id__in=scope_for(request.user, org).allowed(wanted),
        ).values_list("id", flat=True)
    )
    form = NewSavedReportForm(
        {
            "name": post.get("name", ""),
            "period": post.get("period", ""),
            "first": post.get("from", ""),
            "last": post.get("to", ""),
            "window": post.get("time", ""),
        },
        instance=SavedReport(
            owner=request.user,  # type: ignore[misc]
            organization=org,
            report=report,
            group=group,
            object_ids=objects,
            measures=[m.key for m in chosen_columns(REPORTS[report], post.getlist("m")) or []],
            by_object=post.get("rows") == "object",
        ),
        owner=request.user,
        organization=org,
    )
    if not form.is_valid():
        back = post.get("back", "")
        if not back.startswith("/") or not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}
        ):
            back = ""
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        return render(request, "saved/refused.html", {"errors": errors, "back": back}, status=400)
    saved = form.save()
    messages.success(request, _("Rapporten är sparad som %(name)s.") % {"name": saved.name})
    return redirect("saved")


@login_required
def open_saved(request: HttpRequest, pk: int) -> HttpResponse:
    _may(request, "reports")
    return redirect(report_url(_own(request, pk)))


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    _may(request, "advanced")
    saved = _own(request, pk)
    org = current_organization(request)
    form = SavedReportForm(
        request.POST or None, instance=saved, owner=request.user, organization=org
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Ändringarna är sparade."))
        return redirect("saved")
    report = REPORTS.get(saved.report)
    return render(
        request,
        "saved/edit.html",
        {"form": form, "saved": saved, "report": report.name if report else ""},
    )


@login_required
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Ta bort: asks first; the POST of the confirmation deletes."""
    _may(request, "advanced")
    saved = _own(request, pk)
    if request.method == "POST":
        name = saved.name
        saved.delete()
        messages.success(request, _("%(name)s är borttagen.") % {"name": name})
        return redirect("saved")
    return render(request, "saved/delete.html", {"saved": saved})

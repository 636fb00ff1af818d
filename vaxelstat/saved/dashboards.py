"""Dashboardkatalog: Min dashboard and the dashboards users make of their saved reports. A
dashboard shows each of its reports by its Totalt, for the period worked out today, with the
viewer's own permissions; its owner changes or deletes it, an admin may share it."""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vaxelstat.exports.content import run_request
from vaxelstat.orgs.models import Organization
from vaxelstat.orgs.visibility import current_organization, scope_for
from vaxelstat.reports.measures import REPORTS
from vaxelstat.reports.period import local_today
from vaxelstat.saved.models import Dashboard, SavedReport
from vaxelstat.saved.views import report_url
from vaxelstat.web.reports import Numbers


class DashboardForm(forms.ModelForm):
    class Meta:
        model = Dashboard
        fields = ["name", "reports", "shared"]
        widgets = {"reports": forms.CheckboxSelectMultiple}
        labels = {"reports": gettext_lazy("Sparade rapporter att visa")}

    def __init__(self, *args: Any, owner: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the owner's own saved reports; sharing is for the organization's admins.
        self.fields["reports"].queryset = SavedReport.objects.filter(  # type: ignore[attr-defined]
            owner=owner, organization=organization
        )
        if not (owner.is_org_admin or owner.is_superuser):
            del self.fields["shared"]


def _may(request: HttpRequest) -> Organization:
    if not request.user.may_open("dashboard"):  # type: ignore[union-attr]
        raise Http404
    return current_organization(request)


def _visible(request: HttpRequest, org: Organization) -> Any:
    return Dashboard.objects.filter(organization=org).filter(
        Q(owner=request.user) | Q(shared=True)  # type: ignore[misc]
    )


def _own(request: HttpRequest, pk: int) -> Dashboard:
    org = _may(request)
    return get_object_or_404(Dashboard, pk=pk, organization=org, owner=request.user)


@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    org = _may(request)
    form = DashboardForm(request.POST or None, owner=request.user, organization=org)
    if request.method == "POST" and form.is_valid():
        dashboard = form.save(commit=False)
        dashboard.owner, dashboard.organization = request.user, org
        dashboard.save()
        form.save_m2m()
        messages.success(request, _("Dashboarden %(name)s är skapad.") % {"name": dashboard.name})
        return redirect("dashboard-show", dashboard.pk)
    return render(
        request,
        "saved/catalog.html",
        {"dashboards": _visible(request, org).select_related("owner"), "form": form},
        status=400 if request.method == "POST" else 200,
    )


@dataclass
class Tile:
    saved: SavedReport
    title: str
    first: str
    last: str
    figures: list[tuple[str, str]]
    link: str


def _tile(saved: SavedReport, request: HttpRequest, org: Organization, numbers: Numbers) -> Tile:
    wanted = saved.export_request(local_today(org.tzinfo))
    result = run_request(org, scope_for(request.user, org), wanted)
    return Tile(
        saved,
        result.report.name,
        wanted.first,
        wanted.last,
        [(m.label, numbers.shown(m, result.total[m.key])) for m in result.columns],
        report_url(saved),
    )


@login_required
def show(request: HttpRequest, pk: int) -> HttpResponse:
    org = _may(request)
    dashboard = get_object_or_404(_visible(request, org), pk=pk)
    numbers = Numbers.current()
    tiles = [
        _tile(saved, request, org, numbers)
        # (Each tile's link reads its report's organization.)
        for saved in dashboard.reports.select_related("organization")
        if saved.report in REPORTS
    ]
    return render(request, "saved/dashboard.html", {"dashboard": dashboard, "tiles": tiles})


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    dashboard = _own(request, pk)
    form = DashboardForm(
        request.POST or None,
        instance=dashboard,
        owner=request.user,
        organization=dashboard.organization,
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Ändringarna är sparade."))
        return redirect("dashboard-show", dashboard.pk)
    return render(request, "saved/dashboard_edit.html", {"dashboard": dashboard, "form": form})


@login_required
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Ta bort: asks first; the POST of the confirmation deletes."""
    dashboard = _own(request, pk)
    if request.method == "POST":
        dashboard.delete()
        messages.success(request, _("%(name)s är borttagen.") % {"name": dashboard.name})
        return redirect("dashboards")
    return render(request, "saved/dashboard_delete.html", {"dashboard": dashboard})

"""Administration → Gallring, for an organization's admins; organizations and collection
points, for operator admins."""

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from vaxelstat.accounts.forms import RetentionForm
from vaxelstat.orgs import retention
from vaxelstat.orgs.models import CollectionPoint, Organization
from vaxelstat.orgs.visibility import admin_organization, operator_required


def gallring(request: HttpRequest) -> HttpResponse:
    org = admin_organization(request)
    action = request.POST.get("action") if request.method == "POST" else None
    form = RetentionForm(request.POST if action == "save" else None, instance=org)
    if action == "save" and form.is_valid():
        form.save()
        messages.success(request, _("Sparat. Gallringen körs varje natt."))
        return redirect("gallring")
    if action == "run" and org.retention_months:
        if request.POST.get("confirm") == "1":
            done = retention.run(org, by=request.user)
            deleted = done.deleted if done else 0
            messages.success(
                request, _("Gallringen tog bort %(deleted)s samtal.") % {"deleted": deleted}
            )
            return redirect("gallring")
    before, calls = (None, 0)
    if org.retention_months:
        before, calls = retention.preview(org, org.retention_months)
    return render(
        request,
        "orgs/gallring.html",
        {
            "org": org,
            "form": form,
            "before": before,
            "calls": calls,
            "confirming": action == "run",
            "runs": org.retention_runs.select_related("by")[:50],
        },
    )


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["slug", "name", "timezone"]
        labels = {"slug": _("Kortnamn"), "name": _("Namn"), "timezone": _("Tidszon")}


class PointForm(forms.ModelForm):
    class Meta:
        model = CollectionPoint
        fields = ["organization", "name", "format"]
        labels = {
            "organization": _("Organisation"),
            "name": _("Namn"),
            "format": _("Format"),
        }


def organizations(request: HttpRequest) -> HttpResponse:
    """Operator admins: organizations and their collection points; a new point's push token is
    shown once."""
    operator_required(request)
    action = request.POST.get("action") if request.method == "POST" else None
    org_form = OrganizationForm(request.POST if action == "org" else None)
    point_form = PointForm(request.POST if action == "point" else None)
    token = None
    if action == "org" and org_form.is_valid():
        org = org_form.save()
        messages.success(request, _("Organisationen %(name)s har lagts till.") % {"name": org.name})
        return redirect("organizations")
    if action == "point" and point_form.is_valid():
        point = point_form.save(commit=False)
        if point.organization.collection_points.filter(name=point.name).exists():
            point_form.add_error(
                "name", _("Organisationen har redan en insamlingspunkt med det namnet.")
            )
        else:
            token = point.new_push_token()
            point.save()
            point_form = PointForm()
    orgs = Organization.objects.prefetch_related("collection_points").annotate(
        user_count=Count("users", distinct=True),
        object_count=Count("objects_measured", distinct=True),
    )
    return render(
        request,
        "orgs/organizations.html",
        {"orgs": orgs, "org_form": org_form, "point_form": point_form, "token": token},
    )

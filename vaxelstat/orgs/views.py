"""Administration → Gallring, for an organization's admins."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from vaxelstat.accounts.forms import RetentionForm
from vaxelstat.orgs import retention
from vaxelstat.orgs.visibility import admin_organization


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

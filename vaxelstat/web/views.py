from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from vaxelstat.calls.store import get_store
from vaxelstat.ingest.models import ImportRun
from vaxelstat.orgs.models import MeasuredObject, Organization
from vaxelstat.orgs.visibility import (
    current_organization,
    operator_required,
    scope_for,
    visible_objects,
)
from vaxelstat.params import whole


@login_required
def start(request: HttpRequest) -> HttpResponse:
    org = current_organization(request)
    counts = get_store().counts_by_object(scope_for(request.user, org))
    groups = []
    for kind, label in MeasuredObject.Kind.choices:
        objects = [
            (obj, counts.get(obj.id, 0))
            for obj in visible_objects(request.user, org).filter(kind=kind)
        ]
        if objects:
            groups.append((label, objects))
    operator_orgs = Organization.objects.all() if request.user.is_superuser else None
    return render(
        request,
        "web/start.html",
        {
            "org": org,
            "groups": groups,
            "total": sum(counts.values()),
            "operator_orgs": operator_orgs,
        },
    )


def imports(request: HttpRequest) -> HttpResponse:
    """Operator admins: each import's summary, and the records it rejected."""
    operator_required(request)
    runs = ImportRun.objects.select_related("organization", "collection_point")[:200]
    run_id = request.GET.get("run")
    run_number = whole(run_id, 1)
    selected = ImportRun.objects.filter(id=run_number).first() if run_number else None
    rejects = selected.rejects.all()[:1000] if selected else []
    return render(
        request, "web/imports.html", {"runs": runs, "selected": selected, "rejects": rejects}
    )

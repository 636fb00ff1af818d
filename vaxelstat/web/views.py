from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from vaxelstat.calls.store import get_store
from vaxelstat.orgs.models import MeasuredObject, Organization


def current_organization(request: HttpRequest) -> Organization:
    """The organization the request works in: the user's own, or for an operator the chosen one."""
    user = request.user
    own = getattr(user, "organization", None)
    if own is not None:
        return own
    if getattr(user, "is_superuser", False):
        slug = request.GET.get("org")
        orgs = Organization.objects.all()
        org = orgs.filter(slug=slug).first() if slug else orgs.first()
        if org:
            return org
    raise Http404("No organization")


@login_required
def start(request: HttpRequest) -> HttpResponse:
    org = current_organization(request)
    counts = get_store().counts_by_object(org.id)
    groups = []
    for kind, label in MeasuredObject.Kind.choices:
        objects = [
            (obj, counts.get(obj.id, 0))
            for obj in MeasuredObject.objects.filter(organization=org, kind=kind)
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

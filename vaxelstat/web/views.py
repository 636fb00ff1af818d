from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

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
from vaxelstat.reports.period import local_today
from vaxelstat.reports.today import REPORT
from vaxelstat.saved.models import SavedReport
from vaxelstat.web.wallboard import last_import, today_tiles

# The most answering groups, and saved reports, the start page lists.
START_GROUPS = 20
START_SAVED = 8


@login_required
def start(request: HttpRequest) -> HttpResponse:
    """Start: today's figures of the answering groups the user sees (each opening its report
    of today), the ways on (the modules the user may open, their saved reports), when the
    last log was imported, and every object with its calls."""
    org = current_organization(request)
    user = request.user
    today = local_today(org.tzinfo)
    # The objects the user sees, read once (by kind, then number).
    visible = list(visible_objects(user, org))
    scope = scope_for(user, org)
    groups = [o for o in visible if o.kind == "acd"]
    tiles = []
    if user.may_open("reports"):  # type: ignore[union-attr]
        period = urlencode({"report": REPORT, "from": today, "to": today, "group": "hour"})
        tiles = today_tiles(org, groups[:START_GROUPS], scope)
        for tile in tiles:
            tile["link"] = f"{reverse('reports')}?{period}&o={tile['group'].id}"
    saved = []
    if user.may_open("advanced"):  # type: ignore[union-attr]
        saved = list(SavedReport.objects.filter(owner=user, organization=org)[:START_SAVED])  # type: ignore[misc]
    shortcuts = [
        (label, reverse(name), about)
        for label, name, about, module in (
            (
                _("Basrapporter"),
                "reports",
                _("standardrapporter för växelns nummer"),
                "reports",
            ),
            (_("Avancerade rapporter"), "advanced", _("egna kolumner och rader"), "advanced"),
            (_("Min dashboard"), "dashboard", _("dina nyckeltal"), "dashboard"),
            (_("Väggskärm"), "wallboard", _("dagens siffror i stor stil"), "dashboard"),
            (_("Hjälp"), "help", _("kolumnernas definitioner"), None),
        )
        if user.may_open(module)  # type: ignore[union-attr]
    ]
    counts = get_store().counts_by_object(scope)
    objects_by_kind = []
    for kind, label in MeasuredObject.Kind.choices:
        objects = [(obj, counts.get(obj.id, 0)) for obj in visible if obj.kind == kind]
        if objects:
            objects_by_kind.append((label, objects))
    operator_orgs = Organization.objects.all() if request.user.is_superuser else None
    return render(
        request,
        "web/start.html",
        {
            "org": org,
            "groups": objects_by_kind,
            "total": sum(counts.values()),
            "operator_orgs": operator_orgs,
            "today": today,
            "tiles": tiles,
            "more_groups": len(groups) > START_GROUPS,
            "saved": saved,
            "shortcuts": shortcuts,
            "last_import": last_import(org),
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

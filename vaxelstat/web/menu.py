"""Hjälp and Sök: the column definitions and how-tos, and a search over the menu, the reports,
the objects and saved reports the user may see."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from vaxelstat.calls.legs import TYPE_LABELS, TYPES_BY_KIND
from vaxelstat.orgs.models import MeasuredObject
from vaxelstat.orgs.visibility import current_organization, visible_objects
from vaxelstat.reports.measures import MEASURES, REPORTS, columns_of
from vaxelstat.saved.models import SavedReport
from vaxelstat.web.reports import (
    measure_help,
)


@login_required
def help_page(request: HttpRequest) -> HttpResponse:
    """Hjälp: every report's columns with their definitions, and the call types, from the one
    measure table the pages, exports and API read."""
    kinds = dict(MeasuredObject.Kind.choices)
    reports = [
        {
            "key": r.key,
            "kind": kinds[r.kind],
            "name": r.name,
            "columns": [
                {"label": m.label, "help": measure_help(m), "unit": m.unit} for m in columns_of(r)
            ],
        }
        for r in REPORTS.values()
    ]
    types = [
        (kinds[kind], [(t, _(TYPE_LABELS[t])) for t in members])
        for kind, members in TYPES_BY_KIND.items()
    ]
    # The measures no standard report shows: columns of Avancerade rapporter.
    shown = {(r.scope, key) for r in REPORTS.values() for key in r.columns}
    more = [
        {"label": m.label, "help": measure_help(m), "key": m.key}
        for m in MEASURES
        if (m.scope, m.key) not in shown
    ]
    return render(request, "web/help.html", {"reports": reports, "types": types, "more": more})


# Basrapporter's first report for each kind of object.
FIRST_REPORT: dict[str, str] = {}
for _report in REPORTS.values():
    FIRST_REPORT.setdefault(_report.kind, _report.key)


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    """Sök: menu items, reports and the objects the user may see, by a part of their name or
    number; an object opens its first report."""
    text = request.GET.get("q", "").strip()
    needle = text.lower()
    found: dict[str, list[tuple[str, str]]] = {
        "menu": [],
        "reports": [],
        "objects": [],
        "saved": [],
    }
    if needle:
        user = request.user
        menu = [
            (_("Start"), reverse("start"), None),
            (_("Mitt konto"), reverse("account"), None),
            (_("Basrapporter"), reverse("reports"), "reports"),
            (_("Avancerade rapporter"), reverse("advanced"), "advanced"),
            (_("Sparade rapporter"), reverse("saved"), "advanced"),
            (_("Väggskärm"), reverse("wallboard"), "dashboard"),
            (_("Dashboardkatalog"), reverse("dashboards"), "dashboard"),
            (_("Hjälp"), reverse("help"), None),
        ]
        if getattr(user, "organization", None) is not None:
            menu.append((_("API-nycklar"), reverse("api-keys"), "reports"))
        if user.is_superuser or getattr(user, "is_org_admin", False):
            menu += [
                (_("Administration"), reverse("administration"), None),
                (_("Användare"), reverse("users"), None),
                (_("Gallring"), reverse("gallring"), None),
                (_("Logs"), reverse("logs"), None),
            ]
        found["menu"] = [
            (title, url)
            for title, url, module in menu
            if needle in title.lower() and user.may_open(module)  # type: ignore[union-attr]
        ]
        if user.may_open("reports"):  # type: ignore[union-attr]
            base = reverse("reports")
            kinds = dict(MeasuredObject.Kind.choices)
            # A report by the kind of object it is of (several kinds' reports share a name).
            found["reports"] = [
                (f"{kinds[r.kind]}: {r.name}", f"{base}?report={r.key}")
                for r in REPORTS.values()
                if needle in r.name.lower() or needle in r.key
            ]
            org = current_organization(request)
            for o in visible_objects(user, org).order_by("kind", "number"):
                if needle in o.number.lower() or needle in o.display_name.lower():
                    label = (
                        f"{kinds[o.kind]}: {o.display_name} ({o.number})"
                        if o.display_name
                        else f"{kinds[o.kind]}: {o.number}"
                    )
                    found["objects"].append(
                        (label, f"{base}?report={FIRST_REPORT[o.kind]}&o={o.id}")
                    )
        if user.may_open("advanced"):  # type: ignore[union-attr]
            found["saved"] = [
                (saved.name, reverse("saved-open", args=[saved.pk]))
                for saved in SavedReport.objects.filter(
                    owner=user,  # type: ignore[misc]
                    organization=current_organization(request),
                )
                if needle in saved.name.lower()
            ]
    return render(request, "web/search.html", {"q": text, "found": found})

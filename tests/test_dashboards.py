"""Dashboardkatalog: dashboards made of saved reports show each report's Totalt for its period,
with the viewer's own permissions; only the owner changes or deletes one; only admins share."""

import re

from django.test import Client

from vaxelstat.reports.engine import find_objects
from vaxelstat.saved.models import Dashboard, SavedReport

DAY = {"from": "2023-11-14", "to": "2023-11-14", "time": "", "group": "day"}


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def saved(client: Client, objects, name: str, **extra) -> SavedReport:  # type: ignore[no-untyped-def]
    response = client.post(
        "/sparade-rapporter/ny/",
        {
            **DAY,
            "report": "acd.incoming",
            "o": [o.id for o in objects],
            "name": name,
            "period": "fixed",
            **extra,
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return SavedReport.objects.filter(name=name).latest("pk")


def figures(page: str, tile: str) -> dict[str, str]:
    match = re.search(rf'aria-label="{re.escape(tile)}">(.*?)</section>', page, re.S)
    assert match, tile
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", match.group(1))
    return {label: value for label, value in pairs}


def test_a_dashboard_shows_its_reports_totals(world) -> None:
    alice = logged_in(world.alice)
    queues = find_objects(world.a, "acd", "all")
    standard = saved(alice, queues, "Alla köer")
    own = saved(alice, queues, "Bara ej besvarade", m=["unanswered"])
    response = alice.post(
        "/dashboardkatalog/", {"name": "Kundtjänst", "reports": [standard.pk, own.pk]}
    )
    assert response.status_code == 302
    dashboard = Dashboard.objects.get(name="Kundtjänst")
    page = alice.get(f"/dashboardkatalog/{dashboard.pk}/").content.decode()
    assert figures(page, "Alla köer")["Totalt inkommande"] == "5"
    assert figures(page, "Alla köer")["Ej besvarade"] == "5"
    assert figures(page, "Bara ej besvarade") == {"Ej besvarade": "5"}
    assert "2023-11-14 – 2023-11-14" in page
    catalog = alice.get("/dashboardkatalog/").content.decode()
    assert "Kundtjänst" in catalog and "Min dashboard" in catalog and "Väggskärm" in catalog
    assert "(kommer)" not in catalog


def test_a_shared_dashboard_shows_each_viewer_what_they_may_see(world) -> None:
    alice, bob, charlie = (logged_in(u) for u in (world.alice, world.bob, world.charlie))
    report = saved(alice, find_objects(world.a, "acd", "all"), "Alla köer")
    alice.post("/dashboardkatalog/", {"name": "Delad", "reports": [report.pk], "shared": "on"})
    dashboard = Dashboard.objects.get(name="Delad")
    assert dashboard.shared
    assert (
        figures(bob.get(f"/dashboardkatalog/{dashboard.pk}/").content.decode(), "Alla köer")[
            "Totalt inkommande"
        ]
        == "3"
    )  # Support alone
    assert "Delad" in bob.get("/dashboardkatalog/").content.decode()
    for url in ("/andra/", "/ta-bort/"):
        assert bob.get(f"/dashboardkatalog/{dashboard.pk}{url}").status_code == 404
    assert bob.post(f"/dashboardkatalog/{dashboard.pk}/ta-bort/").status_code == 404
    assert charlie.get(f"/dashboardkatalog/{dashboard.pk}/").status_code == 404
    assert "Delad" not in charlie.get("/dashboardkatalog/").content.decode()


def test_only_admins_share_and_only_ones_own_reports_go_in(world) -> None:
    alice, bob = logged_in(world.alice), logged_in(world.bob)
    hers = saved(alice, find_objects(world.a, "acd", "all"), "Hennes")
    his = saved(bob, find_objects(world.a, "acd", "all"), "Hans")
    form = bob.get("/dashboardkatalog/").content.decode()
    assert 'name="shared"' not in form and "Hans" in form and "Hennes" not in form
    refused = bob.post("/dashboardkatalog/", {"name": "Bobs tavla", "reports": [hers.pk]})
    assert refused.status_code == 400 and not Dashboard.objects.exists()
    bob.post("/dashboardkatalog/", {"name": "Bobs tavla", "reports": [his.pk], "shared": "on"})
    assert not Dashboard.objects.get(name="Bobs tavla").shared
    assert "Bobs tavla" not in alice.get("/dashboardkatalog/").content.decode()


def test_changing_and_deleting_after_a_confirmation(world) -> None:
    alice = logged_in(world.alice)
    queues = find_objects(world.a, "acd", "all")
    first, second = saved(alice, queues, "Ett"), saved(alice, queues, "Två")
    alice.post("/dashboardkatalog/", {"name": "Tavlan", "reports": [first.pk]})
    dashboard = Dashboard.objects.get()
    changed = alice.post(
        f"/dashboardkatalog/{dashboard.pk}/andra/", {"name": "Tavlan 2", "reports": [second.pk]}
    )
    assert changed.status_code == 302
    dashboard.refresh_from_db()
    assert dashboard.name == "Tavlan 2" and list(dashboard.reports.all()) == [second]
    confirm = alice.get(f"/dashboardkatalog/{dashboard.pk}/ta-bort/").content.decode()
    assert "Ta bort Tavlan 2?" in confirm and Dashboard.objects.exists()
    assert alice.post(f"/dashboardkatalog/{dashboard.pk}/ta-bort/").status_code == 302
    assert not Dashboard.objects.exists() and SavedReport.objects.count() == 2

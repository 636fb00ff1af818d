"""Sparade rapporter: a Basrapport saved under a name opens with its period worked out on the
day, can be changed and deleted (after a confirmation), is e-mailed on its schedule through a
real SMTP server, and is its owner's alone."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from django.utils import timezone

from vaxelstat.calls.scope import Scope
from vaxelstat.exports.models import Export
from vaxelstat.exports.tasks import run_pending
from vaxelstat.reports.engine import find_objects, run_report
from vaxelstat.reports.period import Period, relative_dates
from vaxelstat.reports.render import as_dict
from vaxelstat.saved.models import SavedReport
from vaxelstat.saved.tasks import send_due

# The world's calls are on 14 November 2023 (queue_log epochs around 1700000000).
DAY = {"from": "2023-11-14", "to": "2023-11-14", "time": "", "group": "hour"}


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def save(client: Client, objects, name: str, period: str, **fields) -> SavedReport:  # type: ignore[no-untyped-def]
    response = client.post(
        "/sparade-rapporter/ny/",
        {
            **DAY,
            "report": "acd.incoming",
            "o": [o.id for o in objects],
            "name": name,
            "period": period,
            **fields,
        },
    )
    assert response.status_code == 302, response.content.decode()[:800]
    assert response["Location"] == "/sparade-rapporter/"
    return SavedReport.objects.filter(name=name).latest("pk")


def opened(client: Client, saved: SavedReport) -> dict[str, list[str]]:
    response = client.get(f"/sparade-rapporter/{saved.pk}/")
    assert response.status_code == 302
    url = urlparse(response["Location"])
    assert url.path == "/basrapporter/"
    return parse_qs(url.query)


# --- Periods and schedules --------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "today", "first", "last"),
    [
        ("today", date(2026, 3, 4), date(2026, 3, 4), date(2026, 3, 4)),
        ("yesterday", date(2026, 3, 1), date(2026, 2, 28), date(2026, 2, 28)),
        ("last_7_days", date(2026, 3, 4), date(2026, 2, 26), date(2026, 3, 4)),
        # 4 March 2026 is a Wednesday.
        ("this_week", date(2026, 3, 4), date(2026, 3, 2), date(2026, 3, 4)),
        ("last_week", date(2026, 3, 4), date(2026, 2, 23), date(2026, 3, 1)),
        ("last_week", date(2026, 3, 2), date(2026, 2, 23), date(2026, 3, 1)),
        ("this_month", date(2026, 3, 4), date(2026, 3, 1), date(2026, 3, 4)),
        ("last_month", date(2026, 3, 4), date(2026, 2, 1), date(2026, 2, 28)),
        ("last_month", date(2026, 1, 15), date(2025, 12, 1), date(2025, 12, 31)),
    ],
)
def test_a_relative_period_is_worked_out_on_the_day(kind, today, first, last) -> None:  # type: ignore[no-untyped-def]
    assert relative_dates(kind, today) == (first, last)


@pytest.mark.parametrize(
    ("every", "moment", "expected"),
    [
        # Saturday 28 March 2026; Sweden moves to summer time on Sunday 29 March.
        ("day", datetime(2026, 3, 28, 10, tzinfo=UTC), datetime(2026, 3, 29, 4, tzinfo=UTC)),
        ("week", datetime(2026, 3, 28, 10, tzinfo=UTC), datetime(2026, 3, 30, 4, tzinfo=UTC)),
        ("month", datetime(2026, 3, 28, 10, tzinfo=UTC), datetime(2026, 4, 1, 4, tzinfo=UTC)),
        # At 06:00 sharp (winter time, 05:00 UTC) the next sending is the next day's.
        ("day", datetime(2026, 1, 10, 5, tzinfo=UTC), datetime(2026, 1, 11, 5, tzinfo=UTC)),
        ("day", datetime(2026, 1, 10, 4, 59, tzinfo=UTC), datetime(2026, 1, 10, 5, tzinfo=UTC)),
    ],
)
def test_a_schedule_sends_at_six_in_the_organizations_time(world, every, moment, expected) -> None:  # type: ignore[no-untyped-def]
    saved = SavedReport(organization=world.a, every=every)
    assert saved.next_after(moment) == expected
    assert SavedReport(organization=world.a, every="").next_after(moment) is None


# --- Saving, opening, changing, deleting ------------------------------------------------------


def test_a_saved_report_opens_with_its_period_worked_out_today(world) -> None:
    alice = logged_in(world.alice)
    queues = find_objects(world.a, "acd", "all")
    fixed = save(alice, queues, "Köer 14 november", "fixed")
    assert (fixed.first, fixed.last, fixed.group) == (date(2023, 11, 14),) * 2 + ("hour",)
    assert sorted(fixed.object_ids) == sorted(q.id for q in queues)
    query = opened(alice, fixed)
    assert query["from"] == query["to"] == ["2023-11-14"]
    assert query["report"] == ["acd.incoming"] and query["group"] == ["hour"]
    assert sorted(int(o) for o in query["o"][0].split(",")) == sorted(q.id for q in queues)

    weekly = save(alice, queues, "Köer förra veckan", "last_week")
    assert weekly.first is None and weekly.last is None
    today = timezone.now().astimezone(world.a.tzinfo).date()
    first, last = relative_dates("last_week", today)
    query = opened(alice, weekly)
    assert (query["from"], query["to"]) == ([first.isoformat()], [last.isoformat()])

    page = alice.get("/sparade-rapporter/").content.decode()
    assert "Köer 14 november" in page and "Köer förra veckan" in page
    assert "Förra veckan" in page and "2023-11-14 – 2023-11-14" in page
    # Found by Sök, and the Basrapporter page offers to save.
    assert "Köer förra veckan" in alice.get("/sok/?q=förra").content.decode()
    report = alice.get("/basrapporter/", {**DAY, "report": "acd.incoming", "o": queues[0].id})
    assert 'action="/sparade-rapporter/ny/"' in report.content.decode()


def test_a_name_is_used_once_and_a_bad_period_is_refused(world) -> None:
    alice = logged_in(world.alice)
    queues = find_objects(world.a, "acd", "all")
    save(alice, queues, "Veckan", "last_week")
    again = alice.post(
        "/sparade-rapporter/ny/",
        {
            **DAY,
            "report": "acd.incoming",
            "o": queues[0].id,
            "name": "Veckan",
            "period": "today",
            "back": "/basrapporter/?report=acd.incoming",
        },
    )
    assert again.status_code == 400
    page = again.content.decode()
    assert "Du har redan en sparad rapport med namnet Veckan." in page
    assert 'href="/basrapporter/?report=acd.incoming"' in page
    odd = alice.post(
        "/sparade-rapporter/ny/",
        {
            **DAY,
            "report": "acd.incoming",
            "o": queues[0].id,
            "name": "Udda",
            "period": "fixed",
            "from": "2023-11-20",
            "back": "https://elsewhere.example/",
        },
    )
    assert odd.status_code == 400 and "elsewhere.example" not in odd.content.decode()
    assert "Till kommer före Från." in odd.content.decode()
    # Charlie may keep the same name: names are per user.
    save(logged_in(world.charlie), find_objects(world.b, "acd", "all"), "Veckan", "last_week")
    assert SavedReport.objects.count() == 2


def test_changing_and_deleting_after_a_confirmation(world) -> None:
    alice = logged_in(world.alice)
    saved = save(alice, find_objects(world.a, "acd", "all"), "Dagen", "fixed")
    form = alice.get(f"/sparade-rapporter/{saved.pk}/andra/").content.decode()
    assert 'value="Dagen"' in form and 'value="2023-11-14"' in form
    # The period's choices are the guide's, with no blank one (Django's "- Select an option -").
    assert "Select" not in form and '<option value="">' not in form.split('name="period"')[1][:200]
    bad = alice.post(
        f"/sparade-rapporter/{saved.pk}/andra/",
        {
            "name": "Dagen",
            "period": "yesterday",
            "every": "week",
            "format": "csv",
            "addresses": "chef@example.se, inte-en-adress",
            "include": ["table"],
        },
    )
    assert bad.status_code == 200
    assert "Ogiltig e-postadress: inte-en-adress" in bad.content.decode()
    saved.refresh_from_db()
    assert (saved.period, saved.every, saved.email_to) == ("fixed", "", [])
    backwards = alice.post(
        f"/sparade-rapporter/{saved.pk}/andra/",
        {"name": "Dagen", "period": "yesterday", "window": "17:00-08:00", "format": "csv"},
    )
    assert "Tid på dygnet skrivs TT:MM-TT:MM" in backwards.content.decode()
    good = alice.post(
        f"/sparade-rapporter/{saved.pk}/andra/",
        {
            "name": "Gårdagen",
            "period": "yesterday",
            "window": "08:00-17:00",
            "every": "week",
            "format": "csv",
            "addresses": "chef@example.se",
            "include": ["table", "info"],
        },
    )
    assert good.status_code == 302
    saved.refresh_from_db()
    assert (saved.name, saved.period, saved.first, saved.window) == (
        "Gårdagen",
        "yesterday",
        None,
        "08:00-17:00",
    )
    assert (saved.every, saved.format, saved.email_to) == ("week", "csv", ["chef@example.se"])
    assert saved.include == ["table", "info"]
    assert saved.next_send is not None and saved.next_send > timezone.now()
    assert saved.next_send.astimezone(world.a.tzinfo).weekday() == 0  # a Monday

    confirm = alice.get(f"/sparade-rapporter/{saved.pk}/ta-bort/")
    assert confirm.status_code == 200 and "Ta bort Gårdagen?" in confirm.content.decode()
    assert SavedReport.objects.filter(pk=saved.pk).exists()
    assert alice.post(f"/sparade-rapporter/{saved.pk}/ta-bort/").status_code == 302
    assert not SavedReport.objects.filter(pk=saved.pk).exists()


def test_a_saved_report_is_its_owners_alone(world) -> None:
    alice, bob, charlie = (logged_in(u) for u in (world.alice, world.bob, world.charlie))
    queues = find_objects(world.a, "acd", "all")
    hers = save(alice, queues, "Alices", "fixed")
    for client in (bob, charlie):
        for url in ("/", "/andra/", "/ta-bort/"):
            assert client.get(f"/sparade-rapporter/{hers.pk}{url}").status_code == 404
        assert client.post(f"/sparade-rapporter/{hers.pk}/ta-bort/").status_code == 404
        assert client.post(f"/sparade-rapporter/{hers.pk}/andra/", {"name": "x"}).status_code == 404
        assert "Alices" not in client.get("/sparade-rapporter/").content.decode()
        assert "Alices" not in client.get("/sok/?q=alice").content.decode()
    assert SavedReport.objects.get(pk=hers.pk).name == "Alices"
    # Bob saving every queue keeps only the one he may see; Charlie saving A's keeps nothing.
    his = save(bob, queues, "Bobs", "fixed")
    assert his.object_ids == [world.support.id]
    theirs = save(charlie, queues, "Charlies", "fixed")
    assert theirs.object_ids == []


def test_the_forms_need_their_csrf_token(world) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.alice)
    queues = find_objects(world.a, "acd", "all")
    response = client.post(
        "/sparade-rapporter/ny/",
        {**DAY, "report": "acd.incoming", "o": queues[0].id, "name": "X", "period": "today"},
    )
    assert response.status_code == 403
    saved = save(logged_in(world.alice), queues, "Y", "today")
    assert client.post(f"/sparade-rapporter/{saved.pk}/ta-bort/").status_code == 403
    assert SavedReport.objects.filter(pk=saved.pk).exists()


# --- Scheduled sending ----------------------------------------------------------------------


def schedule(client: Client, saved: SavedReport, **fields) -> SavedReport:  # type: ignore[no-untyped-def]
    response = client.post(
        f"/sparade-rapporter/{saved.pk}/andra/",
        {
            "name": saved.name,
            "period": saved.period,
            "first": "2023-11-14",
            "last": "2023-11-14",
            "every": "day",
            "format": "csv",
            "include": ["table"],
            **fields,
        },
    )
    assert response.status_code == 302, response.content.decode()[:800]
    saved.refresh_from_db()
    return saved


def test_a_scheduled_report_is_e_mailed_once_when_due_with_its_figures(world, smtp) -> None:
    alice = logged_in(world.alice)
    queues = find_objects(world.a, "acd", "all")
    saved = schedule(
        alice,
        save(alice, queues, "Dagligen", "fixed"),
        addresses="chef@example.se, team@example.net",
    )
    assert send_due(saved.next_send - timedelta(seconds=1)) == 0  # not due yet
    due = saved.next_send + timedelta(minutes=1)
    assert send_due(due) == 1
    assert send_due(due) == 0  # claimed: never twice
    run_pending()
    export = Export.objects.get()
    assert export.status == Export.Status.DONE and export.owner == world.alice
    saved.refresh_from_db()
    assert saved.last_export == export and saved.last_sent == due
    assert saved.next_send == saved.next_after(due) and saved.next_send > due
    period = Period.parse(world.a.timezone, "2023-11-14", "2023-11-14", None, "hour")
    expected = as_dict(
        run_report(world.a, "acd.incoming", queues, period, scope=Scope.whole(world.a.id))
    )
    assert expected["total"]["incoming"] == 5
    for address in ("chef@example.se", "team@example.net"):
        message = smtp.last_to(address)
        attachment = next(message.iter_attachments())
        # The saved report's name names the file and the message.
        assert attachment.get_filename() == "Dagligen 2023-11-14.csv"
        assert message["Subject"] == "Växelstatistik: Dagligen 2023-11-14"
        assert "den sparade rapporten Dagligen" in message.get_body().get_content()
        rows = list(csv.reader(io.StringIO(attachment.get_content())))
        assert rows[1][2] == str(expected["total"]["incoming"])
    assert len(smtp.messages) == 2
    listed = alice.get("/sparade-rapporter/").content.decode()
    assert f"Senast {timezone.localtime(due):%Y-%m-%d %H:%M}: Klar" in listed
    # A sending that failed says so in the list.
    Export.objects.filter(pk=export.pk).update(status=Export.Status.FAILED, error="SMTP nere")
    failed = alice.get("/sparade-rapporter/").content.decode()
    assert 'class="error">Senast' in failed and "Misslyckades (SMTP nere)" in failed


def test_a_scheduled_report_shows_what_its_owner_may_see_when_it_is_sent(world, smtp) -> None:
    alice = logged_in(world.alice)
    queues = find_objects(world.a, "acd", "all")
    saved = schedule(alice, save(alice, queues, "Allt", "fixed"), addresses="chef@example.se")
    # Alice is no longer an admin and sees only Support by the time it is sent.
    world.alice.is_org_admin, world.alice.sees_all = False, False
    world.alice.save()
    world.alice.visible_objects.set([world.support])
    assert send_due(saved.next_send + timedelta(minutes=1)) == 1
    run_pending()
    period = Period.parse(world.a.timezone, "2023-11-14", "2023-11-14", None, "hour")
    only = as_dict(
        run_report(world.a, "acd.incoming", [world.support], period, scope=Scope.whole(world.a.id))
    )
    attachment = next(smtp.last_to("chef@example.se").iter_attachments())
    rows = list(csv.reader(io.StringIO(attachment.get_content())))
    assert rows[1][2] == str(only["total"]["incoming"]) == "3"


def test_nothing_is_sent_for_a_deactivated_owner(world, smtp) -> None:
    alice = logged_in(world.alice)
    saved = schedule(
        alice,
        save(alice, find_objects(world.a, "acd", "all"), "Inaktiv", "fixed"),
        addresses="chef@example.se",
    )
    world.alice.is_active = False
    world.alice.save()
    due = saved.next_send + timedelta(minutes=1)
    assert send_due(due) == 0
    saved.refresh_from_db()
    assert saved.next_send > due  # moved on all the same
    run_pending()
    assert Export.objects.count() == 0 and smtp.messages == []

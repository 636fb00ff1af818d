"""Väggskärm and the service-level larm: today's figures per answering group against the
organization's target, shown on the wall and e-mailed once per group and day when it falls."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.test import Client

from vaxelstat.ingest.pipeline import import_file
from vaxelstat.orgs.alerts import send_alerts
from vaxelstat.orgs.models import CollectionPoint, ServiceLevelAlert
from vaxelstat.reports.period import local_today


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def queue_log_today(org, tmp_path, calls: dict[str, tuple[int, int, int]]) -> None:  # type: ignore[no-untyped-def]
    """Today's calls per queue: (answered within 10 s, answered after 60 s, abandoned after
    30 s), starting ten minutes after the organization's local midnight."""
    midnight = datetime.combine(local_today(org.tzinfo), time(0, 10), tzinfo=org.tzinfo)
    t = int(midnight.timestamp())
    lines = []
    for queue, (fast, slow, abandoned) in calls.items():
        for i in range(fast + slow + abandoned):
            call, at = f"today-{queue}-{i}", t + i * 300
            lines.append(f"{at}|{call}|{queue}|NONE|ENTERQUEUE||0701{i}|1\n")
            if i < fast + slow:
                wait = 10 if i < fast else 60
                lines.append(f"{at + wait}|{call}|{queue}|PJSIP/1001|CONNECT|{wait}|x{i}|3\n")
                lines.append(
                    f"{at + wait + 60}|{call}|{queue}|PJSIP/1001|COMPLETECALLER|{wait}|60|1\n"
                )
            else:
                lines.append(f"{at + 30}|{call}|{queue}|NONE|ABANDON|1|1|30\n")
    path = tmp_path / "today.queue_log"
    path.write_text("".join(lines))
    point = CollectionPoint.objects.get(organization=org, name="pbx")
    import_file(org, point, "asterisk-queue-log", path)


@pytest.fixture
def today(world, tmp_path):  # type: ignore[no-untyped-def]
    # Support (400): 8 of 10 in time, 80 %: at the target. 401: 2 of 5, 40 %: below it.
    queue_log_today(world.a, tmp_path, {"400": (8, 0, 2), "401": (2, 3, 0)})
    return world


def test_the_wallboard_shows_todays_figures_against_the_target(today) -> None:
    page = logged_in(today.alice).get("/vaggskarm/").content.decode()
    assert page.count('class="tile') == 2 and page.count('class="tile below"') == 1
    support, other = page.split('aria-label="Support"')[1].split('aria-label="401"')
    assert "80,0\xa0%" in support and "Under målet" not in support
    assert "40,0\xa0%" in other and "Under målet" in other
    assert "Mål: 80 % besvarade inom 20 s" in page
    # The refresh fetches the tiles alone.
    tiles = logged_in(today.alice).get("/vaggskarm/", headers={"X-Fragment": "1"})
    assert "<html" not in tiles.content.decode() and 'class="tile below"' in tiles.content.decode()
    # Bob sees Support alone; Charlie his own organization's queue, with nothing today.
    bobs = logged_in(today.bob).get("/vaggskarm/").content.decode()
    assert bobs.count('class="tile') == 1 and 'aria-label="Support"' in bobs
    charlies = logged_in(today.charlie).get("/vaggskarm/").content.decode()
    assert charlies.count('class="tile') == 1 and "Support" not in charlies
    # A chosen group alone.
    one = logged_in(today.alice).get("/vaggskarm/", {"o": today.support.id}).content.decode()
    assert one.count('class="tile') == 1


def test_a_larm_goes_once_per_group_and_day_when_below_the_target(today, smtp) -> None:
    org = today.a
    assert send_alerts() == 0  # no addresses: no larm
    org.alert_emails, org.alert_min_calls = ["chef@example.se", "vakt@example.net"], 6
    org.save()
    assert send_alerts() == 0  # 401 has had 5 calls only
    org.alert_min_calls = 5
    org.save()
    assert send_alerts() == 1
    for address in ("chef@example.se", "vakt@example.net"):
        message = smtp.last_to(address)
        assert message["Subject"] == "Växelstatistik: servicenivån för 401 är 40,0 % i dag"
    assert len(smtp.messages) == 2
    assert send_alerts() == 0 and len(smtp.messages) == 2  # once a day
    alert = ServiceLevelAlert.objects.get()
    assert (alert.measured_object.number, alert.level, alert.calls) == ("401", 40.0, 5)
    # The next day, a new fall is announced again.
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    assert alert.day == local_today(org.tzinfo)
    assert send_alerts(tomorrow) == 0  # nothing yet tomorrow


def test_admins_set_the_service_level_and_the_larm(world) -> None:
    alice = logged_in(world.alice)
    page = alice.get("/administration/").content.decode()
    assert "Servicenivå och larm" in page and 'value="80"' in page
    form = {
        "action": "service",
        "service_level_seconds": 30,
        "short_abandon_seconds": 5,
        "service_level_target": 90,
        "alert_min_calls": 10,
        "callback_hours": 48,
    }
    bad = alice.post("/administration/", {**form, "alerts": "chef@example.se, inte-en-adress"})
    assert bad.status_code == 400
    assert "Ogiltig e-postadress: inte-en-adress" in bad.content.decode()
    too_high = alice.post("/administration/", {**form, "service_level_target": 120})
    assert too_high.status_code == 400
    # Återuppringning within at most a week.
    too_long = alice.post("/administration/", {**form, "callback_hours": 169})
    assert too_long.status_code == 400
    good = alice.post("/administration/", {**form, "alerts": "chef@example.se"})
    assert good.status_code == 302
    world.a.refresh_from_db()
    assert (world.a.service_level_seconds, world.a.service_level_target) == (30, 90)
    assert world.a.callback_hours == 48
    assert world.a.alert_emails == ["chef@example.se"]
    assert world.a.require_two_factor is False  # the other form's field is left alone
    assert logged_in(world.bob).post("/administration/", {"action": "service"}).status_code == 404


def test_a_larm_for_a_group_named_over_two_lines_still_goes(today, smtp) -> None:
    today.support.display_name = "Support\nKväll"
    today.support.save()
    org = today.a
    org.alert_emails, org.alert_min_calls, org.service_level_target = ["chef@example.se"], 5, 90
    org.save()
    assert send_alerts() == 2  # both groups are under 90 %
    subjects = sorted(" ".join(m["Subject"].split()) for m in smtp.to("chef@example.se"))
    assert subjects == [
        "Växelstatistik: servicenivån för 401 är 40,0 % i dag",
        "Växelstatistik: servicenivån för Support Kväll (400) är 80,0 % i dag",
    ]


def test_a_larm_that_could_not_be_sent_is_sent_the_next_round(today, settings, smtp) -> None:
    org = today.a
    org.alert_emails, org.alert_min_calls = ["chef@example.se"], 5
    org.save()
    working = settings.MAILERS
    # No mail server answers: the larm is not recorded as sent.
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
        }
    }
    with pytest.raises(OSError):
        send_alerts()
    assert not ServiceLevelAlert.objects.exists()
    settings.MAILERS = working
    assert send_alerts() == 1
    assert smtp.last_to("chef@example.se")["Subject"].endswith("40,0 % i dag")

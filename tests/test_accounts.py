"""Accounts and their doors: who sees what, the login log and lockout, activation, reset and
two-factor through a real SMTP server."""

import re
from datetime import timedelta

import pytest
from conftest import body_of
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_email.models import EmailDevice

from vaxelstat.accounts.models import LoginAttempt, User
from vaxelstat.accounts.security import LOCKOUT_FAILURES
from vaxelstat.calls.store import get_store
from vaxelstat.orgs.visibility import scope_for

LINK = re.compile(r"https?://[^/\s]+(/konto/losenord/\S+/)")
CODE = re.compile(r"verifikationskod till Växelstatistik: (\d+)")

# Every page a logged-in user can reach, and whether only admins may.
PAGES = [
    ("/", False),
    ("/konto/", False),
    ("/basrapporter/", False),
    ("/dashboard/", False),
    ("/logs/", True),
    ("/administration/", True),
    ("/administration/anvandare/", True),
    ("/administration/anvandare/ny/", True),
    ("/administration/gallring/", True),
]


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def without_token(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def log_in(client: Client, email: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/login/", {"email": email, "password": password})


# --- Who sees what ----------------------------------------------------------------------


def test_charlie_gets_404_on_every_url_of_the_other_organization(world) -> None:
    charlie = logged_in(world.charlie)
    for user in (world.alice, world.bob):
        for url in (
            f"/administration/anvandare/{user.id}/",
            f"/administration/anvandare/{user.id}/inaktivera/",
        ):
            assert charlie.get(url).status_code == 404, url
        assert (
            charlie.post(f"/administration/anvandare/{user.id}/aktiveringsmejl/").status_code == 404
        )
        assert (
            charlie.post(
                f"/administration/anvandare/{user.id}/inaktivera/", {"active": "0"}
            ).status_code
            == 404
        )
    world.alice.refresh_from_db()
    assert world.alice.is_active
    # Asking for the other organization by name shows his own.
    page = charlie.get("/", {"org": "a"}).content.decode()
    assert "Beta AB" in page and "Alfa AB" not in page and "<td>400</td>" not in page
    assert charlie.get("/operator/imports/").status_code == 404


def test_bob_sees_only_the_group_he_was_granted_on_every_page(world) -> None:
    bob = logged_in(world.bob)
    start = bob.get("/").content.decode()
    assert "<td>400</td><td>Support</td>" in start and "<td>401</td>" not in start
    for url, admin_only in PAGES:
        response = bob.get(url)
        if admin_only:
            assert response.status_code == 404, url
        else:
            assert response.status_code == 200, url
            assert "<td>401</td>" not in response.content.decode(), url
    # The call store itself applies his scope.
    counts = get_store().counts_by_object(scope_for(world.bob, world.a))
    assert counts == {world.support.id: 3}
    everything = get_store().counts_by_object(scope_for(world.alice, world.a))
    assert sorted(everything.values()) == [2, 3]


def test_alice_reaches_every_page_of_her_organization(world) -> None:
    alice = logged_in(world.alice)
    for url, _ in PAGES:
        assert alice.get(url).status_code == 200, url
    assert "<td>401</td>" in alice.get("/").content.decode()


def test_a_grant_by_collection_point_shows_that_points_objects(world) -> None:
    world.bob.visible_objects.clear()
    world.bob.visible_points.set(world.a.collection_points.all())
    page = logged_in(world.bob).get("/").content.decode()
    assert "<td>400</td>" in page and "<td>401</td>" in page


def test_forms_without_the_csrf_token_are_refused(world) -> None:
    client = Client(enforce_csrf_checks=True)
    assert log_in(client, "alice@a.example", "Alice-lösen-2026").status_code == 403


# --- The login log and lockout ----------------------------------------------------------


def test_every_attempt_is_logged_and_admins_see_their_organizations(world) -> None:
    client = Client()
    assert log_in(client, "alice@a.example", "fel").status_code == 400
    assert log_in(client, "nobody@a.example", "fel").status_code == 400
    assert log_in(client, "charlie@b.example", "Charlie-lösen-2026").status_code == 302
    response = log_in(Client(), "alice@a.example", "Alice-lösen-2026")
    assert response.status_code == 302
    results = list(LoginAttempt.objects.order_by("at").values_list("email", "result", "method"))
    assert results == [
        ("alice@a.example", "failure", "password"),
        ("nobody@a.example", "failure", "password"),
        ("charlie@b.example", "success", "password"),
        ("alice@a.example", "success", "password"),
    ]
    page = logged_in(world.alice).get("/logs/").content.decode()
    assert page.count("alice@a.example") == 2 and "charlie@b.example" not in page
    assert "nobody@a.example" not in page  # no organization's: for operators only
    assert "127.0.0.1" in page and "Fel e-post eller lösenord" in page
    assert logged_in(world.bob).get("/logs/").status_code == 404


def test_logs_filter_by_day_user_and_result_and_page(world) -> None:
    from datetime import datetime

    tz = world.a.tzinfo
    for day in range(1, 4):  # 60 attempts on each of 1–3 December, local time
        for i in range(60):
            LoginAttempt.objects.create(
                email=f"{'alice' if i % 2 else 'bob'}@a.example",
                result="success" if i % 3 else "failure",
                method="password",
                organization=world.a,
            )
        LoginAttempt.objects.filter(at__gte=datetime(2026, 1, 1, tzinfo=tz)).update(
            at=datetime(2025, 12, day, 23, 30, tzinfo=tz)
        )
    alice = logged_in(world.alice)

    def shown(**params: str) -> tuple[int, str]:
        page = alice.get("/logs/", params).content.decode()
        return page.count("<tr><td>2025-12-"), page

    count, page = shown()
    assert count == 100 and "180 inloggningsförsök" in page and "Sida 1 av 2" in page
    assert shown(page="2")[0] == 80
    # A day is the organization's local day, whole (23:30 local is 22:30 UTC).
    assert shown(**{"from": "2025-12-02", "to": "2025-12-02"})[0] == 60
    assert shown(**{"from": "2025-12-03"})[0] == 60
    assert shown(**{"from": "2025-12-02", "email": "ALICE"})[0] == 60
    count, page = shown(email="bob", result="failure")
    assert count == 30 and "30 inloggningsförsök" in page
    # The next page keeps the filter.
    assert 'href="?email=a.example&amp;page=2"' in shown(email="a.example")[1]


def test_repeated_failures_lock_the_address_with_a_clear_message(world) -> None:
    client = Client()
    for _ in range(LOCKOUT_FAILURES):
        response = log_in(client, "alice@a.example", "fel")
    assert "Inloggningen är spärrad i 15 minuter" in response.content.decode()
    # Even the right password is refused while locked, and the attempt is logged.
    response = log_in(client, "alice@a.example", "Alice-lösen-2026")
    assert response.status_code == 400 and "spärrad" in response.content.decode()
    assert LoginAttempt.objects.filter(result="locked").count() == 1
    # After the window, the right password works again.
    LoginAttempt.objects.update(at=timezone.now() - timedelta(minutes=16))
    assert log_in(client, "alice@a.example", "Alice-lösen-2026").status_code == 302


def test_no_answer_reveals_whether_an_address_has_an_account(world, smtp) -> None:
    known = without_token(log_in(Client(), "alice@a.example", "fel").content.decode())
    unknown = without_token(log_in(Client(), "nobody@a.example", "fel").content.decode())
    assert known.replace("alice@a.example", "X") == unknown.replace("nobody@a.example", "X")
    for _ in range(LOCKOUT_FAILURES):
        log_in(Client(), "nobody@a.example", "fel")
    assert "spärrad" in log_in(Client(), "nobody@a.example", "fel").content.decode()
    answers = []
    for email in ("alice@a.example", "nobody@a.example"):
        response = Client().post("/glomt-losenord/", {"email": email}, follow=True)
        answers.append(without_token(response.content.decode()))
    assert answers[0] == answers[1]
    # (The mail goes out after the answer.)
    smtp.last_to("alice@a.example")
    assert len(smtp.messages) == 1 and smtp.messages[0]["To"] == "alice@a.example"


# --- Activation and reset, through a real SMTP server ----------------------------------------


def test_an_admin_adds_a_user_who_activates_with_the_link_once(world, smtp) -> None:
    alice = logged_in(world.alice)
    response = alice.post(
        "/administration/anvandare/ny/",
        {
            "email": "Dave@A.example",
            "name": "Dave",
            "send_activation": "on",
            "platforms": ["asterisk"],
            "modules": ["reports"],
            "visible_objects": [world.support.id],
        },
    )
    assert response.status_code == 302
    dave = User.objects.get(email="dave@a.example")
    assert dave.organization == world.a and not dave.has_usable_password()
    assert list(dave.visible_objects.all()) == [world.support] and not dave.sees_all
    # Every module of the organization ticked: every module, those to come too.
    assert dave.modules == ["reports"] and dave.platforms is None
    mail = smtp.last_to("dave@a.example")
    assert mail["Subject"] == "Verifiera ditt konto – Växelstatistik"
    link = LINK.search(body_of(mail)).group(1)  # type: ignore[union-attr]
    client = Client()
    page = client.get(link).content.decode()
    assert "Skapa och gå till inloggningssida" in page and "Bekräfta lösenord" in page
    weak = client.post(link, {"new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200 and "för vanligt" in weak.content.decode()
    response = client.post(
        link, {"new_password1": "Ringer-till-kön-9", "new_password2": "Ringer-till-kön-9"}
    )
    assert response.status_code == 302 and response["Location"] == "/login/"
    spent = client.get(link)
    assert spent.status_code == 400 and "redan använd" in spent.content.decode()
    assert log_in(client, "dave@a.example", "Ringer-till-kön-9").status_code == 302


def test_an_expired_link_says_so(world, smtp, monkeypatch) -> None:
    from vaxelstat.accounts.tokens import activation_tokens

    dave = User.objects.create_user("dave@a.example", organization=world.a)
    made = timezone.now() - timedelta(days=4)
    monkeypatch.setattr(activation_tokens, "_now", lambda: made.replace(tzinfo=None))
    token = activation_tokens.make_token(dave)
    monkeypatch.undo()
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(dave.pk))
    response = Client().get(f"/konto/losenord/activate/{uid}/{token}/")
    assert response.status_code == 400 and "Länken har gått ut" in response.content.decode()


def test_a_forgotten_password_is_reset_by_e_mail(world, smtp) -> None:
    Client().post("/glomt-losenord/", {"email": "bob@a.example"})
    link = LINK.search(body_of(smtp.last_to("bob@a.example"))).group(1)  # type: ignore[union-attr]
    client = Client()
    client.post(
        link, {"new_password1": "Nytt-lösen-för-Bob-1", "new_password2": "Nytt-lösen-för-Bob-1"}
    )
    assert log_in(client, "bob@a.example", "Bob-lösen-2026").status_code == 400
    assert log_in(client, "bob@a.example", "Nytt-lösen-för-Bob-1").status_code == 302
    assert Client().get(link).status_code == 400


def test_a_deactivated_user_cannot_log_in(world) -> None:
    alice = logged_in(world.alice)
    assert (
        "Inaktivera"
        in alice.get(f"/administration/anvandare/{world.bob.id}/inaktivera/").content.decode()
    )
    alice.post(f"/administration/anvandare/{world.bob.id}/inaktivera/", {"active": "0"})
    assert log_in(Client(), "bob@a.example", "Bob-lösen-2026").status_code == 400


# --- Two-factor by e-mail -------------------------------------------------------------------


def code_from(smtp, email: str) -> str:  # type: ignore[no-untyped-def]
    return CODE.search(body_of(smtp.last_to(email))).group(1)  # type: ignore[union-attr]


def test_two_factor_asks_for_the_code_sent_by_e_mail(world, smtp) -> None:
    world.bob.two_factor = True
    world.bob.start_page = User.StartPage.ACCOUNT
    world.bob.save()
    client = Client()
    response = log_in(client, "bob@a.example", "Bob-lösen-2026")
    assert response["Location"] == "/login/kod/"
    assert client.get("/").status_code == 302  # not logged in yet
    page = client.get("/login/kod/").content.decode()
    assert "Ytterligare verifikation krävs" in page and "Verifiera koden" in page
    code = code_from(smtp, "bob@a.example")
    wrong = client.post("/login/kod/", {"code": "000000" if code != "000000" else "111111"})
    assert "Fel kod" in wrong.content.decode()
    EmailDevice.objects.filter(user=world.bob).update(throttling_failure_timestamp=None)
    response = client.post("/login/kod/", {"code": code})
    assert response.status_code == 302 and response["Location"] == "/konto/"
    assert client.get("/konto/").status_code == 200
    methods = list(LoginAttempt.objects.order_by("at").values_list("result", "method"))
    assert methods == [
        ("code_sent", "email_code"),
        ("code_failure", "email_code"),
        ("success", "email_code"),
    ]


def test_an_expired_code_says_so_and_a_new_one_is_rate_limited(world, smtp) -> None:
    world.a.require_two_factor = True  # the organization requires it of everyone
    world.a.save()
    client = Client()
    log_in(client, "alice@a.example", "Alice-lösen-2026")
    code = code_from(smtp, "alice@a.example")
    EmailDevice.objects.filter(user=world.alice).update(
        valid_until=timezone.now() - timedelta(seconds=1)
    )
    response = client.post("/login/kod/", {"code": code})
    assert "Koden har gått ut" in response.content.decode()
    # Within the minute after the first code, no new one.
    page = client.post("/login/kod/ny/", follow=True).content.decode()
    assert "Vänta en minut" in page and len(smtp.to("alice@a.example")) == 1
    EmailDevice.objects.filter(user=world.alice).update(
        last_generated_timestamp=timezone.now() - timedelta(minutes=2)
    )
    page = client.post("/login/kod/ny/", follow=True).content.decode()
    assert "En ny kod har skickats" in page
    new_code = code_from(smtp, "alice@a.example")
    assert len(smtp.to("alice@a.example")) == 2
    assert client.post("/login/kod/", {"code": new_code}).status_code == 302


def test_five_wrong_codes_end_the_attempt(world, smtp) -> None:
    world.bob.two_factor = True
    world.bob.save()
    client = Client()
    log_in(client, "bob@a.example", "Bob-lösen-2026")
    code = code_from(smtp, "bob@a.example")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        EmailDevice.objects.filter(user=world.bob).update(throttling_failure_timestamp=None)
        response = client.post("/login/kod/", {"code": wrong})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "För många felaktiga koder" in client.get("/login/").content.decode()
    # The code sent is spent too.
    assert client.post("/login/kod/", {"code": code}).status_code == 302
    assert client.get("/").status_code == 302


def test_mitt_konto_turns_on_two_factor_and_changes_the_password(world, settings) -> None:
    from vaxelstat import settings as product

    # The product's hashers first (the suite makes its users with a fast one, still read).
    settings.PASSWORD_HASHERS = [
        *product.PASSWORD_HASHERS,
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    bob = logged_in(world.bob)
    bob.post("/konto/", {"action": "two_factor", "two_factor": "on"})
    bob.post("/konto/", {"action": "settings", "start_page": "reports", "language": "sv"})
    world.bob.refresh_from_db()
    assert world.bob.two_factor and world.bob.start_page == "reports"
    response = bob.post(
        "/konto/",
        {
            "action": "password",
            "old_password": "Bob-lösen-2026",
            "new_password1": "Bobs-nya-lösen-7",
            "new_password2": "Bobs-nya-lösen-7",
        },
    )
    assert response.status_code == 302
    assert bob.get("/konto/").status_code == 200  # still logged in
    world.bob.refresh_from_db()
    assert world.bob.check_password("Bobs-nya-lösen-7")
    assert world.bob.password.startswith("argon2")


@pytest.mark.parametrize("path", ["/login/", "/glomt-losenord/"])
def test_pages_carry_a_content_security_policy(world, path: str) -> None:
    policy = Client().get(path)["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy


# --- Swedish first, English second -----------------------------------------------------------


def test_a_user_who_chose_english_gets_english_pages_and_e_mails(world, smtp) -> None:
    world.bob.language = User.Language.ENGLISH
    world.bob.two_factor = True
    world.bob.save()
    client = Client()
    log_in(client, "bob@a.example", "Bob-lösen-2026")
    mail = smtp.last_to("bob@a.example")
    assert mail["Subject"] == "Your verification code for Växelstatistik"
    code = re.search(r"Your verification code for Växelstatistik: (\d+)", body_of(mail)).group(1)  # type: ignore[union-attr]
    client.post("/login/kod/", {"code": code})
    page = client.get("/konto/").content.decode()
    assert '<html lang="en">' in page
    assert "My account" in page and "Change password" in page and "Mitt konto" not in page
    swedish = logged_in(world.alice).get("/konto/").content.decode()
    assert "Mitt konto" in swedish and "Byt lösenord" in swedish


def test_the_english_catalogue_is_complete_and_compiled() -> None:
    """Every Swedish text of the UI has its English, and django.mo holds what django.po says."""
    import gettext
    from pathlib import Path

    folder = Path(__file__).parent.parent / "vaxelstat" / "locale" / "en" / "LC_MESSAGES"
    po = (folder / "django.po").read_text(encoding="utf-8")
    pairs = []
    for entry in po.split("\n\n")[1:]:
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', entry, re.M)
        msgstr = re.search(r'^msgstr ((?:".*"\n?)+)', entry, re.M)
        if msgid and msgstr and not entry.lstrip().startswith("#~"):
            unquote = lambda text: "".join(re.findall(r'"(.*)"', text)).replace('\\"', '"')  # noqa: E731
            pairs.append((unquote(msgid.group(1)), unquote(msgstr.group(1))))
    assert len(pairs) > 100
    assert [msgid for msgid, msgstr in pairs if not msgstr] == []
    with open(folder / "django.mo", "rb") as f:
        compiled = gettext.GNUTranslations(f)
    stale = [msgid for msgid, msgstr in pairs if compiled.gettext(msgid) != msgstr]
    assert stale == [], "run `make messages`"


def test_visible_modules_decide_the_menu_and_the_pages(world) -> None:
    world.bob.modules = ["reports"]
    world.bob.start_page = User.StartPage.DASHBOARD
    world.bob.save()
    bob = logged_in(world.bob)
    page = bob.get("/").content.decode()
    assert 'href="/basrapporter/"' in page and 'href="/dashboard/"' not in page
    assert bob.get("/basrapporter/").status_code == 200
    assert bob.get("/dashboard/").status_code == 404
    assert bob.get("/sparade-rapporter/").status_code == 404
    # A start page of a module he may not open sends him to Start.
    client = Client()
    assert log_in(client, "bob@a.example", "Bob-lösen-2026")["Location"] == "/"
    assert 'href="/dashboard/"' in logged_in(world.alice).get("/").content.decode()


def test_operators_add_organizations_and_collection_points(world, db) -> None:
    operator = User.objects.create_superuser("op@example.net", "Operatör-lösen-1")
    client = logged_in(operator)
    client.post(
        "/operator/organisationer/",
        {"action": "org", "slug": "c", "name": "Gamma AB", "timezone": "Europe/Helsinki"},
    )
    from vaxelstat.orgs.models import CollectionPoint, Organization

    gamma = Organization.objects.get(slug="c")
    page = client.post(
        "/operator/organisationer/",
        {"action": "point", "organization": gamma.id, "name": "pbx", "format": "asterisk"},
    ).content.decode()
    point = CollectionPoint.objects.get(organization=gamma)
    token = re.search(r"<code>([A-Za-z0-9_-]{40,})</code>", page).group(1)  # type: ignore[union-attr]
    from vaxelstat.orgs.models import hash_token

    assert point.push_token_sha256 == hash_token(token)
    assert client.get("/administration/").status_code == 200
    for user in (world.alice, world.bob, world.charlie):
        assert logged_in(user).get("/operator/organisationer/").status_code == 404


@pytest.mark.parametrize(
    ("url", "english", "swedish"),
    [
        ("/sparade-rapporter/", "Saved reports", "Du har inga sparade rapporter"),
        ("/avancerade-rapporter/", "Start from report", "Utgå från rapport"),
        ("/dashboardkatalog/", "New dashboard", "Ny dashboard"),
        ("/vaggskarm/", "Full screen", "Helskärm"),
        ("/konto/api-nycklar/", "Make a key", "Skapa en nyckel"),
    ],
)
def test_the_newer_pages_speak_english_to_whoever_chose_it(
    world, url: str, english: str, swedish: str
) -> None:
    world.bob.language = User.Language.ENGLISH
    world.bob.save()
    page = logged_in(world.bob).get(url).content.decode()
    assert english in page and swedish not in page
    assert swedish in logged_in(world.alice).get(url).content.decode()


def test_synliga_moduler_are_the_organizations_platforms_and_limit_what_a_user_sees(world) -> None:
    """Organization A gets a BroadWorks point with a group of its own: a user with only the
    BroadWorks module sees that group alone, even with Visa allt; admins see everything."""
    from vaxelstat.orgs.models import CollectionPoint, MeasuredObject
    from vaxelstat.orgs.visibility import visible_objects

    point = CollectionPoint.objects.create(organization=world.a, name="bw", format="broadworks")
    hunt = MeasuredObject.objects.create(
        organization=world.a,
        kind="acd",
        number="500",
        display_name="Kundtjänst",
        source_identity="group:500",
        collection_point=point,
    )
    alice = logged_in(world.alice)
    form = alice.get("/administration/anvandare/ny/").content.decode()
    assert "Asterisk – Statistik" in form and "BroadWorks – Statistics" in form
    assert "FreeSWITCH" not in form  # not one of the organization's platforms
    assert "Markera alla" in form and "Visa endast markerade" in form
    assert form.count(">Spara ny</button>") == 2  # at the top, as in the guide, and below
    response = alice.post(
        "/administration/anvandare/ny/",
        {"email": "erik@a.example", "name": "Erik", "platforms": ["broadworks"], "sees_all": "on"},
    )
    assert response.status_code == 302
    erik = User.objects.get(email="erik@a.example")
    assert erik.platforms == ["broadworks"] and erik.sees_all
    listed = alice.get("/administration/anvandare/").content.decode()
    assert "<td>Valda moduler</td>" in listed  # not "Allt": Visa allt, of one module
    assert list(visible_objects(erik, world.a)) == [hunt]
    assert scope_for(erik, world.a).objects == frozenset({hunt.id})
    # His pages show only what his module holds: not the Asterisk groups' calls.
    erik_client = logged_in(erik)
    assert "<td>400</td>" not in erik_client.get("/").content.decode()
    assert "Kundtjänst" in erik_client.get("/").content.decode()
    # Both modules: everything again (and a module the organization adds later, too).
    alice.post(
        f"/administration/anvandare/{erik.id}/",
        {
            "email": "erik@a.example",
            "name": "Erik",
            "platforms": ["asterisk", "broadworks"],
            "sees_all": "on",
            "modules": ["reports"],
        },
    )
    erik.refresh_from_db()
    assert erik.platforms is None and scope_for(erik, world.a).objects is None
    # No module: nothing.
    erik.platforms = []
    erik.save()
    assert not visible_objects(erik, world.a).exists()
    # An admin sees everything whatever the field says.
    world.alice.platforms = []
    world.alice.save()
    assert scope_for(world.alice, world.a).objects is None

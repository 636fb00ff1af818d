"""End to end in a real browser (Debian's chromium through Playwright) against a live server and
a real SMTP server: an admin adds a user, who activates, logs in with the code from the e-mail
and lands on the start page of choice."""

import re
from pathlib import Path

import pytest
from conftest import body_of, simulate_into

CHROMIUM = Path("/usr/bin/chromium")
LINK = re.compile(r"https?://[^/\s]+(/konto/losenord/\S+/)")
CODE = re.compile(r"verifikationskod till Växelstatistik: (\d+)")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed (apt-get install chromium)",
    ),
]


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def simulated(world, simulated_logs):  # type: ignore[no-untyped-def]
    """The world with the simulated fortnight, made for each test: a live server's
    transactions are real, so the module-wide one of conftest cannot serve here."""
    return simulate_into(world, simulated_logs)


@pytest.fixture
def two_factor_for_all(world):  # type: ignore[no-untyped-def]
    """Organization A requires two-factor of everyone (set before the browser starts: the
    test's own database calls must not run inside Playwright's event loop)."""
    world.a.require_two_factor = True
    world.a.save()
    return world


def alice_logged_in(browser, url: str, viewport: dict[str, int]):  # type: ignore[no-untyped-def]
    """A page of Alice's (organization A's admin), logged in, at the viewport's size."""
    page = browser.new_context(locale="sv-SE", viewport=viewport).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{url}/login/")
    page.get_by_label("E-post").fill("alice@a.example")
    page.get_by_label("Lösenord").fill("Alice-lösen-2026")
    page.get_by_role("button", name="Logga in").click()
    return page


def make_report(page, key: str) -> None:  # type: ignore[no-untyped-def]
    """Basrapporter as the guide makes a report: the report (the page then loads again with
    its kind's objects), 9–20 November 2026, every object, Bearbeta."""
    page.wait_for_load_state("load")  # (the page's script listens once it has loaded)
    with page.expect_navigation():
        page.get_by_label("Välj rapport här").select_option(key)
    page.get_by_label("Från", exact=True).fill("2026-11-09")
    page.get_by_label("Till", exact=True).fill("2026-11-20")
    page.get_by_label("Markera alla").check()
    page.get_by_role("button", name="Bearbeta").click()


def test_a_new_user_activates_and_logs_in_with_the_emailed_code(
    two_factor_for_all, live_server, smtp, browser
) -> None:
    from playwright.sync_api import expect

    url = live_server.url

    def enter_code(page, email: str, sent_before: int) -> None:  # type: ignore[no-untyped-def]
        expect(page.get_by_role("heading", name="Ytterligare verifikation krävs")).to_be_visible()
        assert len(smtp.to(email)) == sent_before + 1
        code = CODE.search(body_of(smtp.last_to(email))).group(1)  # type: ignore[union-attr]
        page.get_by_label("Verifikationskod").fill(code)
        page.get_by_role("button", name="Verifiera koden").click()

    def log_in(page, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
        sent = len(smtp.to(email))
        page.goto(f"{url}/login/")
        page.get_by_label("E-post").fill(email)
        page.get_by_label("Lösenord").fill(password)
        page.get_by_role("button", name="Logga in").click()
        enter_code(page, email, sent)

    # Alice, the admin, adds Dave.
    alice = browser.new_context(locale="sv-SE").new_page()
    alice.set_default_timeout(10_000)
    log_in(alice, "alice@a.example", "Alice-lösen-2026")
    expect(alice.get_by_role("heading", name="Alfa AB")).to_be_visible()
    alice.get_by_role("link", name="Administration").click()
    alice.get_by_role("link", name="Användare").first.click()
    alice.get_by_role("link", name="Lägg till ny användare").click()
    alice.get_by_label("E-post").fill("dave@a.example")
    alice.get_by_label("Namn").fill("Dave")
    expect(alice.get_by_label("Skicka initieringsfrågan")).to_be_checked()
    alice.get_by_role("button", name="Spara ny").first.click()  # (at the top, as the guide)
    expect(
        alice.get_by_text("dave@a.example har lagts till och fått ett aktiveringsmejl")
    ).to_be_visible()

    # Dave follows the link, chooses a password, and the link is spent.
    link = LINK.search(body_of(smtp.last_to("dave@a.example"))).group(1)  # type: ignore[union-attr]
    dave = browser.new_context(locale="sv-SE").new_page()
    dave.set_default_timeout(10_000)
    dave.goto(f"{url}{link}")
    expect(dave.get_by_role("heading", name="Verifiera ditt konto")).to_be_visible()
    dave.get_by_label("Lösenord", exact=True).fill("Dave-ringer-kön-2026")
    expect(dave.get_by_text("Lösenordets styrka: Starkt")).to_be_visible()
    dave.get_by_label("Bekräfta lösenord").fill("Dave-ringer-kön-2026")
    dave.get_by_role("button", name="Skapa och gå till inloggningssida").click()
    expect(dave.get_by_text("Ditt lösenord är sparat")).to_be_visible()

    # He logs in with the code from the e-mail and lands on Start; then chooses Mitt konto.
    log_in(dave, "dave@a.example", "Dave-ringer-kön-2026")
    expect(dave.get_by_role("heading", name="Alfa AB")).to_be_visible()
    dave.get_by_role("navigation", name="Meny").get_by_role("link", name="Mitt konto").click()
    dave.get_by_label("Välj startsida").select_option(label="Mitt konto")
    dave.get_by_role("button", name="Spara").first.click()
    expect(dave.get_by_text("Sparat.")).to_be_visible()
    dave.get_by_role("button", name="Logga ut").click()

    log_in(dave, "dave@a.example", "Dave-ringer-kön-2026")
    expect(dave.get_by_role("heading", name="Mitt konto")).to_be_visible()
    assert dave.url == f"{url}/konto/"

    dave.goto(f"{url}{link}")
    expect(dave.get_by_text("Länken är redan använd")).to_be_visible()


def test_basrapporter_each_report_grouping_and_the_calls_behind_a_figure(
    simulated, live_server, browser
) -> None:
    from playwright.sync_api import expect
    from test_reports import NO_FRONT_DOOR_IN_DEMO

    from vaxelstat.reports.measures import REPORTS

    url = live_server.url
    page = alice_logged_in(browser, url, {"width": 1366, "height": 768})
    page.get_by_role("navigation", name="Meny").get_by_role("link", name="Basrapporter").click()
    page.wait_for_url("**/basrapporter/")

    for report in REPORTS.values():
        make_report(page, report.key)
        expect(page.locator("#report-title")).to_have_text(report.name_sv)
        total = page.locator("tr.total td").first
        if report.key not in NO_FRONT_DOOR_IN_DEMO:
            expect(total).not_to_have_text("0")
        assert f"report={report.key}" in page.url

    # Grouping redraws without loading the page; the back button returns to the day rows.
    make_report(page, "acd.incoming")
    expect(page.locator("#report-title")).to_have_text(REPORTS["acd.incoming"].name_sv)
    page.wait_for_load_state("load")
    page.evaluate("window.notReloaded = true")
    page.get_by_role("link", name="Timme", exact=True).click()
    expect(page.locator("table.report tbody tr").nth(1).locator("th")).to_have_text(
        "2026-11-09 00:00"
    )
    assert "group=hour" in page.url and page.evaluate("window.notReloaded") is True
    page.go_back()
    expect(page.locator("table.report tbody tr").nth(1).locator("th")).to_have_text("2026-11-09")
    # The report drop-down switches report for the same queues and period.
    page.locator("select[data-report-switch]").select_option("acd.waits")
    expect(page.locator("#report-title")).to_have_text(REPORTS["acd.waits"].name_sv)
    assert "report=acd.waits" in page.url and page.evaluate("window.notReloaded") is True

    # A figure opens exactly its calls; a filter narrows them; Tillbaka returns.
    figure = page.locator("tr.total td").nth(1).locator("a")
    shown = figure.inner_text().replace("\xa0", "")
    figure.click()
    expect(page.get_by_role("heading", name="Samtalsspecifikation")).to_be_visible()
    expect(page.locator("#call-count")).to_have_text(f"{shown} samtal")
    page.get_by_label("Kötid min (s)").fill("60")
    page.get_by_role("button", name="Använd filter").click()
    narrowed = int(page.locator("#call-count").inner_text().split()[0].replace("\xa0", ""))
    assert narrowed < int(shown)
    page.get_by_role("link", name="Töm filter").click()
    expect(page.locator("#call-count")).to_have_text(f"{shown} samtal")
    page.get_by_role("link", name="Tillbaka").click()
    expect(page.locator("#report-title")).to_have_text(REPORTS["acd.waits"].name_sv)


def test_an_export_from_the_exportera_tab_downloads_the_reports_csv(
    simulated, live_server, browser, tmp_path: Path
) -> None:
    import threading

    from django.db import connections
    from playwright.sync_api import expect

    from vaxelstat.exports.tasks import run_pending

    url = live_server.url
    page = browser.new_context(locale="sv-SE", accept_downloads=True).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{url}/login/")
    page.get_by_label("E-post").fill("alice@a.example")
    page.get_by_label("Lösenord").fill("Alice-lösen-2026")
    page.get_by_role("button", name="Logga in").click()
    ids = "&".join(f"o={o.id}" for o in [simulated.support])
    page.goto(f"{url}/basrapporter/?report=acd.incoming&from=2026-11-09&to=2026-11-20&{ids}")
    page.wait_for_load_state("load")
    page.get_by_role("tab", name="Exportera").click()
    page.get_by_label("CSV för program").check()
    page.get_by_role("button", name="Spara som fil").click()
    expect(page.get_by_role("heading", name="Export")).to_be_visible()

    # The server's worker runs exports; here a thread of the test does (away from
    # Playwright's event loop).
    def work() -> None:
        try:
            run_pending()
        finally:
            connections.close_all()

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    link = page.get_by_role("link", name=re.compile("^Hämta"))
    expect(link).to_be_visible()  # the page reloads itself when the export is done
    with page.expect_download() as download:
        link.click()
    saved = tmp_path / "export.csv"
    download.value.save_as(saved)
    lines = saved.read_text().splitlines()
    assert lines[0].startswith("label,start,incoming,answered")
    assert lines[1].startswith("Totalt,,") and len(lines) == 2 + 12


def test_a_report_saved_from_the_spara_tab_opens_and_is_deleted(
    world, live_server, browser
) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from playwright.sync_api import expect

    from vaxelstat.reports.period import relative_dates

    first, last = relative_dates("last_week", datetime.now(ZoneInfo(world.a.timezone)).date())
    url = live_server.url
    page = browser.new_context(locale="sv-SE").new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{url}/login/")
    page.get_by_label("E-post").fill("alice@a.example")
    page.get_by_label("Lösenord").fill("Alice-lösen-2026")
    page.get_by_role("button", name="Logga in").click()
    page.goto(
        f"{url}/basrapporter/?report=acd.incoming&from=2023-11-14&to=2023-11-14"
        f"&o={world.support.id}"
    )
    page.get_by_role("tab", name="Spara").click()
    page.get_by_label("Namn").fill("Support förra veckan")
    page.get_by_label("Period", exact=True).select_option(label="Förra veckan")
    page.get_by_role("button", name="Spara rapporten").click()
    expect(page.get_by_role("heading", name="Sparade rapporter")).to_be_visible()
    expect(page.get_by_text("Rapporten är sparad som Support förra veckan.")).to_be_visible()
    page.get_by_role("link", name="Öppna").click()
    expect(page.get_by_role("heading", name="Basrapporter")).to_be_visible()
    assert f"from={first.isoformat()}" in page.url and f"to={last.isoformat()}" in page.url
    expect(page.locator("#report-title")).to_be_visible()
    page.goto(f"{url}/sparade-rapporter/")
    page.get_by_role("link", name="Ta bort").click()
    expect(page.get_by_role("heading", name="Ta bort Support förra veckan?")).to_be_visible()
    page.get_by_role("button", name="Ja, ta bort den").click()
    expect(page.get_by_text("Support förra veckan är borttagen.")).to_be_visible()
    expect(page.get_by_text("Du har inga sparade rapporter ännu.")).to_be_visible()


def test_on_a_phone_the_menu_is_a_bar_above_the_page(world, live_server, browser) -> None:
    """At a phone's width the page takes the whole width (the menu starts closed, a bar
    above it), and ☰ opens the menu with every link readable."""
    from playwright.sync_api import expect

    page = alice_logged_in(browser, live_server.url, {"width": 390, "height": 844})
    page.locator("details.menu").wait_for()
    main = page.locator("main").bounding_box()
    assert main is not None and main["x"] == 0 and main["width"] == 390
    menu = page.get_by_role("navigation", name="Meny")
    expect(menu.get_by_role("link", name="Basrapporter")).to_be_hidden()
    # The closed bar shows ☰.
    expect(page.locator("details.menu summary")).to_have_text(re.compile("^☰"))
    expect(page.locator("details.menu summary span").first).to_be_visible()
    page.locator("details.menu summary").click()
    link = menu.get_by_role("link", name="Basrapporter")
    expect(link).to_be_visible()
    box = link.bounding_box()
    # The link has the width of the screen, not a sliver beside the page.
    assert box is not None and box["width"] > 300


def test_on_a_laptop_the_menu_stays_folded_once_folded(world, live_server, browser) -> None:
    """The guide's arrow: the menu folds to a narrow bar, and stays so on the next pages
    until it is opened again."""
    from playwright.sync_api import expect

    page = alice_logged_in(browser, live_server.url, {"width": 1366, "height": 768})
    menu = page.get_by_role("navigation", name="Meny")
    expect(menu.get_by_role("link", name="Basrapporter")).to_be_visible()
    page.locator("details.menu summary").click()
    expect(menu.get_by_role("link", name="Basrapporter")).to_be_hidden()
    narrow = page.locator("details.menu").bounding_box()
    assert narrow is not None and narrow["width"] < 80
    page.goto(live_server.url + "/konto/")
    expect(menu.get_by_role("link", name="Basrapporter")).to_be_hidden()
    expect(page.locator("details.menu summary span").first).to_be_visible()  # ☰
    page.locator("details.menu summary").click()
    page.goto(live_server.url + "/")
    expect(menu.get_by_role("link", name="Basrapporter")).to_be_visible()


# Every signed-in page an admin reaches from the menu and from those pages (a report with
# its groupings and its specification, saved reports, administration), at most this many.
PAGES = 60
SKIPPED_LINKS = ("/logout", "/_control", "/healthz", "/api/", "/export/", "/static/")


def _signed_in_pages(page, url: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The pages reachable by links from the start page and from a report's result (the
    answering groups' in the simulated week), breadth first."""
    page.goto(url + "/basrapporter/?report=acd.incoming")
    page.get_by_label("Från", exact=True).fill("2026-11-16")
    page.get_by_label("Till", exact=True).fill("2026-11-20")
    page.get_by_label("Markera alla").check()
    page.get_by_role("button", name="Bearbeta").click()
    page.locator("table.report").wait_for()
    seen: list[str] = []
    todo = ["/", page.url.removeprefix(url)]
    while todo and len(seen) < PAGES:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.append(path)
        page.goto(url + path)
        for href in page.eval_on_selector_all(
            "a[href^='/']", "links => links.map(a => a.getAttribute('href'))"
        ):
            link = href.split("#")[0]
            if not any(s in link for s in SKIPPED_LINKS) and link not in seen + todo:
                todo.append(link)
    return seen


@pytest.mark.parametrize("viewport", [(390, 844), (1366, 768)], ids=["phone", "laptop"])
def test_no_signed_in_page_scrolls_sideways_and_every_object_is_reachable(
    simulated, live_server, browser, viewport
) -> None:
    width, height = viewport
    page = alice_logged_in(browser, live_server.url, {"width": width, "height": height})
    page.locator("main").wait_for()
    pages = _signed_in_pages(page, live_server.url)
    assert len(pages) >= 25, pages
    wide = []
    for path in pages:
        page.goto(live_server.url + path)
        scroll, client = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if scroll > client:
            wide.append((path, scroll))
    assert not wide, f"pages wider than {width} px: {wide}"

    # Basrapporter's list of users: each one can be scrolled to and ticked.
    page.goto(live_server.url + "/basrapporter/?report=user.incoming")
    boxes = page.locator(".object-list input[name=o]")
    assert boxes.count() >= 20
    # The box scrolls downwards only: none of it hides past its right edge.
    assert page.locator(".object-list").evaluate("list => list.scrollWidth <= list.clientWidth")
    for i in range(boxes.count()):
        box = boxes.nth(i)
        box.scroll_into_view_if_needed()
        box.check()  # (Playwright clicks it where it shows: it fails if something covers it)
        assert box.is_checked()
    assert page.get_by_label("Markera alla").is_checked()


AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# English words a Swedish page must not show (the catalogue's gaps, Django's own defaults).
ENGLISH = re.compile(
    r"\b(Select an option|Submit|Delete|Cancel|Previous|Next|This field|Enter a valid|Loading|"
    r"None|Unknown|Password|Search|Answered|Unanswered|Incoming|Outgoing|Calls|Report|Total|"
    r"Settings|Save|Yes|No|Hidden number|Voicemail|Busy|page \d+ of)\b"
)


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is missing (npm ci --prefix tests/axe)")
def test_the_signed_in_pages_have_no_serious_accessibility_fault_nor_an_english_word(
    simulated, live_server, browser
) -> None:
    """axe-core on every page a user reaches by links from Start and from a report; and on
    the Swedish pages no English word of ENGLISH."""
    page = browser.new_context(
        locale="sv-SE", viewport={"width": 1366, "height": 768}, bypass_csp=True
    ).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-post").fill("alice@a.example")
    page.get_by_label("Lösenord").fill("Alice-lösen-2026")
    page.get_by_role("button", name="Logga in").click()
    page.locator("main").wait_for()
    pages = _signed_in_pages(page, live_server.url)
    assert len(pages) >= 25, pages
    faults, english = [], []
    for path in pages:
        page.goto(live_server.url + path)
        page.add_script_tag(path=str(AXE))
        found = page.evaluate(
            "async () => (await axe.run()).violations"
            ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
            ".map(v => v.id + ' ' + v.nodes[0].target.join(' '))"
        )
        faults += [(path, fault) for fault in found]
        english += [(path, word) for word in ENGLISH.findall(page.inner_text("body"))]
    assert not faults, faults
    assert not english, english


def test_the_guide_step_by_step(simulated, live_server, smtp, browser) -> None:
    """The seed guide's steps in its order, as a new customer takes them: an admin adds a user
    with his modules and a filter; he activates, logs in, chooses his start page, makes a
    report, groups it, reads a column's definition by keyboard, e-mails an export, filters the
    specification by every field, and turns on two-factor authentication."""
    import threading

    from django.db import connections
    from playwright.sync_api import expect

    from vaxelstat.exports.tasks import run_pending

    url = live_server.url

    def swedish(page) -> None:  # type: ignore[no-untyped-def]
        """The page as it is now shows no English word of ENGLISH."""
        assert not ENGLISH.findall(page.inner_text("body")), (
            page.url,
            ENGLISH.findall(page.inner_text("body")),
        )

    def work() -> None:
        """The server's worker, as a thread of the test (away from Playwright's loop)."""
        try:
            run_pending()
        finally:
            connections.close_all()

    # Administration → Användare → Lägg till ny användare (the guide's steps 1–10).
    alice = alice_logged_in(browser, url, {"width": 1366, "height": 768})
    alice.get_by_role("navigation", name="Meny").get_by_role("link", name="Administration").click()
    alice.get_by_role("link", name="Användare").first.click()
    alice.get_by_role("link", name="Lägg till ny användare").click()
    alice.get_by_label("E-post").fill("pelle@a.example")
    alice.get_by_label("Namn").fill("Pelle Persson")
    expect(alice.get_by_label("Skicka initieringsfrågan")).to_be_checked()
    modules = alice.locator("fieldset", has_text="Synliga moduler")
    modules.get_by_role("button", name="Avmarkera alla", exact=True).click()
    expect(modules.get_by_label("Asterisk – Statistik")).not_to_be_checked()
    modules.get_by_role("button", name="Markera alla", exact=True).click()
    expect(modules.get_by_label("Asterisk – Statistik")).to_be_checked()
    alice.get_by_label("Visa allt aktiverat").uncheck()
    alice.get_by_placeholder("Sök insamlingspunkt eller mätobjekt").fill("support")
    alice.get_by_label("Support (400)").check()
    alice.get_by_role("button", name="Visa endast markerade").click()
    expect(alice.locator("[data-grant-lists] input:visible")).to_have_count(1)
    alice.get_by_role("button", name="Töm filter").click()
    swedish(alice)
    alice.get_by_role("button", name="Spara ny").first.click()
    expect(alice.get_by_text("pelle@a.example har lagts till")).to_be_visible()

    # Pelle activates his account from the e-mail and logs in.
    link = LINK.search(body_of(smtp.last_to("pelle@a.example"))).group(1)  # type: ignore[union-attr]
    pelle = browser.new_context(locale="sv-SE", accept_downloads=True).new_page()
    pelle.set_default_timeout(15_000)
    pelle.goto(f"{url}{link}")
    pelle.get_by_label("Lösenord", exact=True).fill("Pelle-ringer-kön-2026")
    expect(pelle.get_by_text("Lösenordets styrka: Starkt")).to_be_visible()
    swedish(pelle)
    pelle.get_by_label("Bekräfta lösenord").fill("Pelle-ringer-kön-2026")
    pelle.get_by_role("button", name="Skapa och gå till inloggningssida").click()
    pelle.get_by_label("E-post").fill("pelle@a.example")
    pelle.get_by_label("Lösenord").fill("Pelle-ringer-kön-2026")
    pelle.get_by_role("button", name="Logga in").click()
    # Start: his group's figures of today, and only his.
    expect(pelle.get_by_role("heading", name="Alfa AB")).to_be_visible()
    expect(pelle.locator("table.today").get_by_role("link", name="400 Support")).to_be_visible()
    expect(pelle.locator("table.today")).not_to_contain_text("401")
    swedish(pelle)

    # Mitt konto → Välj startsida.
    menu = pelle.get_by_role("navigation", name="Meny")
    menu.get_by_role("link", name="Mitt konto").click()
    pelle.get_by_label("Välj startsida").select_option(label="Basrapporter")
    pelle.get_by_role("button", name="Spara").first.click()
    expect(pelle.get_by_text("Sparat.")).to_be_visible()
    swedish(pelle)

    # Skapa en rapport: period, report, objects, Bearbeta; then group it by hour.
    menu.get_by_role("link", name="Basrapporter").click()
    make_report(pelle, "acd.incoming")
    expect(pelle.locator("#report-title")).to_have_text(
        "Inkommande – Besvarade – Ej besvarade – (M) Svarstid"
    )
    pelle.wait_for_load_state("load")
    pelle.get_by_role("link", name="Timme", exact=True).click()
    expect(pelle.locator("table.report tbody tr").nth(1).locator("th")).to_have_text(
        "2026-11-09 00:00"
    )
    pelle.get_by_role("link", name="Dag", exact=True).click()
    expect(pelle.locator("table.report tbody tr").nth(1).locator("th")).to_have_text("2026-11-09")

    # A column's definition, by keyboard alone.
    pelle.locator("details.definitions summary").focus()
    pelle.keyboard.press("Enter")
    expect(pelle.locator("dl.definitions")).to_be_visible()
    expect(pelle.locator("dl.definitions")).to_contain_text("Totalt inkommande")
    swedish(pelle)

    # Exportera → Skicka som e-post: the file reaches the address.
    pelle.get_by_role("tab", name="Exportera").click()
    pelle.get_by_label("CSV för Excel").check()
    pelle.get_by_label("E-post (flera adresser med kommatecken emellan)").first.fill(
        "chef@example.se"
    )
    pelle.get_by_role("button", name="Skicka som e-post").first.click()
    expect(pelle.get_by_role("heading", name="Export")).to_be_visible()
    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    mail = smtp.last_to("chef@example.se")
    attachment = next(mail.iter_attachments())
    assert attachment.get_filename().startswith("Inkommande – Besvarade")
    assert attachment.get_content().startswith("\ufeffPeriod;Totalt inkommande;")

    # Samtalsspecifikation: every filter, then Töm filter.
    pelle.go_back()
    pelle.wait_for_load_state("load")
    pelle.locator("tr.total td").nth(1).locator("a").click()
    expect(pelle.get_by_role("heading", name="Samtalsspecifikation")).to_be_visible()
    everything = pelle.locator("#call-count").inner_text()
    pelle.get_by_label("Typ").select_option(label="Besvarat av medlem")
    for field, value in (
        ("Från", "0"),
        ("Grupp", "Support"),
        ("Besvarat av medlem", "1"),
        ("Kötid min (s)", "0"),
        ("Kötid max (s)", "600"),
        ("Samtalslängd min (s)", "1"),
        ("Samtalslängd max (s)", "36000"),
    ):
        pelle.get_by_label(field, exact=True).fill(value)
    pelle.get_by_role("button", name="Använd filter").click()
    filtered = pelle.locator("#call-count").inner_text()
    assert (
        0
        < int(filtered.split()[0].replace("\xa0", ""))
        <= int(everything.split()[0].replace("\xa0", ""))
    )
    expect(pelle.locator("table.calls tbody tr").first).to_contain_text("400 Support")
    swedish(pelle)
    pelle.get_by_label("Vidarekopplat till", exact=True).fill("ingen-sådan")
    pelle.get_by_role("button", name="Använd filter").click()
    expect(pelle.locator("#call-count")).to_have_text("0 samtal")
    pelle.get_by_role("link", name="Töm filter").click()
    expect(pelle.locator("#call-count")).to_have_text(everything)

    # Tvåfaktorautentisering: Mitt konto → Kräv → Ok; the next login asks for the code.
    menu.get_by_role("link", name="Mitt konto").click()
    pelle.get_by_label("Kräv tvåfaktorautentisering").check()
    pelle.get_by_role("button", name="Ok").click()
    pelle.get_by_role("button", name="Logga ut").click()
    sent = len(smtp.to("pelle@a.example"))
    pelle.goto(f"{url}/login/")
    pelle.get_by_label("E-post").fill("pelle@a.example")
    pelle.get_by_label("Lösenord").fill("Pelle-ringer-kön-2026")
    pelle.get_by_role("button", name="Logga in").click()
    expect(pelle.get_by_role("heading", name="Ytterligare verifikation krävs")).to_be_visible()
    assert len(smtp.to("pelle@a.example")) == sent + 1
    code = CODE.search(body_of(smtp.last_to("pelle@a.example"))).group(1)  # type: ignore[union-attr]
    pelle.get_by_label("Verifikationskod").fill(code)
    pelle.get_by_role("button", name="Verifiera koden").click()
    # He lands on the start page he chose.
    expect(pelle.get_by_role("heading", name="Basrapporter")).to_be_visible()
    swedish(pelle)


@pytest.fixture
def live_queue(world, tmp_path):  # type: ignore[no-untyped-def]
    """Organization A's queue 400 (Support) with a queue_log followed by a collector: a caller
    entered the queue 40 seconds ago (the line sent before the browser starts)."""
    from django.utils import timezone

    from vaxelstat.orgs.models import CollectionPoint, MeasuredObject

    point = CollectionPoint.objects.create(
        organization=world.a, name="live", format="asterisk-queue-log"
    )
    token = point.new_push_token()
    point.save()
    MeasuredObject.objects.get_or_create(
        organization=world.a,
        kind="acd",
        source_identity="queue:400",
        defaults={"number": "400", "display_name": "Växel"},
    )
    log = tmp_path / "queue_log"
    now = int(timezone.now().timestamp())
    log.write_text(
        f"{now - 60}|NONE|400|PJSIP/1001|ADDMEMBER|\n"
        f"{now - 60}|NONE|400|PJSIP/1002|ADDMEMBER|\n"
        f"{now - 40}|c1.1|400|NONE|ENTERQUEUE||0701234567|1\n"
    )
    return point, token, log, now


def test_vaggskarm_shows_a_call_waiting_until_its_connect_arrives(
    live_queue, live_server, browser
) -> None:
    """A collector sends the ENTERQUEUE: Väggskärm shows the call waiting and how long;
    then it sends the CONNECT, and the board shows it on a call, without reloading."""
    from playwright.sync_api import expect

    from vaxelstat.collect import Collector

    point, token, log, now = live_queue
    collector = Collector(live_server.url, point.id, token, [str(log)], log.with_suffix(".state"))
    collector.round()
    page = alice_logged_in(browser, live_server.url, {"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/vaggskarm/")
    tile = page.get_by_role("region", name="Support")
    expect(tile.locator(".waiting-now dd")).to_have_text("1")
    expect(tile.locator(".longest-now dd")).to_have_text(re.compile(r"00:00:[4-9]\d|00:01:\d\d"))
    expect(tile.locator(".agents-now dd")).to_have_text("2")
    expect(tile.locator(".free-now dd")).to_have_text("2")
    expect(page.locator("#newest-line")).to_contain_text("sedan")
    page.evaluate("window.notReloaded = true")
    with open(log, "a", encoding="utf-8") as f:
        f.write(f"{now - 2}|c1.1|400|PJSIP/1001|CONNECT|38|c1.2|2\n")
    collector.round()
    expect(tile.locator(".waiting-now dd")).to_have_text("0", timeout=20_000)
    expect(tile.locator(".on-call-now dd")).to_have_text("1")
    expect(tile.locator(".free-now dd")).to_have_text("1")
    assert page.evaluate("window.notReloaded") is True

"""Basrapporter in the browser, page by page: the figures are the report engine's, each figure
opens exactly its calls, and nobody sees an object that was not granted."""

import re

from django.test import Client
from test_reports import NO_FRONT_DOOR_IN_DEMO

from vaxelstat.calls.scope import Scope
from vaxelstat.orgs.models import MeasuredObject
from vaxelstat.reports.engine import find_objects, run_report
from vaxelstat.reports.measures import BY_KEY, REPORTS
from vaxelstat.reports.period import Period

PERIOD = {"from": "2026-11-09", "to": "2026-11-20", "time": "08:00-17:00"}


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def cell(page: str, row: str, column: int) -> str:
    """The text of a table cell, by row label and column number (0: first figure)."""
    match = re.search(rf"<th scope=\"row\">{re.escape(row)}</th>(.*?)</tr>", page, re.S)
    assert match, row
    cells = re.findall(r'<td class="num">(.*?)</td>', match.group(1), re.S)
    return re.sub(r"<[^>]+>", "", cells[column]).strip()


def test_every_report_shows_the_engines_figures(simulated) -> None:
    for key in sorted(REPORTS):
        _page_shows_the_engines_figures(simulated, key)


def _page_shows_the_engines_figures(simulated, key: str) -> None:  # type: ignore[no-untyped-def]
    report = REPORTS[key]
    objects = find_objects(simulated.a, report.kind, "all")
    period = Period.parse(simulated.a.timezone, PERIOD["from"], PERIOD["to"], PERIOD["time"], "day")
    expected = run_report(simulated.a, key, objects, period, scope=Scope.whole(simulated.a.id))
    page = (
        logged_in(simulated.alice)
        .get(
            "/basrapporter/",
            {**PERIOD, "report": key, "group": "day", "o": [o.id for o in objects]},
        )
        .content.decode()
    )
    # The first count (a time is shown as h:mm:ss).
    first = next(k for k in report.columns if BY_KEY[(report.scope, k)].agg == "count")
    column = report.columns.index(first)
    if key not in NO_FRONT_DOOR_IN_DEMO:
        assert expected.total[first] > 0, key
    assert cell(page, "Totalt", column) == f"{expected.total[first]:,}".replace(",", "\xa0"), key
    for bucket, values in expected.rows:
        assert cell(page, bucket.label, column) == f"{values[first]:,}".replace(",", "\xa0"), key


def test_a_figure_opens_exactly_its_calls(simulated) -> None:
    queues = find_objects(simulated.a, "acd", "all")
    client = logged_in(simulated.alice)
    params = {**PERIOD, "report": "acd.incoming", "group": "day", "o": [o.id for o in queues]}
    page = client.get("/basrapporter/", params).content.decode()
    link = re.search(
        r'<a href="(/basrapporter/samtal/\?[^"]*measure=answered[^"]*bucket=3[^"]*)">([^<]+)</a>',
        page,
    )
    assert link
    url, shown = link.group(1).replace("&amp;", "&"), link.group(2)
    # The link is short: the report's choices under a key, its measure and its bucket.
    assert re.fullmatch(r"/basrapporter/samtal/\?ref=[\w-]{16}&measure=answered&bucket=3", url)
    calls = client.get(url).content.decode()
    count = re.search(
        r'<p id="call-count" role="status">(\d+) samtal</p>', calls.replace("\xa0", "")
    )
    assert count and count.group(1) == shown.replace("\xa0", "")
    assert calls.count("Besvarat av medlem</td>") == min(int(count.group(1)), 50)
    # A filter narrows the list; Töm filter and Tillbaka lead back.
    narrowed = client.get(url + "&wait_min=30").content.decode()
    fewer = re.search(r'id="call-count" role="status">(\d+) samtal', narrowed.replace("\xa0", ""))
    assert fewer and int(fewer.group(1)) < int(count.group(1))
    back = re.search(r'<a href="([^"]+)">← Tillbaka</a>', calls).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert back.startswith("/basrapporter/?") and "measure" not in back


def test_bob_chooses_among_and_sees_only_the_group_he_was_granted(simulated) -> None:
    bob = logged_in(simulated.bob)
    all_queues = MeasuredObject.objects.filter(organization=simulated.a, kind="acd")
    page = bob.get(
        "/basrapporter/",
        {**PERIOD, "report": "acd.incoming", "o": [o.id for o in all_queues]},
    ).content.decode()
    assert "Support (400)" in page and "(401)" not in page
    granted = [simulated.support]
    period = Period.parse(simulated.a.timezone, PERIOD["from"], PERIOD["to"], PERIOD["time"], "day")
    only_his = run_report(
        simulated.a, "acd.incoming", granted, period, scope=Scope.whole(simulated.a.id)
    )
    assert cell(page, "Totalt", 0) == f"{only_his.total['incoming']:,}".replace(",", "\xa0")
    # The calls behind the report are his group's only.
    calls = bob.get(
        "/basrapporter/samtal/",
        {**PERIOD, "report": "acd.incoming", "o": [o.id for o in all_queues]},
    ).content.decode()
    assert "<td>400 Support</td>" in calls and "<td>401 " not in calls


def test_charlie_gets_404_for_the_other_organizations_objects(simulated) -> None:
    queues = MeasuredObject.objects.filter(organization=simulated.a, kind="acd")
    charlie = logged_in(simulated.charlie)
    params = {**PERIOD, "report": "acd.incoming", "o": [o.id for o in queues]}
    page = charlie.get("/basrapporter/", params).content.decode()
    assert "Support (400)" not in page and "Totalt" not in page
    assert charlie.get("/basrapporter/samtal/", params).status_code == 404


def test_times_are_hh_mm_ss_and_an_empty_mean_is_blank(simulated) -> None:
    queues = find_objects(simulated.a, "acd", "all")
    page = (
        logged_in(simulated.alice)
        .get(
            "/basrapporter/",
            {**PERIOD, "report": "acd.incoming", "group": "day", "o": [q.id for q in queues]},
        )
        .content.decode()
    )
    assert re.fullmatch(r"\d\d:\d\d:\d\d", cell(page, "Totalt", 4))
    assert cell(page, "2026-11-14", 4) == ""  # a Saturday: no calls, no mean
    assert cell(page, "2026-11-14", 0) == "0"


def test_the_help_page_defines_every_column_of_every_report(simulated) -> None:
    from django.utils.html import escape

    from vaxelstat.reports.measures import MEASURES, columns_of

    page = logged_in(simulated.bob).get("/hjalp/").content.decode()
    for report in REPORTS.values():
        assert f'id="{report.key}"' in page
        for measure in columns_of(report):
            assert escape(measure.definition_sv) in page, (report.key, measure.key)
    assert "Inkluderad i: Totalt inkommande" in page
    # And the measures only Avancerade rapporter shows.
    for measure in MEASURES:
        assert escape(measure.definition_sv) in page, measure.key
    simulated.bob.language = "en"
    simulated.bob.save()
    english = logged_in(simulated.bob).get("/hjalp/").content.decode()
    assert "All incoming calls to the user." in english and "Included in: Total incoming" in english


def test_search_finds_menu_items_reports_and_only_the_objects_one_may_see(simulated) -> None:
    bob = logged_in(simulated.bob)
    page = bob.get("/sok/", {"q": "supp"}).content.decode()
    assert "Support (400)" in page
    assert f'href="/basrapporter/?report=acd.incoming&amp;o={simulated.support.id}"' in page
    assert "(401)" not in bob.get("/sok/", {"q": "40"}).content.decode()
    assert (
        "Administration" not in bob.get("/sok/", {"q": "admin"}).content.decode().split("<main>")[1]
    )
    alice = logged_in(simulated.alice).get("/sok/", {"q": "admin"}).content.decode()
    assert 'href="/administration/"' in alice.split("<main>")[1]
    reports = bob.get("/sok/", {"q": "hanterade"}).content.decode()
    # Named by their kind of object, not by their keys.
    assert "report=rule.handled" in reports and "report=ivr.handled" in reports
    assert "IVR (Knappval): " in reports and "(ivr.handled)" not in reports
    assert "Inget hittades" in bob.get("/sok/", {"q": "zzz"}).content.decode()


def test_the_dashboard_shows_the_groups_one_may_see_with_todays_figures(simulated) -> None:
    from datetime import datetime

    from vaxelstat.calls.legs import Leg
    from vaxelstat.ingest.pipeline import store_legs

    # Two calls to Support this morning, one answered after 12 s.
    now = datetime.now(tz=simulated.a.tzinfo).replace(hour=9, minute=0, second=0, microsecond=0)
    support = simulated.support

    def leg(name: str, type_: str, wait: int, talk: int = 0) -> Leg:
        identity = support.source_identity
        return Leg(
            name,
            name,
            "acd",
            identity,
            support.number,
            now,
            "in",
            False,
            type_,
            wait_s=wait,
            talk_s=talk,
        )

    legs = [leg("dash:1", "answered", 12, 60), leg("dash:2", "abandoned", 30)]
    point = simulated.a.collection_points.first()
    store_legs(
        simulated.a.id,
        point.id,
        1,
        simulated.a.timezone,
        legs,
        {("acd", support.source_identity): support.id},
    )
    page = logged_in(simulated.bob).get("/dashboard/").content.decode()
    assert "Support" in page and "(401," not in page
    today = re.search(r'<th scope="row"><a href="([^"]+)">I dag</a></th>(.*?)</tr>', page, re.S)
    assert today
    figures = re.findall(r'<td class="num">(.*?)</td>', today.group(2))
    assert figures[:4] == ["2", "1", "1", "00:00:12"]
    assert today.group(1).startswith("/basrapporter/?report=acd.incoming")
    assert (
        logged_in(simulated.alice)
        .get("/dashboard/")
        .content.decode()
        .count('<section class="card">')
        >= 3
    )
    # Start shows the same figures of today, each group opening its report of today.
    start = logged_in(simulated.bob).get("/").content.decode()
    row = re.search(
        r'<tr[^>]*><th scope="row"><a href="([^"]+)">400 Support</a></th>(.*?)</tr>', start
    )
    assert row and "401" not in start.split("</table>")[0]
    assert re.findall(r'<td class="num">(.*?)</td>', row.group(2))[:3] == ["2", "1", "1"]
    day = now.date().isoformat()
    assert f"report=acd.incoming&amp;from={day}&amp;to={day}" in row.group(1)
    assert f"o={support.id}" in row.group(1)
    assert 'href="/basrapporter/"' in start and "Välj startsida" in start


def test_staffing_by_erlang_c_per_hour_of_the_day(simulated) -> None:
    queues = find_objects(simulated.a, "acd", "all")
    client = logged_in(simulated.alice)
    params = {
        "from": "2026-11-09",
        "to": "2026-11-20",
        "report": "acd.incoming",
        "o": [q.id for q in queues],
    }

    def agents(level: int) -> dict[str, int]:
        page = client.get("/basrapporter/bemanning/", {**params, "level": level}).content.decode()
        rows = re.findall(
            r'<tr><th scope="row">(\d\d:00)</th>(?:<td class="num">[^<]*</td>){3}'
            r'<td class="num">(\d+)</td></tr>',
            page,
        )
        assert len(rows) == 24
        return {hour: int(n) for hour, n in rows}

    eighty, ninety = agents(80), agents(90)
    assert eighty["03:00"] == 0 and max(eighty.values()) >= 1
    assert all(ninety[h] >= eighty[h] for h in eighty)
    assert max(eighty, key=eighty.get) in {f"{h:02d}:00" for h in range(8, 17)}
    # Charlie may not see these groups: nothing to staff.
    assert logged_in(simulated.charlie).get("/basrapporter/bemanning/", params).status_code == 404


def test_a_period_error_is_in_the_readers_language(simulated) -> None:
    queues = [q.id for q in find_objects(simulated.a, "acd", "all")]
    asked = {"report": "acd.incoming", "o": queues, "from": "2026-11-20", "to": "2026-11-09"}
    for language, said in (
        ("sv", "Perioden slutar (2026-11-09) innan den börjar (2026-11-20)."),
        ("en", "The period ends (2026-11-09) before it starts (2026-11-20)."),
    ):
        simulated.alice.language = language
        simulated.alice.save()
        page = logged_in(simulated.alice).get("/basrapporter/", asked)
        assert page.status_code == 400 and said in page.content.decode(), language
    simulated.alice.language = "sv"
    simulated.alice.save()
    window = logged_in(simulated.alice).get(
        "/basrapporter/", {**asked, "to": "2026-11-20", "time": "9-10"}
    )
    assert "Tid på dygnet skrivs TT:MM-TT:MM, inte 9-10." in window.content.decode()


def test_the_chart_draws_percentages_as_lines_and_the_service_levels_target(simulated) -> None:
    import json

    org = simulated.a
    org.service_level_target = 85
    org.save()
    queues = find_objects(org, "acd", "all")
    client = logged_in(simulated.alice)

    def chart(key: str) -> dict:  # type: ignore[type-arg]
        page = client.get(
            "/basrapporter/", {**PERIOD, "report": key, "group": "day", "o": [o.id for o in queues]}
        ).content.decode()
        match = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', page)
        assert match, key
        return json.loads(match.group(1))

    period = Period.parse(org.timezone, PERIOD["from"], PERIOD["to"], PERIOD["time"], "day")
    expected = run_report(org, "acd.incoming", queues, period, scope=Scope.whole(org.id))
    drawn = chart("acd.incoming")
    # The bars are the counts; the service level is a line of the table's figures, with the
    # organization's target beside it.
    assert [s["label"] for s in drawn["series"]] == [
        m.label for m in expected.columns if m.agg == "count"
    ]
    assert drawn["lines"] == [
        {"label": "Servicenivå", "data": [v["service_level"] for _b, v in expected.rows]}
    ]
    assert drawn["target"] == {"label": "Mål 85 %", "value": 85}
    # A report without a percentage has neither.
    plain = chart("acd.waits")
    assert plain["lines"] == [] and "target" not in plain


def test_the_period_before_is_as_many_whole_months_else_as_many_days() -> None:
    import pytest

    from vaxelstat.reports.period import PeriodError

    def before(first: str, last: str) -> tuple[str, str]:
        period = Period.parse("Europe/Stockholm", first, last, "08:00-17:00", "hour").previous()
        assert (period.window, period.group) == ("08:00-17:00", "hour")
        return period.first.isoformat(), period.last.isoformat()

    # Whole months: the same number of whole months (30 days against 31 is still a month).
    assert before("2026-11-01", "2026-11-30") == ("2026-10-01", "2026-10-31")
    assert before("2026-03-01", "2026-03-31") == ("2026-02-01", "2026-02-28")
    assert before("2024-03-01", "2024-03-31") == ("2024-02-01", "2024-02-29")
    assert before("2026-10-01", "2026-12-31") == ("2026-07-01", "2026-09-30")
    assert before("2026-01-01", "2026-12-31") == ("2025-01-01", "2025-12-31")
    assert before("2026-01-01", "2026-02-28") == ("2025-11-01", "2025-12-31")
    # Else as many days just before: a week, a day, half a month.
    assert before("2026-11-16", "2026-11-22") == ("2026-11-09", "2026-11-15")
    assert before("2026-11-16", "2026-11-16") == ("2026-11-15", "2026-11-15")
    assert before("2026-11-01", "2026-11-15") == ("2026-10-17", "2026-10-31")
    assert before("2026-03-02", "2026-03-31") == ("2026-01-31", "2026-03-01")
    from django.utils import translation

    with translation.override("sv"), pytest.raises(PeriodError, match="före 1990-01-01"):
        Period.parse("Europe/Stockholm", "1990-01-01", "1990-01-31", None, "day").previous()


def test_jamfor_med_foregaende_period_shows_both_periods_side_by_side(simulated) -> None:
    """Monday to Friday 16–20 November against the five days before (Wednesday 11 to
    Sunday 15): each period's figures are the engine's, row by row in order; the change is
    under the totals; the earlier figures open exactly their calls."""
    import json

    org = simulated.a
    queues = find_objects(org, "acd", "all")
    client = logged_in(simulated.alice)
    params = {
        "from": "2026-11-16",
        "to": "2026-11-20",
        "time": "08:00-17:00",
        "report": "acd.incoming",
        "group": "day",
        "o": [o.id for o in queues],
        "compare": "1",
    }
    page = client.get("/basrapporter/", params).content.decode()

    def figures_of(first: str, last: str):  # type: ignore[no-untyped-def]
        period = Period.parse(org.timezone, first, last, "08:00-17:00", "day")
        return run_report(org, "acd.incoming", queues, period, scope=Scope.whole(org.id))

    now, then = figures_of("2026-11-16", "2026-11-20"), figures_of("2026-11-11", "2026-11-15")
    assert then.total["incoming"] > 0 and now.total["incoming"] > 0
    assert 'name="compare" value="1" checked' in page
    assert "Föregående period" in page and "Jämförs med" in page

    def figures(label: str) -> tuple[list[str], list[str]]:
        """A row's figures of the chosen period and of the period before."""
        match = re.search(rf'<th scope="row">{re.escape(label)}</th>(.*?)</tr>', page, re.S)
        assert match, label
        row = match.group(1)
        text = lambda cells: [re.sub(r"<[^>]+>", "", c).strip() for c in cells]  # noqa: E731
        return (
            text(re.findall(r'<td class="num">(.*?)</td>', row, re.S)),
            text(re.findall(r'<td class="num earlier">(.*?)</td>', row, re.S)),
        )

    shown = lambda v: f"{v:,}".replace(",", "\xa0")  # noqa: E731
    columns = [m.key for m in now.columns]
    incoming = columns.index("incoming")
    chosen, earlier = figures("Totalt")
    assert chosen[incoming] == shown(now.total["incoming"])
    assert earlier[incoming] == shown(then.total["incoming"])
    assert "2026-11-11 – 2026-11-15" in page
    # Row by row: the first day against the first day before.
    for (bucket, values), (earlier_bucket, earlier_values) in zip(now.rows, then.rows, strict=True):
        match = re.search(
            rf'<th scope="row">{bucket.label}</th><th scope="row" class="earlier">'
            rf"{earlier_bucket.label}</th>(.*?)</tr>",
            page,
            re.S,
        )
        assert match, bucket.label
        chosen, earlier = figures(bucket.label)
        assert chosen[incoming] == shown(values["incoming"])
        assert earlier[incoming] == shown(earlier_values["incoming"])
    # The change: difference and percent of the earlier figure, a service level in points.
    change = re.search(r'<tr class="change">(.*?)</tr>', page, re.S).group(1)  # type: ignore[union-attr]
    changes = re.findall(r'<td class="num" colspan="2">(.*?)</td>', change)
    diff = now.total["incoming"] - then.total["incoming"]
    sign = "+" if diff > 0 else "−" if diff < 0 else "±"
    share = f"{abs(100 * diff / then.total['incoming']):.1f}".replace(".", ",")
    assert changes[incoming] == f"{sign}{shown(abs(diff))} ({sign}{share}\xa0%)"
    level = columns.index("service_level")
    points = now.total["service_level"] - then.total["service_level"]
    assert changes[level].endswith(f"{abs(points):.1f}\xa0procentenheter".replace(".", ","))
    # An earlier figure opens exactly its calls: the period before's second day, answered.
    link = re.search(
        r'<td class="num earlier"><a href="(/basrapporter/samtal/\?[^"]*measure=answered'
        r'[^"]*bucket=1)">([^<]+)</a>',
        page,
    )
    assert link and link.group(2) == shown(then.rows[1][1]["answered"])
    listed = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    # (Its calls are the period before's: the list's back link names its dates.)
    assert "from=2026-11-11&amp;to=2026-11-15" in listed
    count = re.search(r'id="call-count" role="status">(\d+) samtal', listed.replace("\xa0", ""))
    assert count and count.group(1) == link.group(2).replace("\xa0", "")
    # The chart: each count's bars of both periods, the earlier named so.
    data = json.loads(
        re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', page).group(1)  # type: ignore[union-attr]
    )
    assert data["previous"]["series"][0] == {
        "label": now.columns[0].label,
        "data": [v[now.columns[0].key] for _b, v in then.rows],
    }
    assert data["previous"]["lines"][0]["data"] == [v["service_level"] for _b, v in then.rows]
    # The groupings keep the comparison; without it the table has one column per measure.
    assert "group=week&amp;o=" in page and "compare=1" in re.search(
        r'href="([^"]*group=week[^"]*)"', page
    ).group(1)  # type: ignore[union-attr]
    plain = client.get("/basrapporter/", {**params, "compare": ""}).content.decode()
    assert 'class="num earlier"' not in plain and "Föregående period" not in plain


def test_hjalp_works_the_comparison_example_through(simulated) -> None:
    """Hjälp's example of Jämför med föregående period says what the page computes: the
    periods before and the changes are the product's own."""
    from vaxelstat.reports.measures import BY_KEY as MEASURES
    from vaxelstat.web.reports import Numbers, change

    page = logged_in(simulated.alice).get("/hjalp/").content.decode().replace("&nbsp;", "\xa0")
    for first, last in (("2026-11-01", "2026-11-30"), ("2026-11-16", "2026-11-22")):
        before = Period.parse("Europe/Stockholm", first, last).previous()
        assert f"{first} – {last}) jämförs med" in page or f"{first} – {last} med" in page
        assert f"{before.first} – {before.last}" in page
    numbers = Numbers(" ", ",")
    for key, now, then in (
        ("incoming", 1150, 1000),
        ("service_level", 82.5, 80.0),
        ("mean_answer_time", 12, 15),
    ):
        shown = change(MEASURES[("group", key)], now, then, numbers)
        assert shown.replace("\xa0", " ") in page.replace("\xa0", " "), shown


def test_a_short_key_is_its_organizations_and_keeps_the_readers_limits(simulated) -> None:
    """A figure's short key opens its report's calls for whoever may see them: an unknown
    key is not found, another organization's key is not found, and a reader granted one
    group sees only that group's calls under a key made of both groups."""
    queues = find_objects(simulated.a, "acd", "all")
    params = {**PERIOD, "report": "acd.incoming", "group": "day", "o": [o.id for o in queues]}
    page = logged_in(simulated.alice).get("/basrapporter/", params).content.decode()
    key = re.search(r"/basrapporter/samtal/\?ref=([\w-]+)&amp;measure=incoming", page).group(1)  # type: ignore[union-attr]
    calls = logged_in(simulated.alice).get("/basrapporter/samtal/", {"ref": key})
    assert calls.status_code == 200
    assert (
        logged_in(simulated.alice).get("/basrapporter/samtal/", {"ref": "x" * 16}).status_code
        == 404
    )
    assert (
        logged_in(simulated.charlie).get("/basrapporter/samtal/", {"ref": key}).status_code == 404
    )
    everyone = int(
        re.search(
            r'id="call-count" role="status">(\d+)', calls.content.decode().replace("\xa0", "")
        ).group(1)
    )  # type: ignore[union-attr]
    bob = logged_in(simulated.bob).get("/basrapporter/samtal/", {"ref": key}).content.decode()
    seen = int(re.search(r'id="call-count" role="status">(\d+)', bob.replace("\xa0", "")).group(1))  # type: ignore[union-attr]
    assert 0 < seen < everyone


def test_the_nights_work_forgets_keys_no_page_has_shown_for_90_days(simulated) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from vaxelstat.saved.models import ReportQuery
    from vaxelstat.server import forget_report_keys

    fresh = ReportQuery.keep(simulated.a, "report=acd.incoming&o=1")
    stale = ReportQuery.keep(simulated.a, "report=acd.incoming&o=2")
    ReportQuery.objects.filter(key=stale).update(made=timezone.now() - timedelta(days=91))
    assert forget_report_keys() == 1
    assert set(ReportQuery.objects.values_list("key", flat=True)) == {fresh}
    # A key touched again by its page (a day later or more) lives on.
    ReportQuery.objects.filter(key=fresh).update(made=timezone.now() - timedelta(days=2))
    assert ReportQuery.keep(simulated.a, "report=acd.incoming&o=1") == fresh
    assert ReportQuery.objects.get(key=fresh).made > timezone.now() - timedelta(minutes=1)


def test_a_long_table_is_shown_a_page_at_a_time_and_each_pages_figures_open_their_calls(
    simulated,
) -> None:  # type: ignore[no-untyped-def]
    from vaxelstat.web.reports import ROWS_SHOWN

    queues = find_objects(simulated.a, "acd", "all")
    query = {**PERIOD, "time": "", "report": "acd.incoming", "group": "15min"}
    period = Period.parse(simulated.a.timezone, PERIOD["from"], PERIOD["to"], None, "15min")
    expected = run_report(
        simulated.a, "acd.incoming", queues, period, scope=Scope.whole(simulated.a.id)
    )
    rows = len(expected.rows)  # 12 days of 96 quarters
    assert rows == 12 * 96 > 4 * ROWS_SHOWN
    client = logged_in(simulated.alice)
    first = client.get("/basrapporter/", {**query, "o": [o.id for o in queues]})
    page = first.content.decode()
    assert page.count('<tr><th scope="row">') == ROWS_SHOWN
    assert f"Rad 1–{ROWS_SHOWN} av 1\xa0152" in page
    assert cell(page, expected.rows[ROWS_SHOWN - 1][0].label, 0) is not None
    assert expected.rows[ROWS_SHOWN][0].label not in page.split('id="chart-data"')[0]
    # Nästa: the next rows, by the same address with its page.
    following = re.search(r'<a href="([^"]+)" data-fragment>Nästa</a>', page)
    assert following
    second = client.get(following.group(1).replace("&amp;", "&")).content.decode()
    assert f"Rad {ROWS_SHOWN + 1}–{2 * ROWS_SHOWN} av 1\xa0152" in second
    answered = expected.report.columns.index("answered")
    busiest = max(range(ROWS_SHOWN, 2 * ROWS_SHOWN), key=lambda i: expected.rows[i][1]["answered"])
    bucket, values = expected.rows[busiest]
    assert values["answered"] > 0
    assert cell(second, bucket.label, answered) == str(values["answered"])
    # The figure's link names its bucket by its place in the whole table and opens its calls.
    link = re.search(
        rf'<a href="(/basrapporter/samtal/\?[^"]*measure=answered&amp;bucket={busiest})">', second
    )
    assert link
    calls = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert f'<p id="call-count" role="status">{values["answered"]} samtal</p>' in calls
    # A page past the last is the last; the chart has every row on every page.
    last = client.get("/basrapporter/", {**query, "o": [o.id for o in queues], "table_page": 99})
    text = last.content.decode()
    assert f"Rad {4 * ROWS_SHOWN + 1:,}–1,152 av 1,152".replace(",", "\xa0") in text
    assert text.count('<tr><th scope="row">') == rows - 4 * ROWS_SHOWN
    chart = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', text, re.S)
    assert chart and len(__import__("json").loads(chart.group(1))["labels"]) == rows
    # A browser that takes gzip gets the page gzipped.
    zipped = client.get(
        "/basrapporter/", {**query, "o": [o.id for o in queues]}, HTTP_ACCEPT_ENCODING="gzip"
    )
    assert zipped["Content-Encoding"] == "gzip"
    unzipped = __import__("gzip").decompress(zipped.content).decode()
    assert unzipped.count('<tr><th scope="row">') == ROWS_SHOWN
    assert f"Rad 1–{ROWS_SHOWN} av 1\xa0152" in unzipped
    assert len(zipped.content) < len(first.content) / 4
    # A page that is no page's number is the first.
    for wrong in ("0", "abc", "9" * 40, "-2"):
        odd = client.get(
            "/basrapporter/", {**query, "o": [o.id for o in queues], "table_page": wrong}
        )
        assert odd.status_code == 200
        assert f"Rad 1–{ROWS_SHOWN} av 1\xa0152" in odd.content.decode(), wrong
    # Beside the period before, the pages pair the two periods' rows in order.
    compared = client.get(
        "/basrapporter/",
        {**query, "o": [o.id for o in queues], "compare": "1", "table_page": "2"},
    ).content.decode()
    assert f"Rad {ROWS_SHOWN + 1}–{2 * ROWS_SHOWN} av 1\xa0152" in compared
    assert compared.count('<th scope="row" class="earlier">') == ROWS_SHOWN + 1  # and Totalt
    assert cell(compared, bucket.label, answered) == str(values["answered"])  # (this period's)

"""Avancerade rapporter: chosen columns of a report's kind of calls, rows per bucket or per
object; every figure is the engine's and opens exactly its calls; nobody sees more than they
may."""

import re

import pytest
from django.test import Client

from vaxelstat.calls.scope import Scope
from vaxelstat.reports.engine import find_objects, run_report
from vaxelstat.reports.measures import BY_KEY, REPORTS
from vaxelstat.reports.period import Period

PERIOD = {"from": "2026-11-09", "to": "2026-11-20", "time": "08:00-17:00"}


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def cells(page: str, row: str) -> list[str]:
    match = re.search(rf"<th scope=\"row\">{re.escape(row)}</th>(.*?)</tr>", page, re.S)
    assert match, row
    return [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(r'<td class="num">(.*?)</td>', match.group(1), re.S)
    ]


def shown(value: int) -> str:
    return f"{value:,}".replace(",", "\xa0")


def test_chosen_columns_with_a_row_per_object_are_the_engines(simulated) -> None:
    queues = find_objects(simulated.a, "acd", "all")
    scope = REPORTS["acd.incoming"].scope
    # Columns of the scope that the standard report does not have are offered too.
    extra = [k for (s, k) in BY_KEY if s == scope and k not in REPORTS["acd.incoming"].columns]
    chosen = ["unanswered", "incoming", *extra[:1]]
    page = (
        logged_in(simulated.alice)
        .get(
            "/avancerade-rapporter/",
            {
                **PERIOD,
                "report": "acd.incoming",
                "m": chosen,
                "rows": "object",
                "o": [q.id for q in queues],
            },
        )
        .content.decode()
    )
    period = Period.parse(simulated.a.timezone, PERIOD["from"], PERIOD["to"], PERIOD["time"], "day")
    columns = [BY_KEY[(scope, k)] for (s, k) in BY_KEY if s == scope and k in chosen]
    expected = run_report(
        simulated.a,
        "acd.incoming",
        queues,
        period,
        scope=Scope.whole(simulated.a.id),
        columns=columns,
        by_object=True,
    )
    assert len(expected.rows) == len(queues) >= 2
    assert page.count('<th scope="col" class="num"') == len(columns) == 3
    keys = [m.key for m in columns]
    counted = [i for i, m in enumerate(columns) if m.agg == "count"]
    for bucket, values in expected.rows:
        row = cells(page, bucket.label)
        for i in counted:
            assert row[i] == shown(values[keys[i]])
    assert cells(page, "Totalt")[keys.index("incoming")] == shown(expected.total["incoming"])
    assert sum(v["incoming"] for _b, v in expected.rows) == expected.total["incoming"] > 0


def test_a_figure_of_an_objects_row_opens_exactly_its_calls(simulated) -> None:
    queues = find_objects(simulated.a, "acd", "all")
    client = logged_in(simulated.alice)
    page = client.get(
        "/avancerade-rapporter/",
        {
            **PERIOD,
            "report": "acd.incoming",
            "m": ["incoming", "unanswered"],
            "rows": "object",
            "o": [q.id for q in queues],
        },
    ).content.decode()
    links = re.findall(
        r'<a href="(/basrapporter/samtal/\?[^"]*measure=unanswered[^"]*)">([^<]+)</a>', page
    )
    assert len(links) == len(queues) + 1  # Totalt and each queue
    for url, figure in links:
        calls = client.get(url.replace("&amp;", "&")).content.decode().replace("\xa0", "")
        count = re.search(r'<p id="call-count" role="status">(\d+) samtal</p>', calls)
        assert count and count.group(1) == figure.replace("\xa0", "")


def test_time_rows_with_chosen_columns(simulated) -> None:
    queues = find_objects(simulated.a, "acd", "all")
    page = (
        logged_in(simulated.alice)
        .get(
            "/avancerade-rapporter/",
            {
                **PERIOD,
                "report": "acd.incoming",
                "m": ["answered"],
                "rows": "time",
                "group": "weekday",
                "o": [q.id for q in queues],
            },
        )
        .content.decode()
    )
    period = Period.parse(
        simulated.a.timezone, PERIOD["from"], PERIOD["to"], PERIOD["time"], "weekday"
    )
    scope = REPORTS["acd.incoming"].scope
    expected = run_report(
        simulated.a,
        "acd.incoming",
        queues,
        period,
        scope=Scope.whole(simulated.a.id),
        columns=[BY_KEY[(scope, "answered")]],
    )
    assert cells(page, "måndag") == [shown(expected.rows[0][1]["answered"])]
    assert cells(page, "Totalt") == [shown(expected.total["answered"])]


def test_nobody_sees_more_than_they_may(simulated) -> None:
    queues = find_objects(simulated.a, "acd", "all")
    params = {
        **PERIOD,
        "report": "acd.incoming",
        "m": ["incoming"],
        "rows": "object",
        "o": [q.id for q in queues],
    }
    bobs = logged_in(simulated.bob).get("/avancerade-rapporter/", params).content.decode()
    assert re.findall(r'<th scope="row">([^<]+)</th>', bobs) == ["Totalt", "Support"]
    charlies = logged_in(simulated.charlie).get("/avancerade-rapporter/", params).content.decode()
    assert '<table class="report">' not in charlies
    simulated.bob.modules = ["reports"]
    simulated.bob.save()
    assert logged_in(simulated.bob).get("/avancerade-rapporter/", params).status_code == 404


def test_the_engine_refuses_a_column_of_another_kind_of_call(simulated) -> None:
    queues = find_objects(simulated.a, "acd", "all")
    period = Period.parse(simulated.a.timezone, PERIOD["from"], PERIOD["to"], None, "day")
    other = next(m for (s, k), m in BY_KEY.items() if s != REPORTS["acd.incoming"].scope)
    with pytest.raises(ValueError, match="another scope"):
        run_report(
            simulated.a,
            "acd.incoming",
            queues,
            period,
            scope=Scope.whole(simulated.a.id),
            columns=[other],
        )


def test_an_advanced_report_is_exported_saved_and_sent_with_its_columns_and_rows(
    simulated, smtp
) -> None:
    import csv
    import io
    from datetime import timedelta
    from urllib.parse import parse_qs, urlparse

    from vaxelstat.exports.models import Export
    from vaxelstat.exports.tasks import folder, run_pending
    from vaxelstat.saved.models import SavedReport
    from vaxelstat.saved.tasks import send_due

    queues = find_objects(simulated.a, "acd", "all")
    client = logged_in(simulated.alice)
    chosen = {
        **PERIOD,
        "report": "acd.incoming",
        "m": ["incoming", "unanswered"],
        "rows": "object",
        "o": [q.id for q in queues],
    }
    page = client.get("/avancerade-rapporter/", chosen).content.decode()
    assert page.count('<input type="hidden" name="rows" value="object">') == 2  # export, save
    period = Period.parse(simulated.a.timezone, PERIOD["from"], PERIOD["to"], PERIOD["time"], "day")
    scope = REPORTS["acd.incoming"].scope
    expected = run_report(
        simulated.a,
        "acd.incoming",
        queues,
        period,
        scope=Scope.whole(simulated.a.id),
        columns=[BY_KEY[(scope, "incoming")], BY_KEY[(scope, "unanswered")]],
        by_object=True,
    )
    want = [["Totalt", "", str(expected.total["incoming"]), str(expected.total["unanswered"])]] + [
        [b.label, "", str(v["incoming"]), str(v["unanswered"])] for b, v in expected.rows
    ]

    def rows_of(text: str) -> list[list[str]]:
        table = list(csv.reader(io.StringIO(text)))
        assert table[0] == ["label", "start", "incoming", "unanswered"]
        return table[1:]

    response = client.post("/exporter/ny/", {**chosen, "format": "csv", "action": "file"})
    assert response.status_code == 302
    run_pending()
    export = Export.objects.get()
    assert rows_of((folder(export) / export.file_name).read_text()) == want

    saved = client.post(
        "/sparade-rapporter/ny/", {**chosen, "name": "Köerna var för sig", "period": "fixed"}
    )
    assert saved.status_code == 302
    kept = SavedReport.objects.get(name="Köerna var för sig")
    assert (kept.measures, kept.by_object) == (["incoming", "unanswered"], True)
    opened = urlparse(client.get(f"/sparade-rapporter/{kept.pk}/")["Location"])
    assert opened.path == "/avancerade-rapporter/"
    query = parse_qs(opened.query)
    assert query["m"] == ["incoming", "unanswered"] and query["rows"] == ["object"]

    edited = client.post(
        f"/sparade-rapporter/{kept.pk}/andra/",
        {
            "name": kept.name,
            "period": "fixed",
            "first": PERIOD["from"],
            "last": PERIOD["to"],
            "window": PERIOD["time"],
            "every": "day",
            "format": "csv",
            "include": ["table"],
            "addresses": "chef@example.se",
        },
    )
    assert edited.status_code == 302
    kept.refresh_from_db()
    assert send_due(kept.next_send + timedelta(minutes=1)) == 1
    run_pending()
    attachment = next(smtp.last_to("chef@example.se").iter_attachments())
    assert rows_of(attachment.get_content()) == want

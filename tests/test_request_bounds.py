"""Bounds on what a user may ask for: periods out of range and reports of more figures than
MAX_CELLS are refused with a message (a 400 on the pages, in the API and for exports) before
any work; every whole-number parameter is range-checked (never a 500); the export worker takes
the organizations in turn."""

import resource
import time

import pytest
from django.test import Client
from test_api import get, key_of

from vaxelstat.exports.content import ExportRequest
from vaxelstat.exports.models import Export
from vaxelstat.exports.tasks import run_pending
from vaxelstat.reports.measures import REPORTS, columns_of
from vaxelstat.reports.period import MAX_CELLS, Period, PeriodError, TooLarge

pytestmark = pytest.mark.django_db

HUGE = "9" * 400


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize(
    ("first", "last", "group"),
    [
        ("0001-01-02", "9999-12-30", "15min"),  # out of range
        ("2026-01-01", "9999-12-31", "day"),  # out of range (a day past it overflows)
        ("1900-01-01", "2100-12-31", "15min"),
        ("1990-01-01", "2100-12-31", "15min"),  # in range, 3.9 million buckets
        ("2016-01-01", "2026-12-31", "hour"),
    ],
)
def test_an_extreme_period_is_refused_on_the_page_in_the_api_and_for_an_export(
    world, first: str, last: str, group: str
) -> None:  # type: ignore[no-untyped-def]
    before = peak_mb()
    started = time.monotonic()
    query = {"report": "acd.incoming", "o": world.support.id, "from": first, "to": last}
    client = logged_in(world.alice)
    for page in ("/basrapporter/", "/avancerade-rapporter/"):
        response = client.get(page, {**query, "group": group})
        assert response.status_code == 400, page
        assert "Perioden ska ligga" in response.content.decode() or (
            "för stor" in response.content.decode()
        )
    api = get(
        key_of(world.alice),
        "/reports/acd.incoming",
        objects="all",
        **{"from": first, "to": last, "group": group},
    )
    assert api.status_code == 400 and api.json()["error"]
    export = client.post("/exporter/ny/", {**query, "group": group, "time": "", "format": "xlsx"})
    assert export.status_code == 400 and not Export.objects.exists()
    # Refused before any work: no time to speak of, and no memory.
    assert time.monotonic() - started < 2
    assert peak_mb() - before < 200


def test_a_report_of_more_than_max_cells_names_the_limit() -> None:
    period = Period.parse("Europe/Stockholm", "2026-01-01", "2026-12-31")
    with pytest.raises(TooLarge, match="200"):
        period.regrouped("15min").check_cells(10)
    period.regrouped("day").check_cells(MAX_CELLS // 365)  # within
    # A year in 30-minute buckets 07:00-17:00 with every column of a standard report (the
    # pages show its table a page at a time).
    Period.parse(
        "Europe/Stockholm", "2026-01-01", "2026-12-31", "07:00-17:00", "30min"
    ).check_cells(len(columns_of(REPORTS["user.incoming"])))


def test_a_period_outside_1990_to_2100_is_refused() -> None:
    for first, last in (("1989-12-31", "1990-01-31"), ("2100-12-01", "2101-01-01")):
        with pytest.raises(PeriodError, match="1990-01-01"):
            Period.parse("UTC", first, last)


def test_a_pdf_of_more_rows_than_it_holds_is_refused_and_the_spreadsheet_is_not(world) -> None:  # type: ignore[no-untyped-def]
    query = {
        "report": "acd.incoming",
        "o": world.support.id,
        "from": "2016-01-01",
        "to": "2025-12-31",
        "group": "day",
        "time": "",
    }
    client = logged_in(world.alice)
    pdf = client.post("/exporter/ny/", {**query, "format": "pdf"})
    assert pdf.status_code == 400 and "PDF" in pdf.content.decode()
    xlsx = client.post("/exporter/ny/", {**query, "format": "xlsx"})
    assert xlsx.status_code == 302


@pytest.mark.parametrize("value", [HUGE, "-1", "²", "1e3", "0x10", " ", "１２"])
def test_no_whole_number_parameter_gives_a_500(world, value: str) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(world.alice)
    base = {"report": "acd.incoming", "from": "2023-11-14", "to": "2023-11-14"}
    pages = [
        ("/basrapporter/", {**base, "o": value}),
        ("/basrapporter/samtal/", {**base, "o": world.support.id, "page": value}),
        ("/basrapporter/samtal/", {**base, "o": world.support.id, "bucket": value}),
        ("/basrapporter/samtal/", {**base, "o": world.support.id, "wait_min": value}),
        ("/basrapporter/bemanning/", {**base, "o": world.support.id, "level": value}),
        ("/vaggskarm/", {"o": value}),
    ]
    for path, params in pages:
        response = client.get(path, params)
        assert response.status_code < 500, (path, params)
    key = key_of(world.alice)
    for name in ("offset", "limit"):
        api = get(
            key,
            "/reports/acd.incoming/calls",
            objects="all",
            **{"from": "2023-11-14", "to": "2023-11-14", name: value},
        )
        if value.strip():
            assert api.status_code == 400 and name in api.json()["error"], (name, value)
        else:  # blank: the default
            assert api.status_code == 200
    exported = client.post(
        "/exporter/ny/",
        {**base, "o": value, "group": "day", "time": "", "bucket": value, "format": "csv"},
    )
    assert exported.status_code < 500


def test_the_export_worker_takes_the_organizations_in_turn(world) -> None:  # type: ignore[no-untyped-def]
    def queue(user, n: int) -> list[Export]:  # type: ignore[no-untyped-def]
        wanted = ExportRequest("acd.incoming", "2023-11-14", "2023-11-14", "", "day", [], ["table"])
        return [
            Export.objects.create(
                owner=user,
                organization=user.organization,
                format="csv",
                request=wanted.as_json(),
            )
            for _ in range(n)
        ]

    many = queue(world.alice, 4)
    one = queue(world.charlie, 1)[0]
    assert run_pending() == 5
    order = sorted(Export.objects.all(), key=lambda e: e.started)
    assert order.index(Export.objects.get(pk=one.pk)) == 1, [e.organization_id for e in order]
    assert all(e.status == Export.Status.DONE for e in order)
    assert order[0].pk == many[0].pk


# Values no form writes, for every parameter of every page that reads one.
NONSENSE = [HUGE, "-1", "²", "\x00", "'", "<script>", "2026-13-45", "00:00-99:99", "", "a" * 5000]
# Dates a date type holds that no period may: the first and last days there are.
NONSENSE += ["0001-01-01", "9999-12-31"]
PARAMETERS = {
    "/basrapporter/": ["report", "from", "to", "time", "group", "o"],
    "/avancerade-rapporter/": ["report", "from", "to", "time", "group", "o", "m", "rows"],
    "/basrapporter/samtal/": [
        *("report", "from", "to", "time", "group", "o", "bucket", "measure", "type", "page"),
        *("wait_min", "wait_max", "talk_min", "talk_max", "order", "f_from_number"),
    ],
    "/basrapporter/bemanning/": ["report", "from", "to", "o", "level"],
    "/vaggskarm/": ["o"],
    "/sok/": ["q"],
    "/operator/imports/": ["run"],
    "/logs/": ["page", "from", "to", "email", "result"],
}
API = ["objects", "from", "to", "time", "group", "type", "measure", "bucket", "order"]
EXPORT = ["report", "from", "to", "time", "group", "o", "format", "include", "bucket", "m"]


@pytest.mark.slow
def test_no_parameter_of_any_page_the_api_or_an_export_gives_a_500(world) -> None:  # type: ignore[no-untyped-def]
    world.alice.is_superuser = True
    world.alice.save()
    client = Client(raise_request_exception=False)
    client.force_login(world.alice)
    base = {"report": "acd.incoming", "from": "2023-11-14", "to": "2023-11-14"}
    base["o"] = str(world.support.id)
    failed = []
    for path, names in PARAMETERS.items():
        for name in names:
            for value in NONSENSE:
                if client.get(path, {**base, name: value}).status_code >= 500:
                    failed.append((path, name, value[:20]))
    key = key_of(world.alice)
    for name in API:
        for value in NONSENSE:
            for path in ("/reports/acd.incoming", "/reports/acd.incoming/calls"):
                asked = {"objects": "all", "from": "2023-11-14", "to": "2023-11-14"}
                if get(key, path, **{**asked, name: value}).status_code >= 500:
                    failed.append((path, name, value[:20]))
    for name in EXPORT:
        for value in NONSENSE:
            form = {**base, "group": "day", "time": "", "format": "csv", name: value}
            if client.post("/exporter/ny/", form).status_code >= 500:
                failed.append(("/exporter/ny/", name, value[:20]))
    assert not failed

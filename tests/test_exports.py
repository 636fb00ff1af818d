"""Exports read back: every figure of the xlsx, PDF and CSV equals the report's JSON; e-mail
reaches a real SMTP server; nobody gets what they may not see."""

import codecs
import io
import shutil
import subprocess
from datetime import datetime, timedelta
from datetime import time as dt_time
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from openpyxl.utils import get_column_letter

from vaxelstat.calls.scope import Scope
from vaxelstat.exports.models import Export
from vaxelstat.exports.render import SHOWN_COLUMNS, definition
from vaxelstat.exports.tasks import folder, run_pending
from vaxelstat.reports.engine import find_objects, run_report
from vaxelstat.reports.measures import REPORTS, columns_of
from vaxelstat.reports.period import Period
from vaxelstat.reports.render import as_csv, as_dict

# The columns of the call list in the xlsx and the PDF, by heading.
COLUMN = {heading: i for i, (_, heading) in enumerate(SHOWN_COLUMNS)}
PERIOD = {"from": "2026-11-09", "to": "2026-11-20", "time": "08:00-17:00", "group": "day"}


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def ask(client: Client, **fields) -> Export:  # type: ignore[no-untyped-def]
    response = client.post("/exporter/ny/", {**PERIOD, **fields})
    assert response.status_code == 302, response.content.decode()[:500]
    run_pending()
    export = Export.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    assert export.status == Export.Status.DONE, export.error
    return export


def fetched(client: Client, export: Export) -> bytes:
    response = client.get(f"/exporter/{export.pk}/fil/")
    assert response.status_code == 200
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def expected(simulated, key: str, objects):  # type: ignore[no-untyped-def]
    period = Period.parse(simulated.a.timezone, PERIOD["from"], PERIOD["to"], PERIOD["time"], "day")
    return as_dict(run_report(simulated.a, key, objects, period, scope=Scope.whole(simulated.a.id)))


def calls_of(simulated, queues, **filters: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    """The calls of Alice's xlsx of the specification (the calls alone: the file opens on
    them)."""
    export = ask(
        logged_in(simulated.alice),
        report="acd.incoming",
        o=[q.id for q in queues],
        format="xlsx",
        include="calls",
        **filters,
    )
    book = openpyxl.load_workbook(io.BytesIO(fetched(logged_in(simulated.alice), export)))
    assert book.sheetnames == ["Samtal"] and book.active.title == "Samtal"
    return list(book["Samtal"].iter_rows(min_row=2, values_only=True))


def test_the_xlsx_holds_every_figure_the_definitions_and_a_chart(simulated) -> None:
    for key in ("acd.incoming", "user.incoming", "ivr.handled"):
        _xlsx_holds_every_figure(simulated, key)


def _xlsx_holds_every_figure(simulated, key: str) -> None:  # type: ignore[no-untyped-def]
    report = REPORTS[key]
    objects = find_objects(simulated.a, report.kind, "all")
    export = ask(
        logged_in(simulated.alice),
        report=key,
        o=[o.id for o in objects],
        format="xlsx",
        include=["table", "chart", "info"],
    )
    book = openpyxl.load_workbook(io.BytesIO(fetched(logged_in(simulated.alice), export)))
    sheet = book["Rapport"]
    want = expected(simulated, key, objects)
    columns = want["columns"]
    header = [c.value for c in sheet[1]][: len(columns) + 1]
    assert header == ["Period", *(c["label"] for c in columns)]
    for i, column in enumerate(columns, start=2):
        comment = sheet.cell(1, i).comment
        assert comment is not None and comment.text == definition_of(report, column["key"])
    rows = [[c.value for c in row][: len(columns) + 1] for row in sheet.iter_rows(min_row=2)]
    # The Excel table holds the rows; Totalt is below it (a sort of the table leaves it be).
    (table,) = sheet.tables.values()
    assert table.ref == f"A1:{get_column_letter(len(columns) + 1)}{len(want['rows']) + 1}"
    assert rows[-1][0] == "Totalt"
    figures = [*want["rows"], want["total"]]
    assert len(rows) == len(figures)
    for row, values in zip(rows, figures, strict=True):
        for column, cell in zip(columns, row[1:], strict=True):
            value = values[column["key"]]
            if value is None:
                assert cell is None
            elif column["unit"] == "seconds":
                assert seconds(cell) == pytest.approx(value, abs=1e-3)
            elif column["unit"] == "percent":
                assert cell * 100 == pytest.approx(value)
            else:
                assert cell == value
    # A row's label is a date, as Excel keeps dates.
    assert rows[0][0].date().isoformat() == want["rows"][0]["label"]
    # The heading stays in view; printed landscape, one page wide, the heading on each page.
    assert sheet.freeze_panes == "B2"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage  # (one page wide: Excel's default)
    assert sheet.print_title_rows == "$1:$1"
    charts = sheet._charts
    assert len(charts) == 1
    assert len(charts[0].series) == sum(1 for c in columns if c["unit"] == "count")
    info = dict(book["Information"].iter_rows(values_only=True))
    assert info["Rapport"] == REPORTS[key].name_sv and info["Tid på dygnet"] == "08:00-17:00"
    assert info["Gruppering"] == "Dag"


def seconds(cell) -> float:  # type: ignore[no-untyped-def]
    """An Excel duration as openpyxl reads it (a timedelta, or a fraction of a day)."""
    if isinstance(cell, timedelta):
        return cell.total_seconds()
    if isinstance(cell, dt_time):
        return cell.hour * 3600 + cell.minute * 60 + cell.second + cell.microsecond / 1e6
    return float(cell) * 86400


def definition_of(report, key: str) -> str:  # type: ignore[no-untyped-def]
    from vaxelstat.reports.measures import BY_KEY

    return definition(BY_KEY[(report.scope, key)])


@pytest.mark.skipif(
    not shutil.which("pdftotext"), reason="pdftotext is missing (apt-get install poppler-utils)"
)
def test_the_pdf_prints_every_figure_on_numbered_pages(simulated, tmp_path: Path) -> None:
    queues = find_objects(simulated.a, "acd", "all")
    export = ask(
        logged_in(simulated.alice),
        report="acd.waits",
        o=[q.id for q in queues],
        format="pdf",
        include=["table", "chart", "info", "calls"],
    )
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(fetched(logged_in(simulated.alice), export))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    want = expected(simulated, "acd.waits", queues)
    assert "Kötid ej besvarade" in text and "sida 1 av" in text
    lines = {" ".join(line.split()) for line in text.splitlines()}

    def shown(column, value) -> str:  # type: ignore[no-untyped-def]
        if value is None:
            return ""
        if column["unit"] == "seconds":
            whole = round(value)
            return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
        return f"{value:,}".replace(",", " ")

    for values, label in [(want["total"], "Totalt"), *((r, r["label"]) for r in want["rows"])]:
        figures = [shown(c, values[c["key"]]) for c in want["columns"]]
        assert " ".join([label, *(f for f in figures if f)]) in lines, label
    # The calls are too many for a PDF: it says where they are.
    assert "den finns i Excel-exporten" in text


@pytest.mark.skipif(
    not shutil.which("pdftotext"), reason="pdftotext is missing (apt-get install poppler-utils)"
)
def test_the_call_lists_columns_in_the_pdf_do_not_overlap(simulated, tmp_path: Path) -> None:
    """Each column as wide as its content: every heading's words and every call's time and
    numbers come out of the PDF whole (a fixed width cut or overprinted them)."""
    queues = find_objects(simulated.a, "acd", "all")
    filters = {"measure": "unanswered", "bucket": "3"}
    export = ask(
        logged_in(simulated.alice),
        report="acd.incoming",
        o=[q.id for q in queues],
        format="pdf",
        include=["calls"],
        **filters,
    )
    pdf = tmp_path / "calls.pdf"
    pdf.write_bytes(fetched(logged_in(simulated.alice), export))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    words = text.split()
    for _, heading in SHOWN_COLUMNS:
        for word in heading.split():
            assert word in words, (heading, text[:2000])
    calls = calls_of(simulated, queues, **filters)
    assert 0 < len(calls) <= 1000
    for call in calls:
        assert call[1].strftime("%Y-%m-%d %H:%M:%S") in text, call
        for shown in (call[COLUMN["Från"]], call[COLUMN["Mätobjekt"]]):
            assert shown and all(word in words for word in shown.split()), (shown, call)


def test_csv_is_the_reports_csv(simulated) -> None:
    queues = find_objects(simulated.a, "acd", "all")
    export = ask(
        logged_in(simulated.alice), report="acd.incoming", o=[q.id for q in queues], format="csv"
    )
    period = Period.parse(simulated.a.timezone, PERIOD["from"], PERIOD["to"], PERIOD["time"], "day")
    result = run_report(
        simulated.a, "acd.incoming", queues, period, scope=Scope.whole(simulated.a.id)
    )
    assert fetched(logged_in(simulated.alice), export).decode() == as_csv(result)


def test_the_specification_exports_exactly_a_figures_calls(simulated) -> None:
    queues = find_objects(simulated.a, "acd", "all")
    want = expected(simulated, "acd.incoming", queues)

    def calls(**filters: str) -> list[tuple]:
        return calls_of(simulated, queues, measure="answered", bucket="3", **filters)

    assert len(calls()) == want["rows"][3]["answered"]
    waited = calls(wait_min="5")
    assert 0 < len(waited) < want["rows"][3]["answered"]
    assert all(
        c[0] == "Besvarat av medlem" and seconds(c[COLUMN["Kötid"]]) >= 5 - 1e-3 for c in waited
    )


def test_an_e_mailed_export_reaches_every_address_with_the_file_intact(simulated, smtp) -> None:
    queues = find_objects(simulated.a, "acd", "all")
    export = ask(
        logged_in(simulated.alice),
        report="acd.incoming",
        o=[q.id for q in queues],
        format="xlsx",
        action="email",
        addresses="chef@example.se, team@example.net",
    )
    stored = (folder(export) / export.file_name).read_bytes()
    for address in ("chef@example.se", "team@example.net"):
        message = smtp.last_to(address)
        attachment = next(message.iter_attachments())
        assert attachment.get_filename() == export.file_name
        assert attachment.get_content() == stored
    assert len(smtp.messages) == 2


def test_a_bad_address_is_refused_before_anything_is_sent(simulated, smtp) -> None:
    queues = find_objects(simulated.a, "acd", "all")
    response = logged_in(simulated.alice).post(
        "/exporter/ny/",
        {
            **PERIOD,
            "report": "acd.incoming",
            "o": [q.id for q in queues],
            "format": "pdf",
            "action": "email",
            "addresses": "chef@example.se, inte-en-adress",
        },
    )
    assert response.status_code == 400
    assert "Ogiltig e-postadress: inte-en-adress" in response.content.decode()
    assert Export.objects.count() == 0
    run_pending()
    assert smtp.messages == []


def test_nobody_gets_an_export_of_what_they_may_not_see(simulated) -> None:
    queues = find_objects(simulated.a, "acd", "all")
    bob = logged_in(simulated.bob)
    export = ask(bob, report="acd.incoming", o=[q.id for q in queues], format="csv")
    only_his = expected(simulated, "acd.incoming", [simulated.support])
    body = fetched(bob, export).decode()
    assert body.splitlines()[1].split(",")[2] == str(only_his["total"]["incoming"])
    everything = expected(simulated, "acd.incoming", queues)
    assert everything["total"]["incoming"] > only_his["total"]["incoming"]
    # Alice's export is hers: Bob and Charlie get 404, for the page and the file.
    hers = ask(
        logged_in(simulated.alice), report="acd.incoming", o=[q.id for q in queues], format="csv"
    )
    for user in (simulated.bob, simulated.charlie):
        assert logged_in(user).get(f"/exporter/{hers.pk}/").status_code == 404
        assert logged_in(user).get(f"/exporter/{hers.pk}/fil/").status_code == 404
    # Charlie asking for A's objects gets a report of nothing of theirs.
    theirs = ask(
        logged_in(simulated.charlie), report="acd.incoming", o=[q.id for q in queues], format="csv"
    )
    assert (
        fetched(logged_in(simulated.charlie), theirs).decode().splitlines()[1].split(",")[2] == "0"
    )


def test_an_export_a_dead_process_left_runs_again_and_old_files_go(simulated) -> None:
    queues = find_objects(simulated.a, "acd", "all")
    client = logged_in(simulated.alice)
    client.post(
        "/exporter/ny/",
        {**PERIOD, "report": "acd.incoming", "o": [q.id for q in queues], "format": "csv"},
    )
    export = Export.objects.get()
    Export.objects.update(
        status=Export.Status.RUNNING, started=timezone.now() - timedelta(minutes=20)
    )
    assert run_pending() == 1
    export.refresh_from_db()
    assert export.status == Export.Status.DONE and export.progress == 100
    from vaxelstat.exports.tasks import remove_expired

    Export.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert remove_expired() == 1 and not folder(export).exists()
    assert client.get(f"/exporter/{export.pk}/fil/").status_code == 404


def test_the_command_line_writes_the_same_xlsx_as_the_page(simulated, tmp_path: Path) -> None:
    queues = find_objects(simulated.a, "acd", "all")
    page = ask(
        logged_in(simulated.alice),
        report="acd.incoming",
        o=[q.id for q in queues],
        format="xlsx",
        include=["table", "chart", "info"],
    )
    out = tmp_path / "cli.xlsx"
    call_command(
        "report",
        "--org", "a", "--report", "acd.incoming", "--objects", "all",
        "--from", PERIOD["from"], "--to", PERIOD["to"], "--time", PERIOD["time"],
        "--group", "day", "--format", "xlsx", "--out", str(out),
    )  # fmt: skip
    from_page = openpyxl.load_workbook(io.BytesIO(fetched(logged_in(simulated.alice), page)))
    from_cli = openpyxl.load_workbook(out)
    values = lambda book: list(book["Rapport"].iter_rows(values_only=True))  # noqa: E731
    assert values(from_cli) == values(from_page)


def test_the_status_page_shows_progress_then_the_file(simulated) -> None:
    queues = find_objects(simulated.a, "acd", "all")
    client = logged_in(simulated.alice)
    response = client.post(
        "/exporter/ny/",
        {**PERIOD, "report": "acd.incoming", "o": [q.id for q in queues], "format": "pdf"},
    )
    url = response["Location"]
    queued = client.get(url, headers={"Accept": "application/json"}).json()
    assert queued == {"status": "queued", "label": "I kö", "progress": 0, "file": ""}
    assert "Sidan uppdateras när exporten är klar" in client.get(url).content.decode()
    run_pending()
    done = client.get(url, headers={"Accept": "application/json"}).json()
    assert done["status"] == "done" and done["progress"] == 100
    # Named as the report is, with its period.
    name = "Inkommande – Besvarade – Ej besvarade – (M) Svarstid 2026-11-09–2026-11-20.pdf"
    assert done["file"] == name
    assert f'href="{url}fil/"' in client.get(url).content.decode()


def test_the_refusal_links_back_only_to_a_page_of_this_site(simulated) -> None:
    client = logged_in(simulated.alice)
    fields = {
        **PERIOD,
        "report": "acd.incoming",
        "format": "csv",
        "action": "email",
        "addresses": "x",
    }
    own = client.post("/exporter/ny/", {**fields, "back": "/basrapporter/?report=acd.incoming"})
    assert 'href="/basrapporter/?report=acd.incoming"' in own.content.decode()
    for bad in ("javascript:alert(1)", "https://evil.example/", "//evil.example/"):
        page = client.post("/exporter/ny/", {**fields, "back": bad}).content.decode()
        assert "evil" not in page and "javascript" not in page


def opened_in_swedish_libreoffice(data: bytes, folder: Path) -> list[tuple]:
    """The rows LibreOffice reads of a CSV with its Swedish filter (semicolons, UTF-8, Swedish
    numbers and times), saved as xlsx and read back."""
    source = folder / "file.csv"
    source.write_bytes(data)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{folder}/profile",
            "--headless",
            "--norestore",
            "--infilter=CSV:59,34,76,1,,1053",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(folder),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    book = openpyxl.load_workbook(folder / "file.xlsx")
    return list(book.active.iter_rows(values_only=True))


def seconds_of(value) -> float:  # type: ignore[no-untyped-def]
    """A time LibreOffice read (a time of day, or past a day a date and time) in seconds."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, datetime):
        return (value - datetime(1899, 12, 30)).total_seconds()
    return value.hour * 3600 + value.minute * 60 + value.second


@pytest.mark.slow  # LibreOffice starts for each file
@pytest.mark.skipif(
    not shutil.which("soffice"),
    reason="LibreOffice is missing (apt-get install libreoffice-calc-nogui)",
)
def test_csv_for_excel_opens_in_swedish_libreoffice_into_its_columns(
    simulated, tmp_path: Path
) -> None:
    queues = find_objects(simulated.a, "acd", "all")
    alice = logged_in(simulated.alice)
    want = expected(simulated, "acd.incoming", queues)
    table = fetched(
        alice, ask(alice, report="acd.incoming", o=[q.id for q in queues], format="excel-csv")
    )
    assert table.startswith(codecs.BOM_UTF8)
    (tmp_path / "table").mkdir()
    rows = opened_in_swedish_libreoffice(table, tmp_path / "table")
    headings = [c["label"] for c in want["columns"]]
    assert rows[0] == ("Period", *headings)
    assert any(letter in "".join(headings) for letter in "åäö")
    # (The days are read as dates: Excel's own.)
    days = [r[0].strftime("%Y-%m-%d") if isinstance(r[0], datetime) else r[0] for r in rows[1:]]
    assert days == ["Totalt", *(r["label"] for r in want["rows"])]
    for row, figures in zip(rows[1:], [want["total"], *want["rows"]], strict=True):
        for column, value in zip(want["columns"], row[1:], strict=True):
            figure = figures[column["key"]]
            if figure is None:
                assert value is None, (column, row)
            elif column["unit"] == "seconds":
                assert seconds_of(value) == pytest.approx(round(figure), abs=0.5), (column, row)
            else:  # a number, with its decimal comma read as one
                assert value == pytest.approx(round(figure, 1), abs=0.05), (column, row)

    calls = fetched(
        alice,
        ask(
            alice,
            report="acd.incoming",
            o=[q.id for q in queues],
            format="excel-csv",
            include="calls",
            measure="unanswered",
            bucket="3",
        ),
    )
    (tmp_path / "calls").mkdir()
    rows = opened_in_swedish_libreoffice(calls, tmp_path / "calls")
    assert rows[0] == tuple(heading for _, heading in SHOWN_COLUMNS)
    assert len(rows) - 1 == want["rows"][3]["unanswered"] > 0
    unanswered = {"Ej besvarat - Avslutat i kö", "Ej besvarat - Ingen ledig", "Vidarekopplat"}
    for row in rows[1:]:
        assert len(row) == len(SHOWN_COLUMNS) and row[COLUMN["Typ"]] in unanswered, row
        assert str(row[COLUMN["Mätobjekt"]]).startswith(("400", "401")), row


def test_the_commands_write_csv_for_excel(simulated, capsys, tmp_path: Path) -> None:
    """`report --format excel-csv --out` writes the page's file; `calls --format excel-csv`
    prints the calls as the page shows them."""
    asked = ["--org", simulated.a.slug, "--report", "acd.incoming", "--objects", "400,401"]
    asked += ["--from", PERIOD["from"], "--to", PERIOD["to"], "--time", PERIOD["time"]]
    out = tmp_path / "rapport.csv"
    call_command("report", *asked, "--format", "excel-csv", "--out", str(out))
    text = out.read_bytes()
    assert text.startswith(codecs.BOM_UTF8)
    lines = text.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Period;") and lines[1].startswith("Totalt;")
    call_command("calls", *asked, "--format", "excel-csv", "--limit", "5")
    lines = capsys.readouterr().out.removeprefix("\ufeff").splitlines()
    assert lines[0] == ";".join(heading for _, heading in SHOWN_COLUMNS)
    assert len(lines) == 6 and all(line.count(";") >= len(SHOWN_COLUMNS) - 1 for line in lines)


@pytest.mark.parametrize(
    ("language", "fmt", "title", "include", "name"),
    [
        ("sv", "xlsx", "", ["table"], "Inkommande – Interna – Externa 2026-11-09–2026-11-20.xlsx"),
        ("en", "pdf", "", ["table"], "Incoming – Internal – External 2026-11-09–2026-11-20.pdf"),
        (
            "sv",
            "excel-csv",
            "",
            ["calls"],
            "Samtal – Inkommande – Interna – Externa 2026-11-09–2026-11-20.csv",
        ),
        (
            "en",
            "csv",
            "",
            ["calls"],
            "Calls – Incoming – Internal – External 2026-11-09–2026-11-20.csv",
        ),
        # A saved report's name, made safe: no folders, no character a system refuses.
        (
            "sv",
            "pdf",
            "../../etc/Växel: vecka?",
            ["table"],
            "etc-Växel- vecka- 2026-11-09–2026-11-20.pdf",
        ),
        ("sv", "pdf", "x" * 300, ["table"], "x" * 128 + " 2026-11-09–2026-11-20.pdf"),
    ],
)
def test_a_files_name_is_its_reports_name_and_period(language, fmt, title, include, name) -> None:  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    from vaxelstat.exports.content import ExportRequest
    from vaxelstat.exports.tasks import file_name

    export = SimpleNamespace(owner=SimpleNamespace(language=language), format=fmt)
    request = ExportRequest(
        "user.internal_external", "2026-11-09", "2026-11-20", "", "day", [], include, title=title
    )
    assert file_name(export, request) == name  # type: ignore[arg-type]


def test_an_english_readers_export_is_in_english(simulated) -> None:
    simulated.alice.language = "en"
    simulated.alice.save()
    queues = find_objects(simulated.a, "acd", "all")
    alice = logged_in(simulated.alice)
    export = ask(
        alice,
        report="acd.incoming",
        o=[q.id for q in queues],
        format="xlsx",
        include=["table", "info", "calls"],
        measure="unanswered",
        bucket="3",
    )
    assert export.file_name.startswith("Incoming – Answered – Unanswered")
    book = openpyxl.load_workbook(io.BytesIO(fetched(alice, export)))
    assert book.sheetnames == ["Report", "Information", "Calls"]
    report = book["Report"]
    want = expected(simulated, "acd.incoming", queues)
    headings = [c.value for c in report[1]][: len(want["columns"]) + 1]
    english = {m.key: m.label_en for m in columns_of(REPORTS["acd.incoming"])}
    assert headings == ["Period", *(english[c["key"]] for c in want["columns"])]
    assert "Total" in [c.value for c in report["A"]]
    info = dict(book["Information"].iter_rows(values_only=True))
    assert info["Report"] == "Incoming – Answered – Unanswered – (M) Answer time"
    calls = list(book["Calls"].iter_rows(values_only=True))
    assert calls[0][:3] == ("Type", "Time", "From")
    unanswered = {"Unanswered - Hung up in queue", "Unanswered - Nobody free", "Forwarded"}
    assert len(calls) > 1 and {row[0] for row in calls[1:]} <= unanswered
    # The weekdays by their English names (the plain CSV keeps the keys it always had).
    weekdays = ask(
        alice, report="acd.incoming", o=[q.id for q in queues], format="excel-csv", group="weekday"
    )
    lines = fetched(alice, weekdays).decode("utf-8-sig").splitlines()
    assert [line.split(";")[0] for line in lines[2:4]] == ["Monday", "Tuesday"]

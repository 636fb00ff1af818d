"""Export files: Excel with an Excel table and a native chart, PDF for print, CSV. They lay out
what exports.content gathered and compute no figure."""

import csv
import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from django.utils.translation import gettext, gettext_noop
from fpdf import FPDF, FontFace

from vaxelstat.exports.content import PDF_CALLS, Content
from vaxelstat.reports.measures import Measure, english
from vaxelstat.reports.measures import described as definition
from vaxelstat.reports.period import GROUP_NAMES
from vaxelstat.reports.render import clock, csv_row

FONTS = Path(__file__).parent / "fonts"
# How Excel shows a day and a moment.
EXCEL_DAY = "yyyy-mm-dd"
EXCEL_MOMENT = "yyyy-mm-dd hh:mm"
# A PDF table's columns are as wide as the widest of their first TABLE_SAMPLE rows asks, up to
# WIDEST_COLUMN_MM each (a longer text wraps).
TABLE_SAMPLE = 300
WIDEST_COLUMN_MM = 60.0
# The specification's columns: (key of a call, Swedish heading).
CALL_COLUMNS = [
    ("type_label", "Typ"),
    ("start", "Tidpunkt"),
    ("from_number", "Från"),
    ("from_name", "Från (namn)"),
    ("forwarded_from", "Vidarekopplat från"),
    ("group_from", "Gruppsamtal från"),
    ("object_number", "Mätobjekt"),
    ("object_name", "Mätobjekt (namn)"),
    ("member_number", "Besvarat av medlem"),
    ("to_number", "Till"),
    ("wait_s", "Kötid"),
    ("talk_s", "Samtalslängd"),
    ("forwarded_to", "Vidarekopplat till"),
    ("note", "Övrigt"),
]
# The specification as the page shows it (specification.shown), for the files people read:
# (key of the shown texts, or of the call for the type and start; Swedish heading).
SHOWN_COLUMNS = [
    ("type_label", gettext_noop("Typ")),
    ("start", gettext_noop("Tidpunkt")),
    ("from", gettext_noop("Från")),
    ("forwarded_from", gettext_noop("Vidarekopplat från")),
    ("group_from", gettext_noop("Gruppsamtal från")),
    ("object", gettext_noop("Mätobjekt")),
    ("member", gettext_noop("Besvarat av medlem")),
    ("to", gettext_noop("Till")),
    ("wait", gettext_noop("Kötid")),
    ("talk", gettext_noop("Samtalslängd")),
    ("forwarded_to", gettext_noop("Vidarekopplat till")),
    ("note", gettext_noop("Övrigt")),
]
# The shown durations, and the seconds they show.
DURATIONS = {"wait": "wait_s", "talk": "talk_s"}


def _call_text(call: dict[str, Any], key: str) -> str:
    if key == "type_label":
        return gettext(call[key])
    return str(call[key]) if key == "start" else call["shown"][key]


def shown_headings() -> list[str]:
    """The call list's headings in the active language."""
    return [gettext(title) for _, title in SHOWN_COLUMNS]


def info_rows(content: Content) -> list[tuple[str, str]]:
    result = content.result
    period = result.period
    return [
        (gettext("Rapport"), result.report.name),
        (gettext("Organisation"), content.org.name),
        (gettext("Underlag"), gettext("Alla loggar för valda mätobjekt")),
        (
            gettext("Period"),
            f"{period.first.isoformat()} – {period.last.isoformat()} ({period.timezone})",
        ),
        (gettext("Tid på dygnet"), period.window),
        (gettext("Gruppering"), gettext(GROUP_NAMES[period.group])),
        (
            gettext("Mätobjekt"),
            ", ".join(
                f"{o.display_name} ({o.number})" if o.display_name else o.number
                for o in result.objects
            ),
        ),
        (gettext("Skapad"), content.made.astimezone(period.tz).strftime("%Y-%m-%d %H:%M:%S")),
        (
            gettext("Senaste import"),
            content.last_import.astimezone(period.tz).strftime("%Y-%m-%d %H:%M:%S")
            if content.last_import
            else "–",
        ),
    ]


def _bucket_value(start: str | None, label: str) -> Any:
    """A row's label as Excel should hold it: a date or a date and time where it is one."""
    if start is None or label.count(":") > 1:
        # A profile, or an hour the autumn repeats (its label carries its offset): text.
        return label
    moment = datetime.fromisoformat(start).replace(tzinfo=None)
    return moment.date() if len(label) == 10 and label[4] == "-" else moment


def xlsx(content: Content, path: Path) -> None:
    book = xlsxwriter.Workbook(str(path), {"remove_timezone": True})
    bold = book.add_format({"bold": True})
    formats = {
        "seconds": book.add_format({"num_format": "[h]:mm:ss"}),
        "percent": book.add_format({"num_format": "0.0%"}),
        "count": book.add_format({"num_format": "0"}),
    }
    moment = book.add_format({"num_format": EXCEL_MOMENT})
    # The first sheet is the one the file opens on: the report, or the calls asked for alone.
    if "table" in content.include or "chart" in content.include:
        _report_sheet(book, content, formats, bold)
    if "info" in content.include:
        info = book.add_worksheet(gettext("Information"))
        for r, (key, value) in enumerate(info_rows(content)):
            info.write_string(r, 0, key, bold)
            info.write_string(r, 1, value)
        info.set_column(0, 0, 18)
        info.set_column(1, 1, 80)
    if content.calls is not None:
        calls = book.add_worksheet(gettext("Samtal"))
        duration = formats["seconds"]
        headers = [{"header": title} for title in shown_headings()]
        calls.add_table(
            0,
            0,
            max(len(content.calls), 1),
            len(SHOWN_COLUMNS) - 1,
            {"columns": headers, "name": "Samtal"},
        )
        for r, call in enumerate(content.calls, start=1):
            for c, (key, _) in enumerate(SHOWN_COLUMNS):
                value = _call_text(call, key)
                if key == "start" and len(value) > 19:
                    calls.write_string(r, c, value)  # in the repeated hour: with its offset
                elif key == "start":
                    calls.write_datetime(r, c, datetime.fromisoformat(value), moment)
                elif key in DURATIONS and value:
                    calls.write_number(r, c, call[DURATIONS[key]] / 86400, duration)
                elif value:
                    calls.write_string(r, c, value)
        calls.set_column(0, len(SHOWN_COLUMNS) - 1, 16)
        _print_setup(calls)
    book.close()


def _print_setup(sheet: Any) -> None:
    """The heading row stays in view and is printed on every page; landscape, one page wide."""
    sheet.freeze_panes(1, 1)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)


def _report_sheet(book: Any, content: Content, formats: dict[str, Any], bold: Any) -> None:
    """The sheet Rapport: an Excel table of the rows (sortable and filterable), Totalt in bold
    below it (not among the rows a sort moves), a definition on each heading, the chart."""
    result = content.result
    columns = result.columns
    day = book.add_format({"num_format": EXCEL_DAY})
    moment = book.add_format({"num_format": EXCEL_MOMENT})
    bold_formats = {
        unit: book.add_format({"bold": True, "num_format": f.num_format})
        for unit, f in formats.items()
    }

    def cell(measure: Measure, value: Any) -> Any:
        if value is None:
            return None
        if measure.unit == "seconds":
            return value / 86400  # an Excel duration is a fraction of a day
        if measure.unit == "percent":
            return value / 100
        return value

    def figures(r: int, values: list[Any], shown: dict[str, Any]) -> None:
        for c, (measure, value) in enumerate(zip(columns, values, strict=True), start=1):
            if value is None:
                sheet.write_blank(r, c, None, shown[measure.unit])
            else:
                sheet.write_number(r, c, value, shown[measure.unit])

    name = gettext("Rapport")
    sheet = book.add_worksheet(name)
    rows = [
        [
            _bucket_value(bucket.start, result.period.shown_label(bucket.label)),
            *(cell(m, values[m.key]) for m in columns),
        ]
        for bucket, values in result.rows
    ]
    headers = [{"header": gettext("Period")}] + [
        {"header": m.label, "format": formats[m.unit]} for m in columns
    ]
    sheet.add_table(
        0,
        0,
        max(len(rows), 1),
        len(columns),
        {"columns": headers, "name": "Rapport", "style": "Table Style Medium 2"},
    )
    for r, row in enumerate(rows, start=1):
        label = row[0]
        if isinstance(label, datetime):
            sheet.write_datetime(r, 0, label, moment)
        elif isinstance(label, date):
            sheet.write_datetime(r, 0, datetime.combine(label, datetime.min.time()), day)
        else:
            sheet.write_string(r, 0, str(label))
        figures(r, row[1:], formats)
    total = max(len(rows), 1) + 1
    sheet.write_string(total, 0, gettext("Totalt"), bold)
    figures(total, [cell(m, result.total[m.key]) for m in columns], bold_formats)
    for c, measure in enumerate(columns, start=1):
        sheet.write_comment(0, c, definition(measure, english()), {"x_scale": 2, "y_scale": 1.5})
    sheet.set_column(0, 0, 18)
    sheet.set_column(1, len(columns), 16)
    _print_setup(sheet)
    if "chart" in content.include and result.rows:
        chart = book.add_chart({"type": "column"})
        for c, measure in enumerate(columns, start=1):
            if measure.agg != "count":
                continue
            chart.add_series(
                {
                    "name": [name, 0, c],
                    "categories": [name, 1, 0, len(rows), 0],
                    "values": [name, 1, c, len(rows), c],
                }
            )
        chart.set_title({"name": result.report.name})
        # The axis shows the rows' dates as dates (LibreOffice showed their serial numbers).
        first = rows[0][0]
        if isinstance(first, date):  # (a datetime is a date too)
            shown = EXCEL_MOMENT if isinstance(first, datetime) else EXCEL_DAY
            chart.set_x_axis({"num_format": shown, "num_font": {"rotation": -45}})
        chart.set_size({"width": 900, "height": 420})
        sheet.insert_chart(1, len(columns) + 2, chart)


def csv_text(content: Content) -> str:
    """The table (or, asked for alone, the calls) as CSV, with keys as headings."""
    out = io.StringIO()
    writer = csv.writer(out)
    result = content.result
    if content.calls is not None and "table" not in content.include:
        writer.writerow([key for key, _ in CALL_COLUMNS])
        for call in content.calls:
            writer.writerow(csv_row([call[key] for key, _ in CALL_COLUMNS]))
        return out.getvalue()
    keys = [m.key for m in result.columns]
    writer.writerow(["label", "start", *keys])
    writer.writerow(["Totalt", "", *(_csv(result.total[k]) for k in keys)])
    for bucket, values in result.rows:
        writer.writerow(
            csv_row([bucket.label, bucket.start or "", *(_csv(values[k]) for k in keys)])
        )
    return out.getvalue()


def _csv(value: Any) -> Any:
    return "" if value is None else value


def excel_csv_text(content: Content) -> str:
    """CSV för Excel: what Excel and LibreOffice in Swedish open into their columns (semicolons,
    decimal commas, UTF-8 with its byte order mark), with the page's Swedish headings and
    texts, and times as hh:mm:ss. The table, or, asked for alone, the calls."""
    if content.calls is not None and "table" not in content.include:
        return excel_calls_csv(content.calls)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";")
    result = content.result
    writer.writerow([gettext("Period"), *(m.label for m in result.columns)])
    writer.writerow([gettext("Totalt"), *(_excel(m, result.total[m.key]) for m in result.columns)])
    for bucket, values in result.rows:
        writer.writerow(
            csv_row(
                [
                    result.period.shown_label(bucket.label),
                    *(_excel(m, values[m.key]) for m in result.columns),
                ]
            )
        )
    return out.getvalue()


def excel_calls_csv(calls: list[dict[str, Any]]) -> str:
    """The calls (with their shown texts) as CSV för Excel."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";")
    writer.writerow(shown_headings())
    for call in calls:
        row = [_call_text(call, key) for key, _ in SHOWN_COLUMNS]
        row[1] = row[1].replace("T", " ")  # the start (with its offset in a repeated hour)
        writer.writerow(csv_row(row))
    return out.getvalue()


def _excel(measure: Measure, value: Any) -> str:
    """A figure as Swedish Excel reads a number: a decimal comma, no thousands separator."""
    if value is None:
        return ""
    if measure.unit == "seconds":
        return clock(value)
    if measure.unit == "percent" or isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def excel_csv(content: Content, path: Path) -> None:
    path.write_text(excel_csv_text(content), encoding="utf-8")


def _shown(measure: Measure, value: Any) -> str:
    if value is None:
        return ""
    if measure.unit == "seconds":
        return clock(value)
    if measure.unit == "percent":
        return f"{value:.1f}".replace(".", ",") + " %"
    return f"{value:,}".replace(",", " ")


class _Pdf(FPDF):
    title_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=8)
        page = gettext("sida %(page)s av %(pages)s") % {"page": self.page_no(), "pages": "{nb}"}
        self.cell(0, 6, f"{self.title_text} – {page}", align="C")


def pdf(content: Content, path: Path) -> None:
    """A4 landscape: the report information, the chart, the table (header repeated on each
    page), and the calls when there are few enough; page numbers at the foot."""
    result = content.result
    doc = _Pdf(orientation="L", unit="mm", format="A4")
    doc.title_text = result.report.name
    doc.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    doc.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    doc.set_auto_page_break(auto=True, margin=15)
    doc.alias_nb_pages()
    doc.add_page()
    doc.set_font("DejaVu", "B", 14)
    doc.cell(0, 8, result.report.name, new_x="LMARGIN", new_y="NEXT")
    doc.set_font("DejaVu", size=9)
    if "info" in content.include:
        for key, value in info_rows(content):
            doc.cell(40, 5, key)
            doc.multi_cell(0, 5, value, new_x="LMARGIN", new_y="NEXT")
        doc.ln(2)
    counts = [m for m in result.columns if m.agg == "count"]
    if "chart" in content.include and result.rows and counts:
        _bars(doc, content, counts)
    if "table" in content.include:
        _table(
            doc,
            [gettext("Period"), *(m.label for m in result.columns)],
            [
                [gettext("Totalt"), *(_shown(m, result.total[m.key]) for m in result.columns)],
                *(
                    [
                        result.period.shown_label(bucket.label),
                        *(_shown(m, values[m.key]) for m in result.columns),
                    ]
                    for bucket, values in result.rows
                ),
            ],
        )
    if content.calls is not None:
        doc.ln(4)
        doc.set_font("DejaVu", "B", 11)
        doc.cell(0, 7, gettext("Samtalsspecifikation"), new_x="LMARGIN", new_y="NEXT")
        doc.set_font("DejaVu", size=9)
        if content.calls_total > PDF_CALLS:
            doc.multi_cell(
                0,
                5,
                gettext(
                    "Specifikationen har %(calls)s samtal, fler än %(most)s: den finns i "
                    "Excel-exporten."
                )
                % {"calls": content.calls_total, "most": PDF_CALLS},
                new_x="LMARGIN",
                new_y="NEXT",
            )
        else:
            rows = [[_call_text(call, key) for key, _ in SHOWN_COLUMNS] for call in content.calls]
            for row in rows:
                row[1] = row[1][:19].replace("T", " ")  # the start, to the second
            durations = {c for c, (key, _) in enumerate(SHOWN_COLUMNS) if key in DURATIONS}
            _table(doc, shown_headings(), rows, size=7, figures=durations)
    doc.output(str(path))


def _table(
    doc: FPDF,
    headers: list[str],
    rows: list[list[str]],
    size: float = 8,
    figures: set[int] | None = None,
) -> None:
    """fpdf2's table: each column as wide as its content asks (its widest value, or its
    heading's longest word, whichever is wider; a long text wraps within its share), text to
    the left and figures (the columns `figures`, by default all but the first) to the right,
    the heading on every page, Totalt in bold."""
    doc.set_font("DejaVu", "B", size)
    widths = [
        max(doc.get_string_width(word) for word in (title.split() or [""])) for title in headers
    ]
    doc.set_font("DejaVu", size=size)
    for row in rows[:TABLE_SAMPLE]:
        for c, text in enumerate(row):
            widths[c] = max(widths[c], min(doc.get_string_width(text), WIDEST_COLUMN_MM))
    if figures is None:
        figures = set(range(1, len(headers)))
    align = ["RIGHT" if c in figures else "LEFT" for c in range(len(headers))]
    with doc.table(
        col_widths=[w + 2 for w in widths],
        text_align=align,
        headings_style=FontFace(emphasis="BOLD"),
        borders_layout="HORIZONTAL_LINES",
        line_height=size * 0.55,
        padding=0.6,
        repeat_headings=1,
    ) as table:
        heading = table.row()
        for title in headers:
            heading.cell(title)
        for index, texts in enumerate(rows):
            total = index == 0 and bool(texts) and texts[0] == "Totalt"
            line = table.row(style=FontFace(emphasis="BOLD") if total else None)
            for text in texts:
                line.cell(text)


def _bars(doc: FPDF, content: Content, counts: list[Measure]) -> None:
    """A grouped bar chart of the count columns, drawn with the PDF's own lines."""
    result = content.result
    colours = [(11, 92, 138), (26, 127, 55), (180, 35, 24), (138, 97, 0), (111, 66, 193)]
    left, top = doc.l_margin + 10, doc.get_y() + 2
    width, height = doc.w - doc.l_margin - doc.r_margin - 10, 60
    if top + height + 20 > doc.h - doc.b_margin:
        doc.add_page()
        top = doc.get_y() + 2
    top_value = max([1, *(values[m.key] or 0 for _, values in result.rows for m in counts)])
    doc.set_draw_color(160, 160, 160)
    doc.line(left, top + height, left + width, top + height)
    doc.set_font("DejaVu", size=7)
    doc.text(doc.l_margin, top + 3, str(top_value))
    doc.text(doc.l_margin, top + height, "0")
    slot = width / len(result.rows)
    bar = max(slot / (len(counts) + 1), 0.05)
    for i, (_bucket, values) in enumerate(result.rows):
        for j, measure in enumerate(counts):
            value = values[measure.key] or 0
            if not value:
                continue
            h = height * value / top_value
            doc.set_fill_color(*colours[j % len(colours)])
            doc.rect(left + i * slot + j * bar, top + height - h, bar, h, style="F")
    labels = [result.period.shown_label(bucket.label) for bucket, _ in result.rows]
    step = max(1, len(labels) // 12)
    for i in range(0, len(labels), step):
        doc.text(left + i * slot, top + height + 4, labels[i])
    x = left
    for j, measure in enumerate(counts):
        doc.set_fill_color(*colours[j % len(colours)])
        doc.rect(x, top + height + 7, 3, 3, style="F")
        doc.text(x + 4, top + height + 9.5, measure.label)
        x += 6 + doc.get_string_width(measure.label)
    doc.set_y(top + height + 14)


RENDERERS = {"xlsx": xlsx, "pdf": pdf, "excel-csv": excel_csv}

"""Renderers of a report's figures: the JSON of SPEC §12 and CSV. They never compute."""

import csv
import io
import json
from typing import Any

from vaxelstat.reports.engine import ReportResult
from vaxelstat.reports.measures import Measure, included_in

# A text a spreadsheet reads as a formula: one that begins with = + - @, a tab or a carriage
# return (a caller's name from a PBX log, say '=HYPERLINK(...)'). Written with a ' before it,
# which spreadsheets take as "text" and do not show.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A value as a CSV cell a spreadsheet opens as text where it would be a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_row(values: list[Any]) -> list[Any]:
    return [cell(v) for v in values]


def clock(seconds: float) -> str:
    """Seconds as hh:mm:ss, as the pages and files show times."""
    whole = round(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def column(m: Measure) -> dict[str, Any]:
    """A report column as the JSON describes it."""
    return {
        "key": m.key,
        "label": m.label_sv,
        "definition": m.definition_sv,
        "unit": m.unit,
        "included_in": included_in(m.scope, m.key),
    }


def as_dict(result: ReportResult) -> dict[str, Any]:
    period = result.period
    return {
        "report": result.report.key,
        "organization": result.organization.slug,
        "timezone": period.timezone,
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        "time": period.window,
        "group": period.group,
        "objects": [{"number": o.number, "name": o.display_name} for o in result.objects],
        "columns": [column(m) for m in result.columns],
        "total": result.total,
        "rows": [
            {"label": bucket.label, "start": bucket.start, **values}
            for bucket, values in result.rows
        ],
    }


def as_json(result: ReportResult) -> str:
    return json.dumps(as_dict(result), ensure_ascii=False, indent=2)


def as_csv(result: ReportResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    keys = [m.key for m in result.columns]
    writer.writerow(["label", "start", *keys])
    writer.writerow(["Totalt", "", *(result.total[k] for k in keys)])
    for bucket, values in result.rows:
        writer.writerow(csv_row([bucket.label, bucket.start or "", *(values[k] for k in keys)]))
    return out.getvalue()


RENDERERS = {"json": as_json, "csv": as_csv}

"""The call specification (SPEC §6): the legs behind a report, or behind one of its cells.

The rows behind a cell are exactly the cell: the same scope, measure condition, period and
bucket as the engine's figure, so counting them gives the figure.
"""

from dataclasses import dataclass, field
from typing import Any

from vaxelstat.calls.legs import TEXT_FIELDS, TYPE_LABELS
from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.orgs.models import MeasuredObject, Organization
from vaxelstat.reports.measures import BY_KEY, REPORTS
from vaxelstat.reports.period import Period, local_start

# Text filters: the column they search (a case-insensitive substring of number or name).
TEXT_FILTERS = {
    "from": "from_number || ' ' || from_name",
    "forwarded_from": "forwarded_from",
    "group_from": "group_from",
    "member": "member_number || ' ' || member_name",
    "to": "to_number",
    "forwarded_to": "forwarded_to",
}
# "The column holds the text", per engine.
CONTAINS = {"duckdb": "contains({}, {})", "clickhouse": "position({}, {}) > 0"}
ORDERS = {"newest": "start_utc DESC, leg_id", "oldest": "start_utc, leg_id"}


@dataclass
class Filters:
    type: str | None = None
    text: dict[str, str] = field(default_factory=dict)
    wait_min: int | None = None
    wait_max: int | None = None
    talk_min: int | None = None
    talk_max: int | None = None


@dataclass
class Specification:
    total: int
    calls: list[dict[str, Any]]


def specification(
    org: Organization,
    report_key: str,
    objects: list[MeasuredObject],
    period: Period,
    filters: Filters | None = None,
    measure: str | None = None,
    bucket: object = None,
    order: str = "newest",
    limit: int | None = None,
    offset: int = 0,
    *,
    scope: Scope,
) -> Specification:
    """The legs behind the report (or behind the cell of `measure` in `bucket`), paged."""
    report = REPORTS[report_key]
    filters = filters or Filters()
    store = get_store()
    where, params = period.filter(store.dialect)
    conditions = [report.legs, where]
    if measure is not None:
        conditions.append(BY_KEY[(report.scope, measure)].where)
    if bucket is not None:
        conditions.append(f"{period.bucket_sql(store.dialect)} = $bucket")
        params["bucket"] = bucket
    if filters.type:
        conditions.append("type = $type")
        params["type"] = filters.type
    for name, text in filters.text.items():
        if text:
            column = f"lower({TEXT_FILTERS[name]})"
            conditions.append(CONTAINS[store.dialect].format(column, f"$text_{name}"))
            params[f"text_{name}"] = text.lower()
    for name, column, sign in (
        ("wait_min", "wait_s", ">="),
        ("wait_max", "wait_s", "<="),
        ("talk_min", "talk_s", ">="),
        ("talk_max", "talk_s", "<="),
    ):
        value = getattr(filters, name)
        if value is not None:
            conditions.append(f"{column} {sign} ${name}")
            params[name] = value
    names = {o.id: o for o in objects}
    total, rows = store.legs_page(
        scope,
        list(names),
        " AND ".join(f"({c})" for c in conditions),
        params,
        ORDERS[order],
        limit,
        offset,
    )
    calls = []
    for row in rows:
        obj = names[row["object_id"]]
        calls.append(
            {
                "type": row["type"],
                "type_label": TYPE_LABELS[row["type"]],
                "start": local_start(row["start_local"], row["start_utc"], period.tz),
                "object_number": obj.number,
                "object_name": obj.display_name,
                **{k: row[k] for k in (*TEXT_FIELDS, "wait_s", "talk_s", "call_id", "leg_id")},
            }
        )
    return Specification(total, calls)

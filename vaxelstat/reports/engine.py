"""One query per report: measures × bucket × filters → figures, for every screen and file.

The organization comes first and the call store adds its filter itself; the objects the user
may see are the objects asked for. The engine never formats a figure; renderers do.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.orgs.models import MeasuredObject, Organization
from vaxelstat.reports.callbacks import callback_params, callbacks_source
from vaxelstat.reports.journey import journey_params, journey_source
from vaxelstat.reports.measures import REPORTS, Measure, Report, columns_of
from vaxelstat.reports.period import Bucket, Period

# How each kind of measure is written in each engine's SQL. A mean with nothing behind it is
# NULL, as SPEC §5 wants (ClickHouse's avgIf of nothing is NaN, so it is caught).
SQL = {
    "duckdb": {
        "count": "count(*) FILTER (WHERE {where})",
        "sum": "coalesce(sum({value}) FILTER (WHERE {where}), 0)",
        "avg": "avg({value}) FILTER (WHERE {where})",
        "max": "max({value}) FILTER (WHERE {where})",
        "share": (
            "100.0 * count(*) FILTER (WHERE {value}) / nullif(count(*) FILTER (WHERE {of}), 0)"
        ),
        "ratio": (
            "CASE WHEN sum({of}) > 0 "
            "THEN 100.0 * coalesce(sum({value}) FILTER (WHERE {where}), 0) / sum({of}) END"
        ),
    },
    "clickhouse": {
        "count": "countIf({where})",
        "sum": "sumIf({value}, {where})",
        "avg": "if(countIf({where}) = 0, NULL, avgIf({value}, {where}))",
        "max": "if(countIf({where}) = 0, NULL, maxIf({value}, {where}))",
        "share": "if(countIf({of}) = 0, NULL, 100.0 * countIf({value}) / countIf({of}))",
        "ratio": "if(sum({of}) <= 0, NULL, 100.0 * sumIf({value}, {where}) / sum({of}))",
    },
}


def measure_sql(measure: Measure, dialect: str = "duckdb") -> str:
    return SQL[dialect][measure.agg].format(where=measure.where, value=measure.value, of=measure.of)


@dataclass
class ReportResult:
    report: Report
    organization: Organization
    period: Period
    objects: list[MeasuredObject]
    columns: list[Measure]
    total: dict[str, Any]
    # Every bucket of the period in order (or every object, with a row per object).
    buckets: Sequence[Bucket]
    # Each column's figures (by its measure's key), one per bucket, in the buckets' order.
    figures: dict[str, Sequence[Any]]

    def values_at(self, index: int) -> dict[str, Any]:
        """The figures of one row, by column key."""
        return {key: column[index] for key, column in self.figures.items()}

    @cached_property
    def rows(self) -> list[tuple[Bucket, dict[str, Any]]]:
        """(bucket, figures by column key) of every bucket in order: made when asked for (a
        page shows some of them, and its chart reads the columns)."""
        keys = list(self.figures)
        return [
            (bucket, dict(zip(keys, values, strict=True)))
            for bucket, values in zip(
                self.buckets, zip(*self.figures.values(), strict=True), strict=True
            )
        ]


def sources(
    org: Organization, period: Period, measures: list[Measure], dialect: str, params: dict
) -> str:
    """The legs these measures read (SQL for the store's `source`, "" for the table as it
    is), with the parameters it needs added to `params`."""
    wanted = {m.source for m in measures}
    source = ""
    if "callbacks" in wanted:
        params.update(callback_params(org, period))
        source = callbacks_source(dialect)
    if "journey" in wanted:
        # Over the callbacks' legs where both are asked for (an advanced report's columns).
        params.update(journey_params(period))
        source = journey_source(f"({source})" if source else "{legs}")
    return source


# Two columns as one bucket (an object and a text: an agent and its pause reason or queue),
# "object|text", in each engine's SQL.
_PAIR = {
    "duckdb": "CAST(object_id AS VARCHAR) || '|' || {}",
    "clickhouse": "concat(toString(object_id), '|', {})",
}


def _object_and(column: str, dialect: str) -> str:
    """The bucket of each object and a text column's value (read back by _split_pair)."""
    return _PAIR[dialect].format(column)


def _split_pair(bucket: object) -> tuple[int, str]:
    object_id, _, text = str(bucket).partition("|")
    return int(object_id), text


def by_object_and(
    period: Period,
    scope: Scope,
    object_ids: list[int],
    legs: str,
    column: str,
    measures: list[Measure],
) -> list[tuple[tuple[int, str] | None, list[Any]]]:
    """The measures of the period's legs (`legs`: SQL of which) per object and value of a
    text column (an agent and its pause reason or queue): ((object id, text), figures as
    the store gives them), and the total (None, figures)."""
    store = get_store()
    where, params = period.filter(store.dialect)
    rows = store.aggregate(
        scope,
        object_ids,
        f"{legs} AND {where}",
        params,
        _object_and(column, store.dialect),
        [measure_sql(m, store.dialect) for m in measures],
    )
    return [(None if bucket is None else _split_pair(bucket), values) for bucket, values in rows]


# Measures whose figures are whole numbers as the stores give them.
WHOLE = ("count", "sum", "max")


# Measures that are 0, not blank, where nothing is counted.
ZERO_IF_NONE = ("count", "sum")


def figure_value(measure: Measure, raw: Any) -> Any:
    """A figure as the engine gives it: counts and sums whole, the rest to one decimal."""
    if raw is None:
        return None
    if measure.agg in WHOLE:
        return int(raw)
    return _one_decimal(raw)


def _one_decimal(raw: Any) -> Any:
    return None if raw is None else round(float(raw), 1)


def run_report(
    org: Organization,
    report_key: str,
    objects: list[MeasuredObject],
    period: Period,
    *,
    scope: Scope,
    columns: list[Measure] | None = None,
    by_object: bool = False,
) -> ReportResult:
    """The figures of a standard report for these objects (of the organization) and period,
    of the legs the reader's scope lets them see. An advanced report chooses its own columns
    (measures of the report's scope) and may have a row per object instead of per bucket."""
    report = REPORTS[report_key]
    columns = columns or columns_of(report)
    if any(m.scope != report.scope for m in columns):
        raise ValueError(f"a column of another scope than {report.scope}")
    # Refused before the store is asked: TooLarge, a PeriodError the callers show.
    period.check_cells(len(columns), len(objects) if by_object else None)
    store = get_store()
    where, params = period.filter(store.dialect)
    params.update(
        service_level_s=org.service_level_seconds, short_abandon_s=org.short_abandon_seconds
    )
    source = sources(org, period, columns, store.dialect, params)
    rows = store.aggregate(
        scope,
        [o.id for o in objects],
        f"{report.legs} AND {where}",
        params,
        "object_id" if by_object else period.bucket_sql(store.dialect),
        [measure_sql(m, store.dialect) for m in columns],
        source,
    )
    keys = [m.key for m in columns]
    buckets: Sequence[Bucket] = (
        [Bucket(o.id, o.display_name or o.number, None) for o in objects]
        if by_object
        else period.buckets()
    )
    place = {b.key: i for i, b in enumerate(buckets)} if by_object else period.bucket_places()
    # The store answers for the buckets that have legs: each answer in its bucket's place,
    # the others zeros (no count, no mean), then the figures column by column.
    empty = tuple(0 if m.agg in ZERO_IF_NONE else None for m in columns)
    ordered: list[Sequence[Any]] = [empty] * len(buckets)
    total_values: Sequence[Any] = empty
    for bucket, values in rows:
        if bucket is None:
            total_values = values
        elif (i := place.get(bucket)) is not None:
            ordered[i] = values
    figures: list[Sequence[Any]] = (
        list(zip(*ordered, strict=True)) if ordered else [() for _ in columns]
    )
    # Counts, sums and maxima come from both stores as whole numbers; the rest are rounded
    # here (a year in 30-minute buckets has 150,000 figures).
    for i, m in enumerate(columns):
        if m.agg not in WHOLE:
            figures[i] = [_one_decimal(v) for v in figures[i]]
    total = {
        m.key: v if m.agg in WHOLE else _one_decimal(v)
        for m, v in zip(columns, total_values, strict=True)
    }
    return ReportResult(
        report, org, period, objects, columns, total, buckets, dict(zip(keys, figures, strict=True))
    )


def find_objects(org: Organization, kind: str, names: str) -> list[MeasuredObject]:
    """The organization's objects of a kind named by number, alias or name; "all" for all."""
    candidates = list(MeasuredObject.objects.filter(organization=org, kind=kind))
    if names.strip().lower() == "all":
        return candidates
    found: list[MeasuredObject] = []
    missing: list[str] = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        matches = [
            o
            for o in candidates
            if name in (o.number, o.display_name, o.source_identity, *o.aliases)
        ]
        if matches:
            found.extend(m for m in matches if m not in found)
        else:
            missing.append(name)
    if missing:
        raise LookupError(f"no {kind} object named {', '.join(missing)} in {org.slug}")
    return found

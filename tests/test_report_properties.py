"""Property tests over random traffic: the identities of SPEC §5 hold in every bucket and in
the total, for every grouping, and the legs behind a cell are exactly the cell."""

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vaxelstat.calls.legs import TYPES_BY_KIND
from vaxelstat.calls.scope import Scope
from vaxelstat.ingest.parsers.canonical_csv import COLUMNS
from vaxelstat.ingest.pipeline import import_file
from vaxelstat.orgs.models import CollectionPoint, Organization
from vaxelstat.reports.engine import find_objects, run_report
from vaxelstat.reports.measures import IDENTITIES, REPORTS, columns_of
from vaxelstat.reports.period import GROUPS, Period
from vaxelstat.reports.specification import specification

START = datetime(2026, 10, 20, tzinfo=UTC)  # two weeks around the autumn clock change
KINDS = {
    "user": ["1001", "1002"],
    "acd": ["400", "401"],
    "hunt": ["600"],
    "rule": ["1"],
    "ivr": ["ivr-1"],
}
COUNTER = itertools.count()


@st.composite
def legs(draw):  # type: ignore[no-untyped-def]
    kind = draw(st.sampled_from(list(KINDS)))
    type_ = draw(st.sampled_from(TYPES_BY_KIND[kind]))
    return {
        "object_kind": kind,
        "object_number": draw(st.sampled_from(KINDS[kind])),
        "start": (START + timedelta(seconds=draw(st.integers(0, 14 * 86400)))).isoformat(),
        "direction": "out" if type_.startswith("out_") else "in",
        "internal": draw(st.sampled_from(["true", "false"])),
        "type": type_,
        "wait_s": str(draw(st.integers(0, 400))),
        "talk_s": str(draw(st.integers(0, 900))),
    }


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    traffic=st.lists(legs(), min_size=1, max_size=120),
    group=st.sampled_from(GROUPS),
    window=st.sampled_from([None, "07:00-17:00", "01:30-03:30", "12:15-12:45"]),
)
def test_identities_and_cells_on_random_traffic(db, tmp_path: Path, traffic, group, window) -> None:
    org = Organization.objects.create(slug=f"p{next(COUNTER)}", name="Property AB")
    path = tmp_path / f"{org.slug}.csv"
    rows = [
        ",".join([f"c{i}", f"l{i}", *(leg.get(c, "") for c in COLUMNS[2:])])
        for i, leg in enumerate(traffic)
    ]
    path.write_text(",".join(COLUMNS) + "\n" + "\n".join(rows) + "\n")
    point = CollectionPoint.objects.create(organization=org, name="csv", format="csv")
    assert import_file(org, point, "csv", path).rejects == []
    period = Period.parse(org.timezone, "2026-10-20", "2026-11-03", window, group)
    for report in REPORTS.values():
        objects = find_objects(org, report.kind, "all")
        result = run_report(org, report.key, objects, period, scope=Scope.whole(org.id))
        for values in [result.total, *(v for _, v in result.rows)]:
            for scope, total, parts in IDENTITIES:
                if scope == report.scope and {total, *parts} <= set(values):
                    assert values[total] == sum(values[p] for p in parts)
        for measure in columns_of(report):
            if measure.agg != "count":
                continue
            cell = next(((b, v) for b, v in result.rows if v[measure.key]), None)
            if cell is None:
                continue
            spec = specification(
                org,
                report.key,
                objects,
                period,
                measure=measure.key,
                bucket=cell[0].key,
                scope=Scope.whole(org.id),
            )
            assert spec.total == cell[1][measure.key] == len(spec.calls)

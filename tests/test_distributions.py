"""The distributions of the groups' waits (answered and abandoned within each limit, and in
bands) and the answered-only service level: a worked example counted by hand, on both
engines, with the legs behind each count."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vaxelstat.calls.scope import Scope
from vaxelstat.ingest.parsers.canonical_csv import COLUMNS
from vaxelstat.ingest.pipeline import import_file
from vaxelstat.orgs.models import CollectionPoint, Organization
from vaxelstat.reports.engine import find_objects, run_report
from vaxelstat.reports.measures import BY_KEY, IDENTITIES, MEASURES, REPORTS, chosen_columns
from vaxelstat.reports.period import Period
from vaxelstat.reports.specification import specification

pytestmark = pytest.mark.usefixtures("engine")

START = datetime(2026, 11, 16, 8, tzinfo=UTC)
# Queue 400's calls of one morning: (type, Kötid in seconds).
CALLS = [
    *(("answered", w) for w in (0, 10, 11, 20, 25, 45, 61, 120, 121, 300)),
    *(("abandoned", w) for w in (3, 5, 6, 10, 15, 31, 60, 61)),
    ("no_agent", 0),
    ("forwarded", 40),
]
# Counted by hand from CALLS (a limit holds the wait equal to it; a band is above its lower
# limit and at most its upper one).
EXPECTED = {
    "incoming": 20,
    "answered": 10,
    "answered_within_10": 2,  # 0, 10
    "answered_within_20": 4,  # + 11, 20
    "answered_within_30": 5,  # + 25
    "answered_within_60": 6,  # + 45
    "answered_within_120": 8,  # + 61, 120
    "answered_band_10_20": 2,
    "answered_band_20_30": 1,
    "answered_band_30_60": 1,
    "answered_band_60_120": 2,
    "answered_after_120": 2,  # 121, 300
    "abandoned": 8,
    "abandoned_within_5": 2,  # 3, 5
    "abandoned_within_10": 4,  # + 6, 10
    "abandoned_within_30": 5,  # + 15
    "abandoned_within_60": 7,  # + 31, 60
    "abandoned_band_5_10": 2,
    "abandoned_band_10_30": 1,
    "abandoned_band_30_60": 2,
    "abandoned_after_60": 1,  # 61
    # 4 of the 10 answered within the 20 s of the service level.
    "service_level_answered": 40.0,
    # 4 answered within 20 s of the 20 calls less the 2 abandoned within 5 s.
    "service_level": 22.2,
}


@pytest.fixture
def org(db, tmp_path: Path) -> Organization:
    org = Organization.objects.create(
        slug="queue", name="Kö AB", service_level_seconds=20, short_abandon_seconds=5
    )
    rows = [",".join(COLUMNS)]
    for i, (type_, wait) in enumerate(CALLS):
        leg = {
            "call_id": f"c{i}",
            "leg_id": f"l{i}",
            "object_kind": "acd",
            "object_number": "400",
            "start": (START + timedelta(minutes=3 * i)).isoformat(),
            "direction": "in",
            "type": type_,
            "wait_s": str(wait),
            "talk_s": "60" if type_ == "answered" else "0",
        }
        rows.append(",".join(leg.get(c, "") for c in COLUMNS))
    path = tmp_path / "queue.csv"
    path.write_text("\n".join(rows) + "\n")
    point = CollectionPoint.objects.create(organization=org, name="csv", format="csv")
    assert import_file(org, point, "csv", path).rejects == []
    return org


def _all_group_measures(org: Organization, group: str):  # type: ignore[no-untyped-def]
    report = REPORTS["acd.incoming"]
    columns = chosen_columns(report, [m.key for m in MEASURES if m.scope == "group"])
    period = Period.parse(org.timezone, "2026-11-16", "2026-11-16", None, group)
    objects = find_objects(org, "acd", "all")
    return (
        period,
        objects,
        run_report(org, report.key, objects, period, scope=Scope.whole(org.id), columns=columns),
    )


def test_the_worked_example_gives_the_hand_counted_figures(org) -> None:
    _, _, result = _all_group_measures(org, "day")
    assert {k: result.total[k] for k in EXPECTED} == EXPECTED


def test_the_bands_add_up_in_every_bucket_and_each_count_has_its_legs(org) -> None:
    period, objects, result = _all_group_measures(org, "30min")
    for values in [result.total, *(v for _, v in result.rows)]:
        for scope, total, parts in IDENTITIES:
            if scope == "group":
                assert values[total] == sum(values[p] for p in parts), (total, values)
        # Cumulative: each limit holds at least what the one before it held.
        for kind in ("answered", "abandoned"):
            within = [values[m.key] for m in MEASURES if m.key.startswith(f"{kind}_within_")]
            assert within == sorted(within)
            assert within[-1] <= values[kind]
    for measure in result.columns:
        if measure.agg != "count" or not result.total[measure.key]:
            continue
        spec = specification(
            org, "acd.incoming", objects, period, measure=measure.key, scope=Scope.whole(org.id)
        )
        assert spec.total == result.total[measure.key] == len(spec.calls), measure.key
        # The legs behind a distribution's count are the calls whose wait it names.
        kind = measure.key.split("_")[0]
        if measure.key.startswith(("answered_", "abandoned_")):
            waits = sorted(c["wait_s"] for c in spec.calls)
            assert waits == sorted(w for t, w in CALLS if t == kind and _holds(measure.key, w)), (
                measure.key
            )


def _holds(key: str, wait: int) -> bool:
    """The wait rule of a distribution's key, read from the key itself."""
    parts = key.split("_")
    if parts[1] == "within":
        return wait <= int(parts[2])
    if parts[1] == "after":
        return wait > int(parts[2])
    return int(parts[2]) < wait <= int(parts[3])


def test_the_measures_are_in_the_table_with_both_languages() -> None:
    for key in EXPECTED:
        measure = BY_KEY[("group", key)]
        assert measure.label_sv and measure.label_en and measure.definition_en
    assert BY_KEY[("group", "answered_band_10_20")].label_sv == "Besvarade efter 10–20 s"
    assert BY_KEY[("group", "abandoned_within_5")].label_en == "Abandoned within 5 s"


def test_hjalp_defines_the_measures_and_works_the_example_through(org) -> None:
    from django.utils.html import escape
    from test_accounts import logged_in

    from vaxelstat.accounts.models import User

    user = User.objects.create_user("ann@queue.example", "Ann-lösen-2026", organization=org)
    page = logged_in(user).get("/hjalp/").content.decode()
    for key in EXPECTED:
        assert escape(BY_KEY[("group", key)].definition_sv) in page, key
    # The example's figures are those the engines give for the same calls (above).
    assert f"4 av 10, {EXPECTED['service_level_answered']:.0f} %" in page
    assert f"4 av 18, {str(EXPECTED['service_level']).replace('.', ',')} %" in page
    assert f"efter mer än 120 s {EXPECTED['answered_after_120']}" in page

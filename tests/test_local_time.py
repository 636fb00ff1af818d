"""A leg's local start is the organization's wall clock at that instant, across daylight saving
changes, including zones whose clocks change in the middle of a UTC hour."""

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest

from vaxelstat.calls.legs import Leg
from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.ingest.pipeline import store_legs

# Around each change: Stockholm's spring and autumn (on the UTC hour), Adelaide's (at half
# past a UTC hour, its offset being +9:30 or +10:30).
CHANGES = {
    "Europe/Stockholm": [
        datetime(2026, 3, 29, 1, tzinfo=UTC),
        datetime(2026, 10, 25, 1, tzinfo=UTC),
    ],
    "Australia/Adelaide": [
        datetime(2026, 4, 4, 16, 30, tzinfo=UTC),
        datetime(2026, 10, 3, 16, 30, tzinfo=UTC),
    ],
}


@pytest.mark.parametrize("zone", sorted(CHANGES))
def test_local_start_follows_the_organizations_clock(org, zone: str) -> None:
    org.timezone = zone
    org.save()
    starts = [
        change + timedelta(minutes=minutes)
        for change in CHANGES[zone]
        for minutes in range(-95, 95, 5)
    ]
    legs = [
        Leg(f"l{i}", f"c{i}", "user", "ext:1001", "1001", start, "in", False, "in_answered")
        for i, start in enumerate(starts)
    ]
    store = get_store()
    inserted = store_legs(org.id, 1, 1, zone, legs, {("user", "ext:1001"): 1})
    assert inserted == len(starts)
    tz = zoneinfo.ZoneInfo(zone)
    expected = {
        f"l{i}": start.astimezone(tz).replace(tzinfo=None) for i, start in enumerate(starts)
    }
    got = {leg["leg_id"]: leg["start_local"] for leg in store.legs(Scope.whole(org.id))}
    assert got == expected

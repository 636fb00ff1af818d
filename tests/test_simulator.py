"""The demo switchboard: stable for a seed, and shaped like a real office's telephony."""

import zoneinfo
from collections import Counter
from datetime import UTC, datetime

import pytest

from vaxelstat.demo.asterisk_writer import cdr_line, queue_log_line
from vaxelstat.demo.simulator import SimResult, simulate

TZ = zoneinfo.ZoneInfo("Europe/Stockholm")
# Two weeks that span the spring daylight saving change (2026-03-29).
END = datetime(2026, 3, 31, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def fortnight(simulation) -> SimResult:  # type: ignore[no-untyped-def]
    return simulation(7, 14, END)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def quarter(simulation) -> SimResult:  # type: ignore[no-untyped-def]
    return simulation(1, 90, datetime(2026, 11, 20, 12, tzinfo=UTC))  # type: ignore[no-any-return]


def test_a_seed_gives_the_same_figures(fortnight: SimResult) -> None:
    stats = fortnight.stats
    assert (stats["calls"], len(fortnight.cdr), len(fortnight.queue_log)) == (6224, 13077, 8295)
    assert (stats["queue:400:answered"], stats["queue:400:abandoned"]) == (1556, 99)
    # The members' logins, breaks and logouts of the fortnight's weekdays are in its queue_log.
    shifts = [q for q in fortnight.queue_log if q.event in ("ADDMEMBER", "REMOVEMEMBER")]
    # Seven members: the ten weekdays after the first (whose shifts began before the log
    # does) log in; the last of them logs out after END.
    assert Counter(q.event for q in shifts) == {"ADDMEMBER": 10 * 7, "REMOVEMEMBER": 9 * 7}


def test_a_seed_gives_the_same_log_lines(fortnight: SimResult) -> None:
    again = simulate(seed=7, end=END, days=14)
    assert [cdr_line(r, TZ) for r in again.cdr] == [cdr_line(r, TZ) for r in fortnight.cdr]
    assert [queue_log_line(q) for q in again.queue_log] == [
        queue_log_line(q) for q in fortnight.queue_log
    ]
    other = simulate(seed=8, end=END, days=14)
    assert other.stats["calls"] != fortnight.stats["calls"]


@pytest.mark.slow  # a quarter of simulated traffic
def test_calls_peak_in_office_hours_with_a_lunch_dip(quarter: SimResult) -> None:
    first_rows: dict[str, int] = {}
    for row in quarter.cdr:
        first_rows[row.linkedid] = min(row.start, first_rows.get(row.linkedid, row.start))
    by_hour: Counter[int] = Counter()
    by_weekday: Counter[int] = Counter()
    for start in first_rows.values():
        local = datetime.fromtimestamp(start, TZ)
        by_hour[local.hour] += 1
        by_weekday[local.weekday()] += 1
    peak = max(by_hour, key=lambda h: by_hour[h])
    assert 9 <= peak <= 15
    assert by_hour[12] < 0.7 * min(by_hour[10], by_hour[14])  # lunch dip
    assert max(by_hour[h] for h in range(0, 6)) < 0.05 * by_hour[peak]  # quiet nights
    assert by_weekday[0] == max(by_weekday.values())  # Monday peak
    assert max(by_weekday[5], by_weekday[6]) < 0.1 * by_weekday[0]  # quiet weekends


@pytest.mark.slow  # a quarter of simulated traffic
def test_abandonment_rises_with_waiting(quarter: SimResult) -> None:
    """Of the callers still waiting after w seconds, a larger share gives up as w grows."""
    waits = []
    for line in quarter.queue_log:
        if line.event == "CONNECT":
            waits.append((int(line.data[0]), False))
        elif line.event == "ABANDON":
            waits.append((int(line.data[2]), True))
    hazards = []
    for low, high in [(0, 10), (10, 30), (30, 60), (60, 10_000)]:
        still_waiting = [w for w in waits if w[0] >= low]
        gave_up = [w for w in still_waiting if w[0] < high and w[1]]
        hazards.append(len(gave_up) / len(still_waiting))
    assert hazards == sorted(hazards) and hazards[-1] > 4 * hazards[0]


@pytest.mark.slow  # a quarter of simulated traffic
def test_the_switchboard_has_every_kind_of_call(quarter: SimResult) -> None:
    s = quarter.stats
    for key in (
        "queue:400:answered",
        "queue:400:abandoned",
        "queue:400:forwarded",
        "queue:401:no_agent",
        "group:600:answered",
        "group:600:forwarded",
        "group:600:abandoned",
        "ivr:not_connected",
        "rule:not_connected",
    ):
        assert s[key] > 0, key
    user_kinds = Counter(k.rsplit(":", 1)[1] for k in s if k.startswith("ext:"))
    for kind in (
        "in_answered",
        "in_busy",
        "in_voicemail",
        "in_forwarded",
        "in_no_answer",
        "out_answered",
        "out_busy",
        "out_no_answer",
        "ringnoanswer",
    ):
        assert user_kinds[kind] > 0, kind

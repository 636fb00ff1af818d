"""Staffing from history (SPEC §10): how many agents an answering group needs per hour of the
day to reach its service level, by Erlang C from the measured arrivals and handling times.

Erlang C assumes calls arrive at random (Poisson), nobody gives up, and handling times are
exponential; real queues lose some callers, so the answer is an upper bound worth having.
"""

import math
from dataclasses import dataclass
from typing import Any

from vaxelstat.calls.scope import Scope
from vaxelstat.reports.engine import run_report
from vaxelstat.reports.period import Period


def erlang_c(agents: int, traffic: float) -> float:
    """The probability that a call waits, with `agents` agents and `traffic` Erlangs offered."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    # Summed term by term (A^k / k!) to stay finite for large groups.
    term, total = 1.0, 1.0
    for k in range(1, agents):
        term *= traffic / k
        total += term
    last = term * traffic / agents * agents / (agents - traffic)
    return last / (total + last)


def service_level(agents: int, traffic: float, handling_s: float, target_s: float) -> float:
    """The share of calls answered within `target_s` seconds."""
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    waits = erlang_c(agents, traffic)
    return 1.0 - waits * math.exp(-(agents - traffic) * target_s / handling_s)


def agents_needed(calls_per_hour: float, handling_s: float, target_s: float, level: float) -> int:
    """The fewest agents that answer `level` (0–1) of the calls within `target_s` seconds."""
    if calls_per_hour <= 0 or handling_s <= 0:
        return 0
    traffic = calls_per_hour * handling_s / 3600
    agents = max(1, math.floor(traffic) + 1)
    while service_level(agents, traffic, handling_s, target_s) < level:
        agents += 1
    return agents


@dataclass
class StaffingRow:
    hour: str  # "08:00"
    calls_per_day: float  # mean arrivals in this hour on the days with calls
    handling_s: float  # mean talk time of answered calls (of the whole period where none)
    traffic: float  # Erlangs
    agents: int


def staffing(
    org: Any, objects: list[Any], period: Period, scope: Scope, level: float
) -> tuple[int, list[StaffingRow]]:
    """(days with calls, a row per hour of the day) for these answering groups: the period's
    arrivals per day with calls and talk times, and the agents Erlang C asks for to answer
    `level` (0–1) within the organization's service-level time."""
    by_day = run_report(org, "acd.incoming", objects, period.regrouped("day"), scope=scope).rows
    days = sum(1 for _bucket, values in by_day if values["incoming"])
    by_hour = run_report(org, "acd.waits", objects, period.regrouped("hourofday"), scope=scope)
    overall = by_hour.total["mean_talk_time"] or 0.0
    rows = []
    for bucket, values in by_hour.rows:
        calls = values["incoming"] / days if days else 0.0
        handling = values["mean_talk_time"] or overall
        agents = agents_needed(calls, handling, org.service_level_seconds, level)
        rows.append(StaffingRow(bucket.label, calls, handling, calls * handling / 3600, agents))
    return days, rows

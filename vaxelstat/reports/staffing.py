"""Staffing from history (SPEC §10): how many agents an answering group needs per hour of the
day to reach its service level, by Erlang C from the measured arrivals and handling times.

Erlang C assumes calls arrive at random (Poisson), nobody gives up, and handling times are
exponential; real queues lose some callers, so the answer is an upper bound worth having.
"""

import math
from dataclasses import dataclass


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
    hour: int
    calls_per_day: float  # mean arrivals in this hour on the days counted
    handling_s: float  # mean talk time of answered calls
    traffic: float  # Erlangs
    agents: int

"""Erlang C, worked by hand, and its properties."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaxelstat.reports.staffing import agents_needed, erlang_c, service_level


def test_erlang_c_worked_example() -> None:
    """Two Erlangs on three agents: P(wait) = (2³/3! · 3/(3−2)) / (1 + 2 + 2²/2! + 4) = 4/9."""
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9)
    # Service level within 20 s with 180 s calls: 1 − 4/9 · e^(−(3−2)·20/180).
    assert service_level(3, 2.0, 180, 20) == pytest.approx(1 - 4 / 9 * 2.718281828 ** (-1 / 9))


def test_no_traffic_needs_nobody_and_too_few_agents_always_wait() -> None:
    assert agents_needed(0, 180, 20, 0.8) == 0
    assert erlang_c(2, 2.0) == 1.0 and service_level(2, 3.0, 180, 20) == 0.0


def test_a_busy_hour() -> None:
    """120 calls an hour of 3 minutes each are 6 Erlangs; 80 % within 20 s needs 9 agents.
    By hand: with 8 agents Σ(k<8) 6^k/k! = 300.14 and 6^8/8!·8/2 = 166.63, so P(wait) = 0.3570
    and 1 − 0.3570·e^(−2·20/180) = 71.4 %; with 9, P(wait) = 83.31/425.11 = 0.1960 and
    1 − 0.1960·e^(−3·20/180) = 86.0 %."""
    assert service_level(8, 6.0, 180, 20) == pytest.approx(0.7141, abs=1e-3)
    assert service_level(9, 6.0, 180, 20) == pytest.approx(0.8596, abs=1e-3)
    assert agents_needed(120, 180, 20, 0.8) == 9


@given(
    calls=st.floats(1, 2000),
    handling=st.floats(10, 900),
    target=st.floats(0, 120),
    level=st.floats(0.5, 0.95),
)
def test_the_answer_is_the_fewest_agents_that_reach_the_level(
    calls: float, handling: float, target: float, level: float
) -> None:
    agents = agents_needed(calls, handling, target, level)
    traffic = calls * handling / 3600
    assert agents > traffic
    assert service_level(agents, traffic, handling, target) >= level
    if agents - 1 > traffic:
        assert service_level(agents - 1, traffic, handling, target) < level

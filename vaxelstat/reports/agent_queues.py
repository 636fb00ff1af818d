"""Agenter per kö: agent.calls with a row per agent and queue (the group that rang the agent:
its legs' Gruppsamtal från), from the same measures, so offered = answered + not answered in
every row and the rows of an agent add up to its row of agent.calls."""

from dataclasses import dataclass
from typing import Any

from vaxelstat.calls.scope import Scope
from vaxelstat.orgs.models import MeasuredObject, Organization
from vaxelstat.reports.engine import ZERO_IF_NONE, by_object_and, figure_value
from vaxelstat.reports.measures import REPORTS, Measure, columns_of
from vaxelstat.reports.period import Period

REPORT = "agent.calls"


@dataclass
class AgentQueues:
    columns: list[Measure]
    # (agent, queue number, figures by column key), by agent (as chosen) and queue.
    rows: list[tuple[MeasuredObject, str, dict[str, Any]]]
    total: dict[str, Any]


def agent_queues(
    org: Organization, agents: list[MeasuredObject], period: Period, scope: Scope
) -> AgentQueues:
    report = REPORTS[REPORT]
    columns = columns_of(report)
    # At most every agent in every queue it was rung by: refused before it is made.
    period.check_cells(len(columns), len(agents) * 10)
    found = by_object_and(
        period,
        scope,
        [a.id for a in agents],
        f"{report.legs} AND direction <> 'agent'",
        "group_from",
        columns,
    )
    by_id = {a.id: a for a in agents}
    order = {a.id: i for i, a in enumerate(agents)}
    rows, total = (
        [],
        {m.key: figure_value(m, 0 if m.agg in ZERO_IF_NONE else None) for m in columns},
    )
    for pair, values in found:
        figures = {m.key: figure_value(m, v) for m, v in zip(columns, values, strict=True)}
        if pair is None:
            total = figures
            continue
        agent, queue = pair
        rows.append((by_id[agent], queue, figures))
    rows.sort(key=lambda r: (order[r[0].id], r[1]))
    return AgentQueues(columns, rows, total)

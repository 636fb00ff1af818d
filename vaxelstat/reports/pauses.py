"""Pausad tid per orsak: the agents' paused time of a period by the reason the PBX gave the
pause (PAUSE's reason field, kept as the paused slices' Övrigt), named as the organization's
admin names them. Each agent's reasons add up to its Pausad tid of Agenter – Inloggad tid."""

from dataclasses import dataclass

from vaxelstat.calls.scope import Scope
from vaxelstat.orgs.models import MeasuredObject, Organization
from vaxelstat.reports.engine import by_object_and
from vaxelstat.reports.measures import AGENT_LEGS, BY_KEY
from vaxelstat.reports.period import Period

# The reason of a pause the PBX gave none.
NO_REASON = ""


@dataclass
class Pauses:
    # The reasons found, in order of paused time (most first): (the PBX's, as shown).
    reasons: list[tuple[str, str]]
    # Seconds by agent and reason; and by agent in all.
    seconds: dict[int, dict[str, int]]
    total: dict[int, int]


def pauses(org: Organization, agents: list[MeasuredObject], period: Period, scope: Scope) -> Pauses:
    """The paused seconds of these agents in the period by reason (of what `scope` may see)."""
    period.check_cells(1, len(agents))
    # Pausad tid as the measure table defines it, per agent and reason.
    paused = BY_KEY[("agent", "paused_time")]
    rows = by_object_and(
        period, scope, [a.id for a in agents], f"{AGENT_LEGS} AND {paused.where}", "note", [paused]
    )
    seconds: dict[int, dict[str, int]] = {a.id: {} for a in agents}
    by_reason: dict[str, int] = {}
    for pair, (value,) in rows:
        if pair is None:
            continue
        agent, reason = pair
        seconds[agent][reason] = int(value or 0)
        by_reason[reason] = by_reason.get(reason, 0) + int(value or 0)
    names = org.pause_reason_names
    reasons = [
        (reason, names.get(reason, reason))
        for reason in sorted(by_reason, key=lambda r: (-by_reason[r], r))
    ]
    total = {agent: sum(values.values()) for agent, values in seconds.items()}
    return Pauses(reasons, seconds, total)

"""Today's key figures of each answering group, for the wallboard and the service-level larm."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vaxelstat.calls.scope import Scope
from vaxelstat.orgs.models import MeasuredObject, Organization
from vaxelstat.reports.engine import run_report
from vaxelstat.reports.period import Period, local_today

# The figures shown and compared, of the report Inkommande – Besvarade – Ej besvarade.
REPORT = "acd.incoming"
FIGURES = ("incoming", "answered", "unanswered", "service_level", "mean_answer_time")


@dataclass
class GroupToday:
    group: MeasuredObject
    figures: dict[str, Any]
    below_target: bool


def groups_today(
    org: Organization, groups: list[MeasuredObject], scope: Scope, now: datetime | None = None
) -> list[GroupToday]:
    """Each group's figures of the organization's local today, and whether its service level
    is below the organization's target (no calls yet is not below)."""
    if not groups:
        return []
    today = local_today(org.tzinfo, now)
    period = Period(org.timezone, today, today, group="day")
    # One query for every group: a row per group.
    rows = run_report(org, REPORT, groups, period, scope=scope, by_object=True).rows
    found = []
    for group, (_bucket, figures) in zip(groups, rows, strict=True):
        level = figures.get("service_level")
        found.append(
            GroupToday(group, figures, level is not None and level < org.service_level_target)
        )
    return found

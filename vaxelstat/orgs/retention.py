"""Gallring: an organization's calls older than its limit are deleted, daily and on demand."""

from datetime import datetime, time
from typing import Any

from vaxelstat.calls.store import get_store
from vaxelstat.orgs.models import Organization, RetentionRun
from vaxelstat.reports.period import local_today, months_before


def cutoff(org: Organization, months: int, now: datetime | None = None) -> datetime:
    """The organization's midnight `months` months before today: calls that started before
    it are older than the limit (a month back from 31 March is the last day of February)."""
    today = local_today(org.tzinfo, now)
    return datetime.combine(months_before(today, months), time(), org.tzinfo)


def preview(org: Organization, months: int) -> tuple[datetime, int]:
    """What gallring with this limit would delete now: (before, how many calls)."""
    before = cutoff(org, months)
    return before, get_store().calls_before(org.id, before)


def run(org: Organization, by: Any = None) -> RetentionRun | None:
    """Delete the organization's calls older than its limit, and log the run."""
    if not org.retention_months:
        return None
    before = cutoff(org, org.retention_months)
    deleted = get_store().delete_calls_before(org.id, before)
    return RetentionRun.objects.create(
        organization=org,
        before=before,
        deleted=deleted,
        by=by if getattr(by, "pk", None) else None,  # the worker's runs have no user
    )


def run_all() -> int:
    """The background worker's daily run over every organization with a limit."""
    runs = [run(org) for org in Organization.objects.exclude(retention_months=None)]
    return len([r for r in runs if r])

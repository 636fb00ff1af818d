"""`vaxelstat store copy`: the legs of one call store copied into another (the embedded DuckDB
store into a ClickHouse server, say), organization by organization and month by month, then
checked: each organization's legs counted per collection point and month on both sides.

The copy goes through the stores' own doors (legs_between to read, apply to write), so it
moves exactly the columns every engine stores, and each write is bounded: a month of a point,
or a day of it where the month is larger than COPY_BATCH legs.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import CallStore
from vaxelstat.reports.period import months_before

# A month of a collection point larger than this is copied a day at a time.
COPY_BATCH = 1_000_000


class CopyRefused(Exception):
    """The copy would mix with legs the target holds already, or copy a store onto itself."""


@dataclass(frozen=True)
class Copied:
    org_id: int
    legs: int


def shown(url: str) -> str:
    """A store URL to print: without its password."""
    parts = urlparse(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunparse(parts._replace(netloc=f"{user}:***@{netloc}"))


def identity(url: str) -> tuple[str, ...]:
    """Which store a URL names, however it is spelt: an embedded store's file or folder, a
    server's host, port and database (not its user, password or settings)."""
    parts = urlparse(url)
    if parts.scheme in ("duckdb", "chdb"):
        return (parts.scheme, str(Path(parts.path).resolve()))
    secure = parts.scheme == "clickhouses"
    return (
        "clickhouse",
        (parts.hostname or "localhost").lower(),
        str(parts.port or (8443 if secure else 8123)),
        parts.path.strip("/") or "default",
    )


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _census(store: CallStore, org_ids: set[int]) -> dict[tuple[int, int, date], int]:
    return {
        (org, point, month): n for org, point, month, n in store.unscoped_census() if org in org_ids
    }


def copy_store(
    source: CallStore,
    target: CallStore,
    org_ids: set[int] | None = None,
    replace: bool = False,
    progress: Callable[[str], None] = lambda message: None,
) -> list[Copied]:
    """Copy the organizations' legs (every organization's where `org_ids` is None) from
    `source` to `target`; return what was copied per organization. Where the target holds legs
    of such an organization already, the copy is refused, unless `replace` (they are deleted
    first). Raises CopyRefused, or ValueError where the counts differ afterwards."""
    if identity(source.url) == identity(target.url):
        raise CopyRefused("the target is the source store")
    census = source.unscoped_census()
    wanted = {org for org, *_ in census} if org_ids is None else set(org_ids)
    months = [(org, point, month, n) for org, point, month, n in census if org in wanted]
    held = {org: target.count(Scope.whole(org)) for org in sorted(wanted)}
    if not replace and any(held.values()):
        first = next(org for org, n in held.items() if n)
        raise CopyRefused(
            f"the target holds {held[first]:,} legs of organization {first} already "
            "(--replace deletes them first)"
        )
    for org, n in held.items():
        if n:
            progress(f"organization {org}: {n:,} legs deleted from the target first")
            target.delete_organization(org)
    total = sum(n for *_, n in months)
    done = 0
    for org, point, month, n in months:
        end = months_before(month, -1)  # the next month's first day
        if n > COPY_BATCH:
            days = [month + timedelta(days=i) for i in range((end - month).days)]
            spans = [(_at(day), _at(day + timedelta(days=1))) for day in days]
        else:
            spans = [(_at(month), _at(end))]
        for start, stop in spans:
            rows = source.legs_between(org, point, start, stop)
            if rows.num_rows:
                target.apply(org, point, rows, [], start, stop)
        done += n
        progress(
            f"organization {org}, collection point {point}, {month:%Y-%m}: {n:,} legs "
            f"({done:,} of {total:,})"
        )
    expected = {(org, point, month): n for org, point, month, n in months}
    found = _census(target, wanted)
    if found != expected:
        wrong = sorted(set(expected) | set(found))
        diffs = [
            f"organization {org}, point {point}, {month:%Y-%m}: "
            f"{expected.get((org, point, month), 0):,} in the source, "
            f"{found.get((org, point, month), 0):,} in the target"
            for org, point, month in wrong
            if expected.get((org, point, month)) != found.get((org, point, month))
        ]
        raise ValueError("the copy does not match its source: " + "; ".join(diffs[:10]))
    by_org: dict[int, int] = {}
    for (org, _, _), n in expected.items():
        by_org[org] = by_org.get(org, 0) + n
    return [Copied(org, by_org.get(org, 0)) for org in sorted(wanted)]

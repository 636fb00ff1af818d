"""Report figures kept between requests (vaxelstat.calls.results): the same report again is
the kept answer, and never once the organization's calls have changed (an import, gallring,
a deletion), on both engines."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from vaxelstat.calls import results
from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.ingest.pipeline import import_file
from vaxelstat.orgs.models import CollectionPoint, Organization
from vaxelstat.reports.engine import find_objects, run_report
from vaxelstat.reports.period import Period
from vaxelstat.reports.specification import specification

pytestmark = pytest.mark.usefixtures("engine")

T = 1781074800  # 2026-06-10 07:00 UTC


def call(n: int, answered: bool) -> list[str]:
    """A queue call to queue 400, answered by 1001 or abandoned after 20 seconds."""
    t, c = T + 600 * n, f"c{n}"
    if not answered:
        return [f"{t}|{c}|400|NONE|ENTERQUEUE||070{n}|1", f"{t + 20}|{c}|400|NONE|ABANDON|1|1|20"]
    return [
        f"{t}|{c}|400|NONE|ENTERQUEUE||070{n}|1",
        f"{t + 8}|{c}|400|PJSIP/1001|CONNECT|8|{t}.9|3",
        f"{t + 68}|{c}|400|PJSIP/1001|COMPLETECALLER|8|60|1",
    ]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def engine_asked(monkeypatch, store, method: str) -> list[int]:  # type: ignore[no-untyped-def]
    """A list that grows by one each time the store's engine itself answers (`method`)."""
    asked: list[int] = []
    answer = getattr(type(store), method)

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(1)
        return answer(self, *args, **kwargs)

    monkeypatch.setattr(type(store), method, counted)
    return asked


def figures(org: Organization) -> tuple[int, int]:
    """(incoming, answered) of queue 400 in June 2026; the calls the specification lists
    and the start page counts (kept too) agree."""
    period = Period.parse(org.timezone, "2026-06-01", "2026-06-30")
    queues = find_objects(org, "acd", "all")
    result = run_report(org, "acd.incoming", queues, period, scope=Scope.whole(org.id))
    listed = specification(org, "acd.incoming", queues, period, scope=Scope.whole(org.id))
    assert listed.total == len(listed.calls) == result.total["incoming"]
    counted = get_store().counts_by_object(Scope.whole(org.id))
    assert sum(n for o, n in counted.items() if o in {q.id for q in queues}) == listed.total
    return result.total["incoming"], result.total["answered"]


def test_the_same_report_is_kept_until_the_organizations_calls_change(
    org, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    point = CollectionPoint.objects.create(
        organization=org, name="pbx", format="asterisk-queue-log"
    )
    other = Organization.objects.create(slug="other", name="Other")
    other_point = CollectionPoint.objects.create(
        organization=other, name="pbx", format="asterisk-queue-log"
    )
    store = get_store()
    asked = engine_asked(monkeypatch, store, "_aggregate")
    listed = engine_asked(monkeypatch, store, "_legs_page")
    import_file(org, point, "asterisk-queue-log", write(tmp_path / "a", call(1, True)), "a")
    assert figures(org) == (1, 1)
    assert figures(org) == (1, 1)
    assert len(asked) == 1 and len(listed) == 1  # the second time, the kept answers
    # Another organization's import leaves this one's answer kept.
    import_file(other, other_point, "asterisk-queue-log", write(tmp_path / "o", call(9, True)), "o")
    assert figures(org) == (1, 1) and len(asked) == 1
    # An import into this organization: the report is made again, with the new call.
    import_file(org, point, "asterisk-queue-log", write(tmp_path / "b", call(2, False)), "b")
    assert figures(org) == (2, 1) and len(asked) == 2
    assert figures(org) == (2, 1) and len(asked) == 2
    # Gallring of calls before the second: the report again, without the first.
    removed = store.delete_calls_before(org.id, datetime.fromtimestamp(T + 1000, UTC))
    assert removed == 1
    assert figures(org) == (1, 0) and len(asked) == 3
    # A write that is no one organization's (the retention of every organization).
    figures(org)
    store.unscoped_drop_before(datetime(2026, 6, 1).date())
    assert figures(org) == (1, 0) and len(asked) == 4
    store.delete_organization(org.id)
    assert figures(org) == (0, 0) and len(asked) == 5 and len(listed) == 5


def test_kept_answers_are_bounded_oldest_first(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    kept = results._Kept()
    monkeypatch.setattr(results, "MOST_VALUES", 400)
    made: list[int] = []

    def answer(n: int):  # type: ignore[no-untyped-def]
        def make():  # type: ignore[no-untyped-def]
            made.append(n)
            return [(b, [n]) for b in range(49)]  # 98 values

        return make

    for n in range(4):
        kept.get_or_make(n, answer(n))
    kept.get_or_make(0, answer(0))  # the oldest, used again: now the newest
    kept.get_or_make(4, answer(4))  # a fifth: the least recently used (1) goes
    assert made == [0, 1, 2, 3, 4]
    kept.get_or_make(0, answer(0))
    kept.get_or_make(1, answer(1))
    assert made == [0, 1, 2, 3, 4, 1]
    # An answer of more than a quarter of the bound is given, not kept.
    big = [(b, [0] * 9) for b in range(20)]
    assert kept.get_or_make("big", lambda: big) is big
    assert kept.get_or_make("big", lambda: list(big)) is not big


def test_a_reader_who_sees_less_never_gets_a_kept_answer_of_more(org, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    point = CollectionPoint.objects.create(
        organization=org, name="pbx", format="asterisk-queue-log"
    )
    lines = call(1, True) + [line.replace("|400|", "|500|") for line in call(2, True)]
    import_file(org, point, "asterisk-queue-log", write(tmp_path / "a", lines), "a")
    queues = find_objects(org, "acd", "all")
    assert len(queues) == 2
    period = Period.parse(org.timezone, "2026-06-01", "2026-06-30")
    one = next(q for q in queues if q.number == "400")
    everything = run_report(org, "acd.incoming", queues, period, scope=Scope.whole(org.id))
    limited = Scope(org.id, frozenset({one.id}))
    seen = run_report(org, "acd.incoming", queues, period, scope=limited)
    assert (everything.total["incoming"], seen.total["incoming"]) == (2, 1)
    store = get_store()
    assert sum(store.counts_by_object(Scope.whole(org.id)).values()) > sum(
        store.counts_by_object(limited).values()
    )
    listed = specification(org, "acd.incoming", queues, period, scope=limited)
    assert listed.total == 1 and {c["object_number"] for c in listed.calls} == {"400"}


def test_a_clickhouse_server_keeps_no_answer_without_a_version_every_process_shares(
    org, settings, clickhouse_server_url, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """`vaxelstat import` may write a ClickHouse server beside the serving process: with the
    versions in one process's memory (SQLite's cache) nothing is kept; with the app
    database's cache (PostgreSQL's) answers are."""
    settings.CALLSTORE_URL = clickhouse_server_url
    point = CollectionPoint.objects.create(
        organization=org, name="pbx", format="asterisk-queue-log"
    )
    import_file(org, point, "asterisk-queue-log", write(tmp_path / "a", call(1, True)), "a")
    store = get_store()
    asked = engine_asked(monkeypatch, store, "_aggregate")
    monkeypatch.setattr(results, "shared", lambda: False)  # (SQLite's: the process's memory)
    assert not store.keeps_answers
    assert figures(org) == figures(org) == (1, 1) and len(asked) == 2
    monkeypatch.setattr(results, "shared", lambda: True)
    assert store.keeps_answers
    assert figures(org) == figures(org) == (1, 1) and len(asked) == 3

"""Återuppringning: of the callers a group or a user lost, who was called back, who called
again and was answered, and who was never reached (within the organization's limit), worked
through by hand on both engines, with the calls behind each count."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vaxelstat.calls.scope import Scope
from vaxelstat.ingest.parsers.canonical_csv import COLUMNS
from vaxelstat.ingest.pipeline import import_file
from vaxelstat.orgs.models import CollectionPoint, Organization
from vaxelstat.reports.engine import find_objects, run_report
from vaxelstat.reports.measures import BY_KEY, IDENTITIES, REPORTS
from vaxelstat.reports.period import Period
from vaxelstat.reports.specification import specification

pytestmark = pytest.mark.usefixtures("engine")

DAY = datetime(2026, 11, 16, tzinfo=UTC)


def at(hour: int, minute: int, day: int = 0) -> datetime:
    return DAY + timedelta(days=day, hours=hour, minutes=minute)


# (call, object kind, object number, start (UTC), direction, type, from, to, internal)
LEGS = [
    # c1: lost at queue 400; user 1001 calls the number back (written another way) an hour on.
    ("c1", "acd", "400", at(8, 0), "in", "abandoned", "0701111111", "", False),
    ("c1b", "user", "1001", at(9, 0), "out", "out_answered", "1001", "+46 70-111 11 11", False),
    # c2: lost; the caller calls again half an hour on and the queue answers.
    ("c2", "acd", "400", at(8, 10), "in", "abandoned", "0702222222", "", False),
    ("c2b", "acd", "400", at(8, 40), "in", "answered", "0702222222", "", False),
    ("c2b", "user", "1001", at(8, 40), "in", "in_answered", "0702222222", "", False),
    # c3: lost (no one free), c3b: lost again five minutes on; the next morning the caller
    # is answered 24 h 2 min after c3 (too late for it) and 23 h 57 min after c3b.
    ("c3", "acd", "400", at(8, 20), "in", "no_agent", "0703333333", "", False),
    ("c3b", "acd", "400", at(8, 25), "in", "abandoned", "0703333333", "", False),
    # c4: a hidden number, lost: counted apart.
    ("c4", "acd", "400", at(8, 30), "in", "abandoned", "", "", False),
    # c5: no one free at 400, answered at 401 in the same call: not lost.
    ("c5", "acd", "400", at(8, 35), "in", "no_agent", "0705555555", "", False),
    ("c5", "acd", "401", at(8, 36), "in", "answered", "0705555555", "", False),
    # c6: lost; the caller reaches user 1002 directly 20 minutes on, before 1001 calls back.
    ("c6", "acd", "400", at(8, 50), "in", "abandoned", "0706666666", "", False),
    ("c6b", "user", "1002", at(9, 10), "in", "in_answered", "0706666666", "", False),
    ("c6c", "user", "1001", at(9, 30), "out", "out_answered", "1001", "0706666666", False),
    # c7: lost; 1001's call back is not answered, 1002's is, 20 minutes on.
    ("c7", "acd", "400", at(9, 0), "in", "abandoned", "0707777777", "", False),
    ("c7b", "user", "1001", at(9, 5), "out", "out_unanswered", "1001", "0707777777", False),
    ("c7c", "user", "1002", at(9, 20), "out", "out_answered", "1002", "0707777777", False),
    # c8: a colleague's call the queue lost: internal, no caller lost.
    ("c8", "acd", "400", at(9, 10), "in", "abandoned", "1002", "", True),
    # c9: a direct call to 1001 that went to its mailbox: 1001's lost caller, never reached.
    ("c9", "user", "1001", at(10, 0), "in", "in_voicemail", "0709999999", "", False),
]
# The next morning's answered call of c3's caller: in a file of its own, read later.
NEXT_DAY = [("c3c", "acd", "401", at(8, 22, 1), "in", "answered", "0703333333", "", False)]

# Counted by hand for queue 400 on 16 November: lost with a number c1 c2 c3 c3b c6 c7; c1 and
# c7 called back (1 h, 20 min); c2, c3b and c6 called again and answered (30 min, 23 h 57 min,
# 20 min); c3 never reached (its caller's answer came 24 h 2 min on); c4 hidden.
QUEUE = {
    "lost_calls": 6,
    "called_back": 2,
    "called_again_answered": 3,
    "never_reached": 1,
    "lost_hidden": 1,
    "mean_time_to_reach": round((3600 + 1800 + 86220 + 1200 + 1200) / 5, 1),
}
# Before the next morning's file: c3b is not reached (yet) either.
QUEUE_BEFORE = {
    **QUEUE,
    "called_again_answered": 2,
    "never_reached": 2,
    "mean_time_to_reach": 1950.0,
}
BEHIND = {
    "lost_calls": {"c1", "c2", "c3", "c3b", "c6", "c7"},
    "called_back": {"c1", "c7"},
    "called_again_answered": {"c2", "c3b", "c6"},
    "never_reached": {"c3"},
    "lost_hidden": {"c4"},
}


def _write(path: Path, legs: list[tuple]) -> Path:  # type: ignore[type-arg]
    rows = [",".join(COLUMNS)]
    for i, (call, kind, number, start, direction, type_, frm, to, internal) in enumerate(legs):
        leg = {
            "call_id": call,
            "leg_id": f"{call}-{kind}-{number}-{i}",
            "object_kind": kind,
            "object_number": number,
            "start": start.isoformat(),
            "direction": direction,
            "internal": "true" if internal else "false",
            "type": type_,
            "from_number": frm,
            "to_number": to,
            "talk_s": "60" if "answered" in type_ and "un" not in type_ else "0",
        }
        rows.append(",".join(leg.get(c, "") for c in COLUMNS))
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture
def org(db, tmp_path: Path) -> Organization:
    org = Organization.objects.create(slug="cb", name="Återring AB")
    point = CollectionPoint.objects.create(organization=org, name="csv", format="csv")
    assert import_file(org, point, "csv", _write(tmp_path / "day.csv", LEGS)).rejects == []
    return org


def _import_next_day(org: Organization, tmp_path: Path) -> None:
    point = CollectionPoint.objects.get(organization=org)
    assert import_file(org, point, "csv", _write(tmp_path / "next.csv", NEXT_DAY)).rejects == []


def _report(org: Organization, key: str, names: str, group: str = "day"):  # type: ignore[no-untyped-def]
    report = REPORTS[key]
    period = Period.parse(org.timezone, "2026-11-16", "2026-11-16", None, group)
    objects = find_objects(org, report.kind, names)
    result = run_report(org, key, objects, period, scope=Scope.whole(org.id))
    return period, objects, result


def test_the_worked_example_gives_the_hand_counted_figures(org, tmp_path) -> None:
    _, _, before = _report(org, "acd.callbacks", "400")
    assert before.total == QUEUE_BEFORE
    # The next morning's call arrives in a later file: the figures of the 16th change with it.
    _import_next_day(org, tmp_path)
    _, _, result = _report(org, "acd.callbacks", "400")
    assert result.total == QUEUE
    # 401 lost no one; user 1001 lost c9's caller (its mailbox), never reached; 1002 nobody.
    _, _, other = _report(org, "acd.callbacks", "401")
    assert other.total["lost_calls"] == 0
    _, objects, users = _report(org, "user.callbacks", "all")
    assert users.total["lost_calls"] == users.total["never_reached"] == 1


def test_the_limit_is_the_organizations(org, tmp_path) -> None:
    _import_next_day(org, tmp_path)
    org.callback_hours = 48
    org.save()
    _, _, result = _report(org, "acd.callbacks", "400")
    # c3's caller, answered 24 h 2 min on, now counts as reached.
    assert result.total["never_reached"] == 0
    assert result.total["called_again_answered"] == 4
    org.callback_hours = 1
    org.save()
    _, _, result = _report(org, "acd.callbacks", "400")
    # Within an hour: c1 (exactly 60 min), c7, c2, c6.
    assert (result.total["called_back"], result.total["called_again_answered"]) == (2, 2)
    assert result.total["never_reached"] == 2


def test_the_parts_add_up_and_each_count_has_its_calls(org, tmp_path) -> None:
    _import_next_day(org, tmp_path)
    period, objects, result = _report(org, "acd.callbacks", "400", "hour")
    for values in [result.total, *(v for _, v in result.rows)]:
        for scope, total, parts in IDENTITIES:
            if scope == "group" and total == "lost_calls":
                assert values[total] == sum(values[p] for p in parts), values
    for key, calls in BEHIND.items():
        spec = specification(
            org, "acd.callbacks", objects, period, measure=key, scope=Scope.whole(org.id)
        )
        assert spec.total == len(spec.calls) == result.total[key], key
        assert {c["call_id"] for c in spec.calls} == calls, key
    # The work list of an hour's cell: the cell's calls only.
    (bucket, _), *_ = [(b, v) for b, v in result.rows if v["never_reached"]]
    spec = specification(
        org,
        "acd.callbacks",
        objects,
        period,
        measure="never_reached",
        bucket=bucket.key,
        scope=Scope.whole(org.id),
    )
    assert [c["call_id"] for c in spec.calls] == ["c3"]


def test_a_reader_limited_to_one_group_sees_its_lost_callers_reached_elsewhere(
    org, tmp_path
) -> None:
    # The reaching calls are the organization's: c6's caller was answered by user 1002, whom
    # a reader of queue 400 alone may not see.
    _import_next_day(org, tmp_path)
    queue = find_objects(org, "acd", "400")
    scope = Scope(org.id, frozenset(o.id for o in queue))
    period = Period.parse(org.timezone, "2026-11-16", "2026-11-16", None, "day")
    result = run_report(org, "acd.callbacks", queue, period, scope=scope)
    assert result.total == QUEUE
    # …and nothing of the organization's other objects.
    assert (
        run_report(
            org, "acd.callbacks", find_objects(org, "acd", "401"), period, scope=scope
        ).total["lost_calls"]
        == 0
    )


def test_the_measures_are_in_the_table_in_both_languages() -> None:
    for scope in ("user_in", "group", "routing"):
        for key in QUEUE:
            measure = BY_KEY[(scope, key)]
            assert measure.label_sv and measure.label_en and measure.definition_en
            assert measure.source == "callbacks"
    assert BY_KEY[("group", "never_reached")].label_sv == "Ej nådda"


def test_hjalp_defines_the_measures_and_works_the_example_through(org) -> None:
    from django.utils.html import escape
    from test_accounts import logged_in

    from vaxelstat.accounts.models import User
    from vaxelstat.reports.render import clock

    user = User.objects.create_user("ann@cb.example", "Ann-lösen-2026", organization=org)
    page = logged_in(user).get("/hjalp/").content.decode()
    for key in QUEUE:
        assert escape(BY_KEY[("group", key)].definition_sv) in page, key
    # The example's figures are those the engines give for the same calls (above).
    assert (
        f"Förlorade samtal {QUEUE['lost_calls']} = {QUEUE['called_back']} + "
        f"{QUEUE['called_again_answered']} + {QUEUE['never_reached']}"
    ) in page
    assert f"/ 5 = {clock(QUEUE['mean_time_to_reach'])}." in page

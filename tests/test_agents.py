"""The agents' reports: worked examples from queue_log lines, counted by hand, on both
engines, with the calls behind each count."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from vaxelstat.calls.scope import Scope
from vaxelstat.ingest.pipeline import import_file
from vaxelstat.orgs.models import CollectionPoint, Organization
from vaxelstat.reports.engine import find_objects, run_report
from vaxelstat.reports.measures import IDENTITIES, REPORTS
from vaxelstat.reports.period import Period
from vaxelstat.reports.specification import specification

pytestmark = pytest.mark.usefixtures("engine")

# 2026-11-16 09:00 in Stockholm (UTC+1).
T = int(datetime(2026, 11, 16, 8, tzinfo=UTC).timestamp())

# Four calls to two queues with the members 1001, 1002 and 1003.
CALLS = f"""\
{T}|a|support|NONE|ENTERQUEUE||0701110001|1
{T + 15}|a|support|PJSIP/1002|RINGNOANSWER|15000
{T + 15}|a|support|PJSIP/1003|RINGNOANSWER|15000
{T + 20}|a|support|PJSIP/1001|CONNECT|20|a.1|5
{T + 120}|a|support|PJSIP/1001|COMPLETECALLER|20|100|1
{T + 600}|b|support|NONE|ENTERQUEUE||0701110002|1
{T + 610}|b|support|PJSIP/1001|RINGNOANSWER|10000
{T + 620}|b|support|PJSIP/1001|RINGNOANSWER|10000
{T + 630}|b|support|PJSIP/1002|CONNECT|30|b.1|8
{T + 690}|b|support|PJSIP/1002|COMPLETEAGENT|30|60|1
{T + 1200}|c|support|NONE|ENTERQUEUE||0701110003|1
{T + 1212}|c|support|PJSIP/1003|RINGNOANSWER|12000
{T + 1225}|c|support|NONE|ABANDON|1|1|25
{T + 1800}|d|sales|NONE|ENTERQUEUE||0701110004|1
{T + 1804}|d|sales|PJSIP/1001|CONNECT|4|d.1|3
{T + 2004}|d|sales|PJSIP/1001|COMPLETECALLER|4|200|1
"""

# Counted by hand from the lines above. An offer is one per call and queue however often the
# phone rang (1001 rang twice for b: 20 s in all); the ring time of an answer is CONNECT's
# third field, of a RINGNOANSWER its milliseconds.
EXPECTED_CALLS = {
    # a answered (rang 5 s, talked 100 s), b not (10 + 10 s), d answered (3 s, 200 s).
    "1001": {
        "offered": 3,
        "answered": 2,
        "not_answered": 1,
        "mean_ring_time": 9.3,  # (5 + 20 + 3) / 3
        "talk_time": 300,
        "mean_talk_time": 150.0,
    },
    # a not (15 s), b answered (8 s, 60 s).
    "1002": {
        "offered": 2,
        "answered": 1,
        "not_answered": 1,
        "mean_ring_time": 11.5,
        "talk_time": 60,
        "mean_talk_time": 60.0,
    },
    # a not (15 s), c not (12 s).
    "1003": {
        "offered": 2,
        "answered": 0,
        "not_answered": 2,
        "mean_ring_time": 13.5,
        "talk_time": 0,
        "mean_talk_time": None,
    },
}


def _import(org: Organization, tmp_path: Path, text: str) -> None:
    path = tmp_path / "queue_log"
    path.write_text(text)
    point, _ = CollectionPoint.objects.get_or_create(
        organization=org, name="pbx", format="asterisk-queue-log"
    )
    assert import_file(org, point, "asterisk-queue-log", path).rejects == []


@pytest.fixture
def org(db, tmp_path: Path) -> Organization:
    org = Organization.objects.create(slug="agents", name="Agenter AB")
    _import(org, tmp_path, CALLS)
    return org


def _day(org: Organization, group: str = "day") -> Period:
    return Period.parse(org.timezone, "2026-11-16", "2026-11-16", None, group)


def test_agent_calls_per_agent_are_the_hand_counted_figures(org) -> None:
    period = _day(org)
    for number, expected in EXPECTED_CALLS.items():
        objects = find_objects(org, "user", number)
        result = run_report(org, "agent.calls", objects, period, scope=Scope.whole(org.id))
        assert result.total == expected, number
    everyone = find_objects(org, "user", "all")
    result = run_report(
        org, "agent.calls", everyone, period, scope=Scope.whole(org.id), by_object=True
    )
    rows = {bucket.label: values for bucket, values in result.rows}
    assert rows == EXPECTED_CALLS
    assert (result.total["offered"], result.total["answered"]) == (7, 3)


def test_offered_is_answered_and_not_answered_and_each_count_has_its_calls(org) -> None:
    period = _day(org, "hour")
    everyone = find_objects(org, "user", "all")
    result = run_report(org, "agent.calls", everyone, period, scope=Scope.whole(org.id))
    for values in [result.total, *(v for _, v in result.rows)]:
        for scope, total, parts in IDENTITIES:
            if scope == "agent":
                assert values[total] == sum(values[p] for p in parts)
    for measure in ("offered", "answered", "not_answered"):
        spec = specification(
            org, "agent.calls", everyone, period, measure=measure, scope=Scope.whole(org.id)
        )
        assert spec.total == result.total[measure] == len(spec.calls)
    spec = specification(
        org,
        "agent.calls",
        find_objects(org, "user", "1003"),
        period,
        measure="not_answered",
        scope=Scope.whole(org.id),
    )
    # The offers 1003 let ring: calls a (15 s) and c (12 s), of the group support.
    assert sorted((c["wait_s"], c["group_from"]) for c in spec.calls) == [
        (12, "support"),
        (15, "support"),
    ]


def test_the_agents_report_is_of_users_and_counts_group_calls_only(org, tmp_path) -> None:
    # A direct call to 1001 (a CDR's, here as canonical legs) is no offer to the agent.
    assert REPORTS["agent.calls"].kind == "user"
    period = _day(org)
    before = run_report(
        org, "agent.calls", find_objects(org, "user", "1001"), period, scope=Scope.whole(org.id)
    ).total["offered"]
    path = tmp_path / "direct.csv"
    path.write_text(
        "call_id,leg_id,object_kind,object_number,start,direction,type,wait_s,talk_s\n"
        "x,x1,user,1001,2026-11-16T09:30:00+00:00,in,in_answered,4,50\n"
    )
    point = CollectionPoint.objects.create(organization=org, name="csv", format="csv")
    assert import_file(org, point, "csv", path).rejects == []
    objects = find_objects(org, "user", "1001")
    assert (
        run_report(org, "agent.calls", objects, period, scope=Scope.whole(org.id)).total["offered"]
        == before
    )
    incoming = run_report(org, "user.incoming", objects, period, scope=Scope.whole(org.id))
    assert incoming.total["incoming"] == before + 1

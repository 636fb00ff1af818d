"""The live queue: what the answering groups hold now, read from the queue_log lines of the
calls and sessions that have not ended yet.

The import holds those lines (rejected records of reason incomplete_call, read again with the
point's next file), so they are exactly what is going on as of the newest line received: a
call whose ENTERQUEUE has come and whose CONNECT has not is waiting; a call CONNECTed and not
ended holds its member; a member's session (ADDMEMBER, PAUSE …) not ended says in which
queues it is logged in and paused. The held lines are read by the queue_log reader itself
(its events and its member names), and the sessions replayed by the agents' time rule, so
nothing here reads a line its own way.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from vaxelstat import tmpfiles
from vaxelstat.ingest.models import RejectedRecord
from vaxelstat.ingest.parsers import asterisk_queue_log as ql
from vaxelstat.ingest.parsers.base import Reason, SourceSettings
from vaxelstat.ingest.workspace import Workspace
from vaxelstat.orgs.models import CollectionPoint, Organization

# A call waiting longer than this is taken to be one whose end was lost (a restart, a file
# that never came): not waiting now.
STALE = timedelta(hours=12)


@dataclass
class LiveQueue:
    """One queue now."""

    waiting: int = 0
    # When the call waiting longest began to wait.
    longest_since: datetime | None = None
    logged_in: set[str] = field(default_factory=set)
    paused: set[str] = field(default_factory=set)
    on_call: set[str] = field(default_factory=set)

    @property
    def free(self) -> int:
        """Logged in, not paused and not on a call (in any queue)."""
        return len(self.logged_in - self.paused - self.on_call)


@dataclass
class Live:
    queues: dict[str, LiveQueue]
    # The newest line's time among those held (None: nothing is going on).
    newest: datetime | None


def live(org: Organization, now: datetime) -> Live:
    """The organization's queues now, by queue number."""
    queues: dict[str, LiveQueue] = defaultdict(LiveQueue)
    newest: datetime | None = None
    points = CollectionPoint.objects.filter(organization=org)
    for point in points:
        held = list(
            RejectedRecord.objects.filter(
                collection_point=point,
                resolved=False,
                reason=Reason.INCOMPLETE_CALL,
                import_run__format=ql.FORMAT,
            )
            .order_by("import_run_id", "line")
            .values_list("raw", flat=True)
        )
        held = [line for line in held if "|" in line]
        if not held:
            continue
        settings = SourceSettings.from_dict(point.settings, org.timezone)
        seen = _read(held, settings, queues, now)
        if seen is not None and (newest is None or seen > newest):
            newest = seen
    return Live(dict(queues), newest)


def _read(
    lines: list[str], settings: SourceSettings, queues: dict[str, LiveQueue], now: datetime
) -> datetime | None:
    """Add what these held lines say to `queues`; return the newest line's time."""
    text = "".join(f"{line.rstrip()}\n" for line in lines)
    with tmpfiles.named(".queue_log") as tmp:
        tmp.write(text.encode("utf-8"))
        tmp.flush()
        with Workspace(len(text)) as ws:
            ql.read_into(ws, Path(tmp.name), settings)
            (last,) = ws.one("SELECT max(epoch) FROM ql_ev")
            since = int((now - STALE).timestamp())
            member = ql.member_sql("agent")
            calls = ws.run(
                f"""SELECT arg_max(queue, ord) FILTER (WHERE event = 'ENTERQUEUE'),
                      min(epoch) FILTER (WHERE event = 'ENTERQUEUE'),
                      arg_max({member}, ord) FILTER (WHERE event = 'CONNECT'),
                      arg_max(queue, ord) FILTER (WHERE event = 'CONNECT')
                    FROM ql_ev WHERE callid NOT IN ('', 'NONE') AND epoch IS NOT NULL
                    GROUP BY callid
                    HAVING max(epoch) >= $since""",  # noqa: S608
                {"since": since},
            ).fetchall()
            sessions = ws.run(
                f"""SELECT epoch, queue, {member}, event, d1 FROM ql_ev
                    WHERE epoch IS NOT NULL AND event IN {ql.MEMBER_EVENTS}
                    ORDER BY ord"""  # noqa: S608
            ).fetchall()
    for queue, entered, agent, answered_in in calls:
        if agent:
            queues[answered_in].on_call.add(agent)
        elif queue:
            waiting = queues[queue]
            waiting.waiting += 1
            began = datetime.fromtimestamp(entered, UTC)
            if waiting.longest_since is None or began < waiting.longest_since:
                waiting.longest_since = began
    agents: dict[str, ql.MemberTime] = {}
    for epoch, queue, name, event, data in sessions:
        if name in ("", "NONE"):
            continue
        agents.setdefault(name, ql.MemberTime(name)).event(epoch, event, queue, data, 0)
    busy = {name for q in queues.values() for name in q.on_call}
    for name, agent in agents.items():
        for queue, paused in agent.queues.items():
            queues[queue].logged_in.add(name)
            if paused:
                queues[queue].paused.add(name)
            if name in busy:
                queues[queue].on_call.add(name)
    return datetime.fromtimestamp(last, UTC) if last is not None else None

"""Asterisk queue_log → ACD group legs and the agents' legs (SPEC §11, FORMATS.md §2).

The rules are SQL, run in the import's workspace (vaxelstat.ingest.workspace), and are the only
implementation: the native file is read by DuckDB itself; a DB table export (PBXware's, or the
queue_log table as psql or a CSV writer prints it) is read line by line into the same events
table first. From there, one set of statements:

- One group leg per (callid, queue) session, from ENTERQUEUE to its end: the first terminal
  event (COMPLETE…, TRANSFER…, ABANDON, EXIT…, SYSCOMPAT), or a QUEUESTART (Asterisk restarted:
  every call open before it ends there, note "ended by restart").
- A call is answered at CONNECT: the CONNECT holdtime is its Kötid. Its talk time comes with its
  end. A call CONNECTed whose end is not in the file is stored answered with note "in progress"
  and its lines are kept (`incomplete_call`) for the next file of the collection point, whose
  complete legs replace these (vaxelstat.ingest.rules).
- A call still open more than `open_call_hours` (12 by default) before the file's last event is
  closed with what is known (note "ended by timeout N h").
- RINGNOANSWER gives each member who rang and never answered one `in_no_answer` leg per call
  (ring-all strategies log one per ring cycle); the member who CONNECTs gets an `in_answered`
  leg. Calls refused at the door by the dialplan (JOINEMPTY, FULL, CLOSED) are `no_agent`.
"""

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from vaxelstat.calls.legs import ENDED_BY_RESTART, IN_PROGRESS, Leg, ended_after
from vaxelstat.ingest.parsers.base import (
    EARLIEST,
    HIDDEN_NUMBERS,
    MAX_SECONDS,
    ParseResult,
    Reason,
    Reject,
    SourceSettings,
    latest,
    local_to_utc,
    read_lines,
    utf8_copy,
)
from vaxelstat.ingest.workspace import Workspace

FORMAT = "asterisk-queue-log"

TERMINAL = (
    "ABANDON",
    "ATTENDEDTRANSFER",
    "BLINDTRANSFER",
    "COMPLETEAGENT",
    "COMPLETECALLER",
    "EXITEMPTY",
    "EXITWITHKEY",
    "EXITWITHTIMEOUT",
    "SYSCOMPAT",
    "TRANSFER",
)
# Written by distribution dialplans when a call is refused at the door (FORMATS.md §2.2).
REFUSED = {"JOINEMPTY": "", "FULL": "full", "CLOSED": "closed"}
# The events of a call in a queue (a refusal is a call of its own, with no session).
CALL_EVENTS = (*TERMINAL, "ENTERQUEUE", "CONNECT", "RINGNOANSWER", "RINGCANCELED")
# How many data fields each event needs for the number it reads, and which (1-based).
NUMBER_AT = {
    "RINGNOANSWER": (1,),
    "CONNECT": (1, 3),
    "COMPLETECALLER": (2,),
    "COMPLETEAGENT": (2,),
    "TRANSFER": (4,),
    "BLINDTRANSFER": (4,),
    "ATTENDEDTRANSFER": (4,),
    "EXITWITHKEY": (4,),
    "ABANDON": (3,),
    "EXITEMPTY": (3,),
    "EXITWITHTIMEOUT": (3,),
}
DEFAULT_OPEN_CALL_HOURS = 12


def _list(values: Any) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _int(expr: str) -> str:
    """A data field as a whole number of seconds: '12.7' → 12, '' → 0."""
    return f"coalesce(try_cast(trunc(try_cast(nullif(trim({expr}), '') AS DOUBLE)) AS BIGINT), 0)"


def _bad(expr: str, unit: int = 1) -> str:
    """A data field that should be a time in seconds (`unit` 1000: milliseconds) and is not
    one, or not a plausible one: negative, over a day (base.MAX_SECONDS), inf, nan."""
    value = f"try_cast(trim({expr}) AS DOUBLE)"
    return (
        f"(trim({expr}) <> '' AND ({value} IS NULL OR NOT isfinite({value}) "
        f"OR {value} < 0 OR {value} > {MAX_SECONDS * unit}))"
    )


def member_sql(expr: str) -> str:
    """The member's number: 'Local/1001@from-queue/n' → '1001'; 'PJSIP/1001-0000001a' → '1001';
    a member name stays as it is."""
    peer = f"split_part(split_part({expr}, '/', 2), '/', 1)"
    return (
        f"CASE WHEN NOT contains({expr}, '/') THEN {expr} "
        f"WHEN starts_with({expr}, 'Local/') THEN split_part(split_part({expr}, '/', 2), '@', 1) "
        f"WHEN contains({peer}, '-') THEN regexp_replace({peer}, '-[0-9a-f]{{6,}}$', '') "
        f"ELSE {peer} END"
    )


# The events table every layout is read into: `t` orders (seconds, with fractions where the
# layout has them), `epoch` is whole seconds, `nd` the number of data fields.
EVENT_COLUMNS = [
    ("line", "INTEGER"),
    ("raw", "VARCHAR"),
    ("t", "DOUBLE"),
    ("epoch", "BIGINT"),
    ("callid", "VARCHAR"),
    ("queue", "VARCHAR"),
    ("agent", "VARCHAR"),
    ("event", "VARCHAR"),
    ("d1", "VARCHAR"),
    ("d2", "VARCHAR"),
    ("d3", "VARCHAR"),
    ("d4", "VARCHAR"),
    ("nd", "INTEGER"),
]

# The native file: every line numbered as an editor numbers them (blank lines count); a line
# of fewer than five fields, or whose first is not an epoch, is rejected.
NATIVE = [
    """CREATE OR REPLACE TEMP TABLE ql_lines AS
       SELECT generate_subscripts(x, 1) AS line, unnest(x) AS raw
       FROM (SELECT string_split(content, chr(10)) AS x FROM read_text($path))""",
    # The lines' text, for the records rejected (the events carry only a hash of it).
    """CREATE OR REPLACE TEMP VIEW ql_text AS
       SELECT line, rtrim(raw, chr(13)) AS raw FROM ql_lines""",
    # Every line, its epoch NULL where it has none (those are rejected and read no further).
    """CREATE OR REPLACE TEMP TABLE ql_ev AS
       SELECT line, hash(raw) AS h, epoch::DOUBLE AS t, epoch, f[1] AS epoch_text,
              f[2] AS callid,
              f[3] AS queue, f[4] AS agent, f[5] AS event,
              coalesce(f[6], '') AS d1, coalesce(f[7], '') AS d2,
              coalesce(f[8], '') AS d3, coalesce(f[9], '') AS d4, len(f) - 5 AS nd,
              -- (epoch, line) as one number: in order without a sort.
              epoch * 268435456 + line AS ord
       -- An epoch is whole seconds from 1990 to a day after now (base.EARLIEST, latest():
       -- milliseconds, say, are no epoch).
       FROM (SELECT line, raw, f,
               CASE WHEN try_cast(f[1] AS BIGINT) BETWEEN $earliest AND $latest
                    THEN try_cast(f[1] AS BIGINT) END AS epoch
             FROM (SELECT line, raw, string_split(raw, '|') AS f
                   FROM (SELECT line, CASE WHEN ends_with(raw, chr(13)) THEN rtrim(raw, chr(13))
                                           ELSE raw END AS raw FROM ql_lines)
                   WHERE trim(raw) <> ''))""",
    """INSERT INTO ws_rejects
       SELECT e.line, 'malformed', 'fewer than 5 fields', x.raw
       FROM ql_ev e JOIN ql_text x USING (line) WHERE e.nd < 0
       UNION ALL
       SELECT e.line, 'bad_time', concat('epoch ', chr(39), e.epoch_text, chr(39)), x.raw
       FROM ql_ev e JOIN ql_text x USING (line) WHERE e.nd >= 0 AND e.epoch IS NULL""",
]


# A line again, whole: files are re-read after rotation, or a growing copy imported again
# (FORMATS.md §2.4). It is read once; repeated within the file it is a rejected duplicate,
# repeating a line carried over from an earlier file (the first $carried) it is that line.
DEDUPLICATE = [
    # Found by the lines' hashes, then held to their text (a hash may be shared).
    """CREATE OR REPLACE TEMP TABLE ql_dups AS
       SELECT e.line, x.raw, d.first_line
       FROM (SELECT h, min(line) AS first_line FROM ql_ev GROUP BY h HAVING count(*) > 1) d
       JOIN ql_ev e ON e.h = d.h AND e.line > d.first_line
       JOIN ql_text x ON x.line = e.line
       JOIN ql_text f ON f.line = d.first_line
       WHERE x.raw = f.raw""",
    """INSERT INTO ws_rejects
       SELECT line, 'duplicate',
              'the same line again (first on line ' || (first_line - $carried) || ')', raw
       FROM ql_dups WHERE first_line > $carried""",
    "DELETE FROM ql_ev WHERE line IN (SELECT line FROM ql_dups)",
]


def rules() -> list[str]:
    """From `ql_ev` (with `ord`, the events' order) to the staged legs, rejects and
    memberships. The point's extension rules are $extensions, $trunk_peers and $pattern;
    $open_seconds is how long a call may stay open before it is closed."""
    hidden = _list(sorted(HIDDEN_NUMBERS))
    is_ext = (
        "(list_contains($extensions, {n}) OR (NOT list_contains($trunk_peers, {n}) "
        "AND regexp_full_match({n}, $pattern)))"
    )
    # (RINGNOANSWER's ring time is in milliseconds.)
    bad = " ".join(
        f"WHEN '{event}' THEN "
        + " OR ".join(
            f"(nd >= {i} AND {_bad(f'd{i}', 1000 if event == 'RINGNOANSWER' else 1)})"
            for i in positions
        )
        for event, positions in NUMBER_AT.items()
    )
    refused = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in REFUSED.items())
    return [
        # The events of calls, each with its (callid, queue) session: `sid`, the `ord` of the
        # ENTERQUEUE it follows (NULL before the first). Most calls enter a queue once: the
        # list of entries is read only where there are more.
        f"""CREATE OR REPLACE TEMP TABLE ql_call AS
           WITH ev AS (
             SELECT line, nd, epoch, callid, queue, event, d1, d2, d3, d4, ord,
               {member_sql("agent")} AS member,
               CASE event {bad} ELSE false END AS bad
             FROM ql_ev WHERE event IN {CALL_EVENTS} AND epoch IS NOT NULL),
           entries AS (
             SELECT callid, queue, count(*) AS n, min(ord) AS first,
               CASE WHEN count(*) > 1 THEN list(ord) END AS ords
             FROM ql_ev WHERE event = 'ENTERQUEUE' AND epoch IS NOT NULL GROUP BY ALL)
           SELECT ev.*,
             CASE WHEN e.n = 1 THEN CASE WHEN ev.ord >= e.first THEN e.first END
                  ELSE list_max(list_filter(e.ords, lambda x: x <= ev.ord)) END AS sid
           FROM ev LEFT JOIN entries e USING (callid, queue)""",
        """CREATE OR REPLACE TEMP TABLE ql_enter AS
           SELECT sid, callid, queue, ord AS enter_ord, epoch AS enter, d2 AS num_raw,
                  d4 AS name_raw
           FROM ql_call WHERE event = 'ENTERQUEUE'""",
        # Each session's end: its first terminal event, or an Asterisk restart before it.
        f"""CREATE OR REPLACE TEMP TABLE ql_end AS
           SELECT sid, min(ord) AS end_ord,
                  arg_min(event, ord) AS t_event, arg_min(epoch, ord) AS t_epoch,
                  arg_min(nd, ord) AS t_nd, arg_min(bad, ord) AS t_bad,
                  arg_min(d1, ord) AS t1, arg_min(d2, ord) AS t2, arg_min(d3, ord) AS t3,
                  arg_min(d4, ord) AS t4
           FROM ql_call WHERE sid IS NOT NULL AND event IN {TERMINAL}
           GROUP BY ALL""",
        """CREATE OR REPLACE TEMP TABLE ql_restarts AS
           SELECT ord, epoch FROM ql_ev WHERE event = 'QUEUESTART' AND epoch IS NOT NULL""",
        # A restart ends the sessions open before it (a table of few rows: most files have
        # no restart, and then nothing here costs).
        """CREATE OR REPLACE TEMP TABLE ql_restarted AS
           SELECT s.sid, r.ord AS end_ord, 'QUEUESTART' AS t_event,
                  r.epoch AS t_epoch, 0 AS t_nd, false AS t_bad, '' AS t1, '' AS t2,
                  '' AS t3, '' AS t4
           FROM (SELECT * FROM ql_enter WHERE (SELECT count(*) FROM ql_restarts) > 0) s
           ASOF JOIN ql_restarts r ON s.enter_ord < r.ord
           LEFT JOIN ql_end e USING (sid)
           WHERE e.end_ord IS NULL OR r.ord < e.end_ord""",
        """DELETE FROM ql_end USING ql_restarted r
           WHERE ql_end.sid = r.sid""",
        "INSERT INTO ql_end SELECT * FROM ql_restarted",
        # The lines of each call: before its end or not, and whether it ended in the file.
        """CREATE OR REPLACE TEMP VIEW ql_open AS
           SELECT c.*, e.end_ord, e.end_ord IS NULL OR c.ord <= e.end_ord AS before_end
           FROM ql_call c LEFT JOIN ql_end e USING (sid)""",
        # Calls with no end in the file: closed if open too long, else in progress (answered)
        # or still waiting; the lines of the last two are kept for the next file.
        """CREATE OR REPLACE TEMP TABLE ql_unended AS
           SELECT sid, max(epoch) AS last_epoch,
             (SELECT max(epoch) FROM ql_ev) - min(epoch) > $open_seconds AS too_long
           FROM ql_open WHERE sid IS NOT NULL AND end_ord IS NULL
           GROUP BY ALL""",
        """INSERT INTO ws_rejects
           SELECT o.line, o.reason, o.detail, e.raw
           FROM (SELECT c.line,
                   CASE WHEN c.event <> 'ENTERQUEUE' AND (c.sid IS NULL OR NOT c.before_end)
                          THEN 'no_start_event'
                        WHEN c.bad AND c.sid IS NOT NULL THEN 'bad_number'
                        -- Every line of a call that has not ended: the next file takes
                        -- them up again.
                        WHEN c.end_ord IS NULL AND NOT u.too_long THEN 'incomplete_call'
                   END AS reason,
                   CASE WHEN c.event <> 'ENTERQUEUE' AND (c.sid IS NULL OR NOT c.before_end)
                          THEN c.event || ' without ENTERQUEUE for ' || c.callid
                        WHEN c.bad AND c.sid IS NOT NULL
                          THEN 'a time that is no number, or not one of 0 to 24 hours'
                        WHEN c.event = 'ENTERQUEUE'
                          THEN 'no terminal event for ' || c.callid || ' in ' || c.queue
                        ELSE 'part of ' || c.callid || ' in ' || c.queue
                             || ', which has not ended in the file'
                   END AS detail
                 FROM ql_open c LEFT JOIN ql_unended u USING (sid)) o
           JOIN ql_text e USING (line)
           WHERE o.reason IS NOT NULL""",
        # One row per session that gives legs: ended, too long open, or connected.
        f"""CREATE OR REPLACE TEMP VIEW ql_session AS
           WITH c AS (
             SELECT sid,
               arg_max(member, ord) AS c_member, arg_max(epoch, ord) AS c_epoch,
               arg_max(CASE WHEN nd >= 1 THEN {_int("d1")} END, ord) AS c_hold,
               arg_max(CASE WHEN nd >= 3 THEN {_int("d3")} ELSE 0 END, ord) AS c_ring
             FROM ql_open
             WHERE sid IS NOT NULL AND before_end AND event = 'CONNECT' AND NOT bad
             GROUP BY ALL)
           SELECT s.*, c.c_member, c.c_epoch, c.c_hold, c.c_ring,
             CASE WHEN e.end_ord IS NOT NULL THEN e.t_event
                  WHEN u.too_long THEN 'OPEN_TOO_LONG' ELSE 'IN_PROGRESS' END AS t_event,
             CASE WHEN e.end_ord IS NOT NULL THEN e.t_epoch ELSE u.last_epoch END AS t_epoch,
             coalesce(e.t_nd, 0) AS t_nd, coalesce(e.t_bad, false) AS t_bad,
             e.t1, e.t2, e.t3, e.t4,
             CASE WHEN list_contains({hidden}, lower(trim(coalesce(s.num_raw, ''))))
                  THEN '' ELSE coalesce(s.num_raw, '') END AS from_number
           FROM ql_enter s
           LEFT JOIN ql_end e USING (sid)
           LEFT JOIN ql_unended u USING (sid)
           LEFT JOIN c USING (sid)
           WHERE e.end_ord IS NOT NULL OR u.too_long OR c.c_member IS NOT NULL""",
        f"""CREATE OR REPLACE TEMP TABLE ql_session2 AS
           SELECT *,
             CASE WHEN from_number = '' OR name_raw = from_number THEN ''
                  ELSE coalesce(name_raw, '') END AS from_name,
             {is_ext.format(n="from_number")} AS internal,
             'ql:' || callid || ':' || queue || ':' || enter AS base,
             c_member IS NOT NULL AND t_event IN ('COMPLETECALLER', 'COMPLETEAGENT', 'TRANSFER',
               'BLINDTRANSFER', 'ATTENDEDTRANSFER', 'QUEUESTART', 'OPEN_TOO_LONG',
               'IN_PROGRESS') AS answered,
             CASE WHEN t_event IN ('COMPLETECALLER', 'COMPLETEAGENT')
                    THEN CASE WHEN t_nd >= 2 THEN {_int("t2")} ELSE t_epoch - c_epoch END
                  WHEN t_event LIKE '%TRANSFER'
                    THEN CASE WHEN t_nd >= 4 THEN {_int("t4")} ELSE t_epoch - c_epoch END
                  WHEN t_event = 'IN_PROGRESS' THEN 0
                  ELSE t_epoch - c_epoch END AS talk,
             CASE WHEN t_event IN ('ABANDON', 'EXITEMPTY', 'EXITWITHTIMEOUT')
                       AND t_nd >= 3 AND trim(t3) <> '' THEN {_int("t3")}
                  WHEN t_event = 'EXITWITHKEY' AND t_nd >= 4 AND trim(t4) <> '' THEN {_int("t4")}
                  ELSE t_epoch - enter END AS unanswered_wait,
             CASE t_event WHEN 'QUEUESTART' THEN $restart_note
                          WHEN 'OPEN_TOO_LONG' THEN $open_note
                          WHEN 'IN_PROGRESS' THEN $progress_note END AS state_note
           FROM ql_session WHERE NOT t_bad""",
        f"""CREATE OR REPLACE TEMP TABLE ql_rings AS
           SELECT sid, member,
                  arg_min(epoch - (CASE WHEN nd >= 1 THEN {_int("d1")} ELSE 0 END) // 1000, ord)
                    AS first,
                  sum((CASE WHEN nd >= 1 THEN {_int("d1")} ELSE 0 END) // 1000) AS total
           FROM ql_open
           WHERE event = 'RINGNOANSWER' AND NOT bad AND sid IS NOT NULL AND before_end
           GROUP BY ALL""",
        f"""INSERT INTO staged
           SELECT base AS leg_id, callid AS call_id, 'acd' AS object_kind,
                  'queue:' || queue AS object_identity, queue AS object_number,
                  make_timestamp(enter * 1000000) AS start_utc, 'in' AS direction, internal,
                  CASE WHEN answered THEN 'answered'
                       WHEN t_event = 'EXITEMPTY' THEN 'no_agent'
                       WHEN t_event IN ('EXITWITHKEY', 'EXITWITHTIMEOUT') THEN 'forwarded'
                       ELSE 'abandoned' END AS type,
                  from_number, from_name, '' AS forwarded_from, '' AS group_from,
                  CASE WHEN answered THEN c_member ELSE '' END AS member_number,
                  '' AS member_name, '' AS to_number,
                  CASE WHEN answered THEN coalesce(c_hold, c_epoch - enter)
                       ELSE unanswered_wait END::INTEGER AS wait_s,
                  CASE WHEN answered THEN talk ELSE 0 END::INTEGER AS talk_s,
                  CASE WHEN answered AND t_event LIKE '%TRANSFER' THEN t1 ELSE '' END
                    AS forwarded_to,
                  CASE WHEN state_note IS NOT NULL THEN state_note
                       WHEN answered AND t_event LIKE '%TRANSFER' THEN 'transferred'
                       WHEN answered THEN ''
                       WHEN t_event = 'EXITWITHKEY' THEN trim('key ' || t1)
                       WHEN t_event = 'EXITWITHTIMEOUT' THEN 'timeout'
                       WHEN t_event IN ('ABANDON', 'EXITEMPTY') THEN ''
                       ELSE 'technical error' END AS note
           FROM ql_session2
           UNION ALL
           SELECT base || ':' || c_member, callid, 'user', 'ext:' || c_member, c_member,
                  make_timestamp((c_epoch - c_ring) * 1000000), 'in', internal, 'in_answered',
                  from_number, from_name, '', queue, c_member, '', '', c_ring::INTEGER,
                  talk::INTEGER, '', coalesce(state_note, '')
           FROM ql_session2 WHERE answered
           UNION ALL
           SELECT s.base || ':' || r.member, s.callid, 'user', 'ext:' || r.member, r.member,
                  make_timestamp(r.first * 1000000), 'in', s.internal, 'in_no_answer',
                  s.from_number, s.from_name, '', s.queue, r.member, '', '', r.total::INTEGER,
                  0, '', ''
           FROM ql_rings r JOIN ql_session2 s USING (sid)
           WHERE NOT (s.answered AND r.member = s.c_member)
           UNION ALL
           SELECT 'ql:' || callid || ':' || queue || ':' || epoch, callid, 'acd',
                  'queue:' || queue, queue, make_timestamp(epoch * 1000000), 'in', false,
                  'no_agent', '', '', '', '', '', '', '', 0, 0, '',
                  CASE event {refused} END
           FROM ql_ev WHERE event IN {tuple(REFUSED)} AND epoch IS NOT NULL""",
        """INSERT INTO ws_memberships
           SELECT DISTINCT 'queue:' || queue, 'ext:' || member FROM ql_open
           WHERE event IN ('RINGNOANSWER', 'CONNECT') AND NOT bad AND sid IS NOT NULL
             AND before_end
           UNION
           SELECT DISTINCT 'queue:' || queue, 'ext:' || member FROM (
             SELECT queue, """
        + member_sql("agent")
        + """ AS member FROM ql_ev
             WHERE event = 'ADDMEMBER' AND agent NOT IN ('', 'NONE') AND epoch IS NOT NULL)""",
    ]


def read_into(ws: Workspace, path: Path, settings: SourceSettings, carried: int = 0) -> None:
    """Read a queue_log file of any layout into the workspace's staged legs. Its first
    `carried` lines are those an earlier file left open (see ingest.pipeline)."""
    values: dict[str, Any] = {
        "path": str(path),
        "pattern": settings.extension_pattern.pattern,
        "trunk_peers": sorted(settings.trunk_peers),
        "extensions": sorted(settings.extensions),
        "open_seconds": settings.open_call_hours * 3600,
        "restart_note": ENDED_BY_RESTART,
        "open_note": ended_after(settings.open_call_hours),
        "progress_note": IN_PROGRESS,
        "carried": carried,
        "earliest": int(EARLIEST.timestamp()),
        "latest": int(latest().timestamp()),
    }
    native = is_native(path)
    if native:
        try:
            for sql in NATIVE:
                ws.run(sql, values)
        except duckdb.InvalidInputException:
            # Bytes that are not UTF-8: read from a copy whose lines are UTF-8 (a line that
            # is not is read as Latin-1, as every parser reads them).
            with utf8_copy(path) as copy:
                ws.run("DELETE FROM ws_rejects")
                for sql in NATIVE:
                    ws.run(sql, {**values, "path": str(copy)})
    else:
        _read_table(ws, path, settings)
    # Native: every line is in ql_ev; a table export's rejected rows are not.
    (ws.lines,) = ws.one(
        "SELECT (SELECT count(*) FROM ql_ev) + "
        + ("0" if native else "(SELECT count(*) FROM ws_rejects)")
    )
    for sql in DEDUPLICATE:
        ws.run(sql, values)
    for sql in rules():
        ws.run(sql, values)
    agent_time(ws, carried)


# -- The agents' time: sessions and pauses -------------------------------------------------

# The events of the members' time: joining and leaving a queue (a login and a logout), pausing
# in one queue or in all (queue NONE), and Asterisk's restart, which ends every session.
MEMBER_EVENTS = ("ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE", "PAUSEALL", "UNPAUSEALL")
# The agents' time is stored in slices of a quarter of an hour (of UTC, so of every time
# zone's local quarters too: every offset is a multiple of 15 minutes), the smallest bucket a
# report has: a slice is counted whole in the bucket it starts in.
SLICE = 900
SESSION_HELD = "part of an agent's session, which has not ended in the file"


@dataclass
class MemberTime:
    """A member's time, whatever the queues: logged in while a member of at least one queue
    (ADDMEMBER to REMOVEMEMBER, or to a restart), paused while paused in every queue it is
    logged in to (PAUSE, PAUSEALL; a paused member takes no calls from that queue)."""

    member: str
    # The queues it is logged in to, and whether it is paused in each.
    queues: dict[str, bool] = field(default_factory=dict)
    since: int | None = None  # when the session began
    first_queue: str = ""
    lines: list[int] = field(default_factory=list)
    paused_since: int | None = None
    reason: str = ""
    pauses: list[tuple[int, int, str]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.member}:{self.since}"

    def event(self, at: int, event: str, queue: str, data: str, line: int) -> list[Leg] | None:
        """Apply one of the member's events; the legs of a session it ends, or None if the
        member is not logged in (its session began before the file, or it is a static
        member)."""
        everywhere = event in ("PAUSEALL", "UNPAUSEALL") or queue == "NONE"
        if event == "ADDMEMBER":
            if self.since is None:
                self.since, self.first_queue, self.lines = at, queue, []
            self.queues.setdefault(queue, data.strip().upper() == "PAUSED")
        elif event == "REMOVEMEMBER":
            if queue not in self.queues:
                return None
            del self.queues[queue]
        elif event in ("PAUSE", "PAUSEALL", "UNPAUSE", "UNPAUSEALL"):
            targets = list(self.queues) if everywhere else [queue] if queue in self.queues else []
            for q in targets:
                self.queues[q] = event in ("PAUSE", "PAUSEALL")
            # Asterisk logs PAUSEALL without a reason and then PAUSE with it in each queue:
            # the pause's reason is the first given.
            if targets and event in ("PAUSE", "PAUSEALL") and data.strip() and not self.reason:
                self.reason = data.strip()
        if self.since is None:
            # A logout or a pause of a member not logged in: its login is in an earlier file.
            return None
        self.lines.append(line)
        # The pause begins or ends as the queues now stand; the session ends with the last.
        self._pause_as_queues_stand(at)
        return [] if self.queues else self.end(at, "")

    def _pause_as_queues_stand(self, at: int) -> None:
        paused = bool(self.queues) and all(self.queues.values())
        if paused and self.paused_since is None:
            self.paused_since = at
        elif not paused and self.paused_since is not None:
            self.pauses.append((self.paused_since, at, self.reason))
            self.paused_since = None
        if not any(self.queues.values()):
            self.reason = ""

    def end(self, at: int, note: str) -> list[Leg]:
        """End the session at `at` (a restart, or the end of the file: `note` says which):
        its slices logged in (the last with the note) and paused (with the reason)."""
        if self.since is None:
            return []
        self.queues.clear()
        self._pause_as_queues_stand(at)
        out = [
            self._leg(f"ql:agent:{self.key}:{start}", "logged_in", start, seconds, "")
            for start, seconds in _slices(self.since, at)
        ]
        if out and note:
            out[-1].note = note
        for begin, stop, reason in self.pauses:
            out += [
                self._leg(f"ql:pause:{self.key}:{begin}:{start}", "paused", start, seconds, reason)
                for start, seconds in _slices(begin, stop)
            ]
        self.since, self.pauses, self.lines = None, [], []
        return out

    def _leg(self, leg_id: str, type_: str, at: int, seconds: int, note: str) -> Leg:
        return Leg(
            leg_id=leg_id,
            call_id=f"agent:{self.key}",
            object_kind="user",
            object_identity=f"ext:{self.member}",
            object_number=self.member,
            start=datetime.fromtimestamp(at, UTC),
            direction="agent",
            internal=False,
            type=type_,
            # The queue it logged in to first.
            group_from=self.first_queue,
            member_number=self.member,
            talk_s=seconds,
            note=note,
        )


def _slices(start: int, end: int) -> Iterator[tuple[int, int]]:
    """(start, seconds) of the parts of [start, end) in each quarter of an hour."""
    at = start
    while at < end:
        stop = min(end, (at // SLICE + 1) * SLICE)
        yield at, stop - at
        at = stop


def agent_time(ws: Workspace, carried: int = 0) -> None:
    """The members' time as the agents' time legs (direction 'agent', types logged_in and
    paused, the seconds of each quarter-hour slice as talk_s, the first queue as Gruppsamtal
    från, a pause's reason as Övrigt): per member, not per queue, so an agent in two queues
    is logged in once. A session open at the end of the file is stored up to the file's last
    event, in progress, and its lines are kept for the next file (incomplete_call), whose
    reading replaces it, unless the point holds the session already (the file read again
    after the next one); a restart (QUEUESTART) ends it. A logout or a pause of a member with
    no session in the file is rejected (no_start_event: its login is in an earlier file, and
    the file with it takes the line up again; or the member is a static one, logged in by the
    configuration, whose time the log does not give)."""
    rows = ws.run(
        f"""SELECT e.line, e.epoch, e.queue, {member_sql("e.agent")} AS member, e.event, e.d1, x.raw
            FROM ql_ev e JOIN ql_text x USING (line)
            WHERE e.epoch IS NOT NULL AND (e.event IN {MEMBER_EVENTS} OR e.event = 'QUEUESTART')
            ORDER BY e.ord"""  # noqa: S608
    ).fetchall()
    if not rows:
        return
    (last,) = ws.one("SELECT max(epoch) FROM ql_ev")
    raw = {line: text for line, _, _, _, _, _, text in rows}
    agents: dict[str, MemberTime] = {}
    legs: list[Leg] = []
    rejects: list[Reject] = []
    for line, epoch, queue, member, event, d1, _ in rows:
        if event == "QUEUESTART":
            for agent in agents.values():
                legs += agent.end(epoch, ENDED_BY_RESTART)
            continue
        if member in ("", "NONE"):
            continue
        agent = agents.setdefault(member, MemberTime(member))
        ended = agent.event(epoch, event, queue, d1, line)
        if ended is None:
            detail = (
                f"{event} of {member} in {queue} without its ADDMEMBER: logged in in an "
                "earlier file, or by the configuration (a static member)"
            )
            rejects.append(Reject(line, Reason.NO_START_EVENT, detail, raw[line]))
        else:
            legs += ended
    held = []
    for agent in agents.values():
        if agent.since is not None:
            held += [(line, f"agent:{agent.key}", agent.since) for line in agent.lines]
            legs += agent.end(last, IN_PROGRESS)
    rejects += [
        Reject(line, Reason.INCOMPLETE_CALL, SESSION_HELD, raw[line]) for line, _, _ in held
    ]
    ws.add_legs(legs)
    ws.add_rejects(rejects)
    # A session the point holds already is not held again (rules.forget_held_of_stored_calls):
    # this file's own lines of it. A line carried from an earlier file stays that file's
    # (another session's login, perhaps, this reading took for part of this one).
    ws.add_held(
        [
            (line, call, datetime.fromtimestamp(at, UTC).replace(tzinfo=None))
            for line, call, at in held
            if line > carried
        ]
    )


def parse(path: Path, settings: SourceSettings) -> ParseResult:
    """The file's legs, rejects, names and memberships, as a parser gives them."""
    with Workspace(path.stat().st_size) as ws:
        read_into(ws, path, settings)
        return ws.result()


def is_native(path: Path) -> bool:
    """Whether the file is a native queue_log (epoch|callid|…), by its first line."""
    with open(path, "rb") as f:
        first = f.readline(4096)
    head = first.split(b"|", 1)[0].strip()
    return head.isdigit() or first.strip() == b""


# -- DB table exports: read line by line into the events table ------------------------------

# PBXware's queue_log table re-maps the data fields (FORMATS.md §2.1): back to app_queue's.
_PBXWARE_DATA = {
    "ENTERQUEUE": ("", "param1", "entpos"),
    "RINGNOANSWER": ("htime",),
    "CONNECT": ("htime", "param2", "param3"),
    "COMPLETECALLER": ("htime", "ttime", "entpos"),
    "COMPLETEAGENT": ("htime", "ttime", "entpos"),
    "ABANDON": ("expos", "entpos", "htime"),
    "EXITEMPTY": ("expos", "entpos", "htime"),
    "EXITWITHTIMEOUT": ("expos", "entpos", "htime"),
    "EXITWITHKEY": ("param1", "expos", "entpos", "htime"),
    "BLINDTRANSFER": ("param2", "param3", "htime", "ttime", "entpos"),
    "ATTENDEDTRANSFER": ("", "", "htime", "ttime", "entpos"),
}

Event = tuple[float, str, str, str, str, list[str]]  # time, callid, queue, agent, event, data


class _Bad(Exception):
    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def _pbxware(text: str, header: list[str], settings: SourceSettings) -> Event:
    fields = next(csv.reader([text]))
    if len(fields) != len(header):
        raise _Bad(Reason.MALFORMED, f"{len(fields)} columns, the header has {len(header)}")
    row = dict(zip(header, fields, strict=True))
    try:
        epoch = int(row["date_time"])
    except ValueError:
        raise _Bad(Reason.BAD_TIME, f"date_time {row['date_time']!r}") from None
    names = _PBXWARE_DATA.get(row["event"], ("param1", "param2", "param3"))
    data = [row.get(name, "") if name else "" for name in names]
    return float(epoch), row["callid"], row["queue_name"], row["type"], row["event"], data


def _table(text: str, header: list[str], separator: str, settings: SourceSettings) -> Event:
    """A row of the queue_log DB table (time local; data1..data5, or one data column)."""
    if separator == "|":
        fields = [f.strip() for f in text.split("|")]
    else:
        fields = next(csv.reader([text]))
    if len(fields) < len(header):
        raise _Bad(Reason.MALFORMED, f"{len(fields)} columns, the header has {len(header)}")
    row = dict(zip(header, fields, strict=False))
    try:
        when = local_to_utc(row["time"], settings.timezone)
    except ValueError:
        raise _Bad(Reason.BAD_TIME, f"time {row['time']!r}") from None
    fraction = float("0" + row["time"][19:]) if row["time"][19:20] == "." else 0.0
    if "data" in row:
        data = row["data"].split("|")
    else:
        data = [row.get(f"data{i}", "") for i in range(1, 6)]
    while data and not data[-1]:
        data.pop()
    return (
        when.timestamp() + fraction,
        row["callid"],
        row["queuename"],
        row["agent"],
        row["event"],
        data,
    )


def _header(first: str) -> tuple[str, list[str]] | None:
    """A table export's header line: ("pbxware" or its column separator, its column names),
    or None if `first` is not one."""
    lowered = first.lower()
    if lowered.startswith("uid,date_time,callid"):
        return "pbxware", next(csv.reader([lowered]))
    for separator in ("|", ","):
        names = [h.strip() for h in lowered.split(separator)]
        if names[:5] == ["time", "callid", "queuename", "agent", "event"]:
            return separator, names
    return None


def is_table_export(first: str) -> bool:
    """Whether `first` is the header of a queue_log table's export this reader reads."""
    return _header(first) is not None


def _layout(first: str, settings: SourceSettings) -> Callable[[str], Event] | None:
    """The reader of a table export whose header is `first`, or None if it is not one."""
    if (found := _header(first)) is None:
        return None
    kind, header = found
    if kind == "pbxware":
        return lambda t: _pbxware(t, header, settings)
    return partial(_table, header=header, separator=kind, settings=settings)


def _read_table(ws: Workspace, path: Path, settings: SourceSettings) -> None:
    columns: dict[str, list[Any]] = {name: [] for name, _ in EVENT_COLUMNS}
    rejects = []
    reader = None
    for number, text in read_lines(path):
        if reader is None:
            reader = _layout(text, settings)
            if reader is None:
                rejects.append(Reject(number, Reason.UNKNOWN_LAYOUT, "no known header", text))
                break
            continue
        try:
            t, callid, queue, agent, event, data = reader(text)
        except _Bad as bad:
            rejects.append(Reject(number, bad.reason, bad.detail, text))
            continue
        except (csv.Error, KeyError) as exc:
            rejects.append(Reject(number, Reason.MALFORMED, str(exc), text))
            continue
        padded = [*data, "", "", "", ""][:4]
        for name, value in zip(
            [c for c, _ in EVENT_COLUMNS],
            [number, text, t, int(t), callid, queue, agent, event, *padded, len(data)],
            strict=True,
        ):
            columns[name].append(value)
    ws.add_rejects(rejects)
    types = {"INTEGER": pa.int32(), "BIGINT": pa.int64(), "DOUBLE": pa.float64()}
    schema = pa.schema([(n, types.get(k, pa.string())) for n, k in EVENT_COLUMNS])
    ws.con.register("ql_table_rows", pa.table(columns, schema=schema))
    try:
        # Table exports may be newest first: the order is (time, line).
        ws.run("CREATE OR REPLACE TEMP TABLE ql_text AS SELECT line, raw FROM ql_table_rows")
        ws.run(
            "CREATE OR REPLACE TEMP TABLE ql_ev AS "
            "SELECT * EXCLUDE (raw), hash(raw) AS h, "
            "row_number() OVER (ORDER BY t, line) AS ord FROM ql_table_rows"
        )
    finally:
        ws.con.unregister("ql_table_rows")

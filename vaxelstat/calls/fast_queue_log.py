"""The fast path for a native Asterisk queue_log: the same legs as the reference parser
(vaxelstat.ingest.parsers.asterisk_queue_log), computed by DuckDB in a few set operations
instead of line by line in Python.

The reference parser defines the result; a test holds the two to the same legs and rejections
on the simulator's logs and on the worked examples. Each statement reads the temp tables of
the one before, in the cursor that stages the import.
"""

from pathlib import Path
from typing import Any

from vaxelstat.ingest.parsers import asterisk_queue_log as parser
from vaxelstat.ingest.parsers.base import HIDDEN_NUMBERS

# The reference's events, in a fixed order for the SQL written from them.
TERMINAL = tuple(sorted(parser.TERMINAL))
CALL_EVENTS = tuple(sorted(parser.CALL_EVENTS - set(parser.REFUSED)))
REFUSED = parser.REFUSED


def _list(values: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


# int(float(x)) of the reference parser: truncation, and '' as 0.
def _int(expr: str) -> str:
    return f"coalesce(trunc(try_cast(nullif(trim({expr}), '') AS DOUBLE))::BIGINT, 0)"


def _bad(expr: str) -> str:
    return f"(trim({expr}) <> '' AND try_cast(trim({expr}) AS DOUBLE) IS NULL)"


def _agent(expr: str) -> str:
    """agent_number(): 'Local/1001@from-queue/n' → '1001'; 'PJSIP/1001-0000001a' → '1001'."""
    peer = f"split_part(split_part({expr}, '/', 2), '/', 1)"
    return (
        f"CASE WHEN NOT contains({expr}, '/') THEN {expr} "
        f"WHEN starts_with({expr}, 'Local/') THEN split_part(split_part({expr}, '/', 2), '@', 1) "
        f"WHEN contains({peer}, '-') THEN regexp_replace({peer}, '-[0-9a-f]{{6,}}$', '') "
        f"ELSE {peer} END"
    )


def statements() -> list[str]:
    """The SQL. The collection point's extension rules are the parameters $extensions,
    $trunk_peers and $pattern, and the file is $path; everything written in is a constant."""
    hidden = _list(sorted(HIDDEN_NUMBERS))
    is_ext = (
        "(list_contains($extensions, {n}) OR (NOT list_contains($trunk_peers, {n}) "
        "AND regexp_matches({n}, $pattern)))"
    )
    refused = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in REFUSED.items())
    return [
        # Every line, numbered as the reference numbers them (blank lines count).
        """CREATE OR REPLACE TEMP TABLE ql_lines AS
           SELECT generate_subscripts(x, 1) AS line, unnest(x) AS raw
           FROM (SELECT string_split(content, chr(10)) AS x FROM read_text($path))""",
        """CREATE OR REPLACE TEMP TABLE ql_ev AS
           SELECT line, raw, len(f) AS n, try_cast(f[1] AS BIGINT) AS epoch, f[1] AS epoch_text,
                  f[2] AS callid, f[3] AS queue, f[4] AS agent, f[5] AS event,
                  coalesce(f[6], '') AS d1, coalesce(f[7], '') AS d2,
                  coalesce(f[8], '') AS d3, coalesce(f[9], '') AS d4
           FROM (SELECT line, raw, string_split(raw, '|') AS f
                 FROM (SELECT line, CASE WHEN ends_with(raw, chr(13)) THEN rtrim(raw, chr(13))
                                         ELSE raw END AS raw FROM ql_lines)
                 WHERE raw <> '' AND trim(raw) <> '')""",
        # The reference reads events in (time, line) order: `ord` is that order. `bad` marks
        # a number an event needs that is not a number (the reference rejects the line).
        f"""CREATE OR REPLACE TEMP TABLE ql_call AS
           SELECT *,
             sum(CASE WHEN event = 'ENTERQUEUE' THEN 1 ELSE 0 END) OVER (
               PARTITION BY callid, queue ORDER BY ord ROWS UNBOUNDED PRECEDING) AS session
           FROM (
             SELECT line, n, epoch, callid, queue, event, d1, d2, d3, d4,
               -- (epoch, line) as one number: epoch · 2^28 + line, in order without a sort.
               epoch * 268435456 + line AS ord,
               {_agent("agent")} AS member,
               CASE event
                 WHEN 'RINGNOANSWER' THEN n > 5 AND {_bad("d1")}
                 WHEN 'CONNECT' THEN (n > 5 AND {_bad("d1")}) OR (n > 7 AND {_bad("d3")})
                 WHEN 'COMPLETECALLER' THEN n > 6 AND {_bad("d2")}
                 WHEN 'COMPLETEAGENT' THEN n > 6 AND {_bad("d2")}
                 WHEN 'TRANSFER' THEN n > 8 AND {_bad("d4")}
                 WHEN 'BLINDTRANSFER' THEN n > 8 AND {_bad("d4")}
                 WHEN 'ATTENDEDTRANSFER' THEN n > 8 AND {_bad("d4")}
                 WHEN 'EXITWITHKEY' THEN n > 8 AND {_bad("d4")}
                 WHEN 'ABANDON' THEN n > 7 AND {_bad("d3")}
                 WHEN 'EXITEMPTY' THEN n > 7 AND {_bad("d3")}
                 WHEN 'EXITWITHTIMEOUT' THEN n > 7 AND {_bad("d3")}
                 ELSE false END AS bad
             FROM ql_ev
             WHERE n >= 5 AND epoch IS NOT NULL AND event IN {tuple(CALL_EVENTS)})""",
        # Each session's first ending, and what it says; events after it belong to no call.
        f"""CREATE OR REPLACE TEMP TABLE ql_end AS
           SELECT callid, queue, session, min(ord) AS end_ord,
                  arg_min(event, ord) AS t_event, arg_min(epoch, ord) AS t_epoch,
                  arg_min(n, ord) AS t_n, arg_min(bad, ord) AS t_bad,
                  arg_min(d1, ord) AS t1, arg_min(d2, ord) AS t2, arg_min(d3, ord) AS t3,
                  arg_min(d4, ord) AS t4
           FROM ql_call WHERE session > 0 AND event IN {tuple(TERMINAL)}
           GROUP BY ALL""",
        """CREATE OR REPLACE TEMP TABLE ql_open AS
           SELECT c.*, e.end_ord, e.end_ord IS NULL OR c.ord <= e.end_ord AS before_end
           FROM ql_call c LEFT JOIN ql_end e USING (callid, queue, session)""",
        """CREATE OR REPLACE TEMP TABLE ql_rejects AS
           SELECT line, 'malformed' AS reason, 'fewer than 5 fields' AS detail, raw
             FROM ql_ev WHERE n < 5
           UNION ALL
           SELECT line, 'bad_time', concat('epoch ', chr(39), epoch_text, chr(39)), raw
             FROM ql_ev WHERE n >= 5 AND epoch IS NULL
           UNION ALL
           SELECT o.line, o.reason, o.detail, e.raw
           FROM (SELECT line,
                   CASE WHEN event <> 'ENTERQUEUE' AND (session = 0 OR NOT before_end)
                          THEN 'no_start_event'
                        WHEN bad AND session > 0 THEN 'bad_number'
                        -- Every line of a call that has not ended: the next file takes
                        -- them up again.
                        WHEN end_ord IS NULL THEN 'incomplete_call'
                   END AS reason,
                   CASE WHEN event <> 'ENTERQUEUE' AND (session = 0 OR NOT before_end)
                          THEN event || ' without ENTERQUEUE for ' || callid
                        WHEN bad AND session > 0 THEN 'not a number'
                        WHEN event = 'ENTERQUEUE'
                          THEN 'no terminal event for ' || callid || ' in ' || queue
                        ELSE 'part of ' || callid || ' in ' || queue
                             || ', which has not ended in the file'
                   END AS detail
                 FROM ql_open) o
           JOIN ql_ev e USING (line)
           WHERE o.reason IS NOT NULL""",
        # One row per completed session, with what its legs need.
        f"""CREATE OR REPLACE TEMP TABLE ql_session AS
           WITH s AS (
             SELECT callid, queue, session,
               arg_min(epoch, ord) FILTER (event = 'ENTERQUEUE') AS enter,
               arg_min(d2, ord) FILTER (event = 'ENTERQUEUE') AS num_raw,
               arg_min(d4, ord) FILTER (event = 'ENTERQUEUE') AS name_raw,
               arg_max(member, ord) FILTER (event = 'CONNECT' AND NOT bad) AS c_member,
               arg_max(epoch, ord) FILTER (event = 'CONNECT' AND NOT bad) AS c_epoch,
               arg_max(CASE WHEN n > 5 THEN {_int("d1")} ELSE NULL END, ord)
                 FILTER (event = 'CONNECT' AND NOT bad) AS c_hold,
               arg_max(CASE WHEN n > 7 THEN {_int("d3")} ELSE 0 END, ord)
                 FILTER (event = 'CONNECT' AND NOT bad) AS c_ring
             FROM ql_open
             WHERE session > 0 AND before_end AND end_ord IS NOT NULL
               AND event IN ('ENTERQUEUE', 'CONNECT')
             GROUP BY ALL)
           SELECT s.*, e.t_event, e.t_epoch, e.t_n, e.t_bad, e.t1, e.t2, e.t3, e.t4,
                  CASE WHEN list_contains({hidden}, lower(trim(coalesce(s.num_raw, ''))))
                       THEN '' ELSE s.num_raw END AS from_number
           FROM s JOIN ql_end e USING (callid, queue, session)""",
        f"""CREATE OR REPLACE TEMP TABLE ql_session2 AS
           SELECT *,
             CASE WHEN from_number = '' OR name_raw = from_number THEN ''
                  ELSE coalesce(name_raw, '') END AS from_name,
             {is_ext.format(n="from_number")} AS internal,
             'ql:' || callid || ':' || queue || ':' || enter AS base,
             c_member IS NOT NULL AND t_event IN ('COMPLETECALLER', 'COMPLETEAGENT', 'TRANSFER',
                                                  'BLINDTRANSFER', 'ATTENDEDTRANSFER') AS answered,
             CASE WHEN t_event IN ('COMPLETECALLER', 'COMPLETEAGENT')
                  THEN CASE WHEN t_n > 6 THEN {_int("t2")} ELSE t_epoch - c_epoch END
                  ELSE CASE WHEN t_n > 8 THEN {_int("t4")} ELSE t_epoch - c_epoch END END AS talk,
             CASE WHEN t_event IN ('ABANDON', 'EXITEMPTY', 'EXITWITHTIMEOUT')
                       AND t_n > 7 AND trim(t3) <> '' THEN {_int("t3")}
                  WHEN t_event = 'EXITWITHKEY' AND t_n > 8 AND trim(t4) <> '' THEN {_int("t4")}
                  ELSE t_epoch - enter END AS unanswered_wait
           FROM ql_session WHERE NOT t_bad""",
        f"""CREATE OR REPLACE TEMP TABLE ql_rings AS
           SELECT callid, queue, session, member,
                  arg_min(epoch - (CASE WHEN n > 5 THEN {_int("d1")} ELSE 0 END) // 1000, ord)
                    AS first,
                  sum((CASE WHEN n > 5 THEN {_int("d1")} ELSE 0 END) // 1000) AS total
           FROM ql_open
           WHERE event = 'RINGNOANSWER' AND NOT bad AND session > 0 AND before_end
             AND end_ord IS NOT NULL
           GROUP BY ALL""",
        f"""CREATE OR REPLACE TEMP TABLE staged AS
           SELECT base AS leg_id, callid AS call_id, 'acd' AS object_kind,
                  'queue:' || queue AS object_identity, queue AS object_number,
                  make_timestamp(enter * 1000000) AS start_utc, 'in' AS direction, internal,
                  CASE WHEN answered THEN 'answered'
                       WHEN t_event = 'ABANDON' THEN 'abandoned'
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
                  CASE WHEN answered AND t_event LIKE '%TRANSFER' THEN 'transferred'
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
                  talk::INTEGER, '', ''
           FROM ql_session2 WHERE answered
           UNION ALL
           SELECT s.base || ':' || r.member, s.callid, 'user', 'ext:' || r.member, r.member,
                  make_timestamp(r.first * 1000000), 'in', s.internal, 'in_no_answer',
                  s.from_number, s.from_name, '', s.queue, r.member, '', '', r.total::INTEGER,
                  0, '', ''
           FROM ql_rings r JOIN ql_session2 s USING (callid, queue, session)
           WHERE NOT (s.answered AND r.member = s.c_member)
           UNION ALL
           SELECT 'ql:' || callid || ':' || queue || ':' || epoch, callid, 'acd',
                  'queue:' || queue, queue, make_timestamp(epoch * 1000000), 'in', false,
                  'no_agent', '', '', '', '', '', '', '', 0, 0, '',
                  CASE event {refused} END
           FROM ql_ev WHERE n >= 5 AND epoch IS NOT NULL AND event IN {tuple(REFUSED)}""",
        f"""CREATE OR REPLACE TEMP TABLE staged_memberships AS
           SELECT DISTINCT 'queue:' || queue AS grp, 'ext:' || member AS member FROM ql_open
           WHERE event IN ('RINGNOANSWER', 'CONNECT') AND NOT bad AND session > 0 AND before_end
           UNION
           SELECT DISTINCT 'queue:' || queue, 'ext:' || {_agent("agent")} FROM ql_ev
           WHERE n >= 5 AND epoch IS NOT NULL AND event = 'ADDMEMBER'
             AND agent NOT IN ('', 'NONE')""",
    ]


def is_native(path: Path) -> bool:
    """Whether the file is a native queue_log (the fast path's layout), by its first line."""
    with open(path, "rb") as f:
        first = f.readline(4096)
    head = first.split(b"|", 1)[0].strip()
    return head.isdigit() or first.strip() == b""


def stage(
    cursor: Any, path: Path, extension_pattern: str, trunk_peers: list[str], extensions: list[str]
) -> None:
    """Leave the file's legs in the temp table `staged`, its rejected records in
    `ql_rejects` and the memberships it shows in `staged_memberships`."""
    values = {
        "path": str(path),
        "pattern": extension_pattern,
        "trunk_peers": trunk_peers,
        "extensions": extensions,
    }
    for sql in statements():
        cursor.execute(sql, {k: v for k, v in values.items() if f"${k}" in sql})

"""The fast path for an Asterisk Master.csv of 21 columns: the same legs as the reference
parser (vaxelstat.ingest.parsers.asterisk_cdr), computed by DuckDB.

The reference walks each call's rows in order, handing the call from holder to holder. Here
each call's acting rows are numbered as steps; what a step does to the leg of the step before
(forwarded, voicemail, connected) is read with LAG and LEAD. Calls whose shape needs more than
that (Local channel halves, parallel Dial(A&B), a user dialled twice) are left to the reference:
`cdr_complex` names them, and the pipeline parses their rows in Python.

Local times become UTC through a table of the hours the file names (`cdr_hours`), whose two
offsets (before and after a daylight saving change) the caller computes with the same code as
the reference, so the repeated autumn hour is resolved by the uniqueid epoch alike.
"""

from pathlib import Path
from typing import Any

from vaxelstat.ingest.parsers.asterisk_cdr import LAYOUTS
from vaxelstat.ingest.parsers.base import HIDDEN_NUMBERS

COLUMNS = LAYOUTS[21]
HIDDEN = sorted(HIDDEN_NUMBERS)
FORMAT_TIME = "'%Y-%m-%d %H:%M:%S'"


def _peer(expr: str) -> str:
    """channel_peer() of the reference."""
    rest = f"split_part({expr}, '/', 2)"
    return (
        f"(CASE WHEN NOT contains({expr}, '/') THEN '' "
        f"WHEN starts_with({expr}, 'Local/') THEN split_part({rest}, '@', 1) "
        f"WHEN regexp_matches({rest}, '-[0-9a-f]{{6,}}$') "
        f"THEN regexp_replace({rest}, '-[^-]*$', '') ELSE {rest} END)"
    )


def _is_ext(expr: str) -> str:
    return (
        f"(list_contains($extensions, {expr}) OR (NOT list_contains($trunk_peers, {expr}) "
        f"AND regexp_matches({expr}, $pattern)))"
    )


def _utc(local: str) -> str:
    """Local naive time → UTC, choosing between the two offsets by the uniqueid hint."""
    h = f"h_{local}"
    first = f"({local} - to_seconds({h}.off0))"
    second = f"({local} - to_seconds({h}.off1))"
    return (
        f"CASE WHEN {h}.off0 = {h}.off1 OR hint IS NULL THEN {first} "
        f"WHEN abs(epoch({first}) - hint) <= abs(epoch({second}) - hint) THEN {first} "
        f"ELSE {second} END"
    )


# The columns the walk reads; the others are written empty for the reference (leftovers).
UNREAD = {"accountcode", "duration", "amaflags", "userfield", "peeraccount"}
READ = [c for c in COLUMNS if c not in UNREAD]


def read_statements() -> list[str]:
    columns = ", ".join(f"'{c}': 'VARCHAR'" for c in COLUMNS)
    values = ", ".join(f'coalesce("{c}", \'\') AS "{c}"' for c in READ)
    return [
        # Read once, narrow, with the times and numbers parsed; rowid is the file order.
        f"""CREATE OR REPLACE TEMP TABLE cdr_parsed AS
           SELECT *,
             try_strptime(left(start, 19), {FORMAT_TIME}) AS start_l,
             CASE WHEN "end" = '' THEN NULL ELSE try_strptime(left("end", 19), {FORMAT_TIME})
               END AS end_l,
             CASE WHEN answer <> '' AND disposition = 'ANSWERED'
               THEN try_strptime(left(answer, 19), {FORMAT_TIME}) END AS answer_l,
             try_cast(nullif(billsec, '') AS INTEGER) AS billsec_i,
             try_cast(nullif(sequence, '') AS INTEGER) AS seq_i,
             try_cast(regexp_extract(uniqueid, '[^-]*$') AS DOUBLE) AS hint
           FROM (SELECT {values}
                 FROM read_csv($path, columns = {{{columns}}}, header = false, delim = ',',
                               quote = '"', escape = '"', auto_detect = false,
                               allow_quoted_nulls = false,
                               store_rejects = true, rejects_table = 'cdr_reject_errors',
                               rejects_scan = 'cdr_reject_scans'))""",
        """CREATE OR REPLACE TEMP TABLE cdr_bad AS
           SELECT rowid AS rownum FROM cdr_parsed
           WHERE start_l IS NULL OR ("end" <> '' AND end_l IS NULL)
              OR (answer <> '' AND disposition = 'ANSWERED' AND answer_l IS NULL)
              OR (billsec <> '' AND billsec_i IS NULL) OR (sequence <> '' AND seq_i IS NULL)""",
        """CREATE OR REPLACE TEMP TABLE cdr_hour_list AS
           SELECT DISTINCT date_trunc('hour', t) AS h FROM (
             SELECT start_l AS t FROM cdr_parsed UNION ALL SELECT end_l FROM cdr_parsed
             UNION ALL SELECT answer_l FROM cdr_parsed) WHERE t IS NOT NULL""",
    ]


def walk_statements() -> list[str]:
    hidden = "[" + ", ".join(f"'{v}'" for v in HIDDEN) + "]"
    clid = r"""'^\s*"?(.*?)"?\s*<([^>]*)>\s*$'"""
    kind = """CASE WHEN p.dcontext = 'ext-group' AND p.lastapp = 'Dial' THEN 'hunt'
                    WHEN p.lastapp = 'Queue' THEN 'queue'
                    WHEN list_contains($rule_contexts, p.dcontext) THEN 'rule'
                    WHEN list_contains($ivr_contexts, p.dcontext)
                         OR starts_with(p.dcontext, 'ivr-') THEN 'ivr'
                    WHEN p.lastapp = 'VoiceMail' THEN 'vm'
                    WHEN p.lastapp = 'Dial' THEN 'dial'
                    ELSE '' END"""
    return [
        # The calls whose shape the reference alone walks.
        f"""CREATE OR REPLACE TEMP TABLE cdr_complex AS
           WITH c AS (
             SELECT hash(coalesce(nullif(linkedid, ''), uniqueid)) AS cid, lastapp, channel,
                    dstchannel, dcontext, lastdata
             FROM cdr_parsed WHERE lastapp IN ('Dial', 'Pickup') OR dcontext = 'ext-group')
           SELECT DISTINCT cid FROM c
           WHERE (lastapp = 'Dial' AND starts_with(channel, 'Local/') AND ends_with(channel, ';2'))
              OR (lastapp = 'Dial' AND dcontext <> 'ext-group'
                  AND contains(split_part(lastdata, ',', 1), '&'))
              OR (dcontext = 'ext-group' AND lastapp <> 'Dial')
              OR lastapp = 'Pickup'
           UNION
           SELECT hash(coalesce(nullif(linkedid, ''), uniqueid)) FROM cdr_parsed
           GROUP BY coalesce(nullif(linkedid, ''), uniqueid), coalesce(seq_i, 0)
           HAVING count(*) > 1
           UNION
           SELECT cid FROM (SELECT cid, {_peer("dstchannel")} AS b FROM c
                            WHERE lastapp = 'Dial' AND dcontext <> 'ext-group')
           WHERE {_is_ext("b")}
           GROUP BY cid, b HAVING count(*) > 1""",
        # Every row of the calls walked here, with what the walk reads of it. `pos` orders a
        # call's rows as the reference does: (sequence, row); a call with a sequence twice
        # went to the reference above.
        f"""CREATE OR REPLACE TEMP TABLE cdr_steps AS
           SELECT p.rowid AS rownum, p.src, p.dst, p.dcontext, p.clid, p.lastdata,
             p.disposition, p.uniqueid,
             coalesce(nullif(p.linkedid, ''), p.uniqueid) AS call_id,
             hash(coalesce(nullif(p.linkedid, ''), p.uniqueid)) AS cid,
             coalesce(p.seq_i, 0) AS seq, coalesce(p.billsec_i, 0) AS billsec,
             coalesce(p.seq_i, 0)::BIGINT * 4294967296 + p.rowid AS pos,
             {_utc("start_l")} AS start_u,
             CASE WHEN p.end_l IS NULL THEN {_utc("start_l")} ELSE {_utc("end_l")} END AS end_u,
             CASE WHEN p.answer_l IS NULL THEN NULL ELSE {_utc("answer_l")} END AS answer_u,
             {_peer("p.channel")} AS a, {_peer("p.dstchannel")} AS b,
             {kind} AS kind, split_part(p.lastdata, '@', 1) AS mailbox
           FROM cdr_parsed p
           JOIN cdr_hours h_start_l ON h_start_l.h = date_trunc('hour', p.start_l)
           LEFT JOIN cdr_hours h_end_l ON h_end_l.h = date_trunc('hour', p.end_l)
           LEFT JOIN cdr_hours h_answer_l ON h_answer_l.h = date_trunc('hour', p.answer_l)
           WHERE p.rowid NOT IN (SELECT rownum FROM cdr_bad)
             AND hash(coalesce(nullif(p.linkedid, ''), p.uniqueid))
                 NOT IN (SELECT cid FROM cdr_complex)""",
        # Ring-group blocks (rows dialled together) and queue passages: one step each.
        """CREATE OR REPLACE TEMP TABLE cdr_blocks AS
           SELECT cid, dst, start_u, min(pos) AS first,
             arg_min(rownum, pos) FILTER (disposition = 'ANSWERED') AS winner_row,
             arg_min(b, pos) FILTER (disposition = 'ANSWERED') AS winner,
             arg_min(greatest(0, epoch(coalesce(answer_u, end_u)) - epoch(start_u)), pos)
               FILTER (disposition = 'ANSWERED')::INTEGER AS winner_ring,
             arg_min(billsec, pos) FILTER (disposition = 'ANSWERED') AS winner_talk,
             count(*) FILTER (disposition NOT IN ('BUSY', 'CONGESTION', 'FAILED')) AS rang,
             max(greatest(0, epoch(coalesce(answer_u, end_u)) - epoch(start_u)))::INTEGER
               AS max_ring
           FROM cdr_steps WHERE kind = 'hunt' GROUP BY ALL
           UNION ALL
           SELECT cid, dst, NULL, min(pos), NULL, NULL, NULL, NULL, NULL, NULL
           FROM cdr_steps WHERE kind = 'queue' GROUP BY ALL""",
        # The acting steps in one sort per call: what each leaves holding the call, what the
        # step after does to it, and where each step came from.
        f"""CREATE OR REPLACE TEMP TABLE cdr_fate AS
           WITH acting AS (
             SELECT r.*, greatest(0, epoch(coalesce(r.answer_u, r.end_u))
                                     - epoch(r.start_u))::INTEGER AS ring_s,
               k.winner_row, k.winner, k.winner_ring, k.winner_talk, k.rang, k.max_ring,
               r.kind = 'dial' AND {_is_ext("r.b")} AS b_is_user
             FROM cdr_steps r
             LEFT JOIN cdr_blocks k ON r.kind IN ('hunt', 'queue') AND k.cid = r.cid
               AND k.dst = r.dst AND (r.kind = 'queue' OR k.start_u = r.start_u)
             WHERE r.kind <> '' AND (k.first IS NULL OR k.first = r.pos)),
           held AS (
             SELECT *,
               CASE kind WHEN 'dial' THEN CASE WHEN b_is_user THEN b ELSE dst END
                         WHEN 'ivr' THEN dcontext
                         WHEN 'vm' THEN 'voicemail ' || mailbox
                         ELSE dst END AS destination,
               CASE WHEN kind = 'dial' AND b_is_user AND disposition <> 'ANSWERED'
                      THEN CASE WHEN disposition = 'BUSY' THEN 'in_busy' ELSE 'in_no_answer' END
                    WHEN kind = 'hunt' AND winner IS NULL
                      THEN CASE WHEN rang > 0 THEN 'abandoned' ELSE 'no_agent' END
                    WHEN kind IN ('rule', 'ivr') THEN 'not_connected'
                    END AS holds,
               CASE WHEN kind = 'dial' THEN b WHEN kind = 'ivr' THEN dcontext ELSE dst END
                 AS holds_number
             FROM acting),
           f AS (
             SELECT *,
               row_number() OVER w AS step,
               lag(holds) OVER w AS prev_holds, lag(holds_number) OVER w AS prev_number,
               lead(kind) OVER w AS next_kind, lead(mailbox) OVER w AS next_mailbox,
               lead(destination) OVER w AS next_destination
             FROM held WINDOW w AS (PARTITION BY cid ORDER BY pos))
           SELECT *,
             prev_holds IS NOT NULL AND kind = 'vm' AND mailbox = prev_number AS takes_message,
             CASE WHEN prev_holds IS NOT NULL AND NOT (kind = 'vm' AND mailbox = prev_number)
                  THEN prev_number ELSE '' END AS forwarded_from,
             holds IS NOT NULL AND next_kind = 'vm' AND next_mailbox = holds_number
               AS to_own_mailbox,
             CASE WHEN holds IS NULL THEN NULL
                  WHEN next_kind = 'vm' AND next_mailbox = holds_number
                    THEN CASE holds WHEN 'in_no_answer' THEN 'in_voicemail'
                                    WHEN 'abandoned' THEN 'forwarded' ELSE holds END
                  WHEN next_kind IS NOT NULL
                    THEN CASE holds WHEN 'in_no_answer' THEN 'in_forwarded'
                                    WHEN 'abandoned' THEN 'forwarded'
                                    WHEN 'not_connected' THEN 'connected' ELSE holds END
                  ELSE holds END AS fate,
             CASE WHEN holds IS NULL THEN ''
                  WHEN next_kind = 'vm' AND next_mailbox = holds_number
                    THEN 'voicemail ' || next_mailbox
                  ELSE coalesce(next_destination, '') END AS forwarded_to
           FROM f""",
        # The group numbers of the calls that leave a message in a mailbox.
        """CREATE OR REPLACE TEMP TABLE cdr_groups AS
           SELECT cid, list(DISTINCT dst) AS numbers FROM cdr_steps
           WHERE dcontext IN ('ext-group', 'ext-queues')
             AND cid IN (SELECT cid FROM cdr_fate WHERE kind = 'vm')
           GROUP BY ALL""",
        # The caller: from the call's first row.
        f"""CREATE OR REPLACE TEMP TABLE cdr_caller AS
           SELECT cid, call_id, a AS origin, first_row,
             CASE WHEN regexp_matches(clid, {clid}) THEN trim(regexp_extract(clid, {clid}, 1))
                  ELSE '' END AS name,
             CASE WHEN src <> '' THEN src
                  WHEN regexp_matches(clid, {clid}) THEN trim(regexp_extract(clid, {clid}, 2))
                  ELSE trim(clid) END AS number,
             {_is_ext("a")} AND NOT list_contains($inbound_contexts, dcontext) AS internal
           FROM (SELECT cid, any_value(call_id) AS call_id, arg_min(a, pos) AS a,
                        arg_min(clid, pos) AS clid, arg_min(src, pos) AS src,
                        arg_min(dcontext, pos) AS dcontext, min(rownum) AS first_row
                 FROM cdr_steps GROUP BY cid)""",
        f"""CREATE OR REPLACE TEMP TABLE cdr_caller2 AS
           SELECT *,
             CASE WHEN list_contains({hidden}, lower(trim(number))) THEN '' ELSE number END
               AS from_number,
             CASE WHEN list_contains({hidden}, lower(trim(number))) OR name = number THEN ''
                  ELSE name END AS from_name
           FROM cdr_caller""",
        # The caller's outgoing leg: the first Dial by a user with nothing holding the call.
        f"""CREATE OR REPLACE TEMP TABLE cdr_out AS
           WITH o AS (
             SELECT f.* FROM cdr_fate f
             WHERE kind = 'dial' AND {_is_ext("a")}
               AND NOT list_contains($inbound_contexts, dcontext) AND src = a
               AND forwarded_from = ''
             QUALIFY row_number() OVER (PARTITION BY cid ORDER BY step) = 1),
           later AS (
             SELECT o.cid,
               arg_min(f.billsec, f.step) AS talk,
               arg_min(epoch(coalesce(f.answer_u, f.end_u)), f.step) AS answered_at
             FROM o JOIN cdr_fate f ON f.cid = o.cid AND f.step > o.step
             WHERE f.kind = 'dial' AND f.disposition = 'ANSWERED'
             GROUP BY ALL)
           SELECT o.*, later.talk AS later_talk, later.answered_at
           FROM o LEFT JOIN later USING (cid)""",
    ]


def legs_statement() -> str:
    common = "c.from_number, c.from_name"
    return f"""INSERT INTO staged
       SELECT 'cdr:' || o.uniqueid || ':' || o.seq || ':out', o.call_id, 'user',
              'ext:' || o.a, o.a, o.start_u, 'out', o.b_is_user,
              CASE WHEN o.disposition = 'ANSWERED' OR o.later_talk IS NOT NULL
                   THEN 'out_answered' ELSE 'out_unanswered' END,
              {common}, '', '', o.a, '', o.dst,
              CASE WHEN o.disposition = 'ANSWERED' OR o.later_talk IS NULL THEN o.ring_s
                   ELSE (o.answered_at - epoch(o.start_u))::INTEGER END,
              CASE WHEN o.disposition = 'ANSWERED' THEN o.billsec
                   ELSE coalesce(o.later_talk, 0) END,
              '', ''
       FROM cdr_out o JOIN cdr_caller2 c USING (cid)
       UNION ALL
       SELECT 'cdr:' || f.uniqueid || ':' || f.seq || ':in', f.call_id, 'user', 'ext:' || f.b,
              f.b, f.start_u, 'in', c.internal,
              coalesce(f.fate, 'in_answered'), {common}, f.forwarded_from, '', f.b, '', f.dst,
              f.ring_s, CASE WHEN f.disposition = 'ANSWERED' THEN f.billsec ELSE 0 END,
              f.forwarded_to, CASE WHEN f.to_own_mailbox THEN 'voicemail' ELSE '' END
       FROM cdr_fate f JOIN cdr_caller2 c USING (cid)
       WHERE f.kind = 'dial' AND f.b_is_user
       UNION ALL
       SELECT 'cdr:' || f.uniqueid || ':' || f.seq || ':group', f.call_id, 'hunt',
              'group:' || f.dst, f.dst, f.start_u, 'in', c.internal,
              coalesce(f.fate, 'answered'), {common}, f.forwarded_from, '',
              coalesce(f.winner, ''), '', '',
              CASE WHEN f.winner IS NULL THEN f.max_ring ELSE f.winner_ring END,
              coalesce(f.winner_talk, 0), f.forwarded_to,
              CASE WHEN f.to_own_mailbox THEN 'voicemail' ELSE '' END
       FROM cdr_fate f JOIN cdr_caller2 c USING (cid)
       WHERE f.kind = 'hunt'
       UNION ALL
       SELECT 'cdr:' || m.uniqueid || ':' || m.seq || ':member:' || m.b, m.call_id, 'user',
              'ext:' || m.b, m.b, m.start_u, 'in', c.internal,
              CASE WHEN m.rownum = f.winner_row THEN 'in_answered' ELSE 'in_no_answer' END,
              {common}, f.forwarded_from, f.dst, m.b, '', '',
              greatest(0, epoch(coalesce(m.answer_u, m.end_u)) - epoch(m.start_u))::INTEGER,
              CASE WHEN m.rownum = f.winner_row THEN m.billsec ELSE 0 END, '', ''
       FROM cdr_steps m
       JOIN cdr_blocks k ON k.cid = m.cid AND k.dst = m.dst AND k.start_u = m.start_u
       JOIN cdr_fate f ON f.cid = m.cid AND f.pos = k.first
       JOIN cdr_caller2 c ON c.cid = m.cid
       WHERE m.kind = 'hunt' AND m.disposition NOT IN ('BUSY', 'CONGESTION', 'FAILED')
       UNION ALL
       SELECT 'cdr:' || f.uniqueid || ':' || f.seq || ':' || f.kind, f.call_id, f.kind,
              CASE f.kind WHEN 'rule' THEN 'tc:' || f.dst ELSE 'ivr:' || f.dcontext END,
              CASE f.kind WHEN 'rule' THEN f.dst ELSE f.dcontext END, f.start_u, 'in',
              c.internal, f.fate, {common}, f.forwarded_from, '', '', '', '',
              CASE f.kind WHEN 'rule' THEN 0
                   ELSE (epoch(f.end_u) - epoch(f.start_u))::INTEGER END,
              0, f.forwarded_to,
              CASE WHEN f.kind = 'ivr' AND f.dst NOT IN ('s', 'h', '') THEN 'key ' || f.dst
                   WHEN f.to_own_mailbox THEN 'voicemail' ELSE '' END
       FROM cdr_fate f JOIN cdr_caller2 c USING (cid)
       WHERE f.kind IN ('rule', 'ivr')
       UNION ALL
       SELECT 'cdr:' || f.uniqueid || ':' || f.seq || ':vm', f.call_id, 'user',
              'ext:' || f.mailbox, f.mailbox, f.start_u, 'in', c.internal,
              CASE WHEN contains(f.lastdata, '@') AND ends_with(f.lastdata, ',b')
                   THEN 'in_busy' ELSE 'in_voicemail' END,
              {common}, f.forwarded_from, '', '', '', '', 0, 0, '', 'voicemail'
       FROM cdr_fate f JOIN cdr_caller2 c USING (cid) LEFT JOIN cdr_groups g USING (cid)
       WHERE f.kind = 'vm' AND NOT f.takes_message AND {_is_ext("f.mailbox")}
         AND NOT list_contains(coalesce(g.numbers, []), f.mailbox)"""


def memberships_statement() -> str:
    return """CREATE OR REPLACE TEMP TABLE staged_memberships AS
       SELECT DISTINCT 'group:' || dst AS grp, 'ext:' || b AS member
       FROM cdr_steps WHERE kind = 'hunt'"""


def names_statement() -> str:
    return """SELECT 'ext:' || origin, arg_min(name, first_row) FROM cdr_caller2
       WHERE internal AND name <> '' GROUP BY origin"""


def is_cdr_csv(path: Path) -> bool:
    """Whether the file's first line is a cdr_csv record of 21 columns."""
    import csv

    with open(path, encoding="utf-8", errors="replace") as f:
        first = f.readline()
    try:
        return len(next(csv.reader([first]))) == len(COLUMNS)
    except (csv.Error, StopIteration):
        return False


def run(cursor: Any, sql: str, values: dict[str, Any]) -> Any:
    return cursor.execute(sql, {k: v for k, v in values.items() if f"${k}" in sql})

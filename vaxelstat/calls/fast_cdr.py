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


# The columns the walk reads; the others are only carried for the reference (leftovers).
READ = [
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "billsec",
    "disposition",
    "uniqueid",
    "linkedid",
    "sequence",
]


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
    return [
        f"""CREATE OR REPLACE TEMP VIEW cdr_rows AS
           SELECT p.rowid AS rownum, p.src, p.dst, p.dcontext, p.clid, p.channel, p.dstchannel,
             p.lastapp, p.lastdata, p.disposition, p.uniqueid,
             coalesce(nullif(p.linkedid, ''), p.uniqueid) AS call_id,
             hash(coalesce(nullif(p.linkedid, ''), p.uniqueid)) AS cid,
             coalesce(p.seq_i, 0) AS seq, coalesce(p.billsec_i, 0) AS billsec,
             {_utc("start_l")} AS start_u,
             CASE WHEN p.end_l IS NULL THEN {_utc("start_l")} ELSE {_utc("end_l")} END AS end_u,
             CASE WHEN p.answer_l IS NULL THEN NULL ELSE {_utc("answer_l")} END AS answer_u,
             {_peer("p.channel")} AS a, {_peer("p.dstchannel")} AS b
           FROM cdr_parsed p
           JOIN cdr_hours h_start_l ON h_start_l.h = date_trunc('hour', p.start_l)
           LEFT JOIN cdr_hours h_end_l ON h_end_l.h = date_trunc('hour', p.end_l)
           LEFT JOIN cdr_hours h_answer_l ON h_answer_l.h = date_trunc('hour', p.answer_l)
           WHERE p.rowid NOT IN (SELECT rownum FROM cdr_bad)""",
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
        # `pos` orders each call's rows as the reference sorts them.
        """CREATE OR REPLACE TEMP TABLE cdr_steps AS
           WITH r AS (
             SELECT *,
               -- (sequence, row) as one number; a call with a sequence twice goes to the
               -- reference (cdr_complex), so within a call this is the reference's order.
               seq::BIGINT * 4294967296 + rownum AS pos,
               greatest(0, epoch(coalesce(answer_u, end_u)) - epoch(start_u))::INTEGER
                 AS ring_s,
               CASE WHEN dcontext = 'ext-group' AND lastapp = 'Dial' THEN 'hunt'
                    WHEN lastapp = 'Queue' THEN 'queue'
                    WHEN list_contains($rule_contexts, dcontext) THEN 'rule'
                    WHEN list_contains($ivr_contexts, dcontext) OR starts_with(dcontext, 'ivr-')
                      THEN 'ivr'
                    WHEN lastapp = 'VoiceMail' THEN 'vm'
                    WHEN lastapp = 'Dial' THEN 'dial'
                    ELSE '' END AS kind
             FROM cdr_rows WHERE cid NOT IN (SELECT cid FROM cdr_complex)),
           hunts AS (
             SELECT cid, dst, start_u, min(pos) AS first FROM r WHERE kind = 'hunt'
             GROUP BY ALL),
           queues AS (
             SELECT cid, dst, min(pos) AS first FROM r WHERE kind = 'queue' GROUP BY ALL)
           SELECT r.* EXCLUDE (channel, dstchannel, lastapp),
             coalesce(h.first, q.first, r.pos) AS block,
             r.kind <> '' AND coalesce(h.first, q.first, r.pos) = r.pos AS acting
           FROM r
           LEFT JOIN hunts h ON r.kind = 'hunt' AND h.cid = r.cid AND h.dst = r.dst
             AND h.start_u = r.start_u
           LEFT JOIN queues q ON r.kind = 'queue' AND q.cid = r.cid AND q.dst = r.dst""",
        # Per acting step: its destination, and the leg it leaves holding the call.
        f"""CREATE OR REPLACE TEMP TABLE cdr_step AS
           WITH hunt AS (
             SELECT cid, block,
               arg_min(rownum, pos) FILTER (disposition = 'ANSWERED') AS winner_row,
               arg_min(b, pos) FILTER (disposition = 'ANSWERED') AS winner,
               arg_min(ring_s, pos) FILTER (disposition = 'ANSWERED') AS winner_ring,
               arg_min(billsec, pos) FILTER (disposition = 'ANSWERED') AS winner_talk,
               count(*) FILTER (disposition NOT IN ('BUSY', 'CONGESTION', 'FAILED')) AS rang,
               max(ring_s) AS max_ring
             FROM cdr_steps WHERE kind = 'hunt' GROUP BY ALL),
           groups AS (
             SELECT cid, list(DISTINCT dst) AS numbers FROM cdr_steps
             WHERE dcontext IN ('ext-group', 'ext-queues') GROUP BY ALL),
           s AS (
             SELECT st.*, h.winner_row, h.winner, h.winner_ring, h.winner_talk, h.rang,
               h.max_ring, coalesce(g.numbers, []) AS group_numbers,
               {_is_ext("st.b")} AS b_is_user,
               split_part(st.lastdata, '@', 1) AS mailbox,
               row_number() OVER (PARTITION BY st.cid ORDER BY st.pos) AS step
             FROM cdr_steps st
             LEFT JOIN hunt h ON h.cid = st.cid AND h.block = st.block
             LEFT JOIN groups g ON g.cid = st.cid
             WHERE st.acting)
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
           FROM s""",
        # The step before and the step after, joined by their numbers within the call; what
        # became of each holding leg, and where each step came from.
        """CREATE OR REPLACE TEMP TABLE cdr_fate AS
           WITH f AS (
             SELECT s.*, p.holds AS prev_holds, p.holds_number AS prev_number,
               n.kind AS next_kind, n.mailbox AS next_mailbox,
               n.destination AS next_destination
             FROM cdr_step s
             LEFT JOIN (SELECT cid, step, holds, holds_number FROM cdr_step) p
               ON p.cid = s.cid AND p.step = s.step - 1
             LEFT JOIN (SELECT cid, step, kind, mailbox, destination FROM cdr_step) n
               ON n.cid = s.cid AND n.step = s.step + 1)
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
              {common}, f.forwarded_from, f.dst, m.b, '', '', m.ring_s,
              CASE WHEN m.rownum = f.winner_row THEN m.billsec ELSE 0 END, '', ''
       FROM cdr_steps m
       JOIN cdr_fate f ON f.cid = m.cid AND f.block = m.block AND f.kind = 'hunt'
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
       FROM cdr_fate f JOIN cdr_caller2 c USING (cid)
       WHERE f.kind = 'vm' AND NOT f.takes_message AND {_is_ext("f.mailbox")}
         AND NOT list_contains(f.group_numbers, f.mailbox)"""


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

"""Asterisk CDR (cdr_csv Master.csv, cdr_custom, DB exports) → user, hunt group, IVR and
rule legs, read and walked by DuckDB in the import's workspace (FORMATS.md §1).

Layouts are told apart by column count (FORMATS.md §1.1): 18 (cdr_csv with uniqueid and
userfield), 21 (plus peeraccount, linkedid, sequence) and 19 (cdr_custom's default mapping);
a DB export names its columns in a header (PBXware: calldate, duration, billsec). Rows are
grouped into calls by linkedid (uniqueid where there is none) and walked in order of sequence,
start and file. The contexts follow FreePBX (SPEC §13): `timeconditions` is a rule-based
number, `ivr-N` an IVR, `ext-group` a ring group, `ext-queues` an ACD queue (its legs come
from queue_log), VoiceMail the voicemail. Other dialplans name theirs in the collection
point's settings (PBXware's: its auto attendants by number, its ring groups by number, its
voicemail and feature contexts; see SourceSettings).

A call is held by one object at a time. When a later step sends the call elsewhere, the
holder that did not answer becomes forwarded (`in_forwarded` for a user, `forwarded` for a
group) and the new destination's leg names it in "forwarded from"; voicemail turns an
unanswered user's leg into `in_voicemail`. Here each call's acting rows are numbered as
steps, and what a step does to the leg of the step before is read with LAG and LEAD. (The
Python walk the product had before, tests/oracles/asterisk_cdr.py, holds these rules to an
independent reading in the tests.)

Local times become UTC through a table of the hours the file names (`cdr_hours`) with their
two offsets (before and after a daylight saving change); the repeated autumn hour is resolved
by the uniqueid's epoch, the nearer of the two.
"""

import csv
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from vaxelstat.ingest.parsers.base import (
    EARLIEST,
    HIDDEN_NUMBERS,
    MAX_SECONDS,
    NotReadable,
    ParseResult,
    Reason,
    SourceSettings,
    latest,
    read_lines,
    temporary_path,
    utf8_copy,
)
from vaxelstat.ingest.workspace import ORDERED_READ, Workspace

FORMAT = "asterisk-cdr"

_CDR_CSV = [
    "accountcode",
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
    "duration",
    "billsec",
    "disposition",
    "amaflags",
    "uniqueid",
    "userfield",
    "peeraccount",
    "linkedid",
    "sequence",
]
_CDR_CUSTOM = [
    "clid",
    "src",
    "dst",
    "dcontext",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
    "accountcode",
    "uniqueid",
    "userfield",
    "sequence",
]
LAYOUTS = {18: _CDR_CSV[:18], 19: _CDR_CUSTOM, 21: _CDR_CSV}
HIDDEN = sorted(HIDDEN_NUMBERS)
FORMAT_TIME = "'%Y-%m-%d %H:%M:%S'"


def _peer(expr: str) -> str:
    """A channel's peer (base.channel_peer): a last '-' part of six or more hex digits is the
    channel's sequence, not the peer's name."""
    rest = f"split_part({expr}, '/', 2)"
    return (
        f"(CASE WHEN NOT contains({expr}, '/') THEN '' "
        f"WHEN starts_with({expr}, 'Local/') THEN split_part({rest}, '@', 1) "
        f"ELSE regexp_replace({rest}, '-[0-9a-f]{{6,}}$', '') END)"
    )


CLID = r"""'^\s*"?(.*?)"?\s*<([^>]*)>"?\s*$'"""


def _clid_number(p: str) -> str:
    """The number of a row's caller ID (base.parse_clid): '' where it has none."""
    return f"trim(regexp_extract({p}.clid, {CLID}, 2))"


def _by_caller_id(p: str) -> str:
    """The second half of a Local channel whose caller number (src) is no user's but whose
    caller ID's is: a call the PBX originated for that user (PBXware writes the number
    called in src)."""
    # (A CASE, so that the caller ID is read only of such halves: its pattern costs.)
    return (
        f"(CASE WHEN starts_with({p}.channel, 'Local/') AND ends_with({p}.channel, ';2') "
        f"AND NOT {_is_ext(p + '.src')} THEN {_is_ext(_clid_number(p))} ELSE false END)"
    )


def _placed_by(p: str) -> str:
    """The peer that placed a row's call: its channel's; for the second half of a Local
    channel no Dial in the file rang (a call the PBX originated for a user: click-to-call),
    the user whose phone its first half rang, else its caller's number where that is a
    user's, else its caller ID's."""
    return (
        f"(CASE WHEN {p}.placed_for IS NOT NULL THEN {p}.placed_for "
        f"WHEN starts_with({p}.channel, 'Local/') AND ends_with({p}.channel, ';2') "
        f"AND {_is_ext(p + '.src')} THEN {p}.src "
        f"WHEN {_by_caller_id(p)} THEN {_clid_number(p)} "
        f"ELSE {_peer(p + '.channel')} END)"
    )


def _is_ext(expr: str) -> str:
    return (
        f"(list_contains($extensions, {expr}) OR (NOT list_contains($trunk_peers, {expr}) "
        f"AND regexp_full_match({expr}, $pattern)))"
    )


def _pos(p: str, rid: str = "rid") -> str:
    """Where a row of `cdr_rows` (alias `p`) comes in its call: by sequence, then start,
    then file order (the local start: rows of one sequence on both sides of the autumn
    change come in local order)."""
    return (
        f"((coalesce({p}.seq_i, 0)::HUGEINT << 64) "
        f"+ (epoch({p}.start)::BIGINT::HUGEINT << 32) + {p}.{rid})"
    )


def _is_numbered(expr: str) -> str:
    """SourceSettings.is_numbered: an extension by its number (the pattern), not by name."""
    return f"(NOT list_contains($trunk_peers, {expr}) AND regexp_full_match({expr}, $pattern))"


def _utc(local: str, h: str) -> str:
    """Local naive time → UTC, choosing between the two offsets (of the hours row `h`) by
    the uniqueid hint."""
    first = f"({local} - to_seconds({h}.off0))"
    second = f"({local} - to_seconds({h}.off1))"
    return (
        f"CASE WHEN {h}.off0 = {h}.off1 OR hint IS NULL THEN {first} "
        f"WHEN abs(epoch({first}) - hint) <= abs(epoch({second}) - hint) THEN {first} "
        f"ELSE {second} END"
    )


# The text columns kept of a row; the others are read into numbers, or not at all.
KEPT = [
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "disposition",
    "uniqueid",
    "userfield",
]
TIMES = {"start", "answer", "end", "calldate"}
NUMBERS = {"billsec", "sequence", "duration"}
# Text columns a call's rows must have; a DB export's header without one cannot be read.
NEEDED = ("src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp", "lastdata")


# A ring group's dial: FreePBX's ext-group context, or a number the point names a ring group
# (PBXware dials its groups with RetryDial from the caller's context).
GROUP_DIAL = (
    "((p.dcontext = 'ext-group' AND p.lastapp = 'Dial') OR (list_contains($group_numbers, p.dst) "
    "AND p.lastapp IN ('Dial', 'RetryDial')))"
)
# A mailbox taking the call: VoiceMail, or a row of a voicemail context the point names.
VOICEMAIL_ROW = "(p.lastapp = 'VoiceMail' OR list_contains($voicemail_contexts, p.dcontext))"
IVR_BY_NUMBER = "(list_contains($ivr_numbers, p.userfield) AND p.dstchannel = '')"
# A feature code dialled (a '*' code) that reached no one and ran no service of its own (an
# AGI, or nothing): the user set something (a login to a queue, call forwarding) or asked to
# pick up a call; no call of its own.
FEATURE_CODE = (
    "((starts_with(p.dst, '*') AND p.dstchannel = '' AND p.lastapp IN ('AGI', '') "
    "AND NOT list_contains($voicemail_contexts, p.dcontext)) "
    "OR list_contains($feature_contexts, p.dcontext))"
)


# What a row does in its call.
KIND = f"""CASE
         -- The dialled channel's own record of an application's dial (a queue's, say): the
         -- application's row already shows the attempt.
         WHEN p.lastapp IN ('AppDial', 'AppDial2') THEN ''
         -- A row of a context the point names a feature's (PBXware's pickup requests).
         WHEN list_contains($feature_contexts, p.dcontext) THEN ''
         -- A conference pairs its channel with every other one there: no one was rung. The
         -- call reached the conference (a service: the user's call to it is their call).
         WHEN p.lastapp IN ('ConfBridge', 'MeetMe') THEN 'conf'
         WHEN {GROUP_DIAL} THEN 'hunt'
         -- Dial(A&B): one step that rings several at once, answered by at most one.
         WHEN p.lastapp = 'Dial' AND contains(split_part(p.lastdata, ',', 1), '&') THEN 'par'
         WHEN p.lastapp = 'Queue' THEN 'queue'
         WHEN list_contains($rule_contexts, p.dcontext) THEN 'rule'
         WHEN list_contains($ivr_contexts, p.dcontext)
              OR starts_with(p.dcontext, 'ivr-') THEN 'ivr'
         -- An IVR named by its number in the userfield (PBXware's auto attendant runs in an
         -- AGI; a ForkCDR row where it sends the call on).
         WHEN {IVR_BY_NUMBER} THEN 'ivr'
         WHEN {VOICEMAIL_ROW} THEN 'vm'
         WHEN p.lastapp = 'Pickup'
              THEN CASE WHEN {_is_ext(_peer("p.channel"))} THEN 'pickup' ELSE '' END
         WHEN p.lastapp = 'Dial' OR p.dstchannel <> '' THEN 'dial'
         ELSE '' END"""


def read_statements(
    names: list[str], header: bool, table: str = "cdr_parsed", userfield: bool = True
) -> list[str]:
    """Read the file into `cdr_parsed`: the text the walk reads, the local times, the numbers.
    A record the reader cannot read (a time or number that is not one, a column count not
    the file's) is left out and noted in `cdr_reject_errors` with its line. The userfield is
    kept only where the point's settings read it (`userfield`)."""
    names = _unique(names)
    columns = ", ".join(f"'{c}': '{_type(c)}'" for c in names)
    kept = ", ".join(
        f'coalesce("{c}", \'\') AS "{c}"'
        if c in names and (userfield or c != "userfield")
        else f"'' AS \"{c}\""
        for c in KEPT
    )
    start = "calldate" if "calldate" in names and "start" not in names else "start"

    def col(name: str) -> str:
        return f'"{name}"' if name in names else "NULL"

    if start == "calldate":
        # A DB table has the start only: the end follows from duration, the answer from
        # billsec, counted from the start's instant (`dur_s`; across a change of offset too).
        times = f"""calldate AS start, NULL::TIMESTAMP AS "end", NULL::TIMESTAMP AS answer_l,
             coalesce({col("duration")}, 0) AS dur_s"""
    else:
        times = f"""start, {col("end")} AS "end",
             CASE WHEN disposition = 'ANSWERED' THEN {col("answer")} END AS answer_l,
             NULL::INTEGER AS dur_s"""
    options = [
        "delim = ','",
        "quote = '\"'",
        "escape = '\"'",
        "auto_detect = false",
        f"header = {str(header).lower()}",
        # Lenient with quotes as a CSV reader of a PBX's files must be: PBXware writes a
        # caller id's quotes unescaped ("\"Anna\" <1001>" as ""Anna" <1001>").
        "strict_mode = false",
        "store_rejects = true",
        f"rejects_table = '{table}_errors'",
        f"rejects_scan = '{table}_scans'",
    ]
    if header:
        options.append("nullstr = ['NULL', '']")  # DB exports write NULL for an empty value
    else:
        options.append(f"timestampformat = {FORMAT_TIME}")
    return [
        f"""CREATE OR REPLACE TEMP TABLE {table} AS
           SELECT {kept}, {times}, call_id, hash(call_id) AS cid,
             {col("billsec")} AS billsec_i, {col("sequence")} AS seq_i,
             try_cast(split_part(coalesce({col("uniqueid")}, ''), '-', -1) AS DOUBLE) AS hint
           FROM (SELECT *, coalesce(nullif({col("linkedid")}, ''), {col("uniqueid")}, '')
                             AS call_id
                 FROM read_csv($path, columns = {{{columns}}}, {", ".join(options)}))""",
        f"""CREATE OR REPLACE TEMP TABLE {table}_hour_list AS
           SELECT DISTINCT date_trunc('hour', t) AS h FROM (
             SELECT start AS t FROM {table} UNION ALL SELECT "end" FROM {table}
             UNION ALL SELECT answer_l FROM {table}) WHERE t IS NOT NULL""",
    ]


def _type(column: str) -> str:
    return "TIMESTAMP" if column in TIMES else "INTEGER" if column in NUMBERS else "VARCHAR"


# Every column name the reader may give its own name in SQL; any other column of a DB
# export's header is named by its position (the header is the file's: none of its text
# reaches the SQL).
KNOWN = frozenset(_CDR_CSV) | frozenset(_CDR_CUSTOM) | {"calldate"}


def _unique(names: list[str]) -> list[str]:
    """Column names as the reader needs them: a known one once by its name, every other (an
    unknown name, a known one again) by its position."""
    seen: set[str] = set()
    unique = []
    for position, name in enumerate(names):
        unique.append(name if name in KNOWN and name not in seen else f"column{position}")
        seen.add(name)
    return unique


_TIME_COLUMNS = ", ".join(f"'{t}'" for t in sorted(TIMES))


def rejects_statement(errors: str = "cdr_parsed_errors", line: str = "line") -> str:
    """Why each record the reader left out was rejected, by what it found (its error type and
    column): from the table `errors`, on the line `line` (an expression of the reader's)."""
    return f"""INSERT INTO ws_rejects
    WITH e AS (
      SELECT line, ltrim(csv_line, chr(10) || chr(13)) AS raw,
        CASE WHEN error_type = 'CAST' AND column_name IN ({_TIME_COLUMNS})
               THEN 'bad_time'
             WHEN error_type = 'CAST' THEN 'bad_number'
             WHEN error_type IN ('MISSING COLUMNS', 'TOO MANY COLUMNS') THEN 'unknown_layout'
             ELSE 'malformed' END AS reason,
        CASE WHEN error_type = 'CAST' AND regexp_extract(error_message, 'string "(.*)" to', 1) = ''
               THEN 'no ' || column_name
             WHEN error_type = 'CAST'
               THEN column_name || ' ' || regexp_extract(error_message, 'string "(.*)" to', 1)
                    || CASE WHEN column_name IN ({_TIME_COLUMNS})
                            THEN ' is not YYYY-MM-DD HH:MM:SS' ELSE ' is not a number' END
             WHEN error_type IN ('MISSING COLUMNS', 'TOO MANY COLUMNS')
               THEN regexp_extract(error_message, 'Found: ([0-9]+)', 1) || ' columns (this file '
                    || 'has ' || regexp_extract(error_message, 'Columns: ([0-9]+)', 1) || ')'
             ELSE lower(error_type) || ': ' || error_message END AS detail,
        -- The first thing a reader of the record finds wrong: its times, then its numbers.
        CASE WHEN error_type <> 'CAST' THEN 0 WHEN column_name = 'start' THEN 1
             WHEN column_name IN ('calldate', 'end', 'answer') THEN 2 ELSE 3 END AS rank
      FROM {errors})
    SELECT {line}, arg_min(reason, rank), arg_min(detail, rank), any_value(raw)
    FROM e GROUP BY line
    -- A line of blanks is no record (as an empty line is none).
    HAVING trim(any_value(raw)) <> ''"""


def rows_view(halves: bool, originated: bool, invited: bool = False) -> str:
    """`cdr_rows`: the rows the walk reads, with the Local channel halves joined (where the
    file has any: a view of `cdr_parsed` as it is where it has none), without the rows in
    which the PBX rang a user for a call it placed for them (`cdr_originated`); the second
    half of such a call names that user (`placed_for`) and whether their phone answered, as
    a conference's invitation names the user who asked for it (`cdr_invited`)."""
    owner = "cf.owner" if invited else "NULL::VARCHAR"
    join = "LEFT JOIN cdr_invited cf ON cf.row = p.rowid" if invited else ""
    if originated:
        placed = f"coalesce(pl.user, {owner}) AS placed_for, pl.answered AS placed_answered"
        join += """
           LEFT JOIN (
               SELECT cid, base, arg_min(user, row) FILTER (user IS NOT NULL) AS user,
                 bool_or(answered) AS answered
               FROM cdr_originated GROUP BY ALL) pl
             ON ends_with(p.channel, ';2') AND pl.cid = p.cid AND pl.base = left(p.channel, -2)"""
        without = "p.rowid NOT IN (SELECT row FROM cdr_originated)"
    else:
        placed = f"{owner} AS placed_for, NULL::BOOLEAN AS placed_answered"
        without = "true"
    if not halves:
        return f"""CREATE OR REPLACE TEMP VIEW cdr_rows AS
           SELECT p.*, p.rowid AS rid, '' AS dialled, {placed}
           FROM cdr_parsed p {join} WHERE {without}"""
    return f"""CREATE OR REPLACE TEMP VIEW cdr_rows AS
           SELECT p.* REPLACE (
               coalesce(hp.dstchannel, p.dstchannel) AS dstchannel,
               -- A Dial to the Local channel that failed reached no one, whatever the
               -- half wrote (a ring group's member not reached).
               CASE WHEN p.disposition = 'FAILED' THEN p.disposition
                    ELSE coalesce(hp.disposition, p.disposition) END AS disposition,
               CASE WHEN hp.rowid IS NULL THEN p.answer_l ELSE hp.answer_l END AS answer_l,
               CASE WHEN hp.rowid IS NULL THEN p.billsec_i ELSE hp.billsec_i END AS billsec_i),
             p.rowid AS rid, coalesce(hp.dst, '') AS dialled, {placed}
           FROM cdr_parsed p
           LEFT JOIN cdr_local l ON l.target_row = p.rowid
           LEFT JOIN cdr_parsed hp ON hp.rowid = l.half_row
           {join}
           WHERE NOT (p.lastapp = 'Dial' AND starts_with(p.channel, 'Local/')
                      AND ends_with(p.channel, ';2')
                      AND (p.cid, left(p.channel, -2)) IN (SELECT (cid, base) FROM cdr_local))
             AND {without}"""


def walk_statements() -> list[str]:
    hidden = "[" + ", ".join(f"'{v}'" for v in HIDDEN) + "]"
    clid = CLID
    # Five tables are kept: the rows the PBX rang a user in for a call it placed, a
    # conference's invitations, the two ends of an originate's Local channel, the Local
    # channel halves joined, and each call's caller; the rest of the walk is a table a step
    # (walk_tables) and the legs' statement (legs_statement).
    return [
        # Click-to-call that dials the far end first: the PBX placed a Local channel whose
        # second half dialled the far end (no user's phone) and whose first half then rang
        # the user who asked, both in one call. The call is the second half's (the user's
        # outgoing call); the first half's rows are no call of their own.
        f"""CREATE OR REPLACE TEMP TABLE cdr_originated AS
           WITH locals AS (
             -- A Local channel's rows, with whether each is a Dial to a user's phone.
             SELECT rowid, cid, channel, left(channel, -2) AS base, disposition,
               lastapp = 'Dial' AND {_is_ext(_peer("dstchannel"))} AS rings_user,
               lastapp = 'Dial' AS dial, {_peer("dstchannel")} AS b
             FROM cdr_parsed WHERE starts_with(channel, 'Local/')),
           rang AS (
             SELECT cid, channel FROM locals
             WHERE ends_with(channel, ';1') AND rings_user
               AND (cid, base) IN (
                 SELECT (cid, base) FROM locals
                 WHERE ends_with(channel, ';2') AND dial AND NOT rings_user))
           SELECT rowid AS row, cid, base, CASE WHEN rings_user THEN b END AS user,
             rings_user AND disposition = 'ANSWERED' AS answered
           FROM locals WHERE (cid, channel) IN (SELECT (cid, channel) FROM rang)""",
        # A dynamic conference's invitation (PBXware) is the call of the user who asked for
        # it: a Local channel's second half whose caller number is the conference's, the
        # owner's extension followed by the second the call began (the call id's).
        f"""CREATE OR REPLACE TEMP TABLE cdr_invited AS
           SELECT rowid AS row, left(src, -10) AS owner FROM cdr_parsed p
           WHERE starts_with(channel, 'Local/') AND ends_with(channel, ';2')
             AND length(split_part(call_id, '.', 1)) = 10
             AND ends_with(src, split_part(call_id, '.', 1))
             AND {_is_ext("left(src, -10)")}""",
        # The rows of a Local channel's first half whose second half has rows in the call:
        # the two ends of one path (an originate that ran an IVR on its first half and
        # dialled out on its second), not one step after the other.
        """CREATE OR REPLACE TEMP TABLE cdr_one_end AS
           SELECT rowid AS row FROM cdr_parsed
           WHERE starts_with(channel, 'Local/') AND ends_with(channel, ';1')
             AND (cid, left(channel, -2)) IN (
               SELECT (cid, left(channel, -2)) FROM cdr_parsed
               WHERE starts_with(channel, 'Local/') AND ends_with(channel, ';2'))""",
        # Ring groups and follow-me built of Local channels log both halves (FORMATS.md
        # §1.2): a Dial to `Local/X@ctx-N;1` is read as what its `;2` half dialled (the
        # half's answered attempt, else its last), and the halves leave the call.
        f"""CREATE OR REPLACE TEMP TABLE cdr_local AS
           WITH halves AS (
             SELECT cid, left(channel, -2) AS base,
               coalesce(arg_min(rowid, {_pos("cdr_parsed", "rowid")})
                          FILTER (disposition = 'ANSWERED'),
                        arg_max(rowid, {_pos("cdr_parsed", "rowid")})) AS half_row
             FROM cdr_parsed
             WHERE lastapp = 'Dial' AND starts_with(channel, 'Local/')
               AND ends_with(channel, ';2')
               AND rowid NOT IN (SELECT row FROM cdr_originated)
             GROUP BY ALL)
           SELECT r.rowid AS target_row, h.half_row, h.cid, h.base
           FROM cdr_parsed r JOIN halves h ON h.cid = r.cid AND r.dstchannel = h.base || ';1'
           WHERE r.rowid NOT IN (SELECT row FROM cdr_originated)""",
        # The caller: from the first row of each call walked here.
        f"""CREATE OR REPLACE TEMP TABLE cdr_caller AS
           WITH firsts AS (
             -- The caller's row: the first that is not a feature code's (a phone's record
             -- that a pickup rewrote to its code comes before the call's own) nor a dialled
             -- channel's own record of an application's dial.
             SELECT cid,
               coalesce(arg_min(rid, {_pos("p")})
                          FILTER (NOT {FEATURE_CODE}
                                  AND p.lastapp NOT IN ('AppDial', 'AppDial2')),
                        arg_min(rid, {_pos("p")})) AS first_pos_row,
               min(rid) AS first_row,
               -- A feature code among the call's rows (a pickup's: `*88<ext>`).
               bool_or({FEATURE_CODE}) AS has_code
             FROM cdr_rows p
             GROUP BY cid),
           c0 AS (
             SELECT f.cid, p.call_id, {_placed_by("p")} AS origin, f.first_row,
               f.first_pos_row, f.has_code, p.clid, p.src, p.dcontext,
               {FEATURE_CODE} AS feature, {_by_caller_id("p")} AS by_caller_id
             FROM firsts f JOIN cdr_rows p ON p.rid = f.first_pos_row),
           c AS (
             SELECT *, {_is_ext("origin")} AND NOT list_contains($inbound_contexts, dcontext)
               AS internal
             FROM c0),
           -- A caller id is read once however many calls it made.
           m AS (
             SELECT clid, regexp_extract(clid, {clid}, ['name', 'number']) AS parts
             FROM (SELECT DISTINCT clid FROM c)),
           n AS (
             SELECT clid, parts,
               -- A match has a number, or is an empty one: the pattern runs again only then.
               parts.number <> '' OR (contains(clid, '<') AND regexp_matches(clid, {clid}))
                 AS matched
             FROM m),
           ids AS (
             SELECT clid, CASE WHEN matched THEN trim(parts.name) ELSE '' END AS name,
               CASE WHEN matched THEN trim(parts.number) ELSE trim(clid) END AS number
             FROM n),
           o AS (
             -- (A call the PBX originated for the user its caller ID names is from that
             -- user.)
             SELECT c.*, i.name,
               CASE WHEN c.src <> '' AND NOT c.by_caller_id THEN c.src ELSE i.number END
                 AS number
             FROM c JOIN ids i USING (clid)),
           h AS (
             SELECT *, list_contains({hidden}, lower(trim(number))) AS hidden FROM o)
           SELECT cid, call_id, origin, first_row, first_pos_row, src, internal, name, feature,
             has_code, by_caller_id,
             CASE WHEN hidden THEN '' ELSE number END AS from_number,
             CASE WHEN hidden OR name = number THEN '' ELSE name END AS from_name
           FROM h""",
    ]


def _hour(t: str, minutes: bool) -> str:
    """The key of a local time in `cdr_hours`: its hour, or its minute in an hour whose
    offset changes within it."""
    if not minutes:
        return f"date_trunc('hour', {t})"
    return (
        f"CASE WHEN date_trunc('hour', {t}) IN (SELECT h FROM cdr_odd_hours) "
        f"THEN date_trunc('minute', {t}) ELSE date_trunc('hour', {t}) END"
    )


def walk_tables(minutes: bool) -> list[str]:
    """The walk's steps, the Dials that rang an answered user again, the ring-group blocks
    and each acting step's fate: a table each, which `legs_statement` reads (dropped after
    it, `WALK_TABLES`). A table each, not one statement: DuckDB holds what built a statement's
    parts (the sort of the steps by call, the steps themselves) until the statement ends,
    and a statement each lets it go as each is done: a 1-million-line Master.csv peaked at
    1.67 GB against 2.34, and in a workspace bound to 512MB took 6.1 s against 9.2 (it
    wrote less aside), at the same speed unbound."""
    return [
        f"""CREATE OR REPLACE TEMP TABLE cdr_steps AS
           -- Every row of the calls walked here, with what the walk reads of it. `pos`
           -- orders a call's rows: (sequence, start, row).
           SELECT p.rid AS rownum, p.cid, p.src, p.dst, p.dcontext, p.disposition, p.dialled,
             p.placed_for IS NOT NULL AS placed, starts_with(p.channel, 'Local/') AS local,
             coalesce(p.placed_answered, true) AS placed_answered,
             p.uniqueid, coalesce(p.seq_i, 0) AS seq, coalesce(p.billsec_i, 0) AS billsec,
             {_pos("p")} AS pos,
             {_utc("p.start", "h_start")} AS start_u,
             CASE WHEN p.dur_s IS NOT NULL
                    THEN {_utc("p.start", "h_start")} + to_seconds(p.dur_s)
                  WHEN p."end" IS NULL THEN {_utc("p.start", "h_start")}
                  ELSE {_utc('p."end"', "h_end")} END AS end_u,
             CASE WHEN p.dur_s IS NOT NULL AND p.disposition = 'ANSWERED'
                    THEN {_utc("p.start", "h_start")}
                         + to_seconds(p.dur_s - coalesce(p.billsec_i, 0))
                  WHEN p.answer_l IS NULL THEN NULL
                  ELSE {_utc("p.answer_l", "h_answer")} END AS answer_u,
             -- The dialled peer is read of Dial rows only (hunt and dial steps); a Pickup
             -- row's calling peer is the picker.
             CASE WHEN p.lastapp IN ('Dial', 'Pickup') OR p.dstchannel <> ''
                  THEN coalesce(p.placed_for, {_peer("p.channel")}) ELSE '' END AS a,
             -- The phone a Pickup took the call from: 'PJSIP/1001', '1001@PICKUPMARK', or
             -- FreePBX's '1001&1001@PICKUPMARK' (the first).
             CASE WHEN p.lastapp = 'Pickup'
                  THEN split_part(CASE WHEN contains(split_part(p.lastdata, '&', 1), '/')
                                       THEN {_peer("split_part(p.lastdata, '&', 1)")}
                                       ELSE split_part(p.lastdata, '&', 1) END, '@', 1)
                  ELSE '' END AS target,
             p.lastapp = 'Pickup' AS pickup_row,
             p.lastapp = 'AGI' AS agi,
             CASE WHEN p.lastapp = 'Dial' OR p.dstchannel <> '' THEN {_peer("p.dstchannel")}
                  ELSE '' END AS b,
             {KIND} AS kind,
             -- The block a row rings in: a ring group's (its number), a parallel Dial's
             -- (its arguments and start).
             CASE WHEN {GROUP_DIAL} THEN p.dst
                  WHEN p.lastapp = 'Dial' AND contains(split_part(p.lastdata, ',', 1), '&')
                    THEN p.lastdata || '|' || p.start::VARCHAR
                  WHEN p.lastapp = 'Queue' THEN p.dst END AS blk,
             -- A queue or a mailbox answering is no answer by a person or a service.
             p.lastapp = 'Queue' OR {VOICEMAIL_ROW} AS holding_app,
             -- An IVR is its context, or its number where the userfield names it; a key
             -- chosen is the dst of a context's row.
             CASE WHEN {IVR_BY_NUMBER} THEN p.userfield ELSE p.dcontext END AS ivr_id,
             CASE WHEN {IVR_BY_NUMBER} THEN '' ELSE p.dst END AS ivr_key,
             -- voicemail_box(): '1001@default,b', '1001,u', or the old 'b1001@default'; in a
             -- voicemail context, the userfield's mailbox (PBXware's), else the dst.
             CASE WHEN list_contains($voicemail_contexts, p.dcontext) AND p.lastapp <> 'VoiceMail'
                    THEN coalesce(nullif(p.userfield, ''), p.dst)
                  WHEN p.lastapp = 'VoiceMail'
                  THEN regexp_replace(split_part(split_part(split_part(p.lastdata, ',', 1),
                                      '&', 1), '@', 1), '^[bus]([0-9])', '\\1')
                  ELSE '' END AS mailbox,
             p.lastapp = 'VoiceMail' AND (contains(split_part(p.lastdata, ',', 2), 'b')
                                          OR regexp_matches(p.lastdata, '^b[0-9]')) AS busy_box,
             -- What a Dial rang (its first argument): the same Dial again, answered by
             -- another phone, is a pickup of the phone it rang.
             CASE WHEN p.lastapp = 'Dial' THEN hash(split_part(p.lastdata, ',', 1)) END
               AS dial_args
           FROM cdr_rows p
           JOIN cdr_hours h_start ON h_start.h = {_hour("p.start", minutes)}
           LEFT JOIN cdr_hours h_end ON h_end.h = {_hour('p."end"', minutes)}
           LEFT JOIN cdr_hours h_answer ON h_answer.h = {_hour("p.answer_l", minutes)}""",
        # Users' answered legs (of a Dial, or of a parallel Dial's row), and the Dials that
        # rang such a user again (after a Local channel optimised away, say): those add talk
        # to the first leg and the caller's, and give no leg (a Dial leaves the call where
        # it was; a parallel Dial still moves it on).
        # Each such Dial names the user's first answered leg (`first_row`), which its talk is
        # added to.
        f"""CREATE OR REPLACE TEMP TABLE cdr_again AS
           WITH cdr_answered AS (
             SELECT cid, b, pos, rownum FROM cdr_steps
             WHERE kind IN ('dial', 'par') AND disposition = 'ANSWERED' AND {_is_ext("b")})
           SELECT r.rownum, any_value(r.cid) AS cid, any_value(r.b) AS b,
             any_value(r.pos) AS pos, any_value(r.billsec) AS billsec,
             arg_min(e.rownum, e.pos) AS first_row
           FROM cdr_steps r JOIN cdr_answered e ON e.cid = r.cid AND e.b = r.b AND e.pos < r.pos
           WHERE r.kind IN ('dial', 'par') GROUP BY r.rownum""",
        # Ring-group blocks (rows dialled together) and queue passages: one step each.
        f"""CREATE OR REPLACE TEMP TABLE cdr_blocks AS
           -- One block per group of a call: members rung together (ringall) or one Dial
           -- after another (hunt); Kötid is all the time in the group.
           SELECT cid, blk, min(pos) AS first, arg_min(rownum, pos) AS first_row,
             arg_min(rownum, pos) FILTER (disposition = 'ANSWERED') AS winner_row,
             arg_min(b, pos) FILTER (disposition = 'ANSWERED') AS winner,
             greatest(0, arg_min(epoch(coalesce(answer_u, end_u)), pos)
               FILTER (disposition = 'ANSWERED') - epoch(arg_min(start_u, pos)))::INTEGER
               AS winner_ring,
             arg_min(billsec, pos) FILTER (disposition = 'ANSWERED') AS winner_talk,
             count(*) FILTER (disposition NOT IN ('BUSY', 'CONGESTION', 'FAILED')) AS rang,
             greatest(0, max(epoch(coalesce(answer_u, end_u)))
               - epoch(arg_min(start_u, pos)))::INTEGER AS max_ring,
             NULL::BIGINT AS holder_row, NULL AS holder_b, NULL AS holder_busy,
             NULL AS answered_b, NULL::BOOLEAN AS one_user
           FROM cdr_steps WHERE kind = 'hunt' GROUP BY ALL
           UNION ALL
           -- A parallel Dial: its users' legs; if none of them answered, the first holds
           -- the call (and the last who answered may transfer it on).
           SELECT cid, blk, min(pos), arg_min(rownum, pos), NULL, NULL, NULL, NULL, NULL, NULL,
             CASE WHEN NOT bool_or(disposition = 'ANSWERED') FILTER (member)
                  THEN arg_min(rownum, pos) FILTER (member) END,
             arg_min(b, pos) FILTER (member),
             arg_min(disposition = 'BUSY', pos) FILTER (member),
             arg_max(b, pos) FILTER (member AND disposition = 'ANSWERED'),
             -- The phones it rang are one user's.
             count(DISTINCT b) FILTER ({_is_ext("b")}) = 1
           FROM (SELECT *, {_is_ext("b")} AND rownum NOT IN (SELECT rownum FROM cdr_again)
                             AS member
                 FROM cdr_steps WHERE kind = 'par')
           GROUP BY ALL
           UNION ALL
           SELECT cid, blk, min(pos), arg_min(rownum, pos), NULL, NULL, NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, NULL, NULL
           FROM cdr_steps WHERE kind = 'queue' GROUP BY ALL""",
        # The acting steps in one sort per call: what each leaves holding the call, what
        # the step after does to it, and where each step came from.
        f"""CREATE OR REPLACE TEMP TABLE cdr_fate AS
           -- A ring-group block or queue passage acts by its first row, with what the block
           -- leaves holding the call; only those rows are joined to the blocks here (the
           -- rest of a block's outcome is joined where the group's legs are made: the
           -- fewer columns sorted per call, the cheaper).
           WITH blocked AS (
             SELECT r.*,
               CASE WHEN r.kind = 'hunt' AND k.winner IS NULL
                      THEN CASE WHEN k.rang > 0 THEN 'abandoned' ELSE 'no_agent' END
                    WHEN r.kind = 'par' AND k.holder_row IS NOT NULL
                      THEN CASE WHEN k.holder_busy THEN 'in_busy' ELSE 'in_no_answer' END
                    END AS block_holds,
               k.holder_b, k.answered_b, k.one_user
             FROM cdr_steps r
             JOIN cdr_blocks k ON k.first_row = r.rownum
             WHERE r.kind IN ('hunt', 'queue', 'par')
             UNION ALL
             -- A Dial that rang an answered user again leaves the call where it was: no step
             -- of the walk (but the steps either side of it are no transfer).
             SELECT r.*, NULL, NULL, NULL, NULL
             FROM cdr_steps r
             WHERE r.kind NOT IN ('', 'hunt', 'queue', 'par')
               AND NOT (r.kind = 'dial' AND r.rownum IN (SELECT rownum FROM cdr_again))),
           acting AS (
             SELECT rownum, cid, pos, kind, dst, mailbox, b, disposition, uniqueid,
               seq, start_u, end_u, answer_u, billsec, busy_box, a, target, dialled, ivr_id,
               ivr_key, dial_args,
               greatest(0, epoch(coalesce(answer_u, end_u)) - epoch(start_u))::INTEGER
                 AS ring_s,
               block_holds, holder_b, answered_b, one_user,
               kind IN ('dial', 'par') AND {_is_ext("b")} AS b_is_user
             FROM blocked),
           held AS (
             SELECT *,
               CASE kind WHEN 'dial' THEN CASE WHEN b_is_user THEN b
                                               ELSE coalesce(nullif(dialled, ''), dst) END
                         WHEN 'ivr' THEN ivr_id
                         WHEN 'pickup' THEN a
                         WHEN 'vm' THEN 'voicemail ' || mailbox
                         ELSE dst END AS destination,
               CASE WHEN kind = 'dial' AND b_is_user AND disposition <> 'ANSWERED'
                      THEN CASE WHEN disposition = 'BUSY' THEN 'in_busy' ELSE 'in_no_answer' END
                    WHEN kind IN ('hunt', 'par') THEN block_holds
                    -- A key chosen in a menu sent the call on, wherever the log shows it went.
                    WHEN kind = 'ivr' AND ivr_key NOT IN ('s', 'h', 't', 'i', '') THEN 'connected'
                    WHEN kind IN ('rule', 'ivr') THEN 'not_connected'
                    END AS holds,
               CASE kind WHEN 'dial' THEN b WHEN 'par' THEN holder_b WHEN 'ivr' THEN ivr_id
                         ELSE dst END AS holds_number,
               -- The user who answered this step (a Dial's, or a parallel Dial's).
               CASE kind WHEN 'dial' THEN CASE WHEN disposition = 'ANSWERED' AND b_is_user
                                               THEN b END
                         WHEN 'par' THEN answered_b END AS answerer,
               -- The user a Dial rang.
               CASE WHEN kind = 'dial' AND b_is_user THEN b END AS dial_user
             FROM acting),
           -- The steps either side of a Dial that rang an answered user again (few calls).
           around_again AS (
             WITH acting_pos AS (
               SELECT cid, pos FROM cdr_steps
               WHERE kind NOT IN ('', 'hunt', 'queue', 'par')
                 AND NOT (kind = 'dial' AND rownum IN (SELECT rownum FROM cdr_again))
               UNION ALL SELECT cid, first FROM cdr_blocks)
             SELECT max(h.pos) FILTER (h.pos < g.pos) AS before,
               min(h.pos) FILTER (h.pos > g.pos) AS after
             FROM cdr_again g JOIN acting_pos h ON h.cid = g.cid
             WHERE g.rownum IN (SELECT rownum FROM cdr_steps WHERE kind = 'dial')
             GROUP BY g.rownum),
           -- The neighbours' values each step reads, one window function each (each costs
           -- a pass over every step: as few as the rules need).
           near AS (
             SELECT *,
               row_number() OVER w AS step,
               -- What the step before left holding the call (its number), and when it began.
               lag(CASE WHEN holds IS NOT NULL THEN holds_number END) OVER w AS prev_number,
               lag(start_u) OVER w AS prev_start,
               lag(answerer) OVER w AS prev_answerer,
               lead(kind) OVER w AS next_kind, lead(busy_box) OVER w AS next_busy,
               lead(destination) OVER w AS next_destination,
               lead(dial_args) OVER w AS next_dial_args,
               lead(answerer) OVER w AS next_answerer,
               lead(dial_user) OVER w AS next_dial_user
             FROM held WINDOW w AS (PARTITION BY cid ORDER BY pos)),
           f AS (
             SELECT *,
               -- A mailbox's destination is 'voicemail <box>'.
               CASE WHEN next_kind = 'vm' THEN substr(next_destination, 11) END
                 AS next_mailbox,
               -- The same Dial again, answered by another user, while this user's phone
               -- rang, and the call shows a pickup's code: that user picked the call up
               -- (PBXware's directed pickup).
               holds = 'in_no_answer' AND next_kind IN ('dial', 'par')
                 AND cid IN (SELECT cid FROM cdr_caller WHERE has_code)
                 AND next_dial_args = dial_args
                 AND next_answerer <> holds_number AS picked_up,
               -- A user who answered, and the call went on to another user: a transfer.
               pos NOT IN (SELECT after FROM around_again WHERE after IS NOT NULL)
               AND coalesce(dial_user <> prev_answerer, false) AS after_answered,
               -- The extension dialled is not the one that rang: the dialled user's call
               -- forwarding sent the call on at once (where phones are named by number).
               -- A parallel Dial's phones must be one user's (several users rung at once
               -- are the number's own, a group of a kind).
               step = 1 AND (kind = 'dial' OR (kind = 'par' AND one_user)) AND b_is_user
                 AND b <> dst AND {_is_numbered("b")} AND {_is_numbered("dst")} AS forwarding,
               -- A call to a user that went out through a Local channel to another number
               -- at once: the user's call forwarding (it never rang).
               step = 1 AND kind = 'dial' AND dialled <> '' AND NOT b_is_user
                 AND dst <> dialled AND {_is_ext("dst")} AS local_forwarding,
               pos NOT IN (SELECT before FROM around_again WHERE before IS NOT NULL)
               AND coalesce(next_dial_user <> answerer, false) AS transferred
             FROM near)
           SELECT rownum, cid, pos, kind, step, ring_s, b_is_user, dst, mailbox, b,
             disposition, uniqueid, seq, start_u, end_u, billsec, busy_box, a, target,
             dialled, ivr_id, ivr_key,
             -- A picker's Kötid runs from when the phone it took the call from began ringing.
             CASE WHEN kind = 'pickup'
                  THEN greatest(0, epoch(coalesce(answer_u, start_u))
                         - epoch(CASE WHEN prev_number IS NULL THEN start_u ELSE prev_start END))
                  END::INTEGER AS pickup_wait,
             -- Another phone picked up the call while this holder rang: Övrigt says who.
             CASE WHEN holds IS NOT NULL AND next_kind = 'pickup'
                    THEN 'picked up by ' || next_destination
                  WHEN picked_up THEN 'picked up by ' || next_answerer END AS picked_by,
             coalesce(next_busy, false) AS next_busy, next_kind,
             prev_number IS NOT NULL AND kind = 'vm' AND mailbox = prev_number AS takes_message,
             forwarding, local_forwarding,
             CASE WHEN forwarding OR local_forwarding THEN dst
                  WHEN prev_number IS NOT NULL AND NOT (kind = 'vm' AND mailbox = prev_number)
                  THEN prev_number
                  WHEN after_answered THEN prev_answerer ELSE '' END AS forwarded_from,
             transferred,
             holds IS NOT NULL AND next_kind = 'vm' AND next_mailbox = holds_number
               AS to_own_mailbox,
             CASE WHEN holds IS NULL THEN NULL
                  WHEN next_kind = 'pickup' OR picked_up THEN holds
                  WHEN next_kind = 'vm' AND next_mailbox = holds_number
                    THEN CASE holds WHEN 'in_no_answer' THEN 'in_voicemail'
                                    WHEN 'in_busy' THEN 'in_voicemail'
                                    WHEN 'abandoned' THEN 'forwarded' ELSE holds END
                  WHEN next_kind IS NOT NULL
                    THEN CASE holds WHEN 'in_no_answer' THEN 'in_forwarded'
                                    WHEN 'abandoned' THEN 'forwarded'
                                    WHEN 'not_connected' THEN 'connected' ELSE holds END
                  ELSE holds END AS fate,
             CASE WHEN holds IS NULL THEN ''
                  WHEN next_kind = 'vm' AND next_mailbox = holds_number
                    THEN 'voicemail ' || next_mailbox
                  WHEN picked_up THEN next_answerer
                  ELSE coalesce(next_destination, '') END AS forwarded_to
           FROM f""",
    ]


# Dropped once the legs are made (a 1-million-line file's steps and fates are some 600 MB).
WALK_TABLES = ("cdr_steps", "cdr_again", "cdr_blocks", "cdr_fate")


def _walk_ctes() -> str:
    """What the legs read of the walk's tables, besides the tables."""
    return f"""
       -- (A user's first answered leg comes before all the Dials that rang them again.)
       cdr_again_talk AS (
           SELECT cid, b, sum(billsec) AS talk, any_value(first_row) AS first_row
           FROM cdr_again GROUP BY cid, b),
       -- The group numbers of the calls that leave a message in a mailbox.
       cdr_groups AS (
           SELECT cid, list(DISTINCT dst) AS numbers FROM cdr_steps
           WHERE (dcontext IN ('ext-group', 'ext-queues') OR kind = 'hunt')
             AND cid IN (SELECT cid FROM cdr_fate WHERE kind = 'vm')
           GROUP BY ALL),
       -- The caller's outgoing leg: the first Dial by a user with nothing holding the call.
       cdr_out AS MATERIALIZED (
           WITH dials AS (
             -- Who placed a Dial: its phone; on the call's first row, the call's caller (a
             -- call the PBX placed for a user: click-to-call).
             SELECT f.rownum, f.cid, f.step, f.pos, f.ring_s, f.b_is_user, f.forwarded_from,
               f.forwarding, s.src, s.dcontext, s.placed, s.local,
               CASE WHEN s.rownum = c.first_pos_row THEN c.origin ELSE s.a END AS caller
             FROM cdr_fate f JOIN cdr_steps s ON s.rownum = f.rownum
             JOIN cdr_caller c ON c.cid = f.cid
             WHERE f.kind IN ('dial', 'par')),
           o AS (
             SELECT rownum, cid, step, pos, ring_s, b_is_user, caller FROM dials
             WHERE {_is_ext("caller")}
               AND rownum NOT IN (SELECT rownum FROM cdr_again)
               AND NOT list_contains($inbound_contexts, dcontext)
               -- The user placed the call; or the PBX rang the user's phone first, without
               -- a caller number (click-to-call, a call file), and dialled out for the user.
               -- Or the phone called on while it carried another caller's number (a
               -- consultation in a transfer: PBXware keeps the transferred caller's); a
               -- Local channel is no phone (it is named by the number it dials).
               AND (src IN (caller, '') OR placed OR NOT local)
               AND (forwarded_from = '' OR forwarding)
             QUALIFY row_number() OVER (PARTITION BY cid ORDER BY step) = 1),
           later AS (
             -- The first row after the caller's Dial that answered: a Dial's (of a
             -- parallel Dial, any of its rows), or a colleague's pickup.
             SELECT o.cid,
               arg_min(s.billsec, s.pos) AS talk,
               arg_min(epoch(coalesce(s.answer_u, s.end_u)), s.pos) AS answered_at,
               -- A colleague who picked the call up answered it (its Kötid stays the dial's).
               arg_min(s.kind = 'pickup', s.pos) AS by_pickup
             FROM o JOIN cdr_steps s ON s.cid = o.cid AND s.pos > o.pos
             WHERE ((s.kind IN ('dial', 'par') AND s.disposition = 'ANSWERED' AND s.b <> '')
                    OR s.kind = 'pickup')
               AND s.rownum NOT IN (SELECT rownum FROM cdr_again)
             GROUP BY ALL),
           mailbox AS (
             SELECT cid, max(step) AS last_vm FROM cdr_fate WHERE kind = 'vm' GROUP BY ALL)
           -- (A call the PBX placed for a user whose phone did not answer was not answered,
           -- whoever answered further on.)
           SELECT o.*, CASE WHEN s.placed_answered THEN later.talk END AS later_talk,
             later.answered_at, later.by_pickup,
             -- The Dials that rang an answered user again after this one: more talk.
             coalesce((SELECT sum(a.billsec) FROM cdr_again a
                       WHERE a.cid = o.cid AND a.pos > o.pos), 0) AS again_talk,
             -- A Dial with no Party B reached nobody, whatever the disposition says; a call
             -- the PBX placed for a user is answered once the user's phone answered too.
             s.disposition = 'ANSWERED' AND s.b <> '' AND s.placed_answered AS answered,
             -- The caller reached a mailbox after this dial (voicemail).
             coalesce(mailbox.last_vm > o.step, false) AS to_mailbox
           FROM o JOIN cdr_steps s ON s.rownum = o.rownum
           LEFT JOIN later ON later.cid = o.cid LEFT JOIN mailbox ON mailbox.cid = o.cid),
       -- A call a user placed that no Dial made the user's outgoing leg: a call to a PBX
       -- service (echo test, IVR, conference, queue, mailbox). Answered when a row other
       -- than a queue's or a mailbox's was.
       -- A call the PBX placed to a user's phone without a caller number (a call file: a
       -- reminder) that dialled nobody is a call to the user, from the PBX.
       -- An AGI that answered a number no row of the file shows a service at (a conference,
       -- a queue, a ring group, an IVR, a rule, a mailbox) played the PBX's announcement (a
       -- number that does not exist): it answered no one's call.
       cdr_service AS (
           WITH services AS (
             SELECT DISTINCT dst FROM cdr_steps
             WHERE kind IN ('conf', 'hunt', 'queue', 'rule', 'ivr', 'vm')),
           answering AS (
             SELECT s.cid, s.pos, s.answer_u, s.end_u, s.billsec, s.holding_app, s.kind,
               s.b, s.pickup_row,
               s.disposition = 'ANSWERED' AND NOT s.holding_app
                 AND NOT (s.agi AND s.kind = '' AND sv.dst IS NULL) AS answers
             FROM cdr_caller c JOIN cdr_steps s ON s.cid = c.cid
             LEFT JOIN services sv ON sv.dst = s.dst
             WHERE c.internal AND (c.src IN (c.origin, '') OR c.by_caller_id) AND NOT c.feature
               AND c.cid NOT IN (SELECT cid FROM cdr_out)),
           outcome AS (
             SELECT cid,
               arg_min(epoch(coalesce(answer_u, end_u)), pos) FILTER (answers) AS answered_at,
               arg_min(billsec, pos) FILTER (answers) AS talk,
               bool_or(holding_app AND kind <> 'queue') AS to_mailbox,
               -- Whether the call reached anyone: a phone dialled (a ring group's member, a
               -- conference's other participants) or a conference.
               bool_or(b <> '' OR kind = 'conf') AS reached
             FROM answering
             GROUP BY cid
             -- A pickup: the user answered a call, not placed one.
             HAVING NOT bool_or(pickup_row)),
           v AS (
             SELECT c.cid, c.origin, c.src, c.first_pos_row, o.* EXCLUDE (cid)
             FROM outcome o JOIN cdr_caller c ON c.cid = o.cid)
           -- A call to a user's number that reached no one was not answered: no service
           -- answers a user's number (a ring group's or a conference's number, however it
           -- looks, reached someone).
           SELECT v.* REPLACE (
               CASE WHEN {_is_ext("s.dst")} AND NOT v.reached THEN NULL
                    ELSE v.answered_at END AS answered_at),
             s.uniqueid, s.seq, s.start_u, s.dst, s.disposition, s.billsec,
             greatest(0, epoch(coalesce(s.answer_u, s.end_u)) - epoch(s.start_u))::INTEGER
               AS first_ring
           FROM v JOIN cdr_steps s ON s.rownum = v.first_pos_row)"""


def continued_statements() -> list[str]:
    """`cdr_continued`: a Dial that rang a phone without an answer, and the first row of
    another call that the same channel (Party B, by its name) joined while it rang or at its
    end: a transfer to a phone still ringing from the consultation (an attended transfer
    before the answer). The phone rang once: its leg is the first Dial's, with how the
    ringing ended in the later row (`_dial_in_leg`)."""
    return [
        """CREATE OR REPLACE TEMP TABLE cdr_continued AS
       WITH firsts AS (
         SELECT rowid AS row, cid, dstchannel, start,
           coalesce("end", start + to_seconds(coalesce(dur_s, 0))) AS end_l
         FROM cdr_parsed
         WHERE lastapp = 'Dial' AND dstchannel <> '' AND disposition <> 'ANSWERED'
           AND NOT contains(split_part(lastdata, ',', 1), '&'))
       SELECT f.row AS first_row, arg_min(p.rowid, (p.start, p.rowid)) AS later_row
       FROM firsts f JOIN cdr_parsed p ON p.dstchannel = f.dstchannel AND p.cid <> f.cid
       WHERE p.start BETWEEN f.start AND f.end_l + INTERVAL 1 SECOND
       GROUP BY f.row""",
        # A ringing that went on twice (a chain of such transfers) is read from its start
        # once: a row that continues another begins none of its own.
        "DELETE FROM cdr_continued WHERE first_row IN (SELECT later_row FROM cdr_continued)",
    ]


# A Dial's leg for the user it rang, by its row (`rownum`).
DIAL_IN_LEG = """'cdr:' || s.uniqueid || ':' || s.seq || ':in' AS leg_id, s.cid,
              'user' AS kind, 'ext:' || s.b AS identity, s.b AS number, s.start_u, 'in' AS dir,
              NULL::BOOLEAN AS internal, coalesce(s.fate, 'in_answered') AS type,
              s.forwarded_from, '' AS group_from, s.b AS member, '' AS member_name, s.dst,
              s.ring_s AS wait,
              CASE WHEN s.disposition = 'ANSWERED' THEN s.billsec ELSE 0 END
                + coalesce(t.talk, 0) AS talk,
              s.forwarded_to,
              CASE WHEN s.picked_by IS NOT NULL THEN s.picked_by
                   WHEN coalesce(s.to_own_mailbox, false)
                     THEN CASE WHEN s.disposition = 'BUSY' OR s.next_busy THEN 'busy'
                               ELSE 'voicemail' END
                   WHEN s.disposition IN ('FAILED', 'CONGESTION') THEN 'technical error'
                   WHEN s.transferred THEN 'transferred'
                   ELSE '' END AS note,
              s.rownum"""


def _dial_in_leg(continued: bool) -> str:
    """The select of the users' legs of Dials. Where a phone's ringing went on in another
    call (`cdr_continued`), the first Dial's leg ends as the later row did: as that row's own
    leg (whose is then none), or answered where that row answered."""
    dials = (
        "cdr_fate s LEFT JOIN cdr_again_talk t ON t.first_row = s.rownum "
        "WHERE s.kind = 'dial' AND s.b_is_user"
    )
    if not continued:
        return f"* EXCLUDE (rownum) FROM (SELECT {DIAL_IN_LEG} FROM {dials})"
    return f"""d.* EXCLUDE (rownum) REPLACE (
             CASE WHEN n.rownum IS NOT NULL THEN n.type
                  WHEN l.disposition = 'ANSWERED' THEN 'in_answered' ELSE d.type END AS type,
             CASE WHEN n.rownum IS NOT NULL
                    THEN (epoch(n.start_u) - epoch(d.start_u))::INTEGER + n.wait
                  WHEN l.disposition = 'ANSWERED'
                    THEN greatest(0, epoch(coalesce(l.answer_u, l.start_u))
                                     - epoch(d.start_u))::INTEGER
                  ELSE d.wait END AS wait,
             CASE WHEN n.rownum IS NOT NULL THEN n.talk
                  WHEN l.disposition = 'ANSWERED' THEN l.billsec ELSE d.talk END AS talk,
             CASE WHEN n.rownum IS NOT NULL THEN n.forwarded_to
                  WHEN l.disposition = 'ANSWERED' THEN '' ELSE d.forwarded_to END
               AS forwarded_to,
             CASE WHEN n.rownum IS NOT NULL THEN n.note
                  WHEN l.disposition = 'ANSWERED' THEN '' ELSE d.note END AS note)
       FROM (SELECT {DIAL_IN_LEG} FROM {dials}) d
       LEFT JOIN cdr_continued ct ON ct.first_row = d.rownum
       LEFT JOIN cdr_steps l ON l.rownum = ct.later_row
       LEFT JOIN (SELECT {DIAL_IN_LEG} FROM {dials}) n ON n.rownum = ct.later_row
       -- A later row's own leg is none where the first Dial has a leg it ends.
       WHERE d.rownum NOT IN (
         SELECT later_row FROM cdr_continued
         WHERE first_row IN (SELECT s.rownum FROM {dials}))"""


def legs_statement(continued: bool = False, ends: bool = False) -> str:
    """The legs of the walk's tables (`walk_tables`), into `staged`."""
    # s: an acting step with its fate; o: the caller's own Dial; c (at the end): the call's
    # caller.
    # An IVR at one end of a Local channel whose other end dialled on sent the call nowhere
    # (it was the call's sound, not a step before the dial): no key, no Framkopplat.
    one_end = (
        "s.rownum IN (SELECT row FROM cdr_one_end) AND s.fate = 'connected' "
        "AND s.ivr_key IN ('s', 'h', 't', 'i', '')"
        if ends
        else "false"
    )
    return f"""INSERT INTO staged
       WITH {_walk_ctes()},
       -- Every leg by its call (`cid`): the caller's number and name, and whether the call
       -- is internal where the leg says NULL, are joined once, at the end.
       cdr_legs (leg_id, cid, kind, identity, number, start_u, dir, internal, type,
                 forwarded_from, group_from, member, member_name, dst, wait, talk,
                 forwarded_to, note) AS (
       SELECT 'cdr:' || s.uniqueid || ':' || s.seq || ':out', o.cid, 'user',
              'ext:' || o.caller, o.caller, s.start_u, 'out',
              o.b_is_user OR (s.b = '' AND {_is_ext("s.dst")}),
              CASE WHEN o.answered OR o.later_talk IS NOT NULL
                   THEN 'out_answered' ELSE 'out_unanswered' END,
              '', '', o.caller, '', s.dst,
              CASE WHEN o.answered OR o.later_talk IS NULL OR o.by_pickup THEN o.ring_s
                   ELSE (o.answered_at - epoch(s.start_u))::INTEGER END,
              CASE WHEN o.answered THEN s.billsec ELSE coalesce(o.later_talk, 0) END
                + o.again_talk,
              '',
              CASE WHEN o.answered OR o.later_talk IS NOT NULL THEN ''
                   WHEN s.disposition = 'BUSY' THEN 'busy'
                   WHEN s.disposition IN ('FAILED', 'CONGESTION') THEN 'technical error'
                   WHEN o.to_mailbox THEN 'voicemail' ELSE '' END
       FROM cdr_out o JOIN cdr_steps s ON s.rownum = o.rownum
       UNION ALL
       SELECT {_dial_in_leg(continued)}
       UNION ALL
       SELECT 'cdr:' || v.uniqueid || ':' || v.seq || ':out', v.cid, 'user',
              'ext:' || v.origin, v.origin, v.start_u, 'out', true,
              CASE WHEN v.answered_at IS NULL THEN 'out_unanswered' ELSE 'out_answered' END,
              '', '', v.origin, '', v.dst,
              CASE WHEN v.answered_at IS NULL THEN v.first_ring
                   ELSE greatest(0, v.answered_at - epoch(v.start_u))::INTEGER END,
              CASE WHEN v.answered_at IS NULL THEN 0 ELSE coalesce(v.talk, 0) END, '',
              CASE WHEN v.answered_at IS NOT NULL THEN ''
                   WHEN v.to_mailbox THEN 'voicemail'
                   WHEN v.disposition = 'BUSY' THEN 'busy'
                   WHEN v.disposition IN ('FAILED', 'CONGESTION') THEN 'technical error'
                   ELSE '' END
       FROM cdr_service v WHERE v.src <> ''
       UNION ALL
       SELECT 'cdr:' || v.uniqueid || ':' || v.seq || ':in', v.cid, 'user',
              'ext:' || v.origin, v.origin, v.start_u, 'in', NULL,
              CASE WHEN v.disposition = 'ANSWERED' THEN 'in_answered' ELSE 'in_no_answer' END,
              '', '', v.origin, '', v.dst, v.first_ring,
              CASE WHEN v.disposition = 'ANSWERED' THEN v.billsec ELSE 0 END, '', ''
       FROM cdr_service v WHERE v.src = ''
       UNION ALL
       SELECT 'cdr:' || s.uniqueid || ':' || s.seq || ':forward', s.cid, 'user',
              'ext:' || s.dst, s.dst, s.start_u, 'in', NULL, 'in_forwarded',
              '', '', s.dst, '', s.dst, 0, 0,
              CASE WHEN s.forwarding THEN s.b ELSE s.dialled END, ''
       FROM cdr_fate s WHERE s.forwarding OR s.local_forwarding
       UNION ALL
       SELECT 'cdr:' || s.uniqueid || ':' || s.seq || ':pickup', s.cid, 'user',
              'ext:' || s.a, s.a, s.start_u, 'in', NULL, 'in_answered',
              CASE WHEN s.forwarded_from <> '' THEN s.forwarded_from ELSE s.target END, '',
              s.a, '', '', s.pickup_wait, s.billsec, '', 'pickup of ' || s.target
       FROM cdr_fate s WHERE s.kind = 'pickup'
       UNION ALL
       SELECT 'cdr:' || s.uniqueid || ':' || s.seq || ':group', s.cid, 'hunt',
              'group:' || s.dst, s.dst, s.start_u, 'in', NULL,
              coalesce(s.fate, 'answered'), s.forwarded_from, '',
              coalesce(k.winner, ''), '', '',
              CASE WHEN k.winner IS NULL THEN k.max_ring ELSE k.winner_ring END,
              coalesce(k.winner_talk, 0), s.forwarded_to,
              CASE WHEN s.picked_by IS NOT NULL THEN s.picked_by
                   WHEN coalesce(s.to_own_mailbox, false) THEN 'voicemail'
                   -- Nobody answered in the group's time: it sent the call on.
                   WHEN s.fate = 'forwarded' AND s.next_kind = 'vm' THEN 'voicemail'
                   WHEN s.fate = 'forwarded' THEN 'timeout' ELSE '' END
       FROM cdr_fate s JOIN cdr_blocks k ON k.first_row = s.rownum
       WHERE s.kind = 'hunt'
       UNION ALL
       SELECT 'cdr:' || m.uniqueid || ':' || m.seq || ':member:' || m.b, m.cid, 'user',
              'ext:' || m.b, m.b, m.start_u, 'in', NULL,
              CASE WHEN m.rownum = k.winner_row THEN 'in_answered' ELSE 'in_no_answer' END,
              f.forwarded_from, m.dst, m.b, '', '',
              greatest(0, epoch(coalesce(m.answer_u, m.end_u)) - epoch(m.start_u))::INTEGER,
              CASE WHEN m.rownum = k.winner_row THEN m.billsec ELSE 0 END, '', ''
       FROM cdr_steps m
       JOIN cdr_blocks k ON k.cid = m.cid AND k.blk = m.blk
       JOIN cdr_fate f ON f.rownum = k.first_row
       WHERE m.kind = 'hunt' AND m.disposition NOT IN ('BUSY', 'CONGESTION', 'FAILED')
       UNION ALL
       SELECT 'cdr:' || m.uniqueid || ':' || m.seq || ':in', m.cid, 'user', 'ext:' || m.b,
              m.b, m.start_u, 'in', NULL,
              CASE WHEN m.rownum = k.holder_row AND f.fate IS NOT NULL THEN f.fate
                   WHEN m.disposition = 'ANSWERED' THEN 'in_answered'
                   WHEN m.disposition = 'BUSY' THEN 'in_busy' ELSE 'in_no_answer' END,
              f.forwarded_from, '', m.b, '', m.dst,
              greatest(0, epoch(coalesce(m.answer_u, m.end_u)) - epoch(m.start_u))::INTEGER,
              CASE WHEN m.disposition = 'ANSWERED' THEN m.billsec ELSE 0 END
                + coalesce(t.talk, 0),
              CASE WHEN m.rownum = k.holder_row THEN f.forwarded_to ELSE '' END,
              CASE WHEN m.rownum = k.holder_row AND f.picked_by IS NOT NULL THEN f.picked_by
                   WHEN m.rownum = k.holder_row AND f.to_own_mailbox
                     THEN CASE WHEN m.disposition = 'BUSY' OR f.next_busy THEN 'busy'
                               ELSE 'voicemail' END
                   WHEN m.disposition IN ('FAILED', 'CONGESTION') THEN 'technical error'
                   WHEN m.b = k.answered_b AND f.transferred THEN 'transferred'
                   ELSE '' END
       FROM cdr_steps m
       JOIN cdr_blocks k ON k.cid = m.cid AND k.blk = m.blk
       JOIN cdr_fate f ON f.rownum = k.first_row
       LEFT JOIN cdr_again_talk t ON t.first_row = m.rownum
       WHERE m.kind = 'par' AND {_is_ext("m.b")}
         AND m.rownum NOT IN (SELECT rownum FROM cdr_again)
       -- A user's several devices rung at once are one call to the user: its answered row,
       -- else its first.
       QUALIFY row_number() OVER (PARTITION BY m.cid, m.blk, m.b
                                  ORDER BY m.disposition = 'ANSWERED' DESC, m.pos) = 1
       UNION ALL
       SELECT 'cdr:' || s.uniqueid || ':' || s.seq || ':' || s.kind, s.cid, s.kind,
              CASE s.kind WHEN 'rule' THEN 'tc:' || s.dst ELSE 'ivr:' || s.ivr_id END,
              CASE s.kind WHEN 'rule' THEN s.dst ELSE s.ivr_id END, s.start_u, 'in',
              NULL,
              CASE WHEN s.kind = 'ivr' AND {one_end} THEN 'not_connected' ELSE s.fate END,
              s.forwarded_from, '', '', '', '',
              CASE s.kind WHEN 'rule' THEN 0
                   ELSE (epoch(s.end_u) - epoch(s.start_u))::INTEGER END,
              0, CASE WHEN s.kind = 'ivr' AND {one_end} THEN '' ELSE s.forwarded_to END,
              CASE WHEN s.picked_by IS NOT NULL THEN s.picked_by
                   WHEN s.kind = 'ivr' AND s.ivr_key = 't' THEN 'timeout'
                   WHEN s.kind = 'ivr' AND s.ivr_key = 'i' THEN 'invalid key'
                   WHEN s.kind = 'ivr' AND s.ivr_key NOT IN ('s', 'h', '') THEN 'key ' || s.ivr_key
                   WHEN s.to_own_mailbox THEN 'voicemail' ELSE '' END
       FROM cdr_fate s
       WHERE s.kind IN ('rule', 'ivr')
       UNION ALL
       SELECT 'cdr:' || s.uniqueid || ':' || s.seq || ':vm', s.cid, 'user',
              'ext:' || s.mailbox, s.mailbox, s.start_u, 'in', NULL,
              'in_voicemail', s.forwarded_from, '', '', '', '', 0, 0,
              '', CASE WHEN s.busy_box THEN 'busy' ELSE 'voicemail' END
       FROM cdr_fate s LEFT JOIN cdr_groups g ON g.cid = s.cid
       WHERE s.kind = 'vm' AND NOT s.takes_message AND {_is_ext("s.mailbox")}
         AND NOT list_contains(coalesce(g.numbers, []), s.mailbox))
       SELECT l.leg_id, c.call_id, l.kind, l.identity, l.number, l.start_u, l.dir,
              coalesce(l.internal, c.internal), l.type, c.from_number, c.from_name,
              l.forwarded_from, l.group_from, l.member, l.member_name, l.dst, l.wait, l.talk,
              l.forwarded_to, l.note
       FROM cdr_legs l JOIN cdr_caller c ON c.cid = l.cid"""


def memberships_query() -> str:
    return f"""SELECT DISTINCT 'group:' || dst AS grp, 'ext:' || {_peer("dstchannel")} AS member
       FROM cdr_rows p WHERE {GROUP_DIAL}"""


def names_statement() -> str:
    return """SELECT 'ext:' || origin, arg_min(name, first_row) FROM cdr_caller
       WHERE internal AND name <> '' GROUP BY origin"""


def layout(path: Path) -> tuple[list[str], bool]:
    """The file's columns, and whether its first line names them (a DB export's header).

    cdr_csv writes 18 or 21 columns, cdr_custom's default mapping 19 (FORMATS.md §1.1): the
    first record that has one of those counts says which (a record of another count is then
    rejected, naming its count)."""
    for number, fields in _first_records(path):
        if number == 1 and (names := header_names(fields)) is not None:
            return names, True
        if len(fields) in LAYOUTS:
            return LAYOUTS[len(fields)], False
    return LAYOUTS[21], False


def _first_records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line, fields) of the file's first hundred lines that read as CSV."""
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        for number, text in enumerate(f, start=1):
            if number > 100:
                break
            try:
                yield number, next(csv.reader([text]))
            except (csv.Error, StopIteration):
                continue


def _wider_record(path: Path, columns: int) -> tuple[int, int] | None:
    """(line, fields) of the first of a DB export's first records with more fields than
    its header names (a header cut short, or another table's), if any."""
    return next(
        ((n, len(fields)) for n, fields in _first_records(path) if n > 1 and len(fields) > columns),
        None,
    )


def header_names(fields: list[str]) -> list[str] | None:
    """The column names if `fields` is a DB export's header line, else None."""
    # A Windows program's export may begin with a byte order mark.
    names = [f.strip().lstrip("\ufeff").lower() for f in fields]
    needed = {"src", "dst", "dcontext", "channel", "disposition"}
    if needed <= set(names) and ("calldate" in names or "start" in names):
        return names
    return None


def read_into(ws: Workspace, path: Path, source: SourceSettings, carried: int = 0) -> None:
    """Stage the file's legs, rejected records, names and memberships in the workspace.
    `carried`: how many of the first lines are records an earlier file held (a call it cut)."""
    names, header = layout(path)
    if header and (missing := [c for c in NEEDED if c not in names]):
        raise NotReadable(f"the header has no column {', '.join(missing)}")
    if header and (wider := _wider_record(path, len(names))):
        raise NotReadable(
            f"the header names {len(names)} columns, the record on line {wider[0]} has "
            f"{wider[1]}: the header does not say what its fields are"
        )
    values: dict[str, Any] = {
        "path": str(path),
        "pattern": source.extension_pattern.pattern,
        "trunk_peers": sorted(source.trunk_peers),
        "extensions": sorted(source.extensions),
        "inbound_contexts": sorted(source.inbound_contexts),
        "ivr_contexts": sorted(source.ivr_contexts),
        "rule_contexts": sorted(source.rule_contexts),
        "voicemail_contexts": sorted(source.voicemail_contexts),
        "ivr_numbers": sorted(source.ivr_numbers),
        "group_numbers": sorted(source.group_numbers),
        "feature_contexts": sorted(source.feature_contexts),
    }
    _read(ws, names, header, values)
    (undecoded,) = ws.one(
        "SELECT count(*) FROM cdr_parsed_errors WHERE error_type = 'INVALID ENCODING'"
    )
    if undecoded:
        # Bytes that are not UTF-8: read from a copy whose lines are UTF-8, so no record is
        # lost to its bytes.
        with utf8_copy(path) as copy:
            ws.run("DROP TABLE cdr_parsed_errors")
            ws.run("DROP TABLE cdr_parsed_scans")
            _read(ws, names, header, {**values, "path": str(copy)})
    ws.run(rejects_statement())
    # How many rows the reader read: row ids stay as they were when rows leave the table.
    (read,) = ws.one("SELECT count(*) FROM cdr_parsed")
    superseded = _supersede_carried(ws, carried)
    _reject_implausible(ws, path, header, source, read)
    if not header and not _other_layouts(ws, names, values):
        _hold_open_calls(ws, path, source, read)
    _reject_without_start(ws, path, names, header)
    minutes = _offsets(ws, source)
    originated, invited, one_end, local, caller = walk_statements()
    ws.run(originated, values)
    ws.run(invited, values)
    ws.run(one_end)
    (ends,) = ws.one("SELECT count(*) FROM cdr_one_end")
    ws.run(local)
    (halves,) = ws.one("SELECT count(*) FROM cdr_local")
    (placed,) = ws.one("SELECT count(*) FROM cdr_originated")
    (invitations,) = ws.one("SELECT count(*) FROM cdr_invited")
    ws.run(rows_view(bool(halves), bool(placed), bool(invitations)))
    ws.run(caller, values)
    for sql in continued_statements():
        ws.run(sql)
    (continued,) = ws.one("SELECT count(*) FROM cdr_continued")
    for sql in walk_tables(minutes):
        ws.run(sql, values)
    ws.run(legs_statement(bool(continued), bool(ends)), values)
    for table in WALK_TABLES:
        ws.run(f"DROP TABLE {table}")
    ws.run(
        "INSERT INTO ws_memberships SELECT grp, member FROM (" + memberships_query() + ")", values
    )
    ws.run("INSERT INTO ws_names " + names_statement())
    (lines,) = ws.one(
        "SELECT (SELECT count(*) FROM cdr_parsed) + (SELECT count(*) FROM ws_rejects)"
    )
    ws.lines = lines + superseded


# A carried row (its id below $first) that a row of the file is again, written otherwise (its
# fixed version): the same call, channel and start, and the same sequence (each CDR record of a
# channel has its own), or, where either has none, the same uniqueid and dialled channel. A row
# written alike is left to the reading's duplicate rule (the same file read twice).
AGAIN = """c.rowid < $first AND EXISTS (
    SELECT 1 FROM cdr_parsed f WHERE f.rowid >= $first AND f.call_id = c.call_id
      AND f.channel = c.channel AND f.start = c.start
      AND (f.seq_i = c.seq_i
           OR ((f.seq_i IS NULL OR c.seq_i IS NULL)
               AND f.uniqueid = c.uniqueid AND f.dstchannel = c.dstchannel))
      AND (f.src, f.dst, f.dcontext, f.clid, f.dstchannel, f.lastapp, f.lastdata,
           f.disposition, f.uniqueid, f.userfield, f."end", f.answer_l, f.dur_s, f.billsec_i,
           f.seq_i)
          IS DISTINCT FROM
          (c.src, c.dst, c.dcontext, c.clid, c.dstchannel, c.lastapp, c.lastdata,
           c.disposition, c.uniqueid, c.userfield, c."end", c.answer_l, c.dur_s, c.billsec_i,
           c.seq_i))"""


def _supersede_carried(ws: Workspace, carried: int) -> int:
    """A carried record (held by an earlier file) that this file holds again, as another
    record (AGAIN), is that record as this file has it (its fixed version: the file of the
    record imported again): only this file's is read. The carried one is taken up (not
    rejected). Returns how many."""
    if not carried:
        return 0
    # The carried records are the first rows read, less those of their lines the reader left out.
    (unread,) = ws.one(
        "SELECT count(DISTINCT line) FROM cdr_parsed_errors WHERE line <= $carried",
        {"carried": carried},
    )
    # (DELETE answers how many rows it deleted.)
    (superseded,) = ws.one(
        f"DELETE FROM cdr_parsed c WHERE {AGAIN}",  # noqa: S608
        {"first": carried - unread},
    )
    return int(superseded)


def parse(path: Path, settings: SourceSettings) -> ParseResult:
    """The file's legs, rejects, names and memberships, as a parser gives them."""
    with Workspace(path.stat().st_size) as ws:
        read_into(ws, path, settings)
        return ws.result()


def _read(ws: Workspace, names: list[str], header: bool, values: dict[str, Any]) -> None:
    # cdr_parsed's rowid is the file's order: read in order (the setting is the workspace
    # database's, so one such read at a time).
    with ORDERED_READ:
        ws.run("SET preserve_insertion_order = true")
        try:
            for sql in read_statements(names, header, userfield=_reads_userfield(values)):
                ws.run(sql, values)
        finally:
            ws.run("SET preserve_insertion_order = false")


def _reads_userfield(values: dict[str, Any]) -> bool:
    return bool(values["ivr_numbers"] or values["voicemail_contexts"])


def _other_layouts(ws: Workspace, names: list[str], values: dict[str, Any]) -> bool:
    """Read the records of another cdr_csv layout than the file's (a PBX upgraded within a
    file writes 18 columns, then 21) by their own count; the others stay rejected."""
    rejected = ws.run(
        "SELECT line, raw FROM ws_rejects WHERE reason = 'unknown_layout' ORDER BY line"
    ).fetchall()
    by_count: dict[int, list[tuple[int, str]]] = {}
    for line, raw in rejected:
        try:
            count = len(next(csv.reader([raw])))
        except (csv.Error, StopIteration):
            continue
        if count in LAYOUTS and LAYOUTS[count] != names:
            by_count.setdefault(count, []).append((line, raw))
    for count, records in by_count.items():
        with temporary_path(".csv") as part:
            part.write_text("".join(raw + "\n" for _, raw in records), encoding="utf-8")
            userfield = _reads_userfield(values)
            for sql in read_statements(LAYOUTS[count], False, "cdr_other", userfield):
                ws.run(sql, {"path": str(part)})
        lines = [line for line, _ in records]
        ws.run(
            "DELETE FROM ws_rejects WHERE line IN (SELECT unnest($lines::INTEGER[]))",
            {"lines": lines},
        )
        ws.run("INSERT INTO cdr_parsed SELECT * FROM cdr_other")
        ws.run("INSERT INTO cdr_parsed_hour_list SELECT * FROM cdr_other_hour_list")
        # What the second reading still rejects, on the file's own lines.
        ws.run(rejects_statement("cdr_other_errors", "$lines[line::BIGINT]"), {"lines": lines})
    return bool(by_count)


# Övrigt of a record held back with its call, which the file cut before the call ended.
OPEN_CALL = (
    "the call had not ended when this file was written (its first channel's record is not "
    "here): read again with the next file"
)


def _records_read(
    ws: Workspace, path: Path, header: bool, read: int
) -> list[tuple[int, str]] | None:
    """The file's records in the order the reader read them, as (line, text): the reader
    names the lines only of the records it left out, so the n-th row read (row id n) is the
    n-th of the others. None where a record spans several lines (they cannot be told)."""
    skipped = {line for (line,) in ws.run("SELECT line FROM cdr_parsed_errors").fetchall()}
    records = [(n, text) for n, text in read_lines(path) if n not in skipped][header:]
    return records if len(records) == read else None


def _hold_open_calls(ws: Workspace, path: Path, source: SourceSettings, read: int) -> None:
    """A Master.csv rotated while a call went on holds only the records of the channels that
    had ended: a call's first channel (its uniqueid is the linkedid) writes its records last.
    Without them the call is not walked: its records are kept (`incomplete_call`) and read
    again with the next file of the collection point, so the call is counted once, complete.
    A call without them that ended `open_call_hours` before the file's last record is walked
    with what is known (its first channel wrote no record: NoCDR, say)."""
    ws.run(
        """CREATE OR REPLACE TEMP TABLE cdr_open AS
           WITH calls AS (
             SELECT cid, max(coalesce("end", start)) AS last FROM cdr_parsed
             GROUP BY cid HAVING NOT bool_or(uniqueid = call_id))
           SELECT cid FROM calls
           WHERE last >= (SELECT max(coalesce("end", start)) FROM cdr_parsed)
                         - to_hours($hours::BIGINT)""",
        {"hours": source.open_call_hours},
    )
    rows = {
        rowid
        for (rowid,) in ws.run(
            "SELECT rowid FROM cdr_parsed WHERE cid IN (SELECT cid FROM cdr_open)"
        ).fetchall()
    }
    if not rows:
        return
    records = _records_read(ws, path, False, read)
    if records is None:
        return  # a record over several lines: the lines cannot be told, so walk them all
    held = [
        (n, str(Reason.INCOMPLETE_CALL), OPEN_CALL, text)
        for k, (n, text) in enumerate(records)
        if k in rows
    ]
    ws.insert("ws_rejects", held)
    # Which call each held record is of (the rules forget the hold of a call already stored:
    # an earlier file read again); the local start is near enough to find it by.
    lines = {k: n for k, (n, _) in enumerate(records) if k in rows}
    calls = ws.run(
        "SELECT rowid, call_id, start FROM cdr_parsed WHERE cid IN (SELECT cid FROM cdr_open)"
    ).fetchall()
    ws.add_held([(lines[rowid], call_id, start) for rowid, call_id, start in calls])
    ws.run("DELETE FROM cdr_parsed WHERE cid IN (SELECT cid FROM cdr_open)")


# A record no call can have written: a time outside base.EARLIEST..latest(), an end before
# its start or more than a day after it, a duration or billsec negative or over a day. (The
# times are local: two hours either way are a change of offset's, the autumn's hour.)
IMPLAUSIBLE = f"""CASE
    WHEN start < $earliest OR start > $latest THEN 'start ' || start::VARCHAR
    WHEN "end" < start - INTERVAL 2 HOUR
         OR "end" > start + INTERVAL {MAX_SECONDS} SECOND + INTERVAL 2 HOUR
      THEN 'end ' || "end"::VARCHAR || ' is not within a day after the start'
    WHEN answer_l < start - INTERVAL 2 HOUR
         OR answer_l > coalesce("end", answer_l) + INTERVAL 2 HOUR
      THEN 'answer ' || answer_l::VARCHAR || ' is not between the start and the end'
    WHEN billsec_i NOT BETWEEN 0 AND {MAX_SECONDS} THEN 'billsec ' || billsec_i::VARCHAR
    WHEN dur_s NOT BETWEEN 0 AND {MAX_SECONDS} THEN 'duration ' || dur_s::VARCHAR
  END"""


def _reject_implausible(
    ws: Workspace, path: Path, header: bool, source: SourceSettings, read: int
) -> None:
    """Reject (with why) the records whose times or numbers no call has (IMPLAUSIBLE), and a
    record again, whole (a line written twice, an export's row again): it is read once."""
    found = ws.run(
        f"SELECT rowid, {IMPLAUSIBLE} AS why FROM cdr_parsed WHERE why IS NOT NULL",
        {
            # Local times, as the rows are: a day either side covers every zone's offset.
            "earliest": EARLIEST.replace(tzinfo=None) - timedelta(days=1),
            "latest": latest().astimezone(source.timezone).replace(tzinfo=None),
        },
    ).fetchall()
    times = ("start", "end", "answer")
    rejected = [
        (
            row,
            Reason.BAD_TIME if why.startswith(times) else Reason.BAD_NUMBER,
            f"{why}: not a call's (a time from 1990 to tomorrow, at most a day long)",
        )
        for row, why in found
    ]
    # A record again: every column the walk reads the same (an export's own row id is no
    # part of it). Looked for by one hash per row; the rows are told only where there are any.
    record = (
        'uniqueid, seq_i, start, "end", answer_l, dur_s, billsec_i, src, dst, dcontext, clid, '
        "channel, dstchannel, lastapp, lastdata, disposition, userfield, call_id"
    )
    (repeated,) = ws.one(
        # (A few of them tell whether any record can be there twice: cheaper than all.)
        'SELECT count(*) - count(DISTINCT hash(uniqueid, seq_i, start, "end", billsec_i, '
        "dstchannel)) FROM cdr_parsed"
    )
    if repeated:
        again = ws.run(
            f"""SELECT rowid FROM cdr_parsed
               QUALIFY row_number() OVER (PARTITION BY {record} ORDER BY rowid) > 1"""  # noqa: S608
        ).fetchall()
        detail = "the same record again (every field as an earlier one's)"
        rejected += [(row, Reason.DUPLICATE, detail) for (row,) in again]
    if rejected:
        _reject_rows(ws, path, header, read, rejected)


def _reject_rows(
    ws: Workspace, path: Path, header: bool, read: int, rejected: list[tuple[int, Reason, str]]
) -> None:
    """Reject rows of `cdr_parsed` (rowid, reason, detail) on their lines (a rare case: the
    file is read again only then); line 0 where a record spans several lines."""
    records = _records_read(ws, path, header, read)
    ws.insert(
        "ws_rejects",
        [
            (
                records[row][0] if records is not None else 0,
                str(reason),
                detail,
                records[row][1] if records is not None else "",
            )
            for row, reason, detail in rejected
        ],
    )
    ws.run(
        "DELETE FROM cdr_parsed WHERE rowid IN (SELECT unnest($rows::BIGINT[]))",
        {"rows": [row for row, _, _ in rejected]},
    )


def _reject_without_start(ws: Workspace, path: Path, names: list[str], header: bool) -> None:
    """A record without its start time is rejected, not read as one without a time. The
    reader gives no line numbers of the records it read, so the file says which they are (a
    rare record: read only when there is one)."""
    (empty,) = ws.one("SELECT count(*) FROM cdr_parsed WHERE start IS NULL")
    if not empty:
        return
    rejects = []
    # A line already rejected or held is not rejected again.
    done = {line for (line,) in ws.run("SELECT line FROM ws_rejects").fetchall()}
    for number, text in read_lines(path):
        if (number == 1 and header) or number in done:
            continue
        try:
            fields = next(csv.reader([text]))
        except (csv.Error, StopIteration):
            continue
        columns = names if header or len(fields) == len(names) else LAYOUTS.get(len(fields))
        if columns is None or len(fields) != len(columns):
            continue
        start = "calldate" if "calldate" in columns and "start" not in columns else "start"
        if fields[columns.index(start)].strip() in ("", "NULL"):
            rejects.append((number, str(Reason.BAD_TIME), f"no {start}", text))
    ws.insert("ws_rejects", rejects)
    ws.run("DELETE FROM cdr_parsed WHERE start IS NULL")


def _offsets(ws: Workspace, source: SourceSettings) -> bool:
    """The UTC offsets of the local hours the file names (`cdr_hours`: the two readings of
    each, which differ in the repeated autumn hour); an hour whose offset changes within it
    (a zone that moves by half an hour, say) by the minute. Whether any hour went by minute."""
    hours = [h for (h,) in ws.run("SELECT DISTINCT h FROM cdr_parsed_hour_list").fetchall()]
    keys, off0, off1 = [], [], []
    minutes = False
    for hour in hours:
        offsets = local_offsets(hour, source.timezone)
        if offsets is not None:
            keys.append(hour)
            off0.append(offsets[0])
            off1.append(offsets[1])
            continue
        minutes = True
        for m in range(60):
            moment = hour + timedelta(minutes=m)
            keys.append(moment)
            off0.append(_offset(moment, source.timezone, 0))
            off1.append(_offset(moment, source.timezone, 1))
    ws.run(
        "CREATE OR REPLACE TEMP TABLE cdr_hours AS SELECT unnest($h::TIMESTAMP[]) AS h, "
        "unnest($off0::INTEGER[]) AS off0, unnest($off1::INTEGER[]) AS off1",
        {"h": keys, "off0": off0, "off1": off1},
    )
    ws.run(
        "CREATE OR REPLACE TEMP TABLE cdr_odd_hours AS SELECT DISTINCT date_trunc('hour', h) "
        "AS h FROM cdr_hours WHERE date_trunc('hour', h) <> h"
    )
    return minutes


def _offset(moment: datetime, tz: Any, fold: int) -> int:
    return int(moment.replace(tzinfo=tz, fold=fold).utcoffset().total_seconds())  # type: ignore[union-attr]


def local_offsets(hour: datetime, tz: Any) -> tuple[int, int] | None:
    """The UTC offsets, in seconds, of a local hour read with fold 0 and fold 1 (the two
    readings of a repeated hour), or None if they change within the hour."""
    readings = []
    for moment in (hour, hour + timedelta(minutes=30), hour + timedelta(minutes=59, seconds=59)):
        readings.append(
            tuple(
                int(moment.replace(tzinfo=tz, fold=fold).utcoffset().total_seconds())  # type: ignore[union-attr]
                for fold in (0, 1)
            )
        )
    if len(set(readings)) != 1:
        return None
    return readings[0][0], readings[0][1]

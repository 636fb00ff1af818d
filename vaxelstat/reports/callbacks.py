"""Återuppringning: whether a caller the organization lost reached it afterwards (SPEC §1's
"who called back"), written once for both engines.

A lost call is an external incoming call that no one answered: none of its legs, at any
object, was answered. Its caller is reached by the first of

- an answered external call from the same number (the caller called again, `again`), or
- an answered outgoing call to the same number (the organization called back, `back`),

that starts after the lost call did, within the organization's limit (callback_hours). Two
numbers are the same when their last nine digits are (0701234567, +46701234567 and
0046701234567 are one number; shorter numbers must be equal). A hidden number (empty) is
counted apart: it can be neither called back nor recognized.

The reaching calls are the organization's, whoever may see them: that a caller was reached is
the lost call's fact, not the reaching call's. The figures are computed when asked for, so a
call arriving in a later file, or a changed limit, changes them at once.
"""

from datetime import timedelta
from typing import Any

from vaxelstat.orgs.models import Organization
from vaxelstat.reports.measures import ANSWERED_GROUP, ANSWERED_OUT, ANSWERED_USER
from vaxelstat.reports.period import Period

# The measures' columns, added to every leg by callbacks_source: `cb_lost` (a leg of a lost
# call), `cb_how` ('back', 'again', or '' when not reached within the limit; '' for every
# other leg), `cb_s` (seconds from the lost call's start to the reaching call's, or NULL).
# A number is its last DIGITS digits.
DIGITS = 9
_KEY = {
    "duckdb": "right(regexp_replace({}, '[^0-9]', '', 'g'), " + str(DIGITS) + ")",
    "clickhouse": "right(replaceRegexpAll({}, '[^0-9]', ''), " + str(DIGITS) + ")",
}
_SECONDS = {
    "duckdb": "CAST(epoch(r.at) - epoch(m.start_utc) AS BIGINT)",
    "clickhouse": "dateDiff('second', m.start_utc, r.at)",
}
_ASOF = {"duckdb": "ASOF LEFT JOIN", "clickhouse": "LEFT ASOF JOIN"}
# Answered: by a user, or by a group's member.
ANSWERED_IN = f"({ANSWERED_USER} OR {ANSWERED_GROUP})"


def callbacks_source(dialect: str) -> str:
    """The organization's legs with the callback columns, as SQL over `{legs}` (the store puts
    its organization's legs there) and the parameters of callback_params."""
    key = _KEY[dialect]
    seconds = _SECONDS[dialect]
    reached = f"m.cb_lost AND m.from_number <> '' AND r.how <> '' AND {seconds} <= $callback_s"
    return f"""
      WITH near AS (
        -- The legs around the period: a day before it, and the limit and a day after it.
        SELECT * FROM {{legs}}
        WHERE start_local >= $callback_from AND start_local < $callback_to),
      reaching AS (
        -- When each number reached the organization: an answered external call from it,
        -- an answered call to it.
        SELECT {key.format("from_number")} AS number, start_utc AS at, 'again' AS how
        FROM near WHERE direction = 'in' AND NOT internal AND {ANSWERED_IN}
        UNION ALL
        SELECT {key.format("to_number")}, start_utc, 'back'
        FROM near WHERE direction = 'out' AND NOT internal AND {ANSWERED_OUT}),
      flagged AS (
        SELECT *,
          direction = 'in' AND NOT internal
            AND (collection_point_id, call_id) NOT IN (
              SELECT collection_point_id, call_id FROM near WHERE {ANSWERED_IN}) AS cb_lost
        FROM near),
      marked AS (
        -- (The number is read of the lost calls' legs only: the others need no search.)
        SELECT *, CASE WHEN cb_lost THEN {key.format("from_number")} ELSE '' END AS cb_number
        FROM flagged)
      SELECT m.*,
        CASE WHEN {reached} THEN r.how ELSE '' END AS cb_how,
        CASE WHEN {reached} THEN {seconds} END AS cb_s
      FROM marked m {_ASOF[dialect]} (SELECT * FROM reaching WHERE number <> '') r
        ON m.cb_number = r.number AND r.at > m.start_utc
      WHERE m.cb_number <> ''
      UNION ALL
      SELECT *, '' AS cb_how, NULL AS cb_s FROM marked WHERE cb_number = ''"""  # noqa: S608


def callback_params(org: Organization, period: Period) -> dict[str, Any]:
    """The limit (seconds) and the local range of legs the callback columns read: the period's
    days, a day before them, and the limit and a day after them (a day covers any offset)."""
    limit = timedelta(hours=org.callback_hours)
    first, end = period.local_range(timedelta(days=1), limit + timedelta(days=1))
    return {"callback_s": int(limit.total_seconds()), "callback_from": first, "callback_to": end}

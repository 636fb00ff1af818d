"""Samtalets väg: where an external call went and where it ended, written once for both
engines.

An external incoming call's legs (direction 'in', not internal, of one collection point and
call id) are its steps: a rule, an IVR, a group, a member, a mailbox. Its front door is its
first step (by start; at the same second a rule before an IVR before a group before a user).
It ended, in this order of precedence:

- `answered`: a user or a group's member answered it (at any step);
- `voicemail`: a mailbox took it (a user's Röstsvar, or a group that sent it to voicemail);
- else by its last step of its own (a group's member rung is the group's step, not one of its
  own): `abandoned` (the caller hung up in a group), `no_agent` (no member free), `no_answer`
  (a user's phone did not answer or was busy), `not_connected` (a rule or IVR sent it
  nowhere), `forwarded` (sent on to something not measured: an outside number, say).

So the calls that came in by a front door add up to where they ended. The columns are added
to every leg by journey_source: `j_front` (this leg is its call's front door) and `j_end`
(its call's ending). They are computed when asked for, from the legs around the period.
"""

from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext_noop

from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.reports.period import Period

# Each ending: its key, its name on a call's page, the measure's label (Swedish, English)
# and the end of its definition (Swedish, English).
JOURNEY_ENDINGS = (
    (
        "answered",
        gettext_noop("Besvarat"),
        "Slutade besvarat",
        "Ended answered",
        "en användare eller en grupps medlem svarade (i något steg)",
        "a user or a group's member answered it (at any step)",
    ),
    (
        "voicemail",
        gettext_noop("Röstsvar"),
        "Slutade i röstsvar",
        "Ended in voicemail",
        "ingen svarade och en röstbrevlåda tog det",
        "no one answered and a mailbox took it",
    ),
    (
        "abandoned",
        gettext_noop("Avslutat i kö"),
        "Slutade avslutat i kö",
        "Ended abandoned in a queue",
        "uppringaren lade på medan en grupp sökte en medlem (grupp sist)",
        "the caller hung up while a group sought a member (a group last)",
    ),
    (
        "no_agent",
        gettext_noop("Ingen ledig"),
        "Slutade ingen ledig",
        "Ended with no one free",
        "gruppen sist hade ingen ledig medlem",
        "the group last had no member free",
    ),
    (
        "no_answer",
        gettext_noop("Ej svar eller upptaget"),
        "Slutade ej svar eller upptaget",
        "Ended no answer or busy",
        "en användare sist svarade inte eller var upptagen",
        "a user last did not answer or was busy",
    ),
    (
        "not_connected",
        gettext_noop("Ej framkopplat"),
        "Slutade ej framkopplat",
        "Ended not connected",
        "en regel eller IVR sist kopplade det ingenstans (uppringaren lade på i menyn, stängt)",
        "a rule or IVR last sent it nowhere (the caller hung up in the menu, closed)",
    ),
    (
        "forwarded",
        gettext_noop("Vidarekopplat"),
        "Slutade vidarekopplat",
        "Ended forwarded",
        "det kopplades vidare till något som inte mäts (ett externt nummer)",
        "it was sent on to something not measured (an outside number)",
    ),
)
ENDINGS = {key: name for key, name, *_ in JOURNEY_ENDINGS}
# A step's depth at the same second: routing first, then groups, then users (SQL: the
# reports' and a call's page's order).
DEPTH = (
    "CASE object_kind WHEN 'rule' THEN 0 WHEN 'ivr' THEN 1 WHEN 'acd' THEN 2 "
    "WHEN 'hunt' THEN 2 ELSE 3 END"
)


def journey_source(legs: str = "{legs}") -> str:
    """The legs with the journey's columns, as SQL over `legs` (the organization's legs, or
    another source's SQL over them) and the parameters of journey_params. The same text for
    both engines (argMin and argMax are DuckDB's names too, and tuples order in both)."""
    return f"""
      WITH near AS (
        SELECT * FROM {legs}
        WHERE start_local >= $journey_from AND start_local < $journey_to),
      steps AS (
        SELECT collection_point_id, call_id, leg_id, start_utc, type, forwarded_to,
          {DEPTH} AS depth,
          -- A member rung by a group is the group's step.
          CASE WHEN object_kind = 'user' AND group_from <> '' THEN 0 ELSE 1 END AS own
        FROM near WHERE direction = 'in' AND NOT internal),
      calls AS (
        SELECT collection_point_id AS j_point, call_id AS j_call,
          argMin(leg_id, (start_utc, depth, leg_id)) AS j_first,
          sum(CASE WHEN type IN ('in_answered', 'answered') THEN 1 ELSE 0 END) AS j_answered,
          sum(CASE WHEN type = 'in_voicemail'
                     OR (type = 'forwarded' AND forwarded_to LIKE 'voicemail %')
                   THEN 1 ELSE 0 END) AS j_mailbox,
          argMax(type, (own, start_utc, depth, leg_id)) AS j_last
        FROM steps GROUP BY collection_point_id, call_id)
      SELECT n.*,
        n.leg_id = c.j_first AS j_front,
        CASE WHEN c.j_answered > 0 THEN 'answered'
             WHEN c.j_mailbox > 0 THEN 'voicemail'
             WHEN c.j_last = 'abandoned' THEN 'abandoned'
             WHEN c.j_last = 'no_agent' THEN 'no_agent'
             WHEN c.j_last IN ('in_no_answer', 'in_busy') THEN 'no_answer'
             WHEN c.j_last = 'not_connected' THEN 'not_connected'
             ELSE 'forwarded' END AS j_end
      FROM near n LEFT JOIN calls c
        ON c.j_point = n.collection_point_id AND c.j_call = n.call_id"""  # noqa: S608


def journey_params(period: Period) -> dict[str, Any]:
    """The local range of legs the journey reads: the period's days and a day either side
    (a call's steps may cross midnight)."""
    first, end = period.local_range(timedelta(days=1), timedelta(days=1))
    return {"journey_from": first, "journey_to": end}


def call_ending(
    scope: Scope,
    object_ids: list[int],
    point_id: int,
    call_id: str,
    first: datetime,
    last: datetime,
) -> str | None:
    """How the external call of this point and id ended (an ENDINGS key), as the reports
    count it; None where it is no external incoming call or its front door is not one the
    reader may see. `first` and `last`: the local starts of its legs."""
    params = {
        "journey_from": first - timedelta(days=1),
        "journey_to": last + timedelta(days=1),
        "call": call_id,
        "point": point_id,
    }
    rows = get_store().aggregate(
        scope,
        object_ids,
        "j_front",
        params,
        "j_end",
        ["count(*)"],
        # (The call's legs only: the statement reads no other.)
        journey_source(
            "(SELECT * FROM {legs} WHERE call_id = $call AND collection_point_id = $point)"
        ),
    )
    endings = [ending for ending, _count in rows if ending is not None]
    return endings[0] if endings else None

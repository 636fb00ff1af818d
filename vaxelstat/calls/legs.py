"""The call leg: one row per call per measured object (SPEC §4)."""

import re
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from django.utils.translation import gettext_noop

USER_TYPES = (
    "in_answered",
    "in_no_answer",
    "in_busy",
    "in_voicemail",
    "in_forwarded",
    "out_answered",
    "out_unanswered",
)
GROUP_TYPES = ("answered", "abandoned", "no_agent", "forwarded")
ROUTING_TYPES = ("connected", "not_connected")
TYPES_BY_KIND = {
    "user": USER_TYPES,
    "acd": GROUP_TYPES,
    "hunt": GROUP_TYPES,
    "rule": ROUTING_TYPES,
    "ivr": ROUTING_TYPES,
}

# Swedish, the source of the English in the UI's catalogue.
TYPE_LABELS = {
    "in_answered": gettext_noop("Ink. besvarat"),
    "in_no_answer": gettext_noop("Ink. ej besvarat - Ej svar"),
    "in_busy": gettext_noop("Ink. ej besvarat - Upptaget"),
    "in_voicemail": gettext_noop("Ink. ej besvarat - Röstsvar"),
    "in_forwarded": gettext_noop("Ink. ej besvarat - Omstyrt"),
    "out_answered": gettext_noop("Utg. besvarat"),
    "out_unanswered": gettext_noop("Utg. ej besvarat"),
    "answered": gettext_noop("Besvarat av medlem"),
    "abandoned": gettext_noop("Ej besvarat - Avslutat i kö"),
    "no_agent": gettext_noop("Ej besvarat - Ingen ledig"),
    "forwarded": gettext_noop("Vidarekopplat"),
    "connected": gettext_noop("Framkopplat"),
    "not_connected": gettext_noop("Ej framkopplat"),
    "logged_in": gettext_noop("Inloggad"),
    "paused": gettext_noop("Pausad"),
}
# An agent's time (direction 'agent'): not a call but a quarter-hour slice of a member's
# session in a queue (logged in) or of a pause in it, its seconds as talk_s.
AGENT_TIME_TYPES = ("logged_in", "paused")


@dataclass(slots=True)
class Leg:
    """A leg as a parser sees it, before its object is resolved to a measured object."""

    # Unique within the collection point: the de-duplication key.
    leg_id: str
    call_id: str
    object_kind: str
    # How the source names the object, e.g. "ext:1001", "queue:400".
    object_identity: str
    object_number: str
    start: datetime  # aware, UTC
    direction: str  # "in" or "out"; "agent" for an agent's time (AGENT_TIME_TYPES)
    internal: bool
    type: str
    from_number: str = ""
    from_name: str = ""
    forwarded_from: str = ""
    group_from: str = ""
    member_number: str = ""
    member_name: str = ""
    to_number: str = ""
    wait_s: int = 0
    talk_s: int = 0
    forwarded_to: str = ""
    note: str = ""


LEG_FIELDS = [f.name for f in fields(Leg)]

# Övrigt of a leg whose call had not ended when its log was read: the next log of the same
# collection point completes it (the leg with the same id replaces this one).
IN_PROGRESS = "in progress"
# Övrigt of a call that Asterisk's restart ended (queue_log QUEUESTART).
ENDED_BY_RESTART = "ended by restart"


def ended_after(hours: int) -> str:
    """Övrigt of a call closed because it was open longer than the collection point allows."""
    return f"ended by timeout {hours} h"


# ended_after's note, read back: its hours.
ENDED_AFTER = re.compile(r"ended by timeout (\d+) h")


# The leg's fields of free text (numbers, names, notes), as sources and listings carry them.
TEXT_FIELDS = (
    "from_number",
    "from_name",
    "forwarded_from",
    "group_from",
    "member_number",
    "member_name",
    "to_number",
    "forwarded_to",
    "note",
)

# A leg's start is fixed by its source record; only a change of the collection point's source
# time zone between two imports can move it, by at most 26 hours. A re-import looks for the
# legs it may repeat within this margin of its own starts, not through a point's whole history.
SAME_LEG_WITHIN = timedelta(days=2)

# The columns of the call store, in order. start_local is computed at ingestion in the
# organization's time zone, so report SQL never converts time zones.
STORE_COLUMNS = [
    ("org_id", "INTEGER"),
    ("object_id", "BIGINT"),
    ("object_kind", "VARCHAR"),
    ("collection_point_id", "BIGINT"),
    ("import_id", "BIGINT"),
    ("leg_id", "VARCHAR"),
    ("call_id", "VARCHAR"),
    ("start_utc", "TIMESTAMP"),
    ("start_local", "TIMESTAMP"),
    ("direction", "VARCHAR"),
    ("internal", "BOOLEAN"),
    ("type", "VARCHAR"),
    ("from_number", "VARCHAR"),
    ("from_name", "VARCHAR"),
    ("forwarded_from", "VARCHAR"),
    ("group_from", "VARCHAR"),
    ("member_number", "VARCHAR"),
    ("member_name", "VARCHAR"),
    ("to_number", "VARCHAR"),
    ("wait_s", "INTEGER"),
    ("talk_s", "INTEGER"),
    ("forwarded_to", "VARCHAR"),
    ("note", "VARCHAR"),
]
STORE_COLUMN_NAMES = [name for name, _ in STORE_COLUMNS]

# A leg as staged before its object has an id: the fields of Leg, in Leg's order.
STAGE_COLUMNS = [
    *STORE_COLUMNS[5:7],  # leg_id, call_id
    ("object_kind", "VARCHAR"),
    ("object_identity", "VARCHAR"),
    ("object_number", "VARCHAR"),
    ("start_utc", "TIMESTAMP"),
    *STORE_COLUMNS[9:],  # direction … note
]
STAGE_COLUMN_NAMES = [name for name, _ in STAGE_COLUMNS]
assert len(STAGE_COLUMNS) == len(LEG_FIELDS)

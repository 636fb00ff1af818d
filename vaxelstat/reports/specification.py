"""The call specification (SPEC §6): the legs behind a report, or behind one of its cells.

The rows behind a cell are exactly the cell: the same scope, measure condition, period and
bucket as the engine's figure, so counting them gives the figure.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils.translation import gettext, gettext_noop

from vaxelstat.calls.legs import (
    ENDED_AFTER,
    ENDED_BY_RESTART,
    IN_PROGRESS,
    TEXT_FIELDS,
    TYPE_LABELS,
)
from vaxelstat.calls.scope import Scope
from vaxelstat.calls.store import get_store
from vaxelstat.orgs.models import MeasuredObject, Organization
from vaxelstat.reports.engine import sources
from vaxelstat.reports.journey import DEPTH
from vaxelstat.reports.measures import BY_KEY, REPORTS
from vaxelstat.reports.period import Period, local_start
from vaxelstat.reports.render import clock

# Text filters: the column they search (a case-insensitive substring of number or name).
TEXT_FILTERS = {
    "from": "from_number || ' ' || from_name",
    "forwarded_from": "forwarded_from",
    "group_from": "group_from",
    "member": "member_number || ' ' || member_name",
    "to": "to_number",
    "forwarded_to": "forwarded_to",
}
# The text filters: the columns', and the measured object's number or name (Användare, Grupp).
FILTER_NAMES = (*TEXT_FILTERS, "object")
# The longest text a filter reads.
FILTER_MOST = 100
# The text filters on a column of numbers also find the numbers of the organization's objects
# whose name holds the text (a group's number when the filter is its name).
NUMBER_COLUMNS = {
    "forwarded_from": "forwarded_from",
    "group_from": "group_from",
    "member": "member_number",
    "to": "to_number",
    "forwarded_to": "forwarded_to",
}
# "The column holds the text", and "the list holds the value", per engine.
CONTAINS = {"duckdb": "contains({}, {})", "clickhouse": "position({}, {}) > 0"}
IN_LIST = {"duckdb": "list_contains({}, {})", "clickhouse": "has({}, {})"}
# A mailbox in Vidarekopplat till: "voicemail", or "voicemail <box>".
MAILBOX = "voicemail"
ORDERS = {"newest": "start_utc DESC, leg_id", "oldest": "start_utc, leg_id"}


@dataclass
class Filters:
    type: str | None = None
    # By filter name (FILTER_NAMES): the text a column holds.
    text: dict[str, str] = field(default_factory=dict)
    wait_min: int | None = None
    wait_max: int | None = None
    talk_min: int | None = None
    talk_max: int | None = None


@dataclass
class Specification:
    total: int
    calls: list[dict[str, Any]]


def leg_of(row: dict[str, Any], obj: MeasuredObject, tz: Any) -> dict[str, Any]:
    """A stored leg as the specification and a call's page give it: its type, its local
    start (with the offset where the local time is ambiguous), its object and its columns."""
    return {
        "type": row["type"],
        "type_label": TYPE_LABELS[row["type"]],
        "start": local_start(row["start_local"], row["start_utc"], tz),
        "object_kind": obj.kind,
        "object_number": obj.number,
        "object_name": obj.display_name,
        **{
            k: row[k]
            for k in (
                *TEXT_FIELDS,
                "wait_s",
                "talk_s",
                "call_id",
                "leg_id",
                "collection_point_id",
            )
        },
    }


def specification(
    org: Organization,
    report_key: str,
    objects: list[MeasuredObject],
    period: Period,
    filters: Filters | None = None,
    measure: str | None = None,
    bucket: object = None,
    order: str = "newest",
    limit: int | None = None,
    offset: int = 0,
    *,
    scope: Scope,
) -> Specification:
    """The legs behind the report (or behind the cell of `measure` in `bucket`), paged."""
    report = REPORTS[report_key]
    filters = filters or Filters()
    store = get_store()
    where, params = period.filter(store.dialect)
    # The calls: an agent's time (its legs of direction 'agent') is none, though an agent's
    # report counts it.
    conditions = [report.legs, where, "direction <> 'agent'"]
    source = ""
    if measure is not None:
        chosen = BY_KEY[(report.scope, measure)]
        conditions.append(chosen.where)
        source = sources(org, period, [chosen], store.dialect, params)
    if bucket is not None:
        conditions.append(f"{period.bucket_sql(store.dialect)} = $bucket")
        params["bucket"] = bucket
    if filters.type:
        conditions.append("type = $type")
        params["type"] = filters.type
    directory = Directory.of(org) if any(filters.text.values()) else None
    for name, text in filters.text.items():
        if text and name in TEXT_FILTERS:
            column = f"lower({TEXT_FILTERS[name]})"
            condition = CONTAINS[store.dialect].format(column, f"$text_{name}")
            params[f"text_{name}"] = text.lower()
            numbers = directory.numbers_named(text) if directory and name in NUMBER_COLUMNS else []
            if name == "forwarded_to" and word_holds(MAILBOX_WORD, text):
                condition += " OR " + CONTAINS[store.dialect].format("forwarded_to", f"'{MAILBOX}'")
            if numbers:
                condition += " OR " + IN_LIST[store.dialect].format(
                    f"$numbers_{name}", NUMBER_COLUMNS[name]
                )
                params[f"numbers_{name}"] = numbers
            conditions.append(condition)
    for name, column, sign in (
        ("wait_min", "wait_s", ">="),
        ("wait_max", "wait_s", "<="),
        ("talk_min", "talk_s", ">="),
        ("talk_max", "talk_s", "<="),
    ):
        value = getattr(filters, name)
        if value is not None:
            conditions.append(f"{column} {sign} ${name}")
            params[name] = value
    if wanted := filters.text.get("object"):
        objects = [o for o in objects if names_hold(wanted, o.number, o.display_name)]
        if not objects:
            return Specification(0, [])
    names = {o.id: o for o in objects}
    total, rows = store.legs_page(
        scope,
        list(names),
        " AND ".join(f"({c})" for c in conditions),
        params,
        ORDERS[order],
        limit,
        offset,
        source,
    )
    calls = [leg_of(row, names[row["object_id"]], period.tz) for row in rows]
    return Specification(total, calls)


# A call's steps shown at most (a call of more legs is no call a person placed).
MOST_STEPS = 200


def call_steps(
    org: Organization, point_id: int, call_id: str, *, scope: Scope
) -> tuple[list[dict[str, Any]], int]:
    """Samtalets väg: the legs of one call (of a collection point), in order (at the same
    second as the journey orders steps), of the objects the reader may see, as the
    specification gives legs; and how many of its legs are at objects the reader may not
    see (named by count only)."""
    store = get_store()
    objects = {o.id: o for o in MeasuredObject.objects.filter(organization=org)}
    where = "call_id = $call AND collection_point_id = $point AND direction <> 'agent'"
    params: dict[str, Any] = {"call": call_id, "point": point_id}
    total, rows = store.legs_page(
        scope, list(objects), where, params, f"start_utc, {DEPTH}, leg_id", MOST_STEPS, 0
    )
    if not rows:
        return [], 0
    # The rest of the call, counted: around the steps seen (a call lasts less than a day).
    params.update(
        first=min(r["start_utc"] for r in rows) - timedelta(days=1),
        last=max(r["start_utc"] for r in rows) + timedelta(days=1),
    )
    everyone, _rows = store.legs_page(
        Scope.whole(org.id),
        list(objects),
        f"{where} AND start_utc BETWEEN $first AND $last",
        params,
        "start_utc",
        0,
        0,
    )
    steps = [
        {
            **leg_of(row, objects[row["object_id"]], org.tzinfo),
            "start_local": row["start_local"],
            "start_utc": row["start_utc"],
        }
        for row in rows
    ]
    return steps, everyone - total


# What the specification shows (the guide's words): a number with the name of the object it
# is, "Dolt nummer" for a caller who hid theirs, the notes in words, blank where nothing is.
HIDDEN_CALLER = gettext_noop("Dolt nummer")
MAILBOX_WORD = gettext_noop("Röstbrevlåda")
# Övrigt: the notes the sources write, by their whole text or by how they begin (the rest is
# a number, named as in the other columns, or a key or a count shown as it is).
NOTES = {
    "voicemail": MAILBOX_WORD,
    "busy": gettext_noop("Upptaget"),
    "technical error": gettext_noop("Tekniskt fel"),
    "timeout": gettext_noop("Failback"),
    "transferred": gettext_noop("Manuellt kopplat"),
    "invalid key": gettext_noop("Ogiltigt knappval"),
    "pickup": gettext_noop("Plockat samtal"),
    "picked up": gettext_noop("Plockat av annan"),
    IN_PROGRESS: gettext_noop("Samtalet pågår"),
    ENDED_BY_RESTART: gettext_noop("Avslutat när växeln startade om"),
}
NOTE_PREFIXES = (
    ("picked up by ", gettext_noop("Plockat av %(who)s"), True),
    ("pickup of ", gettext_noop("Plockat från %(who)s"), True),
    ("key ", gettext_noop("Knappval %(who)s"), False),
)
# The object kinds a column's numbers are, in the order a number of several is read as.
GROUPS, USERS = ("acd", "hunt"), ("user",)
ANY = ("user", "acd", "hunt", "ivr", "rule")


def filter_texts(params: Any) -> dict[str, str]:
    """The text filters of a form's fields (f_<name>), each at most FILTER_MOST long."""
    return {name: params.get(f"f_{name}", "").strip()[:FILTER_MOST] for name in FILTER_NAMES}


def names_hold(text: str, *names: str) -> bool:
    """The text filter's test: the text in any of the names, whatever the case."""
    wanted = text.strip().lower()
    return any(wanted in name.lower() for name in names)


def word_holds(word: str, text: str) -> bool:
    """Whether a filter's text is in a word as the page shows it (or its Swedish)."""
    return names_hold(text, gettext(word), word)


class Directory:
    """The organization's objects by number: what a number in a call is called."""

    def __init__(self, objects: list[tuple[str, str, str]]) -> None:
        self.by_number: dict[str, dict[str, str]] = {}
        for kind, number, name in objects:
            self.by_number.setdefault(number, {})[kind] = name

    @classmethod
    def of(cls, org: Organization) -> "Directory":
        return cls(
            list(
                MeasuredObject.objects.filter(organization=org).values_list(
                    "kind", "number", "display_name"
                )
            )
        )

    def label(self, number: str, kinds: tuple[str, ...] = ANY) -> str:
        """The number with its object's name; an IVR's or a rule's name alone (its number is
        the switchboard's own id)."""
        named = self.by_number.get(number, {})
        for kind in kinds:
            if name := named.get(kind):
                return name if kind in ("ivr", "rule") else f"{number} {name}"
        return number

    def numbers_named(self, text: str) -> list[str]:
        """The numbers of the objects whose name holds the text."""
        return sorted(
            number
            for number, named in self.by_number.items()
            if any(names_hold(text, name) for name in named.values() if name)
        )


def note_text(note: str, directory: Directory) -> str:
    if note in NOTES:
        return gettext(NOTES[note])
    for prefix, words, named in NOTE_PREFIXES:
        if note.startswith(prefix):
            rest = note[len(prefix) :]
            return gettext(words) % {"who": directory.label(rest, USERS) if named else rest}
    if ended := ENDED_AFTER.fullmatch(note):
        return gettext("Avslutat efter %(hours)s h utan slut i loggen") % {"hours": ended[1]}
    return note


def forwarded_to_text(value: str, directory: Directory) -> str:
    if value == MAILBOX:
        return gettext(MAILBOX_WORD)
    if value.startswith(MAILBOX + " "):
        box = value[len(MAILBOX) + 1 :]
        return f"{gettext(MAILBOX_WORD)} {directory.label(box, USERS)}"
    return directory.label(value)


def shown(call: dict[str, Any], directory: Directory) -> dict[str, str]:
    """The texts of a call's columns as the specification shows them."""
    incoming = not call["type"].startswith("out_")
    caller = " ".join(v for v in (call["from_number"], call["from_name"]) if v)
    answered = call["type"] in ("in_answered", "out_answered", "answered") or call["talk_s"]
    member, to = call["member_number"], call["to_number"]
    return {
        "from": caller or (gettext(HIDDEN_CALLER) if incoming else ""),
        "forwarded_from": directory.label(call["forwarded_from"]),
        "group_from": directory.label(call["group_from"], GROUPS),
        "object": directory.label(call["object_number"], (call["object_kind"],)),
        "member": (
            f"{member} {call['member_name']}"
            if call["member_name"]
            else directory.label(member, USERS)
        ),
        # (An incoming call's Till is the user's own number: the guide leaves it blank.)
        "to": "" if to == call["object_number"] else directory.label(to),
        "wait": clock(call["wait_s"]) if call["wait_s"] or answered else "",
        "talk": clock(call["talk_s"]) if answered else "",
        "forwarded_to": forwarded_to_text(call["forwarded_to"], directory),
        "note": note_text(call["note"], directory),
    }


def show(org: Organization, calls: list[dict[str, Any]]) -> None:
    """Give each call what the specification shows of it (`shown`), in the active language."""
    directory = Directory.of(org)
    for call in calls:
        call["shown"] = shown(call, directory)

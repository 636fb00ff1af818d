"""The canonical CSV (SPEC §14): one row per leg per object, for platforms whose own logs we
cannot read (Telepo, Mitel MiCC, Zylinc, Enghouse Trio) or any export a customer can make.

A mapping (the collection point's `mapping` setting) lets other column names and vocabularies
in: {"columns": {"their column": "our column"}, "values": {"our column": {"theirs": "ours"}}}.
"""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vaxelstat.calls.legs import TEXT_FIELDS, TYPES_BY_KIND, Leg
from vaxelstat.ingest.parsers.base import (
    ParseResult,
    Reason,
    Reject,
    SourceSettings,
    csv_fields,
    read_lines,
)

FORMAT = "csv"

COLUMNS = [
    "call_id",
    "leg_id",
    "object_kind",
    "object_number",
    "object_name",
    "start",
    "direction",
    "internal",
    "type",
    "from_number",
    "from_name",
    "forwarded_from",
    "group_from",
    "member_number",
    "member_name",
    "to_number",
    "wait_s",
    "talk_s",
    "forwarded_to",
    "note",
]
REQUIRED = ("call_id", "leg_id", "object_kind", "object_number", "start", "type")
# The columns a file's header must name (after the mapping): the rest may come as values.
KEY_COLUMNS = ("call_id", "leg_id", "start")
BOOLEANS = {"true": True, "false": False, "1": True, "0": False, "": False}


class _Bad(Exception):
    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def _start(text: str, settings: SourceSettings) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise _Bad(Reason.BAD_TIME, f"start {text!r} is not ISO 8601") from None
    if value.tzinfo is None:  # Not canonical, but common: read it in the source time zone.
        value = value.replace(tzinfo=settings.timezone)
    return value.astimezone(UTC)


def _seconds(row: dict[str, str], name: str) -> int:
    text = row.get(name, "").strip()
    try:
        value = round(float(text)) if text else 0
    except ValueError:
        raise _Bad(Reason.BAD_NUMBER, f"{name} {text!r} is not a number of seconds") from None
    if value < 0:
        raise _Bad(Reason.BAD_NUMBER, f"{name} {text!r} is negative")
    return value


def leg_from_row(row: dict[str, str], settings: SourceSettings) -> Leg:
    missing = [name for name in REQUIRED if not row.get(name, "").strip()]
    if missing:
        raise _Bad(Reason.MISSING_FIELD, "no " + ", ".join(missing))
    kind, type_ = row["object_kind"].strip(), row["type"].strip()
    if kind not in TYPES_BY_KIND:
        raise _Bad(Reason.BAD_NUMBER, f"object_kind {kind!r} is none of {', '.join(TYPES_BY_KIND)}")
    if type_ not in TYPES_BY_KIND[kind]:
        raise _Bad(Reason.BAD_NUMBER, f"type {type_!r} is not a type of a {kind} leg")
    direction = row.get("direction", "").strip() or ("out" if type_.startswith("out_") else "in")
    if direction not in ("in", "out"):
        raise _Bad(Reason.BAD_NUMBER, f"direction {direction!r} is not in or out")
    internal = row.get("internal", "").strip().lower()
    if internal not in BOOLEANS:
        raise _Bad(Reason.BAD_NUMBER, f"internal {internal!r} is not true or false")
    number = row["object_number"].strip()
    return Leg(
        leg_id=f"csv:{row['leg_id'].strip()}",
        call_id=row["call_id"].strip(),
        object_kind=kind,
        object_identity=f"csv:{kind}:{number}",
        object_number=number,
        start=_start(row["start"], settings),
        direction=direction,
        internal=BOOLEANS[internal],
        type=type_,
        wait_s=_seconds(row, "wait_s"),
        talk_s=_seconds(row, "talk_s"),
        **{name: row.get(name, "").strip() for name in TEXT_FIELDS},
    )


def parse(
    path: Path, settings: SourceSettings, mapping: dict[str, Any] | None = None
) -> ParseResult:
    mapping = mapping if mapping is not None else settings.mapping
    columns: dict[str, str] = mapping.get("columns", {})
    values: dict[str, dict[str, str]] = mapping.get("values", {})
    result = ParseResult()
    header: list[str] | None = None
    for number, text in read_lines(path):
        if (fields := csv_fields(number, text, result)) is None:
            continue
        if header is None:
            header = [columns.get(f.strip(), f.strip()) for f in fields]
            unknown = [h for h in KEY_COLUMNS if h not in header]
            if unknown:
                result.lines += 1
                result.rejects.append(
                    Reject(
                        number,
                        Reason.UNKNOWN_LAYOUT,
                        "the header lacks " + ", ".join(unknown),
                        text,
                    )
                )
                header = None
                break
            continue
        result.lines += 1
        if len(fields) != len(header):
            result.rejects.append(
                Reject(
                    number,
                    Reason.MALFORMED,
                    f"{len(fields)} columns, the header has {len(header)}",
                    text,
                )
            )
            continue
        row = dict(zip(header, fields, strict=True))
        for name, vocabulary in values.items():
            if name in row:
                row[name] = vocabulary.get(row[name], row[name])
        try:
            leg = leg_from_row(row, settings)
        except _Bad as bad:
            result.rejects.append(Reject(number, bad.reason, bad.detail, text))
            continue
        if row.get("object_name", "").strip():
            result.names.setdefault(leg.object_identity, row["object_name"].strip())
        if leg.group_from and leg.object_kind == "user":
            # The group is an ACD or a hunt group; only the one that exists gets the member.
            result.memberships.add((f"csv:acd:{leg.group_from}", leg.object_identity))
            result.memberships.add((f"csv:hunt:{leg.group_from}", leg.object_identity))
        result.legs.append(leg)
    return result

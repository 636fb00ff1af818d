"""The differential oracle of the Asterisk CDR rules: the Python walk the product had before
its SQL became the one implementation (vaxelstat/ingest/parsers/asterisk_cdr.py). It lives
only here, to hold the SQL to an independent walk; this part reads the rows.

Asterisk CDR (cdr_csv Master.csv, cdr_custom) → user, hunt group, IVR and rule legs.

Layouts are told apart by column count (FORMATS.md §1.1): 18 (cdr_csv with uniqueid and
userfield), 21 (plus peeraccount, linkedid, sequence) and 19 (cdr_custom's default mapping).
Rows are grouped into calls by linkedid (uniqueid where there is none) and walked in sequence
order. The contexts follow FreePBX (SPEC §13): `timeconditions` is a rule-based number, `ivr-N`
an IVR, `ext-group` a ring group, `ext-queues` an ACD queue (its legs come from queue_log),
VoiceMail the voicemail.

A call is held by one object at a time. When a later row sends the call elsewhere, the holder
that did not answer becomes forwarded (`in_forwarded` for a user, `forwarded` for a group) and
the new destination's leg names it in "forwarded from"; voicemail turns an unanswered user's
leg into `in_voicemail`.
"""

from collections import defaultdict
from datetime import timedelta
from pathlib import Path

from oracles.asterisk_calls import CallWalk, Row, service_numbers
from vaxelstat.ingest.parsers import asterisk_cdr as product
from vaxelstat.ingest.parsers.base import (
    ParseResult,
    Reason,
    Reject,
    SourceSettings,
    channel_peer,
    csv_fields,
    local_to_utc,
    read_lines,
)

FORMAT = "asterisk-cdr"

# The layouts' column names are the product's: which column is which is no rule.
LAYOUTS = product.LAYOUTS


def _read_row(number: int, values: dict[str, str], settings: SourceSettings) -> Row:
    uniqueid = values.get("uniqueid", "")
    try:
        hint: float | None = float(uniqueid.rsplit("-", 1)[-1])
    except ValueError:
        hint = None
    if "calldate" in values:
        # A DB table has the start only: answer and end follow from duration and billsec.
        start = local_to_utc(values["calldate"], settings.timezone, hint)
        duration = int(values.get("duration") or 0)
        billsec = int(values.get("billsec") or 0)
        end = start + timedelta(seconds=duration)
        answer = end - timedelta(seconds=billsec) if values["disposition"] == "ANSWERED" else None
    else:
        start = local_to_utc(values["start"], settings.timezone, hint)
        end = local_to_utc(values["end"], settings.timezone, hint) if values["end"] else start
        answer = None
        if values["answer"] and values["disposition"] == "ANSWERED":
            answer = local_to_utc(values["answer"], settings.timezone, hint)
    return Row(
        line=number,
        src=values["src"],
        dst=values["dst"],
        dcontext=values["dcontext"],
        clid=values["clid"],
        channel=values["channel"],
        dstchannel=values["dstchannel"],
        lastapp=values["lastapp"],
        lastdata=values["lastdata"],
        start=start,
        answer=answer,
        end=end,
        billsec=int(values["billsec"] or 0),
        disposition=values["disposition"],
        uniqueid=uniqueid,
        linkedid=values.get("linkedid") or uniqueid,
        sequence=int(values.get("sequence") or 0),
        userfield=values.get("userfield", ""),
    )


def _header(fields: list[str]) -> list[str] | None:
    """The column names if `fields` is a DB export's header line, else None."""
    names = [f.strip().lower() for f in fields]
    needed = {"src", "dst", "dcontext", "channel", "disposition"}
    if needed <= set(names) and ("calldate" in names or "start" in names):
        return names
    return None


def parse(path: Path, settings: SourceSettings) -> ParseResult:
    result = ParseResult()
    calls: dict[str, list[Row]] = defaultdict(list)
    header: list[str] | None = None
    for number, text in read_lines(path):
        if (fields := csv_fields(number, text, result)) is None:
            continue
        if number == 1 and (header := _header(fields)) is not None:
            continue
        result.lines += 1
        if header is not None:
            if len(fields) != len(header):
                result.rejects.append(
                    Reject(
                        number,
                        Reason.UNKNOWN_LAYOUT,
                        f"{len(fields)} columns, the header has {len(header)}",
                        text,
                    )
                )
                continue
            # DB exports write NULL for an empty value.
            values = {k: "" if v == "NULL" else v for k, v in zip(header, fields, strict=True)}
        elif len(fields) in LAYOUTS:
            values = dict(zip(LAYOUTS[len(fields)], fields, strict=True))
        else:
            counts = ", ".join(str(n) for n in LAYOUTS)
            result.rejects.append(
                Reject(
                    number,
                    Reason.UNKNOWN_LAYOUT,
                    f"{len(fields)} columns (expected {counts})",
                    text,
                )
            )
            continue
        try:
            row = _read_row(number, values, settings)
        except ValueError as exc:
            reason = Reason.BAD_TIME if "time data" in str(exc) else Reason.BAD_NUMBER
            result.rejects.append(Reject(number, reason, str(exc), text))
            continue
        except KeyError as exc:
            result.rejects.append(Reject(number, Reason.UNKNOWN_LAYOUT, f"no column {exc}", text))
            continue
        calls[row.linkedid].append(row)
    originated = _originated(calls, settings)
    _mark_placed(calls, originated, settings)
    services = service_numbers(
        [r for rows in calls.values() for r in rows if id(r) not in originated], settings
    )
    for call_id, rows in calls.items():
        rows = [r for r in rows if id(r) not in originated]
        if not rows:
            continue
        rows.sort(key=lambda r: (r.sequence, r.start, r.line))
        CallWalk(call_id, rows, settings, result, services).walk()
    _continue_ringing(calls, result)
    return result


def _continue_ringing(calls: dict[str, list[Row]], result: ParseResult) -> None:
    """A Dial that rang a phone without an answer, and the first row of another call the
    same channel joined while it rang or at its end (a transfer to a phone still ringing
    from the consultation): the phone rang once, so the first Dial's leg ends as the later
    row did (as that row's own leg, which is then none; or answered, where it answered).
    A row that continues another begins no such pair of its own."""
    rows = [r for call in calls.values() for r in call]
    pairs: dict[int, tuple[Row, Row]] = {}
    for first in rows:
        if (
            first.lastapp != "Dial"
            or not first.dstchannel
            or first.disposition == "ANSWERED"
            or "&" in first.lastdata.split(",", 1)[0]
        ):
            continue
        later = min(
            (
                r
                for r in rows
                if r.dstchannel == first.dstchannel
                and r.linkedid != first.linkedid
                and first.start <= r.start <= first.end + timedelta(seconds=1)
            ),
            key=lambda r: (r.start, r.line),
            default=None,
        )
        if later is not None:
            pairs[id(first)] = (first, later)
    continuing = {id(later) for _, later in pairs.values()}
    legs = {leg.leg_id: leg for leg in result.legs if leg.leg_id.endswith(":in")}
    dropped: set[str] = set()
    for first, later in pairs.values():
        leg = legs.get(f"cdr:{first.uniqueid}:{first.sequence}:in")
        if id(first) in continuing or leg is None:
            continue
        own = legs.get(f"cdr:{later.uniqueid}:{later.sequence}:in")
        if own is not None and "&" not in later.lastdata.split(",", 1)[0]:
            leg.type, leg.talk_s, leg.note = own.type, own.talk_s, own.note
            leg.forwarded_to = own.forwarded_to
            leg.wait_s = int((own.start - leg.start).total_seconds()) + own.wait_s
            dropped.add(own.leg_id)
        elif later.disposition == "ANSWERED":
            leg.type, leg.talk_s, leg.note, leg.forwarded_to = "in_answered", later.billsec, "", ""
            answered = later.answer or later.start
            leg.wait_s = max(0, int((answered - leg.start).total_seconds()))
    result.legs[:] = [leg for leg in result.legs if leg.leg_id not in dropped]


def _mark_placed(
    calls: dict[str, list[Row]], originated: dict[int, Row], settings: SourceSettings
) -> None:
    """Name on each second half of such a call the user its first half rang (the first in
    the file), and whether their phone answered."""
    for call in calls.values():
        firsts = sorted(
            (
                r
                for r in call
                if id(r) in originated
                and r.lastapp == "Dial"
                and settings.is_extension(channel_peer(r.dstchannel))
            ),
            key=lambda r: r.line,
        )
        for r in call:
            rang = [f for f in firsts if f.channel[:-2] == r.channel[:-2]]
            if r.channel.endswith(";2") and id(r) not in originated and rang:
                r.placed_for = channel_peer(rang[0].dstchannel)
                r.placed_answered = any(f.disposition == "ANSWERED" for f in rang)
            elif owner := conference_owner(r, settings):
                r.placed_for = owner


def conference_owner(row: Row, settings: SourceSettings) -> str:
    """The user who asked a dynamic conference to call someone in (PBXware): its invitation
    is a Local channel's second half whose caller number is the conference's, the owner's
    extension followed by the second the call began (the call id's whole seconds)."""
    second = row.linkedid.split(".", 1)[0]
    if (
        row.channel.startswith("Local/")
        and row.channel.endswith(";2")
        and len(second) == 10
        and row.src.endswith(second)
        and settings.is_extension(row.src[:-10])
    ):
        return row.src[:-10]
    return ""


def _originated(calls: dict[str, list[Row]], settings: SourceSettings) -> dict[int, Row]:
    """The rows in which the PBX rang a user for a call it placed for them (click-to-call
    that dials the far end first): in one call, a Local channel whose second half dialled
    the far end (no user's phone) and whose first half rang a user's phone. Every row of that
    first half (its mailbox taking the call too); the call is the second half's."""
    found: dict[int, Row] = {}
    for call in calls.values():
        far_ends = {
            r.channel[:-2]
            for r in call
            if r.channel.startswith("Local/")
            and r.channel.endswith(";2")
            and r.lastapp == "Dial"
            and not settings.is_extension(channel_peer(r.dstchannel))
        }
        rang = {
            r.channel
            for r in call
            if r.channel.startswith("Local/")
            and r.channel.endswith(";1")
            and r.channel[:-2] in far_ends
            and r.lastapp == "Dial"
            and settings.is_extension(channel_peer(r.dstchannel))
        }
        found.update((id(r), r) for r in call if r.channel in rang)
    return found

"""The differential oracle of the queue_log rules: the Python walk the product had before its
SQL became the one implementation (vaxelstat/ingest/parsers/asterisk_queue_log.py). It lives
only here, to hold the SQL to an independent walk on calls that end in their file.

Asterisk queue_log → ACD group legs and the agents' legs (SPEC §11, FORMATS.md §2). One
group leg per (callid, queue) from ENTERQUEUE to its terminal event. RINGNOANSWER gives
each member who rang and never answered one `in_no_answer` leg per call (ring-all strategies
log one per ring cycle); the member who CONNECTs gets an `in_answered` leg.
"""

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from vaxelstat.calls.legs import Leg
from vaxelstat.ingest.parsers import asterisk_queue_log as product
from vaxelstat.ingest.parsers.base import (
    ParseResult,
    Reason,
    Reject,
    SourceSettings,
    caller,
    channel_peer,
    read_lines,
)

FORMAT = "asterisk-queue-log"

TERMINAL = {
    "COMPLETECALLER",
    "COMPLETEAGENT",
    "TRANSFER",
    "BLINDTRANSFER",
    "ATTENDEDTRANSFER",
    "ABANDON",
    "EXITEMPTY",
    "EXITWITHTIMEOUT",
    "EXITWITHKEY",
    "SYSCOMPAT",
}
# Written by distribution dialplans when a call is refused at the door (FORMATS.md §2.2).
REFUSED = {"JOINEMPTY": "", "FULL": "full", "CLOSED": "closed"}
CALL_EVENTS = TERMINAL | set(REFUSED) | {"ENTERQUEUE", "CONNECT", "RINGNOANSWER", "RINGCANCELED"}
# Where the talk time is among the data fields of each ending event after CONNECT.
TALK_FIELD = {
    "COMPLETECALLER": 1,
    "COMPLETEAGENT": 1,
    "TRANSFER": 3,
    "BLINDTRANSFER": 3,
    "ATTENDEDTRANSFER": 3,
}
# Where the wait is among the data fields of each unanswered ending event.
WAIT_FIELD = {"ABANDON": 2, "EXITEMPTY": 2, "EXITWITHTIMEOUT": 2, "EXITWITHKEY": 3}


@dataclass
class _QueueCall:
    callid: str
    queue: str
    enter: int
    line: int
    raw: str
    caller_number: str = ""
    caller_name: str = ""
    # agent → (first ring start, seconds rung in all)
    rings: dict[str, tuple[int, int]] = field(default_factory=dict)
    connect: tuple[int, str, int, int] | None = None  # (epoch, agent, holdtime, ringtime)
    # The call's later lines (line, raw): rejected with it if it does not end in the file, so
    # that the next file can take them up again.
    later: list[tuple[int, str]] = field(default_factory=list)

    def unfinished(self, why: str) -> list[Reject]:
        """The call's lines, rejected because it has not ended."""
        part = f"part of {self.callid} in {self.queue}, which has not ended in the file"
        return [Reject(self.line, Reason.INCOMPLETE_CALL, why, self.raw)] + [
            Reject(line, Reason.INCOMPLETE_CALL, part, raw) for line, raw in self.later
        ]


def agent_number(agent: str) -> str:
    """'Local/1001@from-queue/n' → '1001'; 'PJSIP/201' → '201'; a member name stays."""
    return channel_peer(agent) if "/" in agent else agent


def _int(value: str) -> int:
    return int(float(value)) if value.strip() else 0


@dataclass
class Event:
    line: int
    raw: str
    # Seconds since the epoch, with fractions where the layout has them (for ordering).
    time: float
    callid: str
    queue: str
    agent: str
    event: str
    data: list[str]

    @property
    def epoch(self) -> int:
        return int(self.time)


def _native(number: int, text: str) -> Event:
    parts = text.split("|")
    if len(parts) < 5:
        raise product._Bad(Reason.MALFORMED, "fewer than 5 fields")
    epoch_text, callid, queue, agent, event, *data = parts
    try:
        epoch = int(epoch_text)
    except ValueError:
        raise product._Bad(Reason.BAD_TIME, f"epoch {epoch_text!r}") from None
    return Event(number, text, epoch, callid, queue, agent, event, data)


def read_events(path: Path, settings: SourceSettings, result: ParseResult) -> list[Event]:
    """Every record, in time order. Table exports are read by the product's own readers (the
    oracle is the walk over the events, not the reading of the layouts)."""
    events: list[Event] = []
    reader: Callable[[str], product.Event] | None = None
    native: bool | None = None
    seen: dict[str, int] = {}
    for number, text in read_lines(path):
        if native is not None and text in seen:
            # A line again, whole (FORMATS.md §2.4): read once.
            result.lines += 1
            result.rejects.append(
                Reject(number, Reason.DUPLICATE, f"first on line {seen[text]}", text)
            )
            continue
        seen.setdefault(text, number)
        if native is None:
            reader = product._layout(text, settings)
            native = reader is None
            if not native:
                continue
        result.lines += 1
        try:
            if reader is None:
                events.append(_native(number, text))
            else:
                time, callid, queue, agent, event, data = reader(text)
                events.append(Event(number, text, time, callid, queue, agent, event, data))
        except product._Bad as bad:
            result.rejects.append(Reject(number, bad.reason, bad.detail, text))
        except (csv.Error, KeyError) as exc:
            result.rejects.append(Reject(number, Reason.MALFORMED, str(exc), text))
    # Table exports may be newest-first; a stable sort keeps a file's order within a second.
    events.sort(key=lambda e: e.time)
    return events


def parse(path: Path, settings: SourceSettings) -> ParseResult:
    result = ParseResult()
    open_calls: dict[tuple[str, str], _QueueCall] = {}
    for e in read_events(path, settings, result):
        if e.event not in CALL_EVENTS:
            if e.event == "ADDMEMBER" and e.agent not in ("", "NONE"):
                result.memberships.add((f"queue:{e.queue}", f"ext:{agent_number(e.agent)}"))
            continue
        key = (e.callid, e.queue)
        data = e.data
        try:
            if e.event in REFUSED:
                result.legs.extend(
                    _legs(
                        _QueueCall(e.callid, e.queue, e.epoch, e.line, e.raw),
                        e.event,
                        e.epoch,
                        [],
                        settings,
                    )
                )
                continue
            if e.event == "ENTERQUEUE":
                if key in open_calls:
                    old = open_calls.pop(key)
                    result.rejects.extend(old.unfinished("entered the queue again before leaving"))
                name = data[3] if len(data) > 3 else ""
                num, name = caller(data[1] if len(data) > 1 else "", name)
                open_calls[key] = _QueueCall(e.callid, e.queue, e.epoch, e.line, e.raw, num, name)
                continue
            call = open_calls.get(key)
            if call is None:
                result.rejects.append(
                    Reject(
                        e.line,
                        Reason.NO_START_EVENT,
                        f"{e.event} without ENTERQUEUE for {e.callid}",
                        e.raw,
                    )
                )
                continue
            member = agent_number(e.agent)
            if e.event == "RINGNOANSWER":
                ring = _int(data[0]) // 1000 if data else 0
                first, total = call.rings.get(member, (e.epoch - ring, 0))
                call.rings[member] = (first, total + ring)
                result.memberships.add((f"queue:{e.queue}", f"ext:{member}"))
            elif e.event == "CONNECT":
                hold = _int(data[0]) if data else e.epoch - call.enter
                ring = _int(data[2]) if len(data) > 2 else 0
                call.connect = (e.epoch, member, hold, ring)
                result.memberships.add((f"queue:{e.queue}", f"ext:{member}"))
            elif e.event in TERMINAL:
                del open_calls[key]
                result.legs.extend(_legs(call, e.event, e.epoch, data, settings))
            if e.event not in TERMINAL:
                call.later.append((e.line, e.raw))
        except ValueError as exc:
            result.rejects.append(Reject(e.line, Reason.BAD_NUMBER, str(exc), e.raw))
    for call in open_calls.values():
        result.rejects.extend(
            call.unfinished(f"no terminal event for {call.callid} in {call.queue}")
        )
    result.rejects.sort(key=lambda r: r.line)
    return result


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _legs(
    call: _QueueCall, event: str, epoch: int, data: list[str], settings: SourceSettings
) -> list[Leg]:
    internal = settings.is_extension(call.caller_number)
    base = f"ql:{call.callid}:{call.queue}:{call.enter}"
    group = Leg(
        leg_id=base,
        call_id=call.callid,
        object_kind="acd",
        object_identity=f"queue:{call.queue}",
        object_number=call.queue,
        start=_utc(call.enter),
        direction="in",
        internal=internal,
        type="answered",
        from_number=call.caller_number,
        from_name=call.caller_name,
    )
    legs = [group]
    answered_by = ""
    if call.connect and event in TALK_FIELD:
        connected, answered_by, hold, ring = call.connect
        talk = _int(data[TALK_FIELD[event]]) if len(data) > TALK_FIELD[event] else epoch - connected
        group.wait_s, group.talk_s, group.member_number = hold, talk, answered_by
        if event.endswith("TRANSFER"):
            group.note = "transferred"
            group.forwarded_to = data[0] if data else ""
        legs.append(
            _member_leg(
                call, base, answered_by, "in_answered", connected - ring, ring, talk, internal
            )
        )
    else:
        field_at = WAIT_FIELD.get(event)
        has_wait = field_at is not None and len(data) > field_at and data[field_at].strip()
        group.wait_s = (
            _int(data[field_at]) if has_wait and field_at is not None else (epoch - call.enter)
        )
        if event == "ABANDON":
            group.type = "abandoned"
        elif event == "EXITEMPTY":
            group.type = "no_agent"
        elif event in REFUSED:
            group.type, group.note, group.wait_s = "no_agent", REFUSED[event], 0
        elif event == "EXITWITHKEY":
            group.type, group.note = "forwarded", f"key {data[0] if data else ''}".strip()
        elif event == "EXITWITHTIMEOUT":
            group.type, group.note = "forwarded", "timeout"
        else:  # SYSCOMPAT, or a completion without CONNECT: the call failed.
            group.type, group.note = "abandoned", "technical error"
    for member, (first, total) in sorted(call.rings.items()):
        if member == answered_by:
            continue
        legs.append(_member_leg(call, base, member, "in_no_answer", first, total, 0, internal))
    return legs


def _member_leg(
    call: _QueueCall,
    base: str,
    member: str,
    type_: str,
    start: int,
    wait: int,
    talk: int,
    internal: bool,
) -> Leg:
    """A member's leg of a queue call: rung (and answered or not), with the group named."""
    return Leg(
        leg_id=f"{base}:{member}",
        call_id=call.callid,
        object_kind="user",
        object_identity=f"ext:{member}",
        object_number=member,
        start=_utc(start),
        direction="in",
        internal=internal,
        type=type_,
        from_number=call.caller_number,
        from_name=call.caller_name,
        group_from=call.queue,
        member_number=member,
        wait_s=wait,
        talk_s=talk,
    )

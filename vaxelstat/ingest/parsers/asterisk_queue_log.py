"""Asterisk queue_log → ACD group legs and the agents' legs (SPEC §11, FORMATS.md §2).

One group leg per (callid, queue) from ENTERQUEUE to its terminal event. RINGNOANSWER gives
each member who rang and never answered one `in_no_answer` leg per call (ring-all strategies
log one per ring cycle); the member who CONNECTs gets an `in_answered` leg.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from vaxelstat.calls.legs import Leg
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
CALL_EVENTS = TERMINAL | {"ENTERQUEUE", "CONNECT", "RINGNOANSWER", "RINGCANCELED"}
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


def agent_number(agent: str) -> str:
    """'Local/1001@from-queue/n' → '1001'; 'PJSIP/201' → '201'; a member name stays."""
    return channel_peer(agent) if "/" in agent else agent


def _int(value: str) -> int:
    return int(float(value)) if value.strip() else 0


def parse(path: Path, settings: SourceSettings) -> ParseResult:
    result = ParseResult()
    open_calls: dict[tuple[str, str], _QueueCall] = {}
    for number, text in read_lines(path):
        result.lines += 1
        parts = text.split("|")
        if len(parts) < 5:
            result.rejects.append(Reject(number, Reason.MALFORMED, "fewer than 5 fields", text))
            continue
        epoch_text, callid, queue, agent, event, *data = parts
        try:
            epoch = int(epoch_text)
        except ValueError:
            result.rejects.append(Reject(number, Reason.BAD_TIME, f"epoch {epoch_text!r}", text))
            continue
        if event not in CALL_EVENTS:
            if event == "ADDMEMBER" and agent not in ("", "NONE"):
                result.memberships.add((f"queue:{queue}", f"ext:{agent_number(agent)}"))
            continue
        key = (callid, queue)
        try:
            if event == "ENTERQUEUE":
                if key in open_calls:
                    old = open_calls.pop(key)
                    result.rejects.append(
                        Reject(
                            old.line,
                            Reason.INCOMPLETE_CALL,
                            "entered the queue again before leaving",
                            old.raw,
                        )
                    )
                name = data[3] if len(data) > 3 else ""
                num, name = caller(data[1] if len(data) > 1 else "", name)
                open_calls[key] = _QueueCall(callid, queue, epoch, number, text, num, name)
                continue
            call = open_calls.get(key)
            if call is None:
                result.rejects.append(
                    Reject(
                        number,
                        Reason.NO_START_EVENT,
                        f"{event} without ENTERQUEUE for {callid}",
                        text,
                    )
                )
                continue
            member = agent_number(agent)
            if event == "RINGNOANSWER":
                ring = _int(data[0]) // 1000 if data else 0
                first, total = call.rings.get(member, (epoch - ring, 0))
                call.rings[member] = (first, total + ring)
                result.memberships.add((f"queue:{queue}", f"ext:{member}"))
            elif event == "CONNECT":
                hold = _int(data[0]) if data else epoch - call.enter
                ring = _int(data[2]) if len(data) > 2 else 0
                call.connect = (epoch, member, hold, ring)
                result.memberships.add((f"queue:{queue}", f"ext:{member}"))
            elif event in TERMINAL:
                del open_calls[key]
                result.legs.extend(_legs(call, event, epoch, data, settings))
        except ValueError as exc:
            result.rejects.append(Reject(number, Reason.BAD_NUMBER, str(exc), text))
    for call in open_calls.values():
        result.rejects.append(
            Reject(
                call.line,
                Reason.INCOMPLETE_CALL,
                f"no terminal event for {call.callid} in {call.queue}",
                call.raw,
            )
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

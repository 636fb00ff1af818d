"""FreeSWITCH channel records → legs: what the CSV and JSON siblings share (FORMATS.md §5).

FreeSWITCH writes one record per channel. An A-leg (the caller's channel) names its B-leg in
`bleg_uuid`; a B-leg may name its A-leg in `originating_leg_uuid`. Records are grouped into
calls by those links before any leg is decided. A user answered when the user's own channel
(the B-leg) was answered, not when the A-leg was (an IVR or voicemail answers that too).
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from vaxelstat.calls.legs import Leg
from vaxelstat.ingest.parsers.base import (
    MAX_SECONDS,
    ParseResult,
    Reason,
    Reject,
    SourceSettings,
    caller,
)

# Hangup causes of a user's channel that mean busy, and that mean another phone answered.
BUSY_CAUSES = {"USER_BUSY", "CALL_REJECTED"}
# FreeSWITCH's inbound context: a call from a gateway.
PUBLIC_CONTEXTS = {"public"}
# Applications by which a phone takes a call ringing elsewhere.
PICKUP_APPS = {"intercept", "pickup"}


@dataclass
class Channel:
    line: int
    raw: str
    uuid: str
    bleg_uuid: str
    origin_uuid: str
    caller_name: str
    caller_number: str
    destination: str
    context: str
    start: datetime
    answer: datetime | None
    end: datetime
    billsec: int
    hangup_cause: str
    last_app: str = ""
    dialed_user: str = ""
    # The digits a caller pressed in an IVR menu (digits_dialed; FreeSWITCH writes "none").
    digits: str = ""
    # mod_callcenter's variables (cc_queue, cc_agent, cc_*_epoch, cc_cause, cc_cancel_reason).
    cc: dict[str, str] = field(default_factory=dict)
    # Whether the channel was bridged to another (bridge_epoch, bridge_uuid), whatever
    # application ran last (an ESL event's last_app may be sched_hangup, say).
    bridged: bool = False

    @property
    def answered(self) -> bool:
        return self.answer is not None and self.billsec > 0

    @property
    def ring_s(self) -> int:
        return max(0, int(((self.answer or self.end) - self.start).total_seconds()))


def bounded_seconds(name: str, value: int) -> int:
    """A count of seconds a record may say (0 to base.MAX_SECONDS), else a ValueError that
    names it: the record is rejected, never a leg of absurd talk."""
    if not 0 <= value <= MAX_SECONDS:
        raise ValueError(f"{name} {value} is not 0..{MAX_SECONDS} seconds")
    return value


def channel_from(
    number: int,
    raw: str,
    values: dict[str, str],
    start: datetime,
    answer: datetime | None,
    end: datetime,
    billsec: int,
) -> Channel:
    """A channel record from its variables (CSV template columns or JSON/ESL variables)."""
    # The caller's channel: originating_leg_uuid; mod_callcenter originates an agent's
    # channel without a session and names the member's (the caller's) channel instead.
    origin = values.get("originating_leg_uuid", "") or (
        values.get("cc_member_session_uuid", "") if values.get("cc_side") == "agent" else ""
    )
    return Channel(
        line=number,
        raw=raw,
        uuid=values.get("uuid", ""),
        # The other leg: bleg_uuid where mod_cdr writes it; an A-leg's ESL event names it
        # otherwise (a B-leg's names its A-leg there, in originating_leg_uuid too).
        bleg_uuid=values.get("bleg_uuid", "")
        or ("" if origin else values.get("bridge_uuid", "") or values.get("signal_bond", "")),
        origin_uuid=origin,
        caller_name=values.get("caller_id_name", ""),
        caller_number=values.get("caller_id_number", "") or values.get("sip_from_user", ""),
        destination=values.get("destination_number", "") or values.get("sip_to_user", ""),
        context=values.get("context", "") or values.get("user_context", ""),
        start=start,
        answer=answer,
        end=end,
        billsec=billsec,
        hangup_cause=values.get("hangup_cause", ""),
        last_app=values.get("last_app", ""),
        dialed_user=values.get("dialed_user", ""),
        digits=values.get("digits_dialed", ""),
        cc={k: v for k, v in values.items() if k.startswith("cc_")},
        bridged=values.get("bridge_epoch", "0") not in ("", "0") or bool(values.get("bridge_uuid")),
    )


def add_channels(channels: list[Channel], settings: SourceSettings, result: ParseResult) -> None:
    """Group channel records into calls and append each call's legs to `result`."""
    by_uuid: dict[str, Channel] = {}
    for ch in channels:
        if ch.uuid in by_uuid:
            result.rejects.append(
                Reject(
                    ch.line,
                    Reason.DUPLICATE,
                    f"uuid {ch.uuid} again (first on line {by_uuid[ch.uuid].line})",
                    ch.raw,
                )
            )
            continue
        by_uuid[ch.uuid] = ch
    b_legs: dict[str, list[Channel]] = {}
    for ch in by_uuid.values():
        if ch.bleg_uuid in by_uuid and ch.bleg_uuid != ch.uuid:
            b_legs.setdefault(ch.uuid, []).append(by_uuid[ch.bleg_uuid])
    for ch in by_uuid.values():
        if ch.origin_uuid in by_uuid and ch.origin_uuid != ch.uuid:
            legs = b_legs.setdefault(ch.origin_uuid, [])
            if ch not in legs:
                legs.append(ch)
    is_b = {id(b) for bs in b_legs.values() for b in bs}
    for ch in by_uuid.values():
        if id(ch) not in is_b:
            _Call(ch, b_legs.get(ch.uuid, []), settings, result).legs()


class _Call:
    def __init__(
        self, a: Channel, bs: list[Channel], settings: SourceSettings, result: ParseResult
    ) -> None:
        self.a, self.bs, self.settings, self.result = a, bs, settings, result
        self.inbound = a.context in PUBLIC_CONTEXTS | settings.inbound_contexts
        # A B-leg whose A-leg is in another file (mod_json_cdr writes one file per channel):
        # the call is the A-leg's, and the callee's leg has the id the A-leg gives it, so
        # whichever file comes first, the leg is stored once.
        self.alone_b = bool(a.origin_uuid) and not bs
        self.call_uuid = a.origin_uuid if self.alone_b else a.uuid
        # The group the call was sent to: a mod_callcenter queue, or a ring group (a number
        # that rang two or more phones at once, none of them its own).
        queue = a.cc.get("cc_queue", "").split("@", 1)[0] or (
            a.destination if a.destination in settings.queue_numbers else ""
        )
        self.queue_name = "" if self.alone_b else queue
        rang_together = len(bs) >= 2 and max(b.start for b in bs) - min(
            b.start for b in bs
        ) <= timedelta(seconds=1)
        self.ring_group = (
            a.destination
            if not queue
            and rang_together
            and a.destination not in {self.callee(b) for b in bs}
            and not self.alone_b
            else ""
        )
        self.group = queue or self.ring_group

    def leg(
        self, ch: Channel, suffix: str, kind: str, identity: str, number: str, **fields: object
    ) -> None:
        from_number, from_name = caller(self.a.caller_number, self.a.caller_name)
        if self.a.caller_name == "Outbound Call":
            from_number = from_name = ""  # a B-leg alone: its caller is not in the file
        self.result.legs.append(
            Leg(
                leg_id=str(fields.pop("leg_id", f"fs:{ch.uuid}:{suffix}")),
                call_id=self.call_uuid,
                object_kind=kind,
                object_identity=identity,
                object_number=number,
                start=ch.start,
                direction=str(fields.pop("direction", "in")),
                internal=bool(fields.pop("internal", self.caller_is_user)),
                type=str(fields.pop("type")),
                from_number=from_number,
                from_name=from_name,
                **fields,  # type: ignore[arg-type]
            )
        )

    @property
    def caller_is_user(self) -> bool:
        return not self.inbound and self.settings.is_extension(self.a.caller_number)

    def callee(self, b: Channel | None) -> str:
        """The extension a channel rang: dialed_user, an extension destination, or for a
        B-leg named "Outbound Call", its own caller number (FreeSWITCH's B-leg profile)."""
        candidates = [b.dialed_user, b.destination] if b else []
        candidates += [self.a.dialed_user, self.a.destination]
        if b is not None and b.caller_name == "Outbound Call":
            candidates.append(b.caller_number)
        return next((c for c in candidates if c and self.settings.is_extension(c)), "")

    def legs(self) -> None:
        a = self.a
        if self.alone_b:
            # A B-leg whose A-leg is not in the file: only the callee's leg is its.
            self.user_in(a, self.callee(a))
            return
        if a.caller_name == "Outbound Call" and not self.bs:
            # A B-leg whose A-leg is not in the file: the user it rang is its caller number.
            self.user_in(a, a.caller_number if self.settings.is_extension(a.caller_number) else "")
            return
        if a.last_app in PICKUP_APPS and self.settings.is_extension(a.caller_number):
            # The phone that picked up a call ringing elsewhere talked: an answered call.
            self.leg(
                a,
                "pickup",
                "user",
                f"ext:{a.caller_number}",
                a.caller_number,
                type="in_answered",
                member_number=a.caller_number,
                talk_s=a.billsec,
                note="pickup",
            )
            return
        if self.queue_name:
            self.queue()
        if self.settings.is_ivr(a.context) or a.last_app == "ivr":
            number = a.context if self.settings.is_ivr(a.context) else a.destination
            menu_end = self.bs[0].start if self.bs else a.end
            key = a.digits if a.digits not in ("", "none") else ""
            self.leg(
                a,
                "ivr",
                "ivr",
                f"ivr:{number}",
                number,
                type="connected" if self.bs else "not_connected",
                wait_s=max(0, int((menu_end - a.start).total_seconds())),
                note=f"key {key}" if key else "",
            )
        # Without B-legs (or last_app, which the stock CSV template lacks), the A-leg's own
        # answer stands for the callee's, unless an application other than bridge answered.
        bridged = a.last_app in ("bridge", "") or a.bridged
        answered = any(b.answered for b in self.bs) or (not self.bs and a.answered and bridged)
        if self.caller_is_user:
            talk = max([b.billsec for b in self.bs if b.answered] or [a.billsec if answered else 0])
            self.leg(
                a,
                "out",
                "user",
                f"ext:{a.caller_number}",
                a.caller_number,
                direction="out",
                type="out_answered" if answered else "out_unanswered",
                to_number=a.destination,
                member_number=a.caller_number,
                internal=self.settings.is_extension(a.destination),
                wait_s=next((b.ring_s for b in self.bs if b.answered), a.ring_s),
                talk_s=talk,
                note=""
                if answered
                else "voicemail"
                if a.last_app == "voicemail"
                else "busy"
                if a.hangup_cause in BUSY_CAUSES
                or any(b.hangup_cause in BUSY_CAUSES for b in self.bs)
                else "",
            )
        # B-legs one after another (not rung together): the earlier one that did not answer
        # forwarded the call to the next (call forward on no answer, follow-me).
        ordered = sorted(self.bs, key=lambda b: b.start)
        sent_to: dict[str, str] = {}
        came_from: dict[str, str] = {}
        for before, after in zip(ordered, ordered[1:], strict=False):
            if not before.answered and after.start > before.start:
                sent_to[before.uuid] = self.callee(after) or after.destination
                came_from[after.uuid] = self.callee(before)
        for b in self.bs:
            self.user_in(
                b,
                self.callee(b),
                forwarded_to=sent_to.get(b.uuid, ""),
                forwarded_from=came_from.get(b.uuid, ""),
            )
        if self.ring_group:
            self.ring_group_leg()
        if not self.bs and (bridged or a.last_app == "voicemail") and not self.queue_name:
            self.user_in(a, self.callee(None))

    def user_in(
        self,
        ch: Channel,
        ext: str,
        forwarded_to: str = "",
        forwarded_from: str = "",
    ) -> None:
        if not ext:
            return
        if ch.answered and ch.last_app != "voicemail":
            kind = "in_answered"
        elif self.a.last_app == "voicemail" or ch.last_app == "voicemail":
            kind = "in_voicemail"
        elif ch.hangup_cause in BUSY_CAUSES:
            kind = "in_busy"
        elif forwarded_to:
            kind = "in_forwarded"
        else:
            kind = "in_no_answer"
        notes = {"PICKED_OFF": "picked up"}
        if not self.group:
            # A group's member who did not answer rang in the group's call: nothing to say.
            notes["LOSE_RACE"] = "answered elsewhere"
        note = "voicemail" if kind == "in_voicemail" else notes.get(ch.hangup_cause, "")
        self.leg(
            ch,
            "in",
            "user",
            f"ext:{ext}",
            ext,
            type=kind,
            member_number=ext,
            to_number=self.a.destination,
            wait_s=ch.ring_s,
            talk_s=ch.billsec if kind == "in_answered" else 0,
            note=note,
            # One id for the callee's leg of the call, from the A-leg or the B-leg alike.
            leg_id=f"fs:{self.call_uuid}:in:{ext}",
            forwarded_to=forwarded_to,
            forwarded_from=forwarded_from,
            group_from=self.group or ch.cc.get("cc_queue", "").split("@", 1)[0],
        )
        if self.ring_group:
            self.result.memberships.add((f"group:{self.ring_group}", f"ext:{ext}"))

    def ring_group_leg(self) -> None:
        """The ring group's own leg: answered by the member who answered first, else why not."""
        a = self.a
        winner = min(
            (b for b in self.bs if b.answered and b.answer is not None),
            key=lambda b: b.answer or b.start,
            default=None,
        )
        fields: dict[str, object]
        if winner is not None and winner.answer is not None:
            fields = {
                "type": "answered",
                "wait_s": max(0, int((winner.answer - a.start).total_seconds())),
                "talk_s": winner.billsec,
                "member_number": self.callee(winner),
            }
        elif all(b.hangup_cause in BUSY_CAUSES for b in self.bs):
            fields = {"type": "no_agent", "wait_s": a.ring_s}
        elif a.last_app == "voicemail":
            fields = {"type": "forwarded", "forwarded_to": "voicemail", "note": "voicemail"}
            fields["wait_s"] = max(0, int((max(b.end for b in self.bs) - a.start).total_seconds()))
        else:
            fields = {"type": "abandoned", "wait_s": int((a.end - a.start).total_seconds())}
        self.leg(a, "group", "hunt", f"group:{self.ring_group}", self.ring_group, **fields)

    def queue(self) -> None:
        a, cc, queue = self.a, self.a.cc, self.queue_name

        def epoch(name: str) -> int:
            value = cc.get(name, "")
            return int(value) if value.isdigit() and value != "0" else 0

        # mod_callcenter's own times, or where the log lacks them (a queue number of the
        # settings), the agent's channel that answered.
        agent_leg = next((b for b in self.bs if b.answered and b.answer is not None), None)
        joined = epoch("cc_queue_joined_epoch") or int(a.start.timestamp())
        answered = epoch("cc_queue_answered_epoch") or (
            int(agent_leg.answer.timestamp()) if agent_leg and agent_leg.answer else 0
        )
        canceled = epoch("cc_queue_canceled_epoch")
        agent = cc.get("cc_agent", "").split("@", 1)[0] or (
            self.callee(agent_leg) if agent_leg else ""
        )
        reason = cc.get("cc_cancel_reason", "")
        fields: dict[str, object] = {}
        if answered:
            ended = epoch("cc_queue_terminated_epoch") or int(
                (agent_leg.end if agent_leg else a.end).timestamp()
            )
            fields.update(
                type="answered",
                wait_s=answered - joined,
                talk_s=ended - answered,
                member_number=agent,
            )
        else:
            gone = canceled or int(a.end.timestamp())
            kind, note = {
                "TIMEOUT": ("forwarded", "timeout"),
                "EXIT_WITH_KEY": ("forwarded", "key"),
                "NO_AGENT_TIMEOUT": ("no_agent", ""),
            }.get(reason, ("abandoned", ""))
            fields.update(type=kind, note=note, wait_s=gone - joined)
        start = datetime.fromtimestamp(joined, UTC)
        from_number, from_name = caller(a.caller_number, a.caller_name)
        self.result.legs.append(
            Leg(
                leg_id=f"fs:{a.uuid}:queue",
                call_id=a.uuid,
                object_kind="acd",
                object_identity=f"queue:{queue}",
                object_number=queue,
                start=start,
                direction="in",
                internal=self.caller_is_user,
                from_number=from_number,
                from_name=from_name,
                **fields,  # type: ignore[arg-type]
            )
        )
        if agent:
            self.result.memberships.add((f"queue:{queue}", f"ext:{agent}"))

"""The differential oracle of the Asterisk CDR rules: the Python walk the product had before
its SQL became the one implementation (vaxelstat/ingest/parsers/asterisk_cdr.py). It lives
only here, to hold the SQL to an independent walk; this part walks each call.

Walk one call's Asterisk CDR rows in order, handing the call from holder to holder.

The rules are the reference for the CDR's legs (see asterisk_cdr for how rows are read, and
vaxelstat.calls.fast_cdr for the same rules in SQL): a call is held by one object at a time;
when a later row sends the call elsewhere, the holder that did not answer becomes forwarded
(`in_forwarded` for a user, `forwarded` for a group) and the new destination's leg names it in
"forwarded from"; voicemail turns an unanswered user's leg into `in_voicemail`.
"""

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from vaxelstat.calls.legs import Leg
from vaxelstat.ingest.parsers.base import (
    ParseResult,
    SourceSettings,
    caller,
    channel_peer,
    parse_clid,
)


@dataclass
class Row:
    line: int
    src: str
    dst: str
    dcontext: str
    clid: str
    channel: str
    dstchannel: str
    lastapp: str
    lastdata: str
    start: datetime
    answer: datetime | None
    end: datetime
    billsec: int
    disposition: str
    uniqueid: str
    linkedid: str
    sequence: int
    userfield: str = ""
    # The second half of a call the PBX placed for a user whose phone its first half rang:
    # that user, and whether their phone answered.
    placed_for: str = ""
    placed_answered: bool = True
    # For a Dial to a Local channel joined with its ;2 half: the number that half dialled.
    dialled: str = ""

    @property
    def ring_s(self) -> int:
        """Seconds from this row's start until answer, or until it ended unanswered."""
        until = self.answer or self.end
        return max(0, int((until - self.start).total_seconds()))


class CallWalk:
    """Walk one call's rows in order, handing the call from holder to holder."""

    def __init__(
        self,
        call_id: str,
        rows: list[Row],
        settings: SourceSettings,
        result: ParseResult,
        services: frozenset[str] = frozenset(),
    ) -> None:
        """`services`: the numbers the file's rows show a service at (`service_numbers`)."""
        self.services = services
        self.call_id = call_id
        self.rows = _join_local_halves(rows)
        # The first halves of Local channels whose second half has rows in the call: the two
        # ends of one path (an originate that ran an IVR on its first half and dialled out
        # on its second), not one step after the other.
        seconds = {
            r.channel[:-2]
            for r in rows
            if r.channel.startswith("Local/") and r.channel.endswith(";2")
        }
        self.one_end = {
            id(r)
            for r in self.rows
            if r.channel.startswith("Local/")
            and r.channel.endswith(";1")
            and r.channel[:-2] in seconds
        }
        # Legs whose type the call moving on does not change (an IVR at one end of a path).
        self.fixed: set[int] = set()
        self.settings = settings
        self.result = result
        # The caller's row: the first that is not a feature code's (a phone's record that a
        # pickup rewrote to its code comes before the call's own) nor a dialled channel's own
        # record of an application's dial.
        first = next(
            (
                r
                for r in self.rows
                if not self.is_feature_code(r) and r.lastapp not in ("AppDial", "AppDial2")
            ),
            self.rows[0],
        )
        self.first = first
        name, number = parse_clid(first.clid)
        # (A call the PBX originated for the user its caller ID names is from that user.)
        src = "" if self.by_caller_id(first) else first.src
        self.from_number, self.from_name = caller(src or number, name)
        origin = self.placed_by(first)
        self.internal = self.is_user_side(origin, first)
        if self.internal and name:
            result.names.setdefault(f"ext:{origin}", name)
        # The leg of the object holding the call, unanswered, until the call moves on.
        self.holder: Leg | None = None
        # The calling user's leg, answered once anyone the call reaches answers.
        self.out_leg: Leg | None = None
        # Whether the user a call was placed for answered their phone (else the call was
        # not answered, whoever answered further on).
        self.out_placed_answered = True
        # Answered users' legs by extension: a later row of the same pairing adds talk time.
        self.answered: dict[str, Leg] = {}
        # The user who answered at the step before this one: if the call then goes on to
        # another user, that user transferred it (a blind transfer, a park).
        self.last_answered: Leg | None = None
        # The numbers of the objects this call has a leg of.
        self.reached: set[str] = set()
        # How many steps the walk has taken (a row, or a block of rows, that acts).
        self.steps = 0
        # What the Dial that made a user's unanswered leg rang (its first argument), by leg.
        self.rang: dict[int, str] = {}

    def step(self) -> Leg | None:
        """A step of the walk begins: the user who answered at the step before, if any."""
        previous, self.last_answered = self.last_answered, None
        self.steps += 1
        return previous

    def is_user_side(self, peer: str, row: Row) -> bool:
        """Whether a calling channel's peer is a user: an extension, not entering from outside."""
        return self.settings.is_extension(peer) and row.dcontext not in (
            self.settings.inbound_contexts
        )

    def leg(
        self, row: Row, suffix: str, kind: str, identity: str, number: str, **fields: object
    ) -> Leg:
        leg = Leg(
            leg_id=f"cdr:{row.uniqueid}:{row.sequence}:{suffix}",
            call_id=self.call_id,
            object_kind=kind,
            object_identity=identity,
            object_number=number,
            start=row.start,
            direction=str(fields.pop("direction", "in")),
            internal=bool(fields.pop("internal", self.internal)),
            type=str(fields.pop("type")),
            from_number=self.from_number,
            from_name=self.from_name,
            **fields,  # type: ignore[arg-type]
        )
        self.result.legs.append(leg)
        self.reached.add(number)
        return leg

    def move_to(self, destination: str) -> str:
        """The call leaves its holder for `destination`; return the holder's number."""
        holder, self.holder = self.holder, None
        if holder is None:
            return ""
        if id(holder) in self.fixed:
            return holder.object_number
        holder.forwarded_to = destination
        if holder.type == "in_no_answer":
            holder.type = "in_forwarded"
        elif holder.type == "abandoned" or holder.object_kind in ("rule", "ivr"):
            holder.type = "forwarded" if holder.object_kind == "hunt" else "connected"
            if holder.type == "forwarded" and not holder.note:
                # Nobody answered in the group's time: it sent the call on.
                holder.note = "voicemail" if destination.startswith("voicemail ") else "timeout"
        return holder.object_number

    def picked_up(self, row: Row, answerer: str | None) -> str | None:
        """The same Dial as the holder's again, answered by another user, while the holder's
        phone rang, and the call shows a pickup's code: that user picked the call up
        (PBXware's directed pickup). The holder stays Ej svar, picked up by them; return its
        number (None if not a pickup)."""
        holder = self.holder
        if (
            holder is None
            or not any(self.is_feature_code(r) for r in self.rows)
            or holder.type != "in_no_answer"
            or row.lastapp != "Dial"
            or self.rang.get(id(holder)) != dial_args(row)
            or not answerer
            or answerer == holder.object_number
        ):
            return None
        self.holder = None
        holder.note, holder.forwarded_to = f"picked up by {answerer}", answerer
        return holder.object_number

    def walk(self) -> None:
        done: set[int] = set()

        def take(block: list[Row]) -> list[Row]:
            done.update(id(r) for r in block)
            return block

        for i, row in enumerate(self.rows):
            if (
                id(row) in done
                or row.lastapp in ("AppDial", "AppDial2")
                or row.dcontext in self.settings.feature_contexts
            ):
                # The dialled channel's own record of an application's dial (the
                # application's row already shows the attempt), or a feature's request.
                continue
            if row.lastapp in ("ConfBridge", "MeetMe"):
                # The call reached a conference: a service, no one rung (its rows pair the
                # channel with every other one there).
                self.step()
                self.move_to(row.dst)
                continue
            later = [r for r in self.rows[i:] if id(r) not in done]
            if self.group_dial(row):
                self.hunt(
                    take(
                        [
                            r
                            for r in later
                            # One block for the group: its members rung together
                            # (ringall) or one Dial after another (hunt).
                            if self.group_dial(r) and r.dst == row.dst
                        ]
                    )
                )
                continue
            if row.lastapp == "Dial" and "&" in dial_args(row):
                self.parallel(
                    take(
                        [
                            r
                            for r in later
                            if r.lastapp == "Dial"
                            and r.lastdata == row.lastdata
                            and r.start == row.start
                        ]
                    )
                )
                continue
            if row.lastapp == "Queue":
                # The queue's legs come from queue_log; here the call only passes through.
                self.step()
                self.move_to(row.dst)
                take([r for r in later if r.lastapp == "Queue" and r.dst == row.dst])
                continue
            if row.dcontext in self.settings.rule_contexts:
                self.routing(row, "rule", f"tc:{row.dst}", row.dst, wait=0)
            elif self.settings.is_ivr(row.dcontext):
                self.routing(
                    row,
                    "ivr",
                    f"ivr:{row.dcontext}",
                    row.dcontext,
                    wait=int((row.end - row.start).total_seconds()),
                    note=ivr_note(row.dst),
                )
            elif self.ivr_by_number(row):
                self.routing(
                    row,
                    "ivr",
                    f"ivr:{row.userfield}",
                    row.userfield,
                    wait=int((row.end - row.start).total_seconds()),
                )
            elif self.is_mailbox(row):
                self.voicemail(row)
            elif row.lastapp == "Pickup":
                self.pickup(row)
            elif is_dial(row.lastapp, row.dstchannel):
                self.dial(row)
        if self.out_leg is None:
            self.service_call()

    def group_dial(self, row: Row) -> bool:
        """A ring group's dial: FreePBX's ext-group context, or a number the point names a
        ring group (PBXware dials its groups with RetryDial)."""
        return (row.dcontext == "ext-group" and row.lastapp == "Dial") or (
            row.dst in self.settings.group_numbers and row.lastapp in ("Dial", "RetryDial")
        )

    def placed_by(self, row: Row) -> str:
        """The peer that placed a row's call: its channel's, or, for the second half of a
        Local channel no Dial here rang (a call the PBX originated for a user:
        click-to-call), the user whose phone its first half rang, else its caller's number
        where that is a user's."""
        if row.placed_for:
            return row.placed_for
        if (
            row.channel.startswith("Local/")
            and row.channel.endswith(";2")
            and self.settings.is_extension(row.src)
        ):
            return row.src
        if self.by_caller_id(row):
            return parse_clid(row.clid)[1]
        return channel_peer(row.channel)

    def by_caller_id(self, row: Row) -> bool:
        """The second half of a Local channel whose caller number (src) is no user's but whose
        caller ID's is: a call the PBX originated for that user (PBXware writes the number
        called in src)."""
        return (
            row.channel.startswith("Local/")
            and row.channel.endswith(";2")
            and not self.settings.is_extension(row.src)
            and self.settings.is_extension(parse_clid(row.clid)[1])
        )

    def ivr_by_number(self, row: Row) -> bool:
        """An IVR named by its number in the userfield (PBXware's auto attendant)."""
        return row.userfield in self.settings.ivr_numbers and row.dstchannel == ""

    def is_mailbox(self, row: Row) -> bool:
        return row.lastapp == "VoiceMail" or row.dcontext in self.settings.voicemail_contexts

    def is_feature_code(self, row: Row) -> bool:
        """A '*' code that reached no one and ran no service of its own (an AGI, or
        nothing): the user set something or asked for a pickup; no call."""
        return (
            row.dst.startswith("*")
            and row.dstchannel == ""
            and row.lastapp in ("AGI", "")
            and row.dcontext not in self.settings.voicemail_contexts
        ) or row.dcontext in self.settings.feature_contexts

    def announcement(self, row: Row) -> bool:
        """An AGI that answered a number no row of the file shows a service at played the
        PBX's announcement (a number that does not exist): it answered no one's call."""
        return (
            row.lastapp == "AGI"
            and row_kind(row, self.settings) == ""
            and row.dst not in self.services
        )

    def service_call(self) -> None:
        """A call a user placed that no Dial made the user's outgoing leg: a call to a PBX
        service (an echo test, an IVR, a conference, a queue, a mailbox). It is the user's
        call all the same: answered when a row other than a queue's or a mailbox's was,
        unanswered otherwise (Övrigt voicemail when a mailbox took it)."""
        first = self.first
        user = self.placed_by(first)
        if (
            not self.internal
            or self.is_feature_code(first)
            or (first.src not in (user, "") and not self.by_caller_id(first))
            or any(r.lastapp == "Pickup" for r in self.rows)
        ):
            return  # not a user's call, or a pickup: the user answered a call, not placed one
        if first.src == "":
            # The PBX rang the user's phone (a call file: a reminder, a wake-up call) and
            # dialled nobody: a call to the user, from the PBX.
            answered_first = first.disposition == "ANSWERED"
            self.leg(
                first,
                "in",
                "user",
                f"ext:{user}",
                user,
                type="in_answered" if answered_first else "in_no_answer",
                to_number=first.dst,
                member_number=user,
                wait_s=first.ring_s,
                talk_s=first.billsec if answered_first else 0,
            )
            return
        # A call to a user's number that dialled nobody reached no one: no service answers
        # a user's number.
        answered = next(
            (
                r
                for r in self.rows
                if r.disposition == "ANSWERED"
                and r.lastapp != "Queue"
                and not self.is_mailbox(r)
                and not self.announcement(r)
            ),
            None,
        )
        if self.settings.is_extension(first.dst) and not any(
            channel_peer(r.dstchannel) or r.lastapp in ("ConfBridge", "MeetMe") for r in self.rows
        ):
            # (A ring group's or a conference's number, however it looks, reached someone.)
            answered = None
        to_mailbox = any(self.is_mailbox(r) for r in self.rows)
        until = (answered.answer or answered.end) if answered else first.answer or first.end
        self.leg(
            first,
            "out",
            "user",
            f"ext:{user}",
            user,
            direction="out",
            internal=True,
            type="out_answered" if answered else "out_unanswered",
            to_number=first.dst,
            wait_s=_seconds(until - first.start),
            talk_s=answered.billsec if answered else 0,
            member_number=user,
            note="" if answered else "voicemail" if to_mailbox else failure_note(first.disposition),
        )

    def pickup(self, row: Row) -> None:
        """Another phone picked up the call ringing elsewhere: the extension that talked is the
        picker's (FORMATS.md §1.2, §2.4), and the phone that rang did not answer."""
        picker = channel_peer(row.channel)
        # 'PJSIP/1001', '1001@PICKUPMARK', or FreePBX's '1001&1001@PICKUPMARK': the first.
        first = row.lastdata.split("&", 1)[0]
        target = channel_peer(first) if "/" in first else first
        target = target.split("@", 1)[0]
        if not self.settings.is_extension(picker):
            return
        self.step()
        holder, self.holder = self.holder, None
        since = holder.start if holder is not None else row.start
        if holder is not None:
            holder.forwarded_to, holder.note = picker, f"picked up by {picker}"
        answered_at = row.answer or row.start
        self.leg(
            row,
            "pickup",
            "user",
            f"ext:{picker}",
            picker,
            type="in_answered",
            member_number=picker,
            forwarded_from=holder.object_number if holder else target,
            wait_s=max(0, int((answered_at - since).total_seconds())),
            talk_s=row.billsec,
            note=f"pickup of {target}",
        )
        if (
            self.out_leg is not None
            and self.out_leg.type == "out_unanswered"
            and self.out_placed_answered
        ):
            self.out_leg.type, self.out_leg.talk_s = "out_answered", row.billsec

    def routing(
        self, row: Row, kind: str, identity: str, number: str, wait: int, note: str = ""
    ) -> None:
        self.step()
        forwarded_from = self.move_to(number)
        self.holder = self.leg(
            row,
            kind,
            kind,
            identity,
            number,
            # A key chosen in a menu sent the call on, wherever the log shows it went.
            type="connected" if note.startswith("key ") else "not_connected",
            wait_s=wait,
            forwarded_from=forwarded_from,
            note=note,
        )
        if kind == "ivr" and id(row) in self.one_end and not note.startswith("key "):
            # An IVR at one end of a Local channel whose other end dialled on sent the call
            # nowhere (it was the call's sound, not a step before the dial).
            self.fixed.add(id(self.holder))

    def voicemail(self, row: Row) -> None:
        self.step()
        mailbox, busy = voicemail_box(row.lastdata)
        if row.lastapp != "VoiceMail":
            # A voicemail context's row (PBXware's voicemail-op): the userfield's mailbox.
            mailbox, busy = row.userfield or row.dst, False
        if self.out_leg is not None and self.out_leg.type == "out_unanswered":
            # The caller reached a mailbox, not a person.
            self.out_leg.note = self.out_leg.note or "voicemail"
        holder = self.holder
        if holder is not None and holder.object_number == mailbox:
            # The user's own mailbox took the call: Röstsvar, after no answer or busy.
            self.holder = None
            if holder.type in ("in_no_answer", "in_busy"):
                holder.note = "busy" if holder.type == "in_busy" or busy else "voicemail"
                holder.type = "in_voicemail"
            elif holder.type == "abandoned":
                holder.type = "forwarded"
            holder.forwarded_to = holder.forwarded_to or f"voicemail {mailbox}"
            holder.note = holder.note or "voicemail"
            return
        forwarded_from = self.move_to(f"voicemail {mailbox}")
        if self.settings.is_extension(mailbox) and mailbox not in self._group_numbers():
            self.leg(
                row,
                "vm",
                "user",
                f"ext:{mailbox}",
                mailbox,
                type="in_voicemail",
                forwarded_from=forwarded_from,
                note="busy" if busy else "voicemail",
            )

    def _group_numbers(self) -> set[str]:
        return {
            r.dst
            for r in self.rows
            if r.dcontext in ("ext-group", "ext-queues") or self.group_dial(r)
        }

    def forwarding_leg(self, row: Row) -> Leg:
        """The dialled user's leg where their call forwarding sent the call on at once."""
        return self.leg(
            row,
            "forward",
            "user",
            f"ext:{row.dst}",
            row.dst,
            type="in_no_answer",
            to_number=row.dst,
            member_number=row.dst,
        )

    def dial(
        self,
        row: Row,
        forwarded_from: str | None = None,
        callee_leg: bool = True,
        forwarded: bool = False,
    ) -> Leg | None:
        """One Dial row: the caller's outgoing leg, and the dialled user's incoming leg
        (`callee_leg`: not for a device of a user another row of the Dial stands for;
        `forwarded`: a parallel Dial the dialled user's call forwarding made)."""
        # Who placed a Dial: its phone; on the call's first row, the call's caller (a call
        # the PBX placed for a user: click-to-call).
        a = (
            self.placed_by(row)
            if row is self.first
            else row.placed_for or channel_peer(row.channel)
        )
        b = channel_peer(row.dstchannel)
        b_is_user = self.settings.is_extension(b)
        previous = self.step() if forwarded_from is None else None
        forwarding = forwarded
        earlier = self.answered.get(b)
        if earlier is not None and row.start >= earlier.start:
            # The same pairing again (after a Local channel optimised away, say): more talk.
            earlier.talk_s += row.billsec
            if self.out_leg is not None:
                self.out_leg.talk_s += row.billsec
            return None
        if forwarded_from is None:
            if (
                row.dialled
                and not b_is_user
                and self.holder is None
                and row.dst != row.dialled
                and self.settings.is_extension(row.dst)
                and row.dst not in self.reached
            ):
                # A call to a user that went out through a Local channel to another number
                # at once: the user's call forwarding (it never rang).
                self.holder = self.forwarding_leg(row)
            elif (
                b_is_user
                and b != row.dst
                and self.holder is None
                and self.steps == 1
                and self.settings.is_numbered(b)
                and self.settings.is_numbered(row.dst)
            ):
                # The extension dialled is not the one that rang: the dialled user's call
                # forwarding sent the call on at once (it never rang). Only where phones are
                # named by their numbers: a phone named otherwise ('client1') is some number's.
                forwarding = True
                self.holder = self.forwarding_leg(row)
            answerer = b if b_is_user and row.disposition == "ANSWERED" else None
            forwarded_from = self.picked_up(row, answerer)
            if forwarded_from is None:
                forwarded_from = self.move_to(row.dialled or row.dst if not b_is_user else b)
            if not forwarded_from and previous is not None and b_is_user:
                # The user who answered the step before sent the call on: a transfer.
                previous.note = previous.note or "transferred"
                forwarded_from = previous.object_number
        # A Dial with no Party B reached nobody, whatever the channel's disposition says.
        answered = row.disposition == "ANSWERED" and b != ""
        if (
            self.is_user_side(a, row)
            and (not forwarded_from or forwarding)
            # The user placed the call; or the PBX rang the user's phone first, without a
            # caller number (click-to-call, a call file), and then dialled out for the user.
            # Or the phone called on while it carried another caller's number (a
            # consultation in a transfer: PBXware keeps the transferred caller's); a Local
            # channel is no phone (it is named by the number it dials).
            and (row.src in (a, "") or row.placed_for != "" or not row.channel.startswith("Local/"))
            and self.out_leg is None
        ):
            # A call the PBX placed for a user is answered once the user's phone answered.
            answered_out = answered and row.placed_answered
            self.out_placed_answered = row.placed_answered
            self.out_leg = self.leg(
                row,
                "out",
                "user",
                f"ext:{a}",
                a,
                direction="out",
                # To a user, or, where nobody was dialled, to a user's number.
                internal=b_is_user or (b == "" and self.settings.is_extension(row.dst)),
                type="out_answered" if answered_out else "out_unanswered",
                to_number=row.dst,
                wait_s=row.ring_s,
                talk_s=row.billsec if answered_out else 0,
                member_number=a,
                note=failure_note(row.disposition),
            )
        elif (
            answered
            and self.out_leg is not None
            and self.out_leg.type == "out_unanswered"
            and self.out_placed_answered
        ):
            # Forwarded, and answered further on: the caller's call was answered after all.
            out = self.out_leg
            out.type, out.talk_s, out.note = "out_answered", row.billsec, ""
            out.wait_s = int(((row.answer or row.end) - out.start).total_seconds())
        if not b_is_user or not callee_leg:
            return None
        kind = {"ANSWERED": "in_answered", "BUSY": "in_busy"}.get(row.disposition, "in_no_answer")
        leg = self.leg(
            row,
            "in",
            "user",
            f"ext:{b}",
            b,
            type=kind,
            to_number=row.dst,
            forwarded_from=forwarded_from,
            member_number=b,
            wait_s=row.ring_s,
            talk_s=row.billsec if answered else 0,
            # Upptaget says busy already; a dial that failed says so.
            note="" if kind == "in_busy" else failure_note(row.disposition),
        )
        if answered:
            self.answered[b] = leg
            self.last_answered = leg
        else:
            self.holder = leg
            self.rang[id(leg)] = dial_args(row)
        return leg

    def parallel(self, block: list[Row]) -> None:
        """Dial(A&B&…): one call that rings several at once, answered by at most one."""
        self.step()
        answerers = [
            peer
            for r in block
            if r.disposition == "ANSWERED"
            and self.settings.is_extension(peer := channel_peer(r.dstchannel))
        ]
        first = channel_peer(block[0].dstchannel)
        # The extension dialled is not the one whose phones rang: the dialled user's call
        # forwarding sent the call on at once (as for a Dial of one phone).
        # A parallel Dial's phones must be one user's (several users rung at once are the
        # number's own, a group of a kind).
        users = {
            peer for r in block if self.settings.is_extension(peer := channel_peer(r.dstchannel))
        }
        forwarded = (
            len(users) == 1
            and self.settings.is_extension(first)
            and first != block[0].dst
            and self.holder is None
            and self.steps == 1
            and self.settings.is_numbered(first)
            and self.settings.is_numbered(block[0].dst)
        )
        if forwarded:
            self.holder = self.forwarding_leg(block[0])
            forwarded_from = self.move_to(first)
        else:
            forwarded_from = self.picked_up(block[0], answerers[-1] if answerers else None)
            if forwarded_from is None:
                forwarded_from = self.move_to(block[0].dst)
        # A user's several devices rung at once are one call to the user: its answered row,
        # else its first.
        kept: dict[str, Row] = {}
        for r in block:
            peer = channel_peer(r.dstchannel)
            if peer not in kept or (
                r.disposition == "ANSWERED" and kept[peer].disposition != "ANSWERED"
            ):
                kept[peer] = r
        legs = [
            leg
            for r in block
            if (
                leg := self.dial(
                    r, forwarded_from, kept[channel_peer(r.dstchannel)] is r, forwarded
                )
            )
            is not None
        ]
        unanswered = [leg for leg in legs if leg.type != "in_answered"]
        self.holder = unanswered[0] if unanswered and len(unanswered) == len(legs) else None
        if self.holder is not None:
            self.rang[id(self.holder)] = dial_args(block[0])

    def hunt(self, block: list[Row]) -> None:
        self.step()
        first = block[0]
        number = first.dst
        identity = f"group:{number}"
        forwarded_from = self.move_to(number)
        winner = next((r for r in block if r.disposition == "ANSWERED"), None)
        rang = [r for r in block if r.disposition not in ("BUSY", "CONGESTION", "FAILED")]
        for r in block:
            self.result.memberships.add((identity, f"ext:{channel_peer(r.dstchannel)}"))
        if winner is not None:
            member = channel_peer(winner.dstchannel)
            self.leg(
                first,
                "group",
                "hunt",
                identity,
                number,
                type="answered",
                # All the time in the group until the member answered.
                wait_s=_seconds((winner.answer or winner.end) - first.start),
                talk_s=winner.billsec,
                member_number=member,
                forwarded_from=forwarded_from,
            )
        else:
            kind = "abandoned" if rang else "no_agent"
            wait = _seconds(max(r.answer or r.end for r in block) - first.start)
            self.holder = self.leg(
                first,
                "group",
                "hunt",
                identity,
                number,
                type=kind,
                wait_s=wait,
                forwarded_from=forwarded_from,
            )
        for r in rang:
            member = channel_peer(r.dstchannel)
            answered = r is winner
            self.leg(
                r,
                f"member:{member}",
                "user",
                f"ext:{member}",
                member,
                type="in_answered" if answered else "in_no_answer",
                group_from=number,
                member_number=member,
                wait_s=r.ring_s,
                talk_s=r.billsec if answered else 0,
                forwarded_from=forwarded_from,
            )


def _seconds(span: timedelta) -> int:
    return max(0, int(span.total_seconds()))


def failure_note(disposition: str) -> str:
    """Övrigt of a dial by how it ended: busy, or a technical error (FAILED, CONGESTION)."""
    return {"BUSY": "busy", "FAILED": "technical error", "CONGESTION": "technical error"}.get(
        disposition, ""
    )


def is_dial(lastapp: str, dstchannel: str) -> bool:
    """Whether a row is a dial attempt: a Dial, or a row whose call had a Party B though its
    last application is another (Asterisk 11 writes Hangup after a Dial; Park after a
    transfer). A conference's rows pair its channels: no one was rung."""
    return lastapp == "Dial" or (
        dstchannel != "" and lastapp not in ("Pickup", "Queue", "ConfBridge", "MeetMe")
    )


def dial_args(row: Row) -> str:
    """What a Dial rang: its first argument ('PJSIP/1001&PJSIP/1002')."""
    return row.lastdata.split(",", 1)[0]


def voicemail_box(lastdata: str) -> tuple[str, bool]:
    """The mailbox and whether the busy greeting plays, from VoiceMail's arguments:
    '1001@default,b', '1001,u', '1001', or the old 'b1001@default'."""
    box, _, options = lastdata.partition(",")
    box = box.split("&", 1)[0].split("@", 1)[0]
    if len(box) > 1 and box[0] in "bus" and box[1].isdigit():
        options, box = options + box[0], box[1:]
    return box, "b" in options


def ivr_note(dst: str) -> str:
    """Övrigt of an IVR leg by the extension the menu ended on: a key, or t (timeout) and
    i (invalid) as Asterisk names them."""
    return {"t": "timeout", "i": "invalid key", "s": "", "h": "", "": ""}.get(dst, f"key {dst}")


def _join_local_halves(rows: list[Row]) -> list[Row]:
    """Replace a Dial to `Local/X@ctx-N;1` by what its `;2` half dialled, and drop the half.

    Ring groups and follow-me built from Local channels log both halves (FORMATS.md §1.2);
    the ;2 half's rows hold the real endpoint and whether it answered (the answered attempt,
    else the last).
    """
    inner: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        if r.channel.startswith("Local/") and r.channel.endswith(";2") and r.lastapp == "Dial":
            inner[r.channel[:-2]].append(r)
    if not inner:
        return rows
    used: set[int] = set()
    joined = []
    for r in rows:
        halves = inner.get(r.dstchannel[:-2], []) if r.dstchannel.endswith(";1") else []
        if halves:
            used.update(id(h) for h in halves)
            half = next((h for h in halves if h.disposition == "ANSWERED"), halves[-1])
            r = replace(
                r,
                dstchannel=half.dstchannel,
                # A Dial to the Local channel that failed reached no one, whatever the half
                # wrote (a ring group's member not reached: no one was offered the call).
                disposition=r.disposition if r.disposition == "FAILED" else half.disposition,
                answer=half.answer,
                billsec=half.billsec,
                dialled=half.dst,
            )
        joined.append(r)
    return [r for r in joined if id(r) not in used]


def row_kind(row: Row, settings: SourceSettings) -> str:
    """What a row does in its call, as the walk reads it (in this order)."""
    if row.lastapp in ("AppDial", "AppDial2") or row.dcontext in settings.feature_contexts:
        return ""
    if row.lastapp in ("ConfBridge", "MeetMe"):
        return "conf"
    if (row.dcontext == "ext-group" and row.lastapp == "Dial") or (
        row.dst in settings.group_numbers and row.lastapp in ("Dial", "RetryDial")
    ):
        return "hunt"
    if row.lastapp == "Dial" and "&" in dial_args(row):
        return "par"
    if row.lastapp == "Queue":
        return "queue"
    if row.dcontext in settings.rule_contexts:
        return "rule"
    if settings.is_ivr(row.dcontext) or (
        row.userfield in settings.ivr_numbers and row.dstchannel == ""
    ):
        return "ivr"
    if row.lastapp == "VoiceMail" or row.dcontext in settings.voicemail_contexts:
        return "vm"
    if row.lastapp == "Pickup":
        return "pickup" if settings.is_extension(channel_peer(row.channel)) else ""
    if row.lastapp == "Dial" or row.dstchannel:
        return "dial"
    return ""


def service_numbers(rows: list[Row], settings: SourceSettings) -> frozenset[str]:
    """The numbers the rows show a service at: a conference's, a ring group's, a queue's,
    an IVR's, a rule's or a mailbox's."""
    kinds = ("conf", "hunt", "queue", "rule", "ivr", "vm")
    return frozenset(r.dst for r in rows if row_kind(r, settings) in kinds)

"""Cisco BroadWorks accounting CDRs → legs (FORMATS.md §4).

BroadWorks writes one record per user per side of a call: `Terminating` when the user
received it, `Originating` when the user placed or redirected it. Virtual users tell the
service: `hg-…` a hunt group, `cc-…` a call center (a queue), `aa-…` an auto attendant (an IVR),
`…_VMR@` a voice mailbox.

Two layouts: the raw CSV by field position (the position is the BroadWorks field number), and
the Evolve IP derivative with a header (Group, Call_Direction, …) that lacks the answer fields
and call ids. Records are grouped into calls by their call ids (localCallId, remoteCallId,
relatedCallId), or in the derivative by group and release time, before legs are decided.
"""

import csv
import hashlib
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from vaxelstat.calls.legs import Leg
from vaxelstat.ingest.parsers.base import (
    ParseResult,
    Reason,
    Reject,
    SourceSettings,
    caller,
    csv_fields,
    local_to_utc,
    loose_local_to_utc,
    read_lines,
)

FORMAT = "broadworks"

# BroadWorks field numbers (1-based positions in the raw CSV).
F = {
    "recordId": 1,
    "type": 3,
    "userNumber": 4,
    "groupNumber": 5,
    "direction": 6,
    "callingNumber": 7,
    "callingPresentationIndicator": 8,
    "calledNumber": 9,
    "startTime": 10,
    "answerIndicator": 12,
    "answerTime": 13,
    "releaseTime": 14,
    "terminationCause": 15,
    "group": 32,
    "localCallId": 45,
    "remoteCallId": 46,
    "userId": 121,
    "relatedCallId": 147,
    "relatedCallIdReason": 148,
    "asCallType": 231,
}
PICKUP = "Directed Call Pickup"
# Reasons of an Originating record that redirect the user's incoming call elsewhere.
REDIRECTS = (
    "Call Forward",
    "Simultaneous Ring",
    "Remote Office",
    "BroadWorks Anywhere",
    "Sequential Ring",
    "Deflection",
)


@dataclass
class Record:
    line: int
    raw: str
    key: str  # natural key: recordId, or the line's digest in the derivative
    links: frozenset[str]  # call ids this record shares with the other records of its call
    direction: str  # "Originating" or "Terminating"
    user: str  # userId, or the user's number
    number: str
    calling: str
    called: str
    start: datetime
    answer: datetime | None
    release: datetime
    # "Yes", "No", "Yes-PostRedirection", or "" where the layout does not say.
    answered: str
    cause: str
    reason: str
    internal: bool
    # The calling number's presentation: Private hides it (Dolt nummer).
    private: bool = False

    @property
    def kind(self) -> str:
        name = self.user.split("@", 1)[0]
        if name.startswith("hg-"):
            return "hunt"
        if name.startswith("cc-"):
            return "acd"
        if name.startswith("aa-"):
            return "ivr"
        if name.endswith("_VMR"):
            return "voicemail"
        return "user"

    @property
    def short(self) -> str:
        """The user's number (userNumber, field 4), which the calls of others name; the
        derivative has none, and names the user by its userId."""
        return self.number or self.user.split("@", 1)[0]


def _time(text: str, settings: SourceSettings) -> datetime:
    # yyyymmddhhmmss.mmm
    if len(text) < 14 or not text[:14].isdigit():
        raise ValueError(f"time data {text!r} is not yyyymmddhhmmss.mmm")
    stamp = f"{text[:4]}-{text[4:6]}-{text[6:8]} {text[8:10]}:{text[10:12]}:{text[12:14]}"
    return local_to_utc(stamp, settings.timezone)


def _raw(number: int, text: str, fields: list[str], settings: SourceSettings) -> Record | None:
    def f(name: str) -> str:
        position = F[name]
        return fields[position - 1].strip() if len(fields) >= position else ""

    if f("type") not in ("Normal", ""):
        return None  # Long Duration and Failover records repeat a Normal one.
    start, release = _time(f("startTime"), settings), _time(f("releaseTime"), settings)
    answer = _time(f("answerTime"), settings) if f("answerTime") else None
    links = frozenset(
        f"id:{v}" for v in (f("localCallId"), f("remoteCallId"), f("relatedCallId")) if v
    )
    return Record(
        line=number,
        raw=text,
        key=f("recordId"),
        links=links or frozenset({f"rec:{number}"}),
        direction=f("direction"),
        user=f("userId") or f("userNumber"),
        number=f("userNumber"),
        calling=f("callingNumber"),
        called=f("calledNumber"),
        start=start,
        answer=answer,
        release=release,
        answered=f("answerIndicator"),
        cause=f("terminationCause").lstrip("0"),
        reason=f("relatedCallIdReason"),
        internal=f("asCallType") in ("Group", "Enterprise"),
        private=f("callingPresentationIndicator").lower().startswith("private"),
    )


class _Missing(Exception):
    pass


def _derived(
    number: int, text: str, row: dict[str, str], settings: SourceSettings, occurrence: int
) -> Record:
    for name in ("starttime", "endtime", "userid", "call_direction"):
        if not row.get(name, "").strip():
            raise _Missing(f"no {name}")
    start = loose_local_to_utc(row["starttime"], settings.timezone)
    release = loose_local_to_utc(row["endtime"], settings.timezone)
    direction = {"Outgoing": "Originating", "Incoming": "Terminating"}.get(
        row["call_direction"], row["call_direction"]
    )
    features = row.get("features", "").strip()
    reason = features if features not in ("Primary Device", "Secondary Device") else ""
    return Record(
        line=number,
        raw=text,
        # Identical lines are distinct records here (a hunt group logs one per member it
        # alerts), so the n-th copy of a line is a record of its own, stable across re-imports.
        key=f"sha1:{hashlib.sha1(text.encode()).hexdigest()}:{occurrence}",
        links=frozenset(
            {f"end:{row['groupid']}:{row['endtime']}"}
            # A hunt group's alerts of one call start together; those of members who did not
            # answer end before the call does, so only the start ties them to it.
            | (
                {f"hunt:{row['userid']}:{row['starttime']}"}
                if row["userid"].startswith("hg-")
                else set()
            )
        ),
        direction=direction,
        user=row["userid"],
        number="",
        calling="",
        called="",
        start=start,
        answer=None,
        release=release,
        answered="",
        cause=row["missed calls"].lstrip("0"),
        reason=reason,
        internal=False,
    )


def parse(path: Path, settings: SourceSettings) -> ParseResult:
    result = ParseResult()
    records: list[Record] = []
    seen: dict[str, int] = {}
    copies: Counter[str] = Counter()
    header: list[str] | None = None
    for number, text in _lines(path):
        if (fields := csv_fields(number, text, result)) is None:
            continue
        if number == 1 and {"Call_Direction", "UserID"} <= {f.strip() for f in fields}:
            header = [f.strip().lower() for f in fields]
            continue
        result.lines += 1
        try:
            if header is not None:
                if len(fields) != len(header):
                    raise KeyError(f"{len(fields)} columns, the header has {len(header)}")
                copies[text] += 1
                row = dict(zip(header, fields, strict=True))
                record: Record | None = _derived(number, text, row, settings, copies[text])
            elif len(fields) < F["releaseTime"]:
                raise KeyError(f"{len(fields)} columns, a record has at least {F['releaseTime']}")
            else:
                record = _raw(number, text, fields, settings)
        except ValueError as exc:
            result.rejects.append(Reject(number, Reason.BAD_TIME, str(exc), text))
            continue
        except KeyError as exc:
            result.rejects.append(Reject(number, Reason.UNKNOWN_LAYOUT, str(exc.args[0]), text))
            continue
        except _Missing as exc:
            result.rejects.append(Reject(number, Reason.MISSING_FIELD, str(exc), text))
            continue
        if record is None:
            continue
        if record.key in seen:
            result.rejects.append(
                Reject(
                    number,
                    Reason.DUPLICATE,
                    f"record again (first on line {seen[record.key]})",
                    text,
                )
            )
            continue
        seen[record.key] = number
        records.append(record)
    for call in _calls(records):
        _Call(call, result).legs()
    return result


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """The file's lines; a JSON array of field values (one record) becomes one CSV line."""
    lines = read_lines(path)
    first = next(lines, None)
    if first is None:
        return
    if first[1].lstrip().startswith("["):
        try:
            values = json.loads(path.read_bytes().decode("utf-8", errors="replace"))
        except json.JSONDecodeError:
            values = None
        if isinstance(values, list) and all(isinstance(v, str) for v in values):
            buffer = io.StringIO()
            csv.writer(buffer).writerow(values)
            yield 1, buffer.getvalue().rstrip("\r\n")
            return
    yield first
    yield from lines


def _calls(records: list[Record]) -> list[list[Record]]:
    """Group records that share a call id (transitively) into calls, each in start order."""
    parent = list(range(len(records)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[str, int] = {}
    for i, record in enumerate(records):
        for link in record.links:
            j = first_with.setdefault(link, i)
            parent[find(i)] = find(j)
    calls: dict[int, list[Record]] = defaultdict(list)
    for i, record in enumerate(records):
        calls[find(i)].append(record)
    return [sorted(c, key=lambda r: (r.start, r.line)) for c in calls.values()]


class _Call:
    def __init__(self, records: list[Record], result: ParseResult) -> None:
        self.records, self.result = records, result
        self.call_id = "bw:" + min(r.key for r in records)[:60]
        first = records[0]
        self.from_number, self.from_name = caller("" if first.private else first.calling, "")
        # Whether the caller is the organization's: the first record's, for every leg.
        self.internal = first.internal

    def leg(self, r: Record, kind: str, identity: str, number: str, **fields: object) -> Leg:
        leg = Leg(
            leg_id=f"bw:{r.key}",
            call_id=self.call_id,
            object_kind=kind,
            object_identity=identity,
            object_number=number,
            start=r.start,
            direction=str(fields.pop("direction", "in")),
            internal=bool(fields.pop("internal", self.internal)),
            type=str(fields.pop("type")),
            from_number=self.from_number,
            from_name=self.from_name,
            **fields,  # type: ignore[arg-type]
        )
        self.result.legs.append(leg)
        return leg

    def received_before(self, r: Record) -> bool:
        """Whether an Originating record sends to voicemail a call its user received: a
        redirect (with no reason where the derivative drops it), not a call the user placed."""
        return any(
            t.user == r.user and t.direction == "Terminating" and t.start <= r.start
            for t in self.records
        ) and any(m.kind == "voicemail" and m.start >= r.start for m in self.records)

    @staticmethod
    def answered(r: Record) -> bool:
        if r.answered:
            return r.answered == "Yes"
        # The derivative has no answer fields: a normal release after a minute or more.
        return r.cause == "16" and r.release - r.start >= timedelta(seconds=60)

    def legs(self) -> None:
        mailboxes = [r for r in self.records if r.kind == "voicemail"]
        redirects = [
            r
            for r in self.records
            if r.kind == "user"
            and r.direction == "Originating"
            and (r.reason.startswith(REDIRECTS) or self.received_before(r))
        ]
        # A hunt group's records start with the alerts of its members; a call center's
        # Originating records offer the call to an agent and start with the agent's alert.
        hunts = [r for r in self.records if r.kind in ("hunt", "acd")]
        hunt_members: dict[str, list[Leg]] = defaultdict(list)
        for r in self.records:
            if r.kind == "ivr" and r.direction == "Terminating":
                onward = next(
                    (
                        o
                        for o in self.records
                        if o.user == r.user and o.direction == "Originating" and o.start >= r.start
                    ),
                    None,
                )
                # Kötid is the time in the menu: until the auto attendant sent the call on.
                left = onward.start if onward is not None else r.release
                self.leg(
                    r,
                    "ivr",
                    f"ivr:{r.short}",
                    r.short,
                    type="connected" if onward else "not_connected",
                    wait_s=max(0, int((left - r.start).total_seconds())),
                )
            if r.kind != "user":
                continue
            if r.direction == "Originating":
                if not r.reason and r not in redirects:
                    self.leg(
                        r,
                        "user",
                        f"user:{r.user}",
                        r.short,
                        direction="out",
                        type="out_answered" if self.answered(r) else "out_unanswered",
                        to_number=r.called,
                        member_number=r.short,
                        note=self.out_note(r),
                        **self.times(r),
                    )
                elif r.reason == PICKUP:
                    # The picker's record of a call it took from a ringing colleague.
                    talk_from = r.answer or r.start
                    picked = next(
                        (
                            t
                            for t in self.records
                            if t.direction == "Terminating"
                            and t.reason == PICKUP
                            and t.user != r.user
                        ),
                        None,
                    )
                    self.leg(
                        r,
                        "user",
                        f"user:{r.user}",
                        r.short,
                        type="in_answered",
                        member_number=r.short,
                        note=f"pickup of {picked.short}" if picked else "pickup",
                        talk_s=int((r.release - talk_from).total_seconds()),
                    )
                continue
            group = next((h for h in hunts if h.start == r.start), None)
            leg = self.leg(
                r,
                "user",
                f"user:{r.user}",
                r.short,
                **self.incoming(r, redirects, mailboxes),
                member_number=r.short,
                to_number=r.called,
                group_from=group.short if group else "",
            )
            if group is not None:
                hunt_members[group.user].append(leg)
        # Every group the call reached has its leg, also where no member was alerted.
        for hg in dict.fromkeys(h.user for h in hunts):
            members = hunt_members.get(hg, [])
            first = min((h for h in hunts if h.user == hg), key=lambda h: h.start)
            winner = next((m for m in members if m.type == "in_answered"), None)
            if winner is not None:
                # Kötid: from reaching the group to the member's answer (FORMATS §4.4).
                reached = winner.start + timedelta(seconds=winner.wait_s)
                kind, fields = (
                    "answered",
                    {
                        "wait_s": max(0, int((reached - first.start).total_seconds())),
                        "talk_s": winner.talk_s,
                        "member_number": winner.object_number,
                    },
                )
            elif members and all(m.type == "in_busy" for m in members):
                kind, fields = "no_agent", {}
            elif mailboxes:
                # Kötid ends where the group sent the call to the mailbox.
                left = min(m.start for m in mailboxes)
                kind, fields = (
                    "forwarded",
                    {
                        "forwarded_to": "voicemail",
                        "note": "voicemail",
                        "wait_s": max(0, int((left - first.start).total_seconds())),
                    },
                )
            elif any(
                r.start > first.start
                for r in self.records
                if r.kind == "user" and not any(h.start == r.start for h in hunts)
            ):
                kind, fields = "forwarded", {"note": "timeout"}
            else:
                kind, fields = "abandoned", {}
            self.result.memberships.update((f"group:{hg}", m.object_identity) for m in members)
            self.leg(
                first,
                first.kind,
                f"group:{hg}",
                first.short,
                type=kind,
                **{"wait_s": int((first.release - first.start).total_seconds()), **fields},
            )

    def out_note(self, r: Record) -> str:
        """Övrigt of a call a user placed that was not answered: busy, or voicemail."""
        if self.answered(r):
            return ""
        others = [o for o in self.records if o.user != r.user and o.direction == "Terminating"]
        if r.cause == "17" or any(o.cause == "17" for o in others):
            return "busy"
        if any(o.kind == "voicemail" for o in others):
            return "voicemail"
        return ""

    @classmethod
    def times(cls, r: Record) -> dict[str, int]:
        if r.answer is not None and cls.answered(r):
            return {
                "wait_s": int((r.answer - r.start).total_seconds()),
                "talk_s": int((r.release - r.answer).total_seconds()),
            }
        if cls.answered(r):
            return {"talk_s": int((r.release - r.start).total_seconds())}
        return {"wait_s": int((r.release - r.start).total_seconds())}

    def incoming(
        self, r: Record, redirects: list[Record], mailboxes: list[Record]
    ) -> dict[str, object]:
        """The type of a user's Terminating record, and where the call went from there."""
        onward = next((o for o in redirects if o.user == r.user and o.start >= r.start), None)
        if onward is not None:
            to_mailbox = any(m.start >= onward.start for m in mailboxes)
            busy = "Busy" in onward.reason or r.cause == "17"
            # A call its user's mailbox took is Röstsvar, after busy too (Övrigt says which),
            # as for every format; busy elsewhere is Upptaget.
            if to_mailbox:
                kind, note = "in_voicemail", "busy" if busy else "voicemail"
            elif busy:
                kind, note = "in_busy", ""
            else:
                kind, note = "in_forwarded", ""
            wait = int((onward.start - r.start).total_seconds())
            return {
                "type": kind,
                "wait_s": wait,
                "note": note,
                "forwarded_to": "voicemail" if to_mailbox else onward.called,
            }
        if r.reason == PICKUP:
            # A colleague picked the call up while this phone rang.
            picker = next(
                (
                    o
                    for o in self.records
                    if o.direction == "Originating" and o.reason == PICKUP and o.user != r.user
                ),
                None,
            )
            return {
                "type": "in_no_answer",
                "note": f"picked up by {picker.short}" if picker else "picked up",
                "wait_s": int((r.release - r.start).total_seconds()),
            }
        came = next(
            (o for o in redirects if o.user != r.user and o.start <= r.start and o.called),
            None,
        )
        if came is not None:
            # The call came here forwarded by another user.
            found = self.incoming_plain(r)
            return {**found, "forwarded_from": came.short}
        return self.incoming_plain(r)

    def incoming_plain(self, r: Record) -> dict[str, object]:
        """The type of a Terminating record that neither redirected nor was picked up."""
        if r.answered == "Yes-PostRedirection":
            return {"type": "in_forwarded", **self.times(r)}
        if self.answered(r):
            return {"type": "in_answered", **self.times(r)}
        kind = "in_busy" if r.cause == "17" else "in_no_answer"
        return {"type": kind, **self.times(r)}

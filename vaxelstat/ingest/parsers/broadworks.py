"""Cisco BroadWorks accounting CDRs → legs (FORMATS.md §4).

BroadWorks writes one record per user per side of a call: `Terminating` when the user
received it, `Originating` when the user placed or redirected it. Virtual users tell the
service: `hg-…` a hunt group, `cc-…` a call center (a queue), `aa-…` an auto attendant (an IVR),
`…_VMR@` a voice mailbox.

Evolve IP names its Meet-Me conference bridges `cb-…` (and a group's default bridge
`gr-…-Default`): a bridge is no measured object, so its records give no legs; the call of a user
who dials into one is that user's outgoing call.

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
from collections.abc import Callable, Iterator
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

# The record types that repeat a Normal record's call (FORMATS.md §4): read as nothing more.
REPEATING_TYPES = ("Long Duration", "Failover")

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
BARGE_IN = "Barge-in"
# The derivative rounds its times to the second.
ROUNDING = timedelta(seconds=1)
# A phone rings this long at most before its forwarding sends the call on (a user's record
# without a reason that begins later while the call goes on is a call the user placed).
UNNAMED_FORWARD = timedelta(seconds=20)
# Reasons of a group's Originating records that alert a member (or offer an agent the call).
ALERTS = ("Hunt Group", "Call Center")
# Reasons of an Originating record that redirect the user's incoming call elsewhere.
# Simultaneous Ring Personal, Remote Office and BroadWorks Anywhere are not among them: they
# ring the user's own other phones (a Remote Office user's Terminating record is on the remote
# phone itself), so the call stays the user's, answered or not by the user's own record.
REDIRECTS = (
    "Call Forward",
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
    # The derivative's device of the record (its UsageDeviceType or UserDeviceType): the
    # phone that took part in the call.
    device: str = ""

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
        if name.startswith("cb-") or (name.startswith("gr-") and name.endswith("-Default")):
            return "bridge"
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

    if f("type") in REPEATING_TYPES:
        return None  # Long Duration and Failover records repeat a Normal one.
    if f("type") not in ("Normal", ""):
        raise KeyError(
            f"record type {f('type')[:40]!r} is none of BroadWorks' "
            "(Normal, Long Duration, Failover)"
        )
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
    return Record(
        line=number,
        raw=text,
        # Identical lines are distinct records here (a hunt group logs one per member it
        # alerts), so the n-th copy of a line is a record of its own, stable across re-imports.
        key=f"sha1:{hashlib.sha1(text.encode()).hexdigest()}:{occurrence}",
        links=_derived_links(row),
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
        reason=_derived_reason(row),
        internal=False,
        device=(row.get("usagedevicetype", "") or row.get("userdevicetype", "")).strip(),
    )


def _derived_reason(row: dict[str, str]) -> str:
    """relatedCallIdReason: the derivative's Features column, where the export filled an empty
    reason with the device's locationType and the Voice Portal's dialing result (their own
    columns say which), e.g. "Primary Device,Voice Portal" for a call dialed from the portal."""
    filled = {row.get("usagedevicetype", "").strip(), row.get("vpdialingfacresult", "").strip()}
    parts = [p.strip() for p in row.get("features", "").split(",")]
    return ",".join(
        p for p in parts if p and p not in filled | {"Primary Device", "Secondary Device"}
    )


def _derived_links(row: dict[str, str]) -> frozenset[str]:
    """The derivative has no call ids: a call's records end together in their group, and a
    hunt group's alerts of one call start together (those of members who did not answer end
    before the call does, so only the start ties them to it)."""
    links = {f"end:{row['groupid']}:{row['endtime']}"}
    # A call between two groups of the enterprise: the caller's record and the callee's
    # begin and end in the same seconds.
    links.add(f"span:{row['starttime']}:{row['endtime']}")
    if row["userid"].startswith("hg-"):
        links.add(f"hunt:{row['userid']}:{row['starttime']}")
    return frozenset(links)


def is_derivative_header(fields: list[str]) -> bool:
    """Whether a first line's fields are the Evolve IP derivative's header."""
    return {"Call_Direction", "UserID"} <= {f.strip() for f in fields}


def parse(path: Path, settings: SourceSettings) -> ParseResult:
    result = ParseResult()
    records: list[Record] = []
    seen: dict[str, int] = {}
    copies: Counter[str] = Counter()
    header: list[str] | None = None
    for number, text in _lines(path):
        if (fields := csv_fields(number, text, result)) is None:
            continue
        if number == 1 and is_derivative_header(fields):
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
    for i, j in (*_agents(records, find), *_across_groups(records)):
        parent[find(i)] = find(j)
    calls: dict[int, list[Record]] = defaultdict(list)
    for i, record in enumerate(records):
        calls[find(i)].append(record)
    return [sorted(c, key=lambda r: (r.start, r.line)) for c in calls.values()]


def _group(r: Record) -> str:
    """The derivative's group of a record (its `end:` link names it); '' for a raw record."""
    return next((link.split(":")[1] for link in r.links if link.startswith("end:")), "")


def _across_groups(records: list[Record]) -> Iterator[tuple[int, int]]:
    """The derivative's calls between two groups whose two sides' times fell on either side of
    a second: a user's call placed (an Originating record without a reason) and another
    group's Terminating record that began and ended exactly one second earlier or later
    (the same length: one call, seen by two groups' clocks a fraction of a second apart)."""
    received: dict[tuple[datetime, datetime], list[int]] = defaultdict(list)
    for j, t in enumerate(records):
        if t.direction == "Terminating" and _group(t):
            received[(t.start, t.release)].append(j)
    for i, r in enumerate(records):
        if r.kind != "user" or r.direction != "Originating" or r.reason or not _group(r):
            continue
        for shift in (-ROUNDING, ROUNDING):
            for j in received.get((r.start + shift, r.release + shift), []):
                if _group(records[j]) != _group(r) and records[j].user != r.user:
                    yield i, j


def _agents(records: list[Record], find: Callable[[int], int]) -> Iterator[tuple[int, int]]:
    """The derivative's call center calls that lack their agent, each with the agent's record.

    The derivative rounds its times to the second and ties a call's records by their group,
    but a call center's agent may belong to another group of the enterprise, or have a release
    that rounded to the next second: the agent is the user whose Terminating record started
    while the caller waited in the queue and ended with the queue's (within that second), the
    first such, unless the queue sent the call on to another group."""
    users = [
        j
        for j, u in enumerate(records)
        if u.kind == "user" and u.direction == "Terminating" and not u.reason and not u.answered
    ]
    for i, queue in enumerate(records):
        if queue.kind != "acd" or queue.direction != "Terminating" or queue.answered:
            continue
        near = [
            j
            for j in users
            if records[j].start > queue.start
            and abs(records[j].release - queue.release) <= ROUNDING
        ]
        if near and not any(find(j) == find(i) for j in near):
            call = [r for k, r in enumerate(records) if find(k) == find(i)]
            if _Call.sends_on(call, queue.user) is None:
                yield i, min(near, key=lambda j: records[j].start)


class _Call:
    def __init__(self, records: list[Record], result: ParseResult) -> None:
        self.records, self.result = records, result
        self.call_id = "bw:" + min(r.key for r in records)[:60]
        first = records[0]
        self.from_number, self.from_name = caller("" if first.private else first.calling, "")
        # Whether the caller is the organization's: the first record's, for every leg.
        self.internal = first.internal
        self.mailboxes = [r for r in records if r.kind == "voicemail"]
        # A hunt group's records start with the alerts of its members; a call center's
        # Originating records offer the call to an agent and start with the agent's alert.
        self.groups = [r for r in records if r.kind in ("hunt", "acd")]
        self.redirects = [
            r
            for r in records
            if r.kind == "user"
            and r.direction == "Originating"
            and (r.reason.startswith(REDIRECTS) or self.received_before(r) or self.unnamed(r))
        ]
        self.unanswered, self.answers = self.hunt_outcomes()

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

    def unnamed(self, r: Record) -> bool:
        """Whether an Originating record without a reason is the user's phone sending on a
        call it rang with (a forward the derivative left unnamed): it begins while the call
        rang the user, within UNNAMED_FORWARD, and ends with the user's incoming record. Not
        a call the user placed."""
        return not r.reason and any(
            t.user == r.user
            and t.direction == "Terminating"
            and t.start < r.start <= t.start + UNNAMED_FORWARD
            and t.release == r.release
            for t in self.records
        )

    def received_before(self, r: Record) -> bool:
        """Whether an Originating record sends to voicemail a call its user received: a
        redirect (with no reason where the derivative drops it), not a call the user placed.
        A call another user received in between (a transfer to a colleague whose mailbox took
        it) was sent to voicemail by that colleague, not by this user; one who forwarded the
        call to this user (by then) received it before, whatever the second says."""
        if not any(
            t.user == r.user and t.direction == "Terminating" and t.start <= r.start
            for t in self.records
        ) or any(
            # The user's own redirect says so (a call the user placed to their own number,
            # which their forwarding sent to the mailbox, is the other record).
            o.user == r.user and o.direction == "Originating" and o.reason.startswith(REDIRECTS)
            for o in self.records
        ):
            return False
        mailbox = next(
            (m for m in self.records if m.kind == "voicemail" and m.start >= r.start), None
        )
        received = min(
            t.start for t in self.records if t.user == r.user and t.direction == "Terminating"
        )
        forwarders = {
            o.user
            for o in self.records
            if o.direction == "Originating"
            and o.reason.startswith(REDIRECTS)
            and o.start <= received
        }
        return mailbox is not None and not any(
            t.kind == "user"
            and t.user != r.user
            and t.user not in forwarders
            and t.direction == "Terminating"
            and r.start <= t.start <= mailbox.start
            for t in self.records
        )

    def group_of(self, r: Record) -> Record | None:
        """The hunt group or call center that offered a user's Terminating record: the one
        whose alert (or offer) started with it."""
        tied = sorted(
            (h for h in self.groups if h.start == r.start), key=lambda h: h.reason not in ALERTS
        )
        if tied or r.answered:
            return tied[0] if tied else None
        # The derivative's call center starts both its records when the caller joins the
        # queue: its agent is the user whose phone the call reached while it waited there
        # (in the last queue it joined), unless the queue had sent it on to another group,
        # or another user's call reached the phone (a transfer from whoever answered).
        queues = [
            h
            for h in self.groups
            if h.kind == "acd" and h.direction == "Terminating" and h.start < r.start
        ]
        queue = max(queues, key=lambda h: h.start, default=None)
        if queue is None or self.sent_on(queue.user) or self.called_by_user(r):
            return None
        return queue

    def called_by_user(self, r: Record) -> bool:
        return any(
            o.kind == "user"
            and o.user != r.user
            and o.direction == "Originating"
            and o.start == r.start
            for o in self.records
        )

    def members(self, group: str) -> list[Record]:
        return [
            r
            for r in self.records
            if r.kind == "user"
            and r.direction == "Terminating"
            and (g := self.group_of(r)) is not None
            and g.user == group
        ]

    def sent_on(self, group: str) -> Record | None:
        return self.sends_on(self.records, group)

    @staticmethod
    def sends_on(records: list[Record], group: str) -> Record | None:
        """A group's Originating record that sent the call elsewhere: a Call Forward, or (the
        derivative drops a call center's reasons) one that starts where another group's
        Terminating record starts, unless that group forwarded the call here (it came from
        there)."""
        upstream = {
            x.user
            for x in records
            if x.direction == "Originating" and x.reason.startswith(REDIRECTS)
        }
        for o in records:
            if o.user != group or o.direction != "Originating" or o.reason in ALERTS:
                continue
            if o.reason.startswith(REDIRECTS) or any(
                t.kind in ("hunt", "acd")
                and t.user != group
                and t.user not in upstream
                and t.direction == "Terminating"
                and t.start == o.start
                for t in records
            ):
                return o
        return None

    def hunt_outcomes(self) -> tuple[set[int], dict[int, datetime]]:
        """What the derivative's records (no answer fields) of a hunt group's members show:
        the lines of those not answered, and when the one who answered did. Of the members a
        group alerted, all but the one whose alert outlasted the others' while the group kept
        the call were not answered (an answer ends the other alerts; a group that sent the
        call on had no answer). Where the alerts all last to the end, the one member whose
        record names its phone (the device columns) answered as the call ended (a door phone
        opened, say: in the sample no member that rang unanswered names one, and every member
        that answered does); else no one did. The answer came when the other alerts ended."""
        shown: set[int] = set()
        answers: dict[int, datetime] = {}
        for group in dict.fromkeys(h.user for h in self.groups if h.kind == "hunt"):
            members = [m for m in self.members(group) if not m.answered]
            if not members:
                continue
            last = max(m.release for m in members)
            lasting = [m for m in members if m.release == last]
            named = [m for m in lasting if m.device]
            keeper = None
            if not self.sent_on(group):
                keeper = lasting[0] if len(lasting) == 1 else named[0] if len(named) == 1 else None
            shown.update(m.line for m in members if m is not keeper)
            if keeper is not None:
                ended = [m.release for m in members if m is not keeper and m.start <= keeper.start]
                answers[keeper.line] = max([keeper.start, *ended])
        return shown, answers

    def answered(self, r: Record) -> bool:
        if r.answered:
            return r.answered == "Yes"
        if r.line in self.unanswered:
            return False
        # The derivative has no answer fields: a call was answered unless its rows show
        # otherwise (docs/samples.md). A release other than normal clearing (busy, unallocated
        # number, rejected, a failure) within a minute shows a call that never connected; one
        # that lasted longer had, whatever ended it.
        return r.cause == "16" or r.release - r.start >= timedelta(seconds=60)

    def placed_answered(self, r: Record) -> bool:
        """Whether the call a user placed was answered: in the derivative, not where the
        callee's side sent it to a mailbox (voicemail is nobody's answer)."""
        return self.answered(r) and (bool(r.answered) or not self.ended_in_mailbox(r))

    def ended_in_mailbox(self, r: Record) -> bool:
        """Whether the callee's side sent the call a user placed to a mailbox: a redirect by
        one whose record began with the call (in its second, or the second before where the
        callee's group's clock put it: `_across_groups`). The derivative ties records by the
        second their group's calls end, so another call's redirect ending in that second is
        not this call's."""
        reached = {
            t.user
            for t in self.records
            if t.direction == "Terminating"
            and t.user != r.user
            and r.start - ROUNDING <= t.start <= r.start + ROUNDING
        }
        senders = [
            o
            for o in self.records
            if o is not r
            and o.direction == "Originating"
            and o.user in reached
            and (
                o in self.redirects
                or (o.kind in ("hunt", "acd") and o.reason.startswith(REDIRECTS))
            )
        ]
        return any(
            m.start >= o.start >= r.start - ROUNDING for m in self.mailboxes for o in senders
        )

    def barged(self) -> set[int]:
        """The lines of a barge-in's records, which give no leg: a supervisor joining a call
        already counted (Barge-in, both ways), and the barged user's record that begins again
        in the second the supervisor's does (the same call, received or placed, split by the
        barge-in: its record before ends in that second)."""
        barges = [r for r in self.records if BARGE_IN in r.reason.split(",")]
        starts = {r.start for r in barges}
        barging = {r.user for r in barges}
        return {r.line for r in barges} | {
            r.line
            for r in self.records
            if r.kind == "user" and r.start in starts and r.user not in barging
        }

    def legs(self) -> None:
        members: dict[str, list[Leg]] = defaultdict(list)
        barged = self.barged()
        for r in self.records:
            if r.line in barged:
                continue
            if r.kind == "ivr" and r.direction == "Terminating":
                self.menu_leg(r)
            elif r.kind == "user" and r.direction == "Originating":
                self.placed_leg(r)
            elif r.kind == "user":
                group = self.group_of(r)
                leg = self.leg(
                    r,
                    "user",
                    f"user:{r.user}",
                    r.short,
                    **self.incoming(r, self.redirects, self.mailboxes),
                    member_number=r.short,
                    to_number=r.called,
                    group_from=group.short if group else "",
                )
                if group is not None:
                    members[group.user].append(leg)
        # Every group the call reached has its leg, also where no member was alerted.
        for user in dict.fromkeys(h.user for h in self.groups):
            self.group_leg(user, members.get(user, []))

    def menu_leg(self, r: Record) -> None:
        # Where the auto attendant sent the call: its Originating record, unless that failed
        # at once (a release other than normal clearing in no time: no route, say).
        onward = next(
            (
                o
                for o in self.records
                if o.user == r.user
                and o.direction == "Originating"
                and o.start >= r.start
                and not (o.cause not in ("", "16") and o.release - o.start < ROUNDING)
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

    def placed_leg(self, r: Record) -> None:
        """A user's Originating record: a call the user placed, or a pickup; a redirect of a
        call the user received has no leg of its own."""
        if not r.reason and r not in self.redirects:
            answered = self.placed_answered(r)
            answer = self.group_answer(r) if answered and r.answer is None else None
            self.leg(
                r,
                "user",
                f"user:{r.user}",
                r.short,
                direction="out",
                type="out_answered" if answered else "out_unanswered",
                to_number=r.called,
                member_number=r.short,
                note="" if answered else self.out_note(r),
                **self.times(r, answered, answer),
            )
        elif r.reason == PICKUP:
            # The picker's record of a call it took from a ringing colleague.
            talk_from = r.answer or r.start
            picked = next(
                (
                    t
                    for t in self.records
                    if t.direction == "Terminating" and t.reason == PICKUP and t.user != r.user
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

    def group_leg(self, group: str, members: list[Leg]) -> None:
        """One leg each time the call reached the group (a Terminating record of its own),
        with the members alerted from then on; a group seen only alerting has one leg."""
        records = [h for h in self.groups if h.user == group]
        arrivals = [h for h in records if h.direction == "Terminating"] or [
            min(records, key=lambda h: h.start)
        ]
        self.result.memberships.update((f"group:{group}", m.object_identity) for m in members)
        for n, first in enumerate(arrivals):
            until = arrivals[n + 1].start if n + 1 < len(arrivals) else None
            alerted = [
                m
                for m in members
                if (n == 0 or m.start >= first.start) and (until is None or m.start < until)
            ]
            kind, fields = self.group_outcome(group, first, alerted)
            self.leg(
                first,
                first.kind,
                f"group:{group}",
                first.short,
                type=kind,
                **{"wait_s": int((first.release - first.start).total_seconds()), **fields},
            )

    def group_outcome(
        self, group: str, first: Record, members: list[Leg]
    ) -> tuple[str, dict[str, object]]:
        """The type of a group's leg, and the fields its outcome decides."""
        winner = next((m for m in members if m.type == "in_answered"), None)
        if winner is not None:
            # Kötid: from reaching the group to the member's answer (FORMATS §4.4).
            reached = winner.start + timedelta(seconds=winner.wait_s)
            return "answered", {
                "wait_s": max(0, int((reached - first.start).total_seconds())),
                "talk_s": winner.talk_s,
                "member_number": winner.object_number,
            }
        if members and all(m.type == "in_busy" for m in members):
            return "no_agent", {}
        if not members and self.refused(group):
            return "no_agent", {}
        if self.mailboxes:
            # Kötid ends where the group sent the call to the mailbox.
            left = min(m.start for m in self.mailboxes)
            return "forwarded", {
                "forwarded_to": "voicemail",
                "note": "voicemail",
                "wait_s": max(0, int((left - first.start).total_seconds())),
            }
        onward = self.sent_on(group)
        if onward is not None:
            note = "busy" if "Busy" in onward.reason else "timeout"
            return "forwarded", {"note": "" if "Always" in onward.reason else note}
        if any(
            r.start > first.start
            for r in self.records
            if r.kind == "user" and not any(h.start == r.start for h in self.groups)
        ):
            return "forwarded", {"note": "timeout"}
        return "abandoned", {}

    def refused(self, group: str) -> bool:
        """A group that answered busy at once, alerting nobody, had no member free."""
        return any(
            h.user == group and h.direction == "Terminating" and h.cause == "17"
            for h in self.groups
        ) and not self.sent_on(group)

    def out_note(self, r: Record) -> str:
        """Övrigt of a call a user placed that was not answered: busy, or voicemail."""
        others = [o for o in self.records if o.user != r.user and o.direction == "Terminating"]
        if r.cause == "17" or any(o.cause == "17" for o in others):
            return "busy"
        if any(o.kind == "voicemail" for o in others):
            return "voicemail"
        return ""

    def group_answer(self, r: Record) -> datetime | None:
        """When a hunt group's member answered the call a user placed to the group (the
        group's record began with the caller's), where the derivative shows it."""
        if not any(
            h.kind == "hunt"
            and h.direction == "Terminating"
            and r.start <= h.start <= r.start + ROUNDING
            for h in self.groups
        ):
            return None
        return min((a for a in self.answers.values() if r.start <= a <= r.release), default=None)

    def times(
        self, r: Record, answered: bool | None = None, answer: datetime | None = None
    ) -> dict[str, int]:
        answered = self.answered(r) if answered is None else answered
        answer = r.answer or answer or self.answers.get(r.line)
        if answer is not None and answered:
            return {
                "wait_s": int((answer - r.start).total_seconds()),
                "talk_s": int((r.release - answer).total_seconds()),
            }
        if answered:
            return {"talk_s": int((r.release - r.start).total_seconds())}
        return {"wait_s": int((r.release - r.start).total_seconds())}

    def incoming(
        self, r: Record, redirects: list[Record], mailboxes: list[Record]
    ) -> dict[str, object]:
        """The type of a user's Terminating record, and where the call went from there."""
        onward = next((o for o in redirects if o.user == r.user and o.start >= r.start), None)
        if onward is not None:
            # The user's own mailbox: reached in the second of the redirect (a mailbox later
            # in the call is another's, where the call was forwarded to).
            to_mailbox = any(onward.start <= m.start <= onward.start + ROUNDING for m in mailboxes)
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

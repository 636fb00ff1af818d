"""What every parser shares: the source settings, the result, typed rejections, line reading."""

import csv
import re
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from vaxelstat import tmpfiles
from vaxelstat.calls.legs import Leg
from vaxelstat.ingest import progress


class Reason(StrEnum):
    """Why a record was rejected."""

    MALFORMED = "malformed"  # cannot be split into the format's fields
    UNKNOWN_LAYOUT = "unknown_layout"  # a column count the format does not have
    BAD_TIME = "bad_time"  # a time that cannot be read
    BAD_NUMBER = "bad_number"  # a number field that is not a number
    NO_START_EVENT = "no_start_event"  # an event of a call whose start is not in the file
    INCOMPLETE_CALL = "incomplete_call"  # a call that has not ended in the file
    DUPLICATE = "duplicate"  # the same record (natural key) again in the same file
    MISSING_FIELD = "missing_field"  # a field the format needs is absent or empty


class NotReadable(Exception):
    """A file a parser cannot read at all (a header without a column the format needs)."""


@dataclass(frozen=True)
class Reject:
    line: int
    reason: Reason
    detail: str
    raw: str


# FreePBX's contexts (SPEC §13): where a call from a trunk enters, and the IVR and rule ones.
INBOUND_CONTEXTS = ("from-trunk", "from-pstn", "ext-did", "from-did-direct", "public")
DEFAULT_EXTENSION_PATTERN = r"^\d{2,5}$"
# A pattern no peer matches (in Python's re and in RE2 alike).
NO_PEER = r"[^\s\S]"


@dataclass(frozen=True)
class SourceSettings:
    """How to read one collection point's logs.

    Every field has a default that reads FreePBX; other dialplans declare theirs in the
    collection point's settings (`from_dict` names the keys).
    """

    # Time zone of local times in the logs (Asterisk CSV writes local time without offset).
    timezone: zoneinfo.ZoneInfo
    # Channel peers that are trunks, e.g. {"trunk"}: never extensions.
    trunk_peers: frozenset[str] = frozenset()
    # Peers that are extensions whatever their name, e.g. {"client1"}.
    extensions: frozenset[str] = frozenset()
    # Other peers are extensions when they match this.
    extension_pattern: re.Pattern[str] = re.compile(DEFAULT_EXTENSION_PATTERN)
    # Contexts where calls from outside enter: their calling channel is external.
    inbound_contexts: frozenset[str] = frozenset(INBOUND_CONTEXTS)
    # Contexts of IVR menus (besides FreePBX's ivr-N) and of rule-based numbers.
    ivr_contexts: frozenset[str] = frozenset()
    rule_contexts: frozenset[str] = frozenset({"timeconditions"})
    # IVRs named by their number in the CDR's userfield (PBXware's auto attendants).
    ivr_numbers: frozenset[str] = frozenset()
    # Numbers that are ring groups where no context says so (PBXware's): a Dial or RetryDial
    # to one is the group's.
    group_numbers: frozenset[str] = frozenset()
    # Contexts whose rows are a feature's request, no call (PBXware's gloCOM pickup requests).
    feature_contexts: frozenset[str] = frozenset()
    # Contexts whose rows are a mailbox taking the call (PBXware's voicemail-op: the mailbox
    # is the userfield).
    voicemail_contexts: frozenset[str] = frozenset()
    # Numbers that are queues where the log does not say so (FreeSWITCH's stock CSV template
    # has no mod_callcenter variables): a call to one is an ACD call.
    queue_numbers: frozenset[str] = frozenset()
    # FreeSWITCH mod_cdr_csv: the template's variable names, when not the stock example.
    csv_template: tuple[str, ...] = ()
    # The canonical CSV: other column names and vocabularies (see canonical_csv).
    mapping: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    # A call still open this many hours before a file's last record is closed with what is
    # known (a queue_log whose call never ended: Asterisk crashed, say).
    open_call_hours: int = 12

    @classmethod
    def from_dict(cls, data: dict[str, Any], default_timezone: str) -> "SourceSettings":
        return cls(
            timezone=zoneinfo.ZoneInfo(data.get("source_timezone") or default_timezone),
            trunk_peers=frozenset(data.get("trunk_peers", [])),
            extensions=frozenset(data.get("extensions", [])),
            # An empty pattern: only the listed extensions are phones.
            extension_pattern=re.compile(
                data.get("extension_pattern", DEFAULT_EXTENSION_PATTERN) or NO_PEER
            ),
            inbound_contexts=frozenset(data.get("inbound_contexts", INBOUND_CONTEXTS)),
            ivr_contexts=frozenset(data.get("ivr_contexts", [])),
            rule_contexts=frozenset(data.get("rule_contexts", ["timeconditions"])),
            ivr_numbers=frozenset(data.get("ivr_numbers", [])),
            group_numbers=frozenset(data.get("group_numbers", [])),
            feature_contexts=frozenset(data.get("feature_contexts", [])),
            voicemail_contexts=frozenset(data.get("voicemail_contexts", [])),
            queue_numbers=frozenset(data.get("queue_numbers", [])),
            csv_template=tuple(data.get("csv_template", ())),
            mapping=dict(data.get("mapping", {})),
            open_call_hours=int(data.get("open_call_hours", 12)),
        )

    def is_extension(self, peer: str) -> bool:
        return peer in self.extensions or self.is_numbered(peer)

    def is_numbered(self, peer: str) -> bool:
        """Whether a peer is an extension by its number (the pattern), not by name."""
        return peer not in self.trunk_peers and bool(self.extension_pattern.fullmatch(peer))

    def is_ivr(self, context: str) -> bool:
        return context in self.ivr_contexts or context.startswith("ivr-")


@dataclass
class ParseResult:
    legs: list[Leg] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    lines: int = 0
    # Display names the logs show, by object identity (e.g. a caller ID name of an extension).
    names: dict[str, str] = field(default_factory=dict)
    # (group identity, member identity) pairs seen in the logs.
    memberships: set[tuple[str, str]] = field(default_factory=set)


def csv_fields(number: int, text: str, result: ParseResult) -> list[str] | None:
    """Split one CSV line; a line that cannot be split is counted and rejected (None)."""
    try:
        return next(csv.reader([text]))
    except csv.Error as exc:
        result.lines += 1
        result.rejects.append(Reject(number, Reason.MALFORMED, str(exc), text))
        return None


def read_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (line number, text) for each non-empty line.

    Bytes that are not UTF-8 are read as Latin-1, line by line, so they never fail a file.
    """
    total = path.stat().st_size
    done = 0
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            done += len(raw)
            if number % 50_000 == 0:
                progress.report(done, total)
            raw = raw.rstrip(b"\r\n")
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("latin-1")
            yield number, text
    progress.report(total, total)


@contextmanager
def temporary_path(suffix: str) -> Iterator[Path]:
    """A file of our own under the data directory's tmp/, removed when the block ends."""
    path = tmpfiles.reserved(suffix)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


@contextmanager
def utf8_copy(path: Path) -> Iterator[Path]:
    """A copy of the file in UTF-8, line for line (blank lines kept, so numbers hold): a line
    that is not UTF-8 is read as Latin-1 (a PBX of an older locale writes names so), as
    read_lines reads it."""
    with temporary_path(path.suffix) as copy:
        with open(copy, "wb") as out, open(path, "rb") as f:
            for raw in f:
                try:
                    raw.decode("utf-8")
                    out.write(raw)
                except UnicodeDecodeError:
                    out.write(raw.decode("latin-1").encode("utf-8"))
        yield copy


def local_to_utc(text: str, tz: zoneinfo.ZoneInfo, hint_epoch: float | None = None) -> datetime:
    """Read 'YYYY-MM-DD HH:MM:SS' local time as UTC.

    In the hour repeated when daylight saving ends, the local time names two instants; the
    hint (an epoch the record also carries, such as Asterisk's uniqueid) picks the nearer.
    """
    try:
        naive = datetime.fromisoformat(text[:19])  # Much faster than strptime.
    except ValueError:
        raise ValueError(f"time data {text!r} is not YYYY-MM-DD HH:MM:SS") from None
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if first == second or hint_epoch is None:
        return first
    return min((first, second), key=lambda d: abs(d.timestamp() - hint_epoch))


_LOOSE_STAMP = re.compile(
    r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?$"
)


def loose_local_to_utc(text: str, tz: zoneinfo.ZoneInfo) -> datetime:
    """Read a local time written by a program or re-written by a spreadsheet as UTC.

    Accepts '2023-10-11 08:43:13' and '2020/2/10 22:41' (seconds lost: they count as 0).
    """
    m = _LOOSE_STAMP.match(text.strip())
    if not m:
        raise ValueError(f"time data {text!r} is not a date and time")
    y, mo, d, h, mi, sec = (int(g) if g else 0 for g in m.groups())
    return local_to_utc(f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{sec:02d}", tz)


def parse_clid(clid: str) -> tuple[str, str]:
    """Split an Asterisk caller ID '"Name" <number>' into (name, number). A quote left over
    at the end (PBXware's exports do not escape the name's quotes) is no part of either."""
    m = re.match(r'^\s*"?(.*?)"?\s*<([^>]*)>"?\s*$', clid)
    if not m:
        return "", clid.strip()
    return m.group(1).strip(), m.group(2).strip()


# What a record may say and still be read (README): a time from 1990 to a day after now, and
# a wait or talk time of at most a day; past them it is a rejected record with its reason.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
MAX_SECONDS = 86400


def latest() -> datetime:
    """The latest time a record may name: a day after now (clocks a little ahead)."""
    return datetime.now(UTC) + timedelta(days=1)


HIDDEN_NUMBERS = frozenset({"", "anonymous", "unknown", "restricted", "private", "unavailable"})


def caller(number: str, name: str) -> tuple[str, str]:
    """Normalise a caller: a hidden number becomes ("", ""), a name equal to the number ""."""
    if number.strip().lower() in HIDDEN_NUMBERS:
        return "", ""
    return number, "" if name == number else name


def channel_peer(channel: str) -> str:
    """The endpoint behind an Asterisk channel name.

    'PJSIP/1001-0000001a' → '1001'; 'Local/1001@from-queue-0000002b;1' → '1001';
    'SIP/trunk-00000003' → 'trunk'; 'Agent/1141' → '1141'.
    """
    if not channel:
        return ""
    _, _, rest = channel.partition("/")
    if channel.startswith("Local/"):
        return rest.split("@", 1)[0]
    rest = rest.split("/", 1)[0]
    return rest.rsplit("-", 1)[0] if re.search(r"-[0-9a-f]{6,}$", rest) else rest

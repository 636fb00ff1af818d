"""FreeSWITCH mod_cdr_csv → legs.

Templates are user-defined; without one declared on the collection point (`csv_template`, a
list of variable names) the stock `example` template is assumed. Times are the *_stamp local
times (in the source time zone), or *_epoch when the template has them.
"""

import csv
from datetime import UTC, datetime
from pathlib import Path

from vaxelstat.ingest.parsers.base import (
    ParseResult,
    Reason,
    Reject,
    SourceSettings,
    loose_local_to_utc,
    read_lines,
)
from vaxelstat.ingest.parsers.freeswitch import (
    Channel,
    add_channels,
    bounded_seconds,
    channel_from,
)

FORMAT = "freeswitch-csv"

EXAMPLE_TEMPLATE = [
    "caller_id_name",
    "caller_id_number",
    "destination_number",
    "context",
    "start_stamp",
    "answer_stamp",
    "end_stamp",
    "duration",
    "billsec",
    "hangup_cause",
    "uuid",
    "bleg_uuid",
    "accountcode",
    "read_codec",
    "write_codec",
]


def _time(values: dict[str, str], name: str, settings: SourceSettings) -> datetime | None:
    epoch = values.get(f"{name}_epoch", "")
    if epoch.isdigit() and epoch != "0":
        return datetime.fromtimestamp(int(epoch), UTC)
    stamp = values.get(f"{name}_stamp", "")
    return loose_local_to_utc(stamp, settings.timezone) if stamp.strip() else None


def channel(number: int, text: str, values: dict[str, str], settings: SourceSettings) -> Channel:
    start = _time(values, "start", settings)
    if start is None:
        raise ValueError("time data: no start")
    end = _time(values, "end", settings) or start
    billsec = bounded_seconds("billsec", int(float(values.get("billsec") or 0)))
    answer = _time(values, "answer", settings) if billsec > 0 else None
    if answer is None and billsec > 0:
        answer = end.fromtimestamp(end.timestamp() - billsec, UTC)
    return channel_from(number, text, values, start, answer, end, billsec)


def parse(path: Path, settings: SourceSettings, template: list[str] | None = None) -> ParseResult:
    names = list(template or settings.csv_template or EXAMPLE_TEMPLATE)
    result = ParseResult()
    channels = []
    for number, text in read_lines(path):
        result.lines += 1
        try:
            fields = next(csv.reader([text]))
        except csv.Error as exc:
            result.rejects.append(Reject(number, Reason.MALFORMED, str(exc), text))
            continue
        if len(fields) != len(names):
            result.rejects.append(
                Reject(
                    number,
                    Reason.UNKNOWN_LAYOUT,
                    f"{len(fields)} columns, the template has {len(names)}",
                    text,
                )
            )
            continue
        values = dict(zip(names, fields, strict=True))
        if not values.get("uuid"):
            result.rejects.append(Reject(number, Reason.MISSING_FIELD, "no uuid", text))
            continue
        try:
            channels.append(channel(number, text, values, settings))
        except (ValueError, OverflowError) as exc:
            reason = Reason.BAD_TIME if "time data" in str(exc) else Reason.BAD_NUMBER
            result.rejects.append(Reject(number, reason, str(exc), text))
    add_channels(channels, settings, result)
    result.rejects.sort(key=lambda r: r.line)
    return result

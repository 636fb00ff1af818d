"""What format a file looks like, from its first lines: for a hint where a file was imported
as another format and nothing of it could be read ("this looks like a queue_log")."""

import csv
import re
from pathlib import Path

from vaxelstat.ingest.parsers import asterisk_cdr, asterisk_queue_log, broadworks, canonical_csv

# The formats as a person names them.
NAMES = {
    "asterisk-queue-log": "an Asterisk queue_log",
    "asterisk-cdr": "an Asterisk CDR (Master.csv)",
    "broadworks": "BroadWorks CDRs",
    "freeswitch-json": "FreeSWITCH JSON CDRs",
    "csv": "a CSV of legs (call_id, leg_id, start, …)",
}

# How many of the first non-empty lines are looked at.
LINES = 20

_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
_DISPOSITIONS = {"ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION"}


def _first_lines(path: Path) -> list[str]:
    lines: list[str] = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.strip():
                    lines.append(line.rstrip("\r\n"))
                if len(lines) == LINES:
                    break
    except OSError:
        return []
    return lines


def _is_cdr(fields: list[str]) -> bool:
    """A CDR record of a layout the reader knows, with a time and a disposition."""
    return (
        len(fields) in asterisk_cdr.LAYOUTS
        and any(_TIME.match(f) for f in fields)
        and any(f in _DISPOSITIONS for f in fields)
    )


def looks_like(path: Path) -> str | None:
    """The format the file's first lines have, where they have one clearly; else None."""
    lines = _first_lines(path)
    if not lines:
        return None
    text = "".join(lines).lstrip()
    if text.startswith("{"):
        return "freeswitch-json"
    if text.startswith("["):
        # An array of field values is a BroadWorks record; of objects, FreeSWITCH's.
        return "broadworks" if text[1:].lstrip().startswith('"') else "freeswitch-json"
    if asterisk_queue_log.is_native(path) or asterisk_queue_log.is_table_export(lines[0]):
        return "asterisk-queue-log"
    rows = list(csv.reader(lines))
    if set(canonical_csv.KEY_COLUMNS) <= {f.strip() for f in rows[0]}:
        return "csv"
    if asterisk_cdr.header_names(rows[0]) is not None:
        return "asterisk-cdr"
    direction = broadworks.F["direction"] - 1
    if (
        broadworks.is_derivative_header(rows[0])
        or sum(len(r) > direction and r[direction] in ("Originating", "Terminating") for r in rows)
        > len(rows) / 2
    ):
        return "broadworks"
    if sum(_is_cdr(r) for r in rows) > len(rows) / 2:
        return "asterisk-cdr"
    return None

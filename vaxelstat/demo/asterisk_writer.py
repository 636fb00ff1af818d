"""Write simulated calls as Asterisk writes them: Master.csv (cdr_csv) and queue_log."""

import zoneinfo
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from vaxelstat.demo.records import CdrRow, QueueLogLine


def _q(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def cdr_line(row: CdrRow, tz: zoneinfo.ZoneInfo) -> str:
    """One cdr_csv line with loguniqueid, loguserfield and newcdrcolumns (21 columns).

    Times are the server's local time without offset, as cdr_csv writes them by default;
    an empty answer time is written bare, not quoted.
    """

    def local(epoch: int) -> str:
        return datetime.fromtimestamp(epoch, tz).strftime("%Y-%m-%d %H:%M:%S")

    answer = _q(local(row.answer)) if row.answer is not None else ""
    fields = [
        _q(row.accountcode),
        _q(row.src),
        _q(row.dst),
        _q(row.dcontext),
        _q(row.clid),
        _q(row.channel),
        _q(row.dstchannel),
        _q(row.lastapp),
        _q(row.lastdata),
        _q(local(row.start)),
        answer,
        _q(local(row.end)),
        str(row.duration),
        str(row.billsec),
        _q(row.disposition),
        _q(row.amaflags),
        _q(row.uniqueid),
        _q(row.userfield),
        _q(row.peeraccount),
        _q(row.linkedid),
        str(row.sequence),
    ]
    return ",".join(fields)


def queue_log_line(line: QueueLogLine) -> str:
    return "|".join([str(line.epoch), line.callid, line.queue, line.agent, line.event, *line.data])


def write_master_csv(rows: Iterable[CdrRow], path: Path, timezone: str) -> int:
    tz = zoneinfo.ZoneInfo(timezone)
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        for row in rows:
            f.write(cdr_line(row, tz) + "\n")
            n += 1
    return n


def write_queue_log(lines: Iterable[QueueLogLine], path: Path) -> int:
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        for line in lines:
            f.write(queue_log_line(line) + "\n")
            n += 1
    return n

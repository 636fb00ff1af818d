"""A deterministic simulation of the demo company's switchboard.

Arrivals follow Swedish office hours (lunch dip, Monday peak, quiet weekends); the PBX
(vaxelstat.demo.pbx) handles them: callers have limited patience (Weibull, so the urge to hang
up grows with waiting); agents answer or not; busy users give busy; unanswered calls go to
voicemail or are forwarded. The result is what a FreePBX-style Asterisk writes: CDR rows and
queue_log lines.
"""

import random
import zoneinfo
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from vaxelstat.demo.pbx import Pbx
from vaxelstat.demo.records import CdrRow, QueueLogLine

__all__ = ["CdrRow", "QueueLogLine", "SimResult", "simulate"]

# Relative call volume by local hour and by weekday (Monday = 0).
HOUR_WEIGHT = {
    7: 0.25,
    8: 0.75,
    9: 1.0,
    10: 1.0,
    11: 0.85,
    12: 0.45,
    13: 0.8,
    14: 0.9,
    15: 0.8,
    16: 0.55,
    17: 0.2,
    18: 0.1,
}
NIGHT_WEIGHT = 0.02
DAY_WEIGHT = (1.25, 1.05, 1.0, 1.0, 0.85, 0.08, 0.05)
# Calls per hour at weight 1.0, per stream.
BASE_RATE = {"main": 42.0, "did": 10.0, "out": 18.0, "internal": 8.0}
SLOT_S = 900


@dataclass
class SimResult:
    cdr: list[CdrRow]
    queue_log: list[QueueLogLine]
    # Simulated truth, e.g. stats["queue:400:abandoned"], stats["calls"].
    stats: Counter[str]
    start: datetime
    end: datetime


def rate_per_hour(stream: str, weekday: int, hour: int) -> float:
    return BASE_RATE[stream] * HOUR_WEIGHT.get(hour, NIGHT_WEIGHT) * DAY_WEIGHT[weekday]


def arrivals(
    rng: random.Random, start: int, end: int, tz: zoneinfo.ZoneInfo, scale: float
) -> list[tuple[int, str]]:
    """Draw arrival times per stream, slot by slot in UTC, at the local hour's rate.

    Slots step in UTC so that the daylight saving changes neither skip nor repeat an hour.
    """
    result = []
    slot = start
    while slot < end:
        local = datetime.fromtimestamp(slot, tz)
        for stream in BASE_RATE:
            rate = rate_per_hour(stream, local.weekday(), local.hour) * scale / 3600
            t = float(slot)
            while True:
                t += rng.expovariate(rate)
                if t >= min(slot + SLOT_S, end):
                    break
                result.append((int(t), stream))
        slot += SLOT_S
    result.sort(key=lambda a: a[0])
    return result


def simulate(
    seed: int = 1,
    end: datetime | None = None,
    days: int = 90,
    timezone: str = "Europe/Stockholm",
    scale: float = 1.0,
) -> SimResult:
    """Simulate `days` days of traffic up to `end` (default: now), the same for the same seed."""
    end = (end or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    start = end - timedelta(days=days)
    tz = zoneinfo.ZoneInfo(timezone)
    rng = random.Random(seed)
    pbx = Pbx(rng, tz)
    end_epoch = int(end.timestamp())
    cdr: list[CdrRow] = []
    qlog: list[QueueLogLine] = []
    flows = {
        "main": pbx.main_number,
        "did": pbx.direct,
        "out": pbx.outgoing,
        "internal": pbx.internal,
    }
    totals: Counter[str] = Counter()
    for t, stream in arrivals(rng, int(start.timestamp()), end_epoch, tz, scale):
        pbx.stats = Counter()
        call = flows[stream](t)
        # A call still in progress at the end has not been logged yet.
        if call is None or call.last > end_epoch:
            continue
        totals.update(pbx.stats)
        totals["calls"] += 1
        totals[f"calls:{stream}"] += 1
        cdr.extend(call.rows)
        qlog.extend(call.qlog)
    qlog.extend(pbx.shifts(int(start.timestamp()), end_epoch))
    # Asterisk appends a CDR when it is finalised, so the file is in end-time order.
    cdr.sort(key=lambda r: (r.end, r.sequence))
    qlog.sort(key=lambda q: q.epoch)
    return SimResult(cdr, qlog, totals, start, end)

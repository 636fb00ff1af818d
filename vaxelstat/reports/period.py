"""The Period: the one place that knows dates, time-of-day windows, buckets and DST.

Legs carry their start in the organization's local time (computed at ingestion), so a call
lands in the local bucket in which it started and no SQL converts time zones. This object
lists every bucket of the range (zeros included), writes the bucket expression and the filter
for the engine, and labels buckets with their local start and UTC offset.
"""

import calendar
import functools
import zoneinfo
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from django.utils.translation import gettext, gettext_noop

GROUPS = ("15min", "30min", "hour", "day", "week", "month", "year", "hourofday", "weekday")
# Each grouping's name, in Swedish (the pages translate it; the files are Swedish).
GROUP_NAMES = {
    "15min": gettext_noop("15 min"),
    "30min": gettext_noop("30 min"),
    "hour": gettext_noop("Timme"),
    "day": gettext_noop("Dag"),
    "week": gettext_noop("Vecka"),
    "month": gettext_noop("Månad"),
    "year": gettext_noop("År"),
    "hourofday": gettext_noop("Timme på dygnet"),
    "weekday": gettext_noop("Veckodag"),
}
_STEP = {"15min": timedelta(minutes=15), "30min": timedelta(minutes=30), "hour": timedelta(hours=1)}
# The weekdays' labels (Veckodag): Swedish keys (the API and CSV för program read them), shown
# in the reader's language (Period.shown_label).
WEEKDAYS_SV = (
    gettext_noop("måndag"),
    gettext_noop("tisdag"),
    gettext_noop("onsdag"),
    gettext_noop("torsdag"),
    gettext_noop("fredag"),
    gettext_noop("lördag"),
    gettext_noop("söndag"),
)


# Each engine's expression for a bucket of start_local (a naive local time), and for the time
# of day in seconds. ISO weeks start on Monday in both; weekdays count 1 (Monday) to 7.
# A sub-day bucket is named by the UTC instant of its local start (the local start less the
# leg's own offset), so the hour repeated when daylight saving ends is two buckets: 02:00
# +02:00 and 02:00 +01:00.
BUCKETS = {
    "duckdb": {
        "15min": "time_bucket(INTERVAL 15 MINUTE, start_local) - (start_local - start_utc)",
        "30min": "time_bucket(INTERVAL 30 MINUTE, start_local) - (start_local - start_utc)",
        "hour": "date_trunc('hour', start_local) - (start_local - start_utc)",
        "day": "date_trunc('day', start_local)::DATE",
        "week": "date_trunc('week', start_local)::DATE",
        "month": "date_trunc('month', start_local)::DATE",
        "year": "date_trunc('year', start_local)::DATE",
        "hourofday": "hour(start_local)",
        "weekday": "isodow(start_local)",
    },
    "clickhouse": {
        "15min": "toStartOfInterval(start_local, INTERVAL 15 MINUTE) "
        "- dateDiff('second', start_utc, start_local)",
        "30min": "toStartOfInterval(start_local, INTERVAL 30 MINUTE) "
        "- dateDiff('second', start_utc, start_local)",
        "hour": "toStartOfHour(start_local) - dateDiff('second', start_utc, start_local)",
        "day": "toDate(start_local)",
        "week": "toMonday(start_local)",
        "month": "toStartOfMonth(start_local)",
        "year": "toStartOfYear(start_local)",
        "hourofday": "toHour(start_local)",
        "weekday": "toDayOfWeek(start_local)",
    },
}
TIME_OF_DAY = {
    "duckdb": "(hour(start_local) * 3600 + minute(start_local) * 60 + second(start_local))",
    "clickhouse": "(toHour(start_local) * 3600 + toMinute(start_local) * 60 "
    "+ toSecond(start_local))",
}


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def offset_text(local: datetime, utc: datetime) -> str:
    """The UTC offset of a leg's start, '+01:00', from its local and UTC start."""
    minutes = int((local.replace(tzinfo=None) - utc.replace(tzinfo=None)).total_seconds()) // 60
    sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def local_start(local: datetime, utc: datetime, tz: zoneinfo.ZoneInfo) -> str:
    """A leg's local start in ISO 8601, with its UTC offset where the local time alone is
    ambiguous (the hour repeated when daylight saving ends): '2026-10-25T02:30:00+01:00'."""
    local = local.replace(tzinfo=None)
    text = local.isoformat()
    if local.replace(tzinfo=tz, fold=0).utcoffset() == local.replace(tzinfo=tz, fold=1).utcoffset():
        return text
    return text + offset_text(local, utc)


def months_before(day: date, months: int) -> date:
    """The same day `months` months earlier; a day the month lacks becomes its last day (a
    month before 31 March is the last day of February)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return day.replace(
        year=year, month=month + 1, day=min(day.day, calendar.monthrange(year, month + 1)[1])
    )


class PeriodError(ValueError):
    pass


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError(
            gettext("Ett datum skrivs ÅÅÅÅ-MM-DD, inte %(text)s.") % {"text": text[:40]}
        ) from None


class TooLarge(PeriodError):
    """A report of more figures than MAX_CELLS."""


# The dates a period may name: no call is read from before 1990, and none is made after 2100.
FIRST_DATE, LAST_DATE = date(1990, 1, 1), date(2100, 12, 31)
# The most figures a report may have (its rows times its columns): a month by 15 minutes of a
# standard report's columns is within it, a year by hour of all of them is not. A page, an
# answer of the API and an export stay a size a browser, a client and a spreadsheet take.
MAX_CELLS = 200_000


# Periods a saved report keeps relative to the day it is opened or sent.
RELATIVE = (
    "today",
    "yesterday",
    "last_7_days",
    "this_week",
    "last_week",
    "this_month",
    "last_month",
)


def relative_dates(kind: str, today: date) -> tuple[date, date]:
    """The first and last day of a RELATIVE period seen on `today` (weeks start on Monday)."""
    monday = today - timedelta(days=today.weekday())
    first_of_month = today.replace(day=1)
    if kind == "today":
        return today, today
    if kind == "yesterday":
        return today - timedelta(days=1), today - timedelta(days=1)
    if kind == "last_7_days":
        return today - timedelta(days=6), today
    if kind == "this_week":
        return monday, today
    if kind == "last_week":
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if kind == "this_month":
        return first_of_month, today
    if kind == "last_month":
        return months_before(first_of_month, 1), first_of_month - timedelta(days=1)
    raise PeriodError(gettext("Okänd relativ period: %(kind)s") % {"kind": kind})


def read_day(text: str | None) -> date | None:
    """A form's YYYY-MM-DD date between FIRST_DATE and LAST_DATE, or None (a filter left out:
    no date, one written wrongly, or one no period may hold)."""
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return day if FIRST_DATE <= day <= LAST_DATE else None


def day_start(day: date, tz: zoneinfo.ZoneInfo) -> datetime:
    """The instant the local day begins."""
    return datetime.combine(day, time(), tz)


def local_today(tz: zoneinfo.ZoneInfo, now: datetime | None = None) -> date:
    """The date in `tz` at `now` (by default: now)."""
    return (now or datetime.now(UTC)).astimezone(tz).date()


def next_sending(every: str, moment: datetime, tz: zoneinfo.ZoneInfo, at: time) -> datetime:
    """The first local time `at` after `moment`: on every day ("day"), every Monday ("week")
    or every first of the month ("month"). The times of day used (06:00) exist on every day,
    daylight saving changes included."""
    day = moment.astimezone(tz).date()
    for _step in range(63):
        if (
            every == "day"
            or (every == "week" and day.weekday() == 0)
            or (every == "month" and day.day == 1)
        ):
            when = datetime.combine(day, at, tzinfo=tz)
            if when > moment:
                return when
        day += timedelta(days=1)
    raise PeriodError(gettext("Okänt utskick: %(every)s") % {"every": every})


def grouped(n: int) -> str:
    """A whole number with its thousands apart (a no-break space: 7 300)."""
    return f"{n:,}".replace(",", "\u00a0")


@dataclass(frozen=True)
class Bucket:
    key: object  # what the engine's bucket expression gives: a datetime, a date or an int
    label: str
    start: str | None  # ISO 8601 local start with UTC offset; None for profiles


@dataclass(frozen=True)
class Period:
    timezone: str
    first: date
    last: date  # included
    window_start: time = time(0, 0)
    window_end: time | None = None  # exclusive; None is midnight at the end of the day
    group: str = "day"

    def __post_init__(self) -> None:
        if self.group not in GROUPS:
            raise PeriodError(
                gettext("Grupperingen %(group)s finns inte; den är en av %(groups)s.")
                % {"group": self.group, "groups": ", ".join(GROUPS)}
            )
        if self.last < self.first:
            raise PeriodError(
                gettext("Perioden slutar (%(last)s) innan den börjar (%(first)s).")
                % {"last": self.last, "first": self.first}
            )
        if self.window_end is not None and self.window_end <= self.window_start:
            raise PeriodError(gettext("Tiden på dygnet slutar innan den börjar."))
        if self.first < FIRST_DATE or self.last > LAST_DATE:
            raise PeriodError(
                gettext("Perioden ska ligga mellan %(first)s och %(last)s.")
                % {"first": FIRST_DATE, "last": LAST_DATE}
            )
        # (Before any bucket is listed: a period of millions is refused, not made.)
        self.check_cells(1)

    def most_buckets(self) -> int:
        """How many buckets the period has at most (its window and clock changes aside),
        counted without listing them."""
        days = (self.last - self.first).days + 1
        if self.group in _STEP:
            return days * (86400 // int(_STEP[self.group].total_seconds())) + 4
        per = {"hourofday": 24, "weekday": 7}
        if self.group in per:
            return per[self.group]
        return {"day": days, "week": days // 7 + 2, "month": days // 28 + 2}.get(
            self.group, days // 365 + 2
        )

    def check_cells(self, columns: int, rows: int | None = None) -> None:
        """Refuse (TooLarge) a report of these columns, with a row per bucket (or `rows`
        rows), of more than MAX_CELLS figures."""
        cells = (self.most_buckets() if rows is None else rows) * columns
        if cells > MAX_CELLS:
            raise TooLarge(
                gettext(
                    "Rapporten blir för stor: %(cells)s värden, högst %(most)s. Välj en grövre "
                    "gruppering eller en kortare period."
                )
                % {"cells": grouped(cells), "most": grouped(MAX_CELLS)}
            )

    @classmethod
    def parse(
        cls, timezone: str, first: str, last: str, window: str | None = None, group: str = "day"
    ) -> "Period":
        """From the command line's YYYY-MM-DD dates and HH:MM-HH:MM window."""
        start, end = _date(first), _date(last)
        window_start, window_end = time(0, 0), None
        if window:
            try:
                a, b = window.split("-")
                window_start = time.fromisoformat(a)
                window_end = None if b in ("24:00", "00:00") else time.fromisoformat(b)
            except ValueError:
                raise PeriodError(
                    gettext("Tid på dygnet skrivs TT:MM-TT:MM, inte %(window)s.")
                    % {"window": window}
                ) from None
        return cls(timezone, start, end, window_start, window_end, group)

    def regrouped(self, group: str) -> "Period":
        """The same range and window in other buckets."""
        return replace(self, group=group)

    def previous(self) -> "Period":
        """The period before this one, to compare with (same window and grouping): as many
        whole months before where this one is whole months (November against October, a
        quarter against the quarter before), else as many days just before (a week against
        the week before). PeriodError where it would begin before FIRST_DATE."""
        whole_months = self.first.day == 1 and (self.last + timedelta(days=1)).day == 1
        if whole_months:
            months = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month
            last = self.first - timedelta(days=1)
            index = last.year * 12 + last.month - 1 - months
            first = date(index // 12, index % 12 + 1, 1)
        else:
            last = self.first - timedelta(days=1)
            first = last - (self.last - self.first)
        if first < FIRST_DATE:
            raise PeriodError(
                gettext("Perioden före börjar före %(first)s: den kan inte jämföras.")
                % {"first": FIRST_DATE}
            )
        return replace(self, first=first, last=last)

    def shown_label(self, label: str) -> str:
        """A row's label in the reader's language: a weekday's name; dates and hours as
        they are."""
        return gettext(label) if self.group == "weekday" else label

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def window(self) -> str:
        end = self.window_end.strftime("%H:%M") if self.window_end else "24:00"
        return f"{self.window_start.strftime('%H:%M')}-{end}"

    # -- for the engine ----------------------------------------------------------------------

    def local_range(
        self, before: timedelta = timedelta(0), after: timedelta = timedelta(0)
    ) -> tuple[datetime, datetime]:
        """The period's days as local naive times [from, to), widened by `before` and `after`."""
        return (
            datetime.combine(self.first, time(0)) - before,
            datetime.combine(self.last + timedelta(days=1), time(0)) + after,
        )

    def filter(self, dialect: str = "duckdb") -> tuple[str, dict[str, object]]:
        """SQL on start_local and its named parameters: the range, and the window if any."""
        sql = "start_local >= $period_from AND start_local < $period_to"
        first, end = self.local_range()
        params: dict[str, object] = {"period_from": first, "period_to": end}
        # The time of day as seconds since midnight: engines differ in time-of-day types.
        of_day = TIME_OF_DAY[dialect]
        if self.window_start != time(0):
            sql += f" AND {of_day} >= $window_start"
            params["window_start"] = _seconds(self.window_start)
        if self.window_end is not None:
            sql += f" AND {of_day} < $window_end"
            params["window_end"] = _seconds(self.window_end)
        return sql, params

    def bucket_sql(self, dialect: str = "duckdb") -> str:
        return BUCKETS[dialect][self.group]

    # -- the buckets ---------------------------------------------------------------------------

    def _in_window(self, start: time, length: timedelta) -> bool:
        """Whether a bucket starting at this time of day overlaps the window."""
        begins = datetime.combine(date.min, start)
        window_start = datetime.combine(date.min, self.window_start)
        window_end = (
            datetime.combine(date.min, self.window_end)
            if self.window_end
            else datetime.combine(date.min + timedelta(days=1), time(0))
        )
        return begins < window_end and begins + length > window_start

    def _time_buckets(self, step: timedelta) -> list[Bucket]:
        """Sub-day buckets, keyed by the UTC instant of their local start. A day without a
        clock change has one offset for all its buckets; only the two change days a year are
        worked out bucket by bucket: a time the spring skips has no bucket, a time the autumn
        repeats has two, labelled with their offsets."""
        times = []
        moment = datetime.combine(date.min, time(0))
        while moment.date() == date.min:
            if self._in_window(moment.time(), step):
                times.append(moment.time())
            moment += step
        # Each time of day's text and its distance from midnight, once: a day's buckets are
        # then sums and joined texts (a year in 30-minute buckets has 7,300 of them).
        of_day = [
            (t, t.strftime("%H:%M"), timedelta(hours=t.hour, minutes=t.minute)) for t in times
        ]
        result: list[Bucket] = []
        tz = self.tz
        day = self.first
        while day <= self.last:
            midnight = datetime.combine(day, time(0))
            offset = midnight.replace(tzinfo=tz).utcoffset()
            if offset is not None and offset == datetime.combine(day, time(23, 59), tz).utcoffset():
                suffix = midnight.replace(tzinfo=tz).isoformat()[19:]  # "+01:00"
                text = day.isoformat()
                utc_midnight = midnight - offset
                result.extend(
                    Bucket(utc_midnight + since, f"{text} {hhmm}", f"{text}T{hhmm}:00{suffix}")
                    for _t, hhmm, since in of_day
                )
            else:
                for t, _hhmm, _since in of_day:
                    result.extend(self._changing(datetime.combine(day, t)))
            day += timedelta(days=1)
        return result

    def _changing(self, local: datetime) -> list[Bucket]:
        """The buckets starting at a local time of a day the clock changes: none if the
        clock skips it, two if it repeats it (earlier offset first), else one."""
        found: list[tuple[datetime, str]] = []
        for fold in (0, 1):
            aware = local.replace(tzinfo=self.tz, fold=fold)
            utc = aware.astimezone(UTC)
            if utc.astimezone(self.tz).replace(tzinfo=None) != local:
                continue  # skipped by the spring change
            if found and found[-1][0] == utc:
                continue
            found.append((utc, aware.isoformat()))
        label = local.strftime("%Y-%m-%d %H:%M")
        return [
            Bucket(
                utc.replace(tzinfo=None), f"{label} {iso[19:]}" if len(found) > 1 else label, iso
            )
            for utc, iso in found
        ]

    def _iso(self, local: datetime) -> str | None:
        """The local start with its offset; None for a time the clock skipped (spring)."""
        aware = local.replace(tzinfo=self.tz)
        if aware.astimezone(UTC).astimezone(self.tz).replace(tzinfo=None) != local:
            return None
        return aware.isoformat()

    def buckets(self) -> "tuple[Bucket, ...]":
        """Every bucket of the range and window, in order, zeros included (made once per
        period: the same for every report and page of it)."""
        return _buckets(self)

    def bucket_places(self) -> dict[object, int]:
        """Each bucket's place in buckets(), by its key."""
        return _places(self)

    def _buckets(self) -> list[Bucket]:
        if self.group in _STEP:
            return self._time_buckets(_STEP[self.group])
        if self.group == "hourofday":
            return [
                Bucket(h, f"{h:02d}:00", None)
                for h in range(24)
                if self._in_window(time(h), timedelta(hours=1))
            ]
        if self.group == "weekday":
            return [Bucket(d, WEEKDAYS_SV[d - 1], None) for d in range(1, 8)]
        starts: list[date] = []
        day = self.first
        while day <= self.last:
            key = {
                "day": day,
                "week": day - timedelta(days=day.weekday()),
                "month": day.replace(day=1),
                "year": day.replace(month=1, day=1),
            }[self.group]
            if not starts or starts[-1] != key:
                starts.append(key)
            day += timedelta(days=1)
        labels = {"day": "%Y-%m-%d", "week": "%G-W%V", "month": "%Y-%m", "year": "%Y"}
        return [
            Bucket(d, d.strftime(labels[self.group]), self._iso(datetime.combine(d, time(0))))
            for d in starts
        ]


@functools.lru_cache(maxsize=32)
def _buckets(period: Period) -> tuple[Bucket, ...]:
    return tuple(period._buckets())  # noqa: SLF001


@functools.lru_cache(maxsize=32)
def _places(period: Period) -> dict[object, int]:
    return {bucket.key: i for i, bucket in enumerate(period.buckets())}

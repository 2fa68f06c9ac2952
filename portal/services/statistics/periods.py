"""Report periods: which days a report covers, the period it is compared with, and how its days
are grouped into the rows and bars of the time-based reports.

Days are calendar days in the company's time zone (PORTAL_TIMEZONE). A period's moments are
[day_start(start), day_start(end + 1 day)): midnight to midnight where the company is, turned
into UTC instants by `clock.day_start`, so a sale at 23:59 local time belongs to that day and one
at 00:01 to the next, whatever the zone's offset or its daylight-saving changes.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l

from portal.clock import day_start
from portal.errors import ValidationError
from portal.services.statistics.report import Period

MAX_YEARS = 3
FIRST_YEAR, LAST_YEAR = 1900, 2999


class PeriodKind(str, enum.Enum):
    DAY = "day"
    WEEK = "week"        # Monday to Sunday
    MONTH = "month"
    QUARTER = "quarter"
    CUSTOM = "custom"


class Grouping(str, enum.Enum):
    """How a time-based report splits its period: one row (and bar) per day, week or month."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


# A period of up to this many days is shown by day, then by week; longer ones by month.
DAYS_BY_DAY = 31
DAYS_BY_WEEK = 185


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), clipped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, _month_length(year, month + 1)))


def _month_length(year: int, month: int) -> int:
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return (first_of_next - timedelta(days=1)).day


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=_month_length(day.year, day.month))


def _in_range(day: date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR


def period_for(kind: str | PeriodKind, anchor: date | None = None, start: date | None = None,
               end: date | None = None) -> Period:
    """The period of `kind` that contains `anchor` (a day, its Monday-to-Sunday week, its calendar
    month or quarter), or for `custom` the days from `start` to `end`, both included.

    Raises ValidationError with the wrong fields (`period`, `anchor`, `start`, `end`).
    """
    try:
        kind = PeriodKind(getattr(kind, "value", kind))
    except ValueError:
        raise ValidationError({"period": _l("Choose a period: day, week, month, quarter or your own dates.")}) from None
    if kind is PeriodKind.CUSTOM:
        return _custom(start, end)
    if anchor is None:
        raise ValidationError({"anchor": _l("Choose a day in the period.")})
    if not _in_range(anchor):
        raise ValidationError({"anchor": _l("Choose a day between the years %(first)d and %(last)d.",
                                            first=FIRST_YEAR, last=LAST_YEAR)})
    if kind is PeriodKind.DAY:
        return Period(anchor, anchor)
    if kind is PeriodKind.WEEK:
        monday = anchor - timedelta(days=anchor.weekday())
        return Period(monday, monday + timedelta(days=6))
    if kind is PeriodKind.MONTH:
        return Period(month_start(anchor), month_end(anchor))
    first = date(anchor.year, (anchor.month - 1) // 3 * 3 + 1, 1)
    return Period(first, month_end(add_months(first, 2)))


def _custom(start: date | None, end: date | None) -> Period:
    errors = {}
    if start is None:
        errors["start"] = _l("Enter the first day of the period.")
    elif not _in_range(start):
        errors["start"] = _l("Choose a day between the years %(first)d and %(last)d.", first=FIRST_YEAR,
                             last=LAST_YEAR)
    if end is None:
        errors["end"] = _l("Enter the last day of the period.")
    elif not _in_range(end):
        errors["end"] = _l("Choose a day between the years %(first)d and %(last)d.", first=FIRST_YEAR,
                           last=LAST_YEAR)
    if not errors:
        if end < start:
            errors["end"] = _l("The last day is before the first day.")
        elif end >= add_months(start, 12 * MAX_YEARS):
            errors["end"] = _l("A period can be at most %(years)d years long.", years=MAX_YEARS)
    if errors:
        raise ValidationError(errors)
    return Period(start, end)


def is_whole_months(period: Period) -> bool:
    return period.start.day == 1 and period.end == month_end(period.end)


def months_in(period: Period) -> int:
    """How many calendar months a whole-months period spans."""
    return (period.end.year - period.start.year) * 12 + period.end.month - period.start.month + 1


def previous(period: Period) -> Period:
    """The period a report is compared with.

    A period of whole calendar months (a month, a quarter, a year, or custom dates that happen to
    be such) is compared with as many calendar months right before it: March with February,
    Q2 with Q1. Any other period with the same number of days right before it: a week with the
    week before, 10–24 March with 24 February–9 March.
    """
    if is_whole_months(period):
        start = add_months(period.start, -months_in(period))
        return Period(start, period.start - timedelta(days=1))
    return Period(period.start - timedelta(days=period.days), period.start - timedelta(days=1))


def next_period(period: Period) -> Period:
    """The period after this one, the mirror of `previous` (for the page's arrows)."""
    if is_whole_months(period):
        start = period.end + timedelta(days=1)
        return Period(start, month_end(add_months(start, months_in(period) - 1)))
    return Period(period.end + timedelta(days=1), period.end + timedelta(days=period.days))


def grouping_for(period: Period) -> Grouping:
    """Day for up to 31 days, week for up to 185, month beyond."""
    if period.days <= DAYS_BY_DAY:
        return Grouping.DAY
    if period.days <= DAYS_BY_WEEK:
        return Grouping.WEEK
    return Grouping.MONTH


@dataclass(frozen=True)
class Bucket:
    """One row of a time-based report: the days from `first` to `last`, both included."""

    first: date
    last: date


def buckets(period: Period, grouping: Grouping) -> list[Bucket]:
    """The period cut into calendar days, Monday-to-Sunday weeks or calendar months; the first and
    last week or month are clipped to the period."""
    result, day = [], period.start
    while day <= period.end:
        if grouping is Grouping.DAY:
            last = day
        elif grouping is Grouping.WEEK:
            last = day + timedelta(days=6 - day.weekday())
        else:
            last = month_end(day)
        last = min(last, period.end)
        result.append(Bucket(day, last))
        day = last + timedelta(days=1)
    return result


@dataclass(frozen=True)
class Span:
    """A period as UTC instants: `start` included, `end` excluded, and `bounds` — the instant each
    bucket starts at, plus `end` — for counting rows into buckets in SQL."""

    start: datetime
    end: datetime
    buckets: tuple[Bucket, ...]
    bounds: tuple[datetime, ...]


def span_of(period: Period, grouping: Grouping | None = None) -> Span:
    """The UTC instants of `period` and of its buckets' local midnights.

    Bucket boundaries are computed here, one local midnight at a time, rather than by date
    arithmetic in SQL: PostgreSQL's `date_trunc(... AT TIME ZONE ...)` has no SQLite twin, and a
    fixed offset would put the hour around a daylight-saving change (Europe/Kyiv) in the wrong day.
    """
    grouping = grouping or grouping_for(period)
    parts = tuple(buckets(period, grouping))
    bounds = tuple(day_start(b.first) for b in parts) + (day_start(period.end + timedelta(days=1)),)
    return Span(bounds[0], bounds[-1], parts, bounds)

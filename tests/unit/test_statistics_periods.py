"""Report periods (services/statistics/periods.py): kinds, checks, the previous period, grouping into
days/weeks/months, and the UTC instants of local midnights — also across a daylight-saving change."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask

from portal.errors import ValidationError
from portal.services.statistics.common import divide, rate_bp
from portal.services.statistics.periods import (
    Bucket,
    Grouping,
    Period,
    add_months,
    buckets,
    grouping_for,
    next_period,
    period_for,
    previous,
    span_of,
)

UTC = UTC


@pytest.fixture
def zone():
    """An application context whose company time zone the test chooses."""
    app = Flask(__name__)

    def use(name: str):
        app.config["BABEL_DEFAULT_TIMEZONE"] = name
        return app.app_context()
    return use


# --- period_for ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, anchor, expected", [
    ("day", date(2026, 3, 15), (date(2026, 3, 15), date(2026, 3, 15))),
    ("week", date(2026, 3, 15), (date(2026, 3, 9), date(2026, 3, 15))),      # a Sunday: its Monday-to-Sunday week
    ("week", date(2026, 3, 16), (date(2026, 3, 16), date(2026, 3, 22))),     # a Monday starts its week
    ("week", date(2026, 1, 1), (date(2025, 12, 29), date(2026, 1, 4))),      # across a new year
    ("month", date(2026, 3, 15), (date(2026, 3, 1), date(2026, 3, 31))),
    ("month", date(2024, 2, 10), (date(2024, 2, 1), date(2024, 2, 29))),     # a leap February
    ("quarter", date(2026, 2, 14), (date(2026, 1, 1), date(2026, 3, 31))),
    ("quarter", date(2026, 6, 30), (date(2026, 4, 1), date(2026, 6, 30))),
    ("quarter", date(2026, 11, 1), (date(2026, 10, 1), date(2026, 12, 31))),
])
def test_period_for_each_kind(kind, anchor, expected):
    period = period_for(kind, anchor)
    assert (period.start, period.end) == expected


def test_a_custom_period_is_its_two_days():
    assert period_for("custom", None, date(2026, 3, 10), date(2026, 3, 24)) == Period(date(2026, 3, 10),
                                                                                       date(2026, 3, 24))
    assert period_for("custom", None, date(2026, 3, 10), date(2026, 3, 10)).days == 1
    # Exactly three years is allowed; a day more is not.
    assert period_for("custom", None, date(2023, 1, 1), date(2025, 12, 31)).days == 1096
    with pytest.raises(ValidationError) as refused:
        period_for("custom", None, date(2023, 1, 1), date(2026, 1, 1))
    assert set(refused.value.fields) == {"end"}


@pytest.mark.parametrize("kind, anchor, start, end, wrong", [
    ("custom", None, date(2026, 3, 24), date(2026, 3, 10), {"end"}),        # ends before it starts
    ("custom", None, None, date(2026, 3, 10), {"start"}),
    ("custom", None, date(2026, 3, 10), None, {"end"}),
    ("custom", None, None, None, {"start", "end"}),
    ("custom", None, date(1800, 1, 1), date(2026, 1, 1), {"start"}),
    ("year", date(2026, 3, 1), None, None, {"period"}),                     # not a kind
    ("", date(2026, 3, 1), None, None, {"period"}),
    ("month", None, None, None, {"anchor"}),
    ("month", date(3000, 1, 1), None, None, {"anchor"}),
])
def test_wrong_periods_are_refused_with_the_field(kind, anchor, start, end, wrong):
    with pytest.raises(ValidationError) as refused:
        period_for(kind, anchor, start, end)
    assert set(refused.value.fields) == wrong


# --- previous and next ---------------------------------------------------------------------------

@pytest.mark.parametrize("period, expected", [
    # A calendar month with the calendar month before, whatever their lengths.
    (Period(date(2026, 3, 1), date(2026, 3, 31)), Period(date(2026, 2, 1), date(2026, 2, 28))),
    (Period(date(2026, 1, 1), date(2026, 1, 31)), Period(date(2025, 12, 1), date(2025, 12, 31))),
    # A quarter with the quarter before.
    (Period(date(2026, 1, 1), date(2026, 3, 31)), Period(date(2025, 10, 1), date(2025, 12, 31))),
    (Period(date(2026, 4, 1), date(2026, 6, 30)), Period(date(2026, 1, 1), date(2026, 3, 31))),
    # Whole months chosen by hand, and a year.
    (Period(date(2026, 1, 1), date(2026, 2, 28)), Period(date(2025, 11, 1), date(2025, 12, 31))),
    (Period(date(2025, 1, 1), date(2025, 12, 31)), Period(date(2024, 1, 1), date(2024, 12, 31))),
    # Anything else: the same number of days right before.
    (Period(date(2026, 3, 9), date(2026, 3, 15)), Period(date(2026, 3, 2), date(2026, 3, 8))),
    (Period(date(2026, 3, 1), date(2026, 3, 1)), Period(date(2026, 2, 28), date(2026, 2, 28))),
    (Period(date(2026, 3, 10), date(2026, 3, 24)), Period(date(2026, 2, 23), date(2026, 3, 9))),
    (Period(date(2026, 3, 2), date(2026, 3, 31)), Period(date(2026, 1, 31), date(2026, 3, 1))),
])
def test_previous_period(period, expected):
    assert previous(period) == expected
    assert next_period(expected) == period


# --- grouping and buckets ------------------------------------------------------------------------

@pytest.mark.parametrize("days, grouping", [(1, Grouping.DAY), (31, Grouping.DAY), (32, Grouping.WEEK),
                                            (185, Grouping.WEEK), (186, Grouping.MONTH), (1096, Grouping.MONTH)])
def test_grouping_by_length(days, grouping):
    start = date(2024, 1, 1)
    period = Period(start, date.fromordinal(start.toordinal() + days - 1))
    assert period.days == days
    assert grouping_for(period) is grouping


def test_weeks_and_months_are_calendar_ones_clipped_to_the_period():
    period = Period(date(2026, 2, 26), date(2026, 3, 18))  # a Thursday to a Wednesday
    assert buckets(period, Grouping.WEEK) == [
        Bucket(date(2026, 2, 26), date(2026, 3, 1)), Bucket(date(2026, 3, 2), date(2026, 3, 8)),
        Bucket(date(2026, 3, 9), date(2026, 3, 15)), Bucket(date(2026, 3, 16), date(2026, 3, 18))]
    assert buckets(period, Grouping.MONTH) == [Bucket(date(2026, 2, 26), date(2026, 2, 28)),
                                               Bucket(date(2026, 3, 1), date(2026, 3, 18))]
    assert len(buckets(period, Grouping.DAY)) == period.days == 21


def test_add_months_clips_to_the_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)
    assert add_months(date(2026, 1, 15), -13) == date(2024, 12, 15)


# --- the instants of local midnights -------------------------------------------------------------

def test_span_in_moscow(zone):
    with zone("Europe/Moscow"):
        span = span_of(Period(date(2026, 3, 1), date(2026, 3, 31)))
    assert span.start == datetime(2026, 2, 28, 21, tzinfo=UTC)
    assert span.end == datetime(2026, 3, 31, 21, tzinfo=UTC)
    assert len(span.bounds) == 32 and span.bounds[1] == datetime(2026, 3, 1, 21, tzinfo=UTC)


def test_span_in_kyiv_follows_the_daylight_saving_change(zone):
    """Kyiv is UTC+2 until 03:00 on 29 March 2026, then UTC+3: that day is 23 hours long."""
    with zone("Europe/Kyiv"):
        span = span_of(Period(date(2026, 3, 28), date(2026, 3, 30)))
    assert [b.astimezone(UTC) for b in span.bounds] == [
        datetime(2026, 3, 27, 22, tzinfo=UTC), datetime(2026, 3, 28, 22, tzinfo=UTC),
        datetime(2026, 3, 29, 21, tzinfo=UTC), datetime(2026, 3, 30, 21, tzinfo=UTC)]
    with zone("Europe/Kyiv"):
        by_week = span_of(Period(date(2026, 3, 1), date(2026, 4, 30)))
    assert by_week.buckets[0] == Bucket(date(2026, 3, 1), date(2026, 3, 1))
    assert by_week.bounds[0].astimezone(UTC) == datetime(2026, 2, 28, 22, tzinfo=UTC)
    assert by_week.end.astimezone(UTC) == datetime(2026, 4, 30, 21, tzinfo=UTC)


# --- rounding of the figures ---------------------------------------------------------------------

@pytest.mark.parametrize("numerator, denominator, expected", [
    (5_199_96, 4, 1_299_99), (10, 4, 3), (9, 4, 2), (-10, 4, -3), (1, 3, 0), (2, 3, 1), (7, 0, 0)])
def test_divide_is_half_up(numerator, denominator, expected):
    assert divide(numerator, denominator) == expected


def test_rates_in_basis_points():
    assert rate_bp(1, 3) == 3_333
    assert rate_bp(2, 3) == 6_667
    assert rate_bp(3_999_98, 4_199_96) == 9_524
    assert rate_bp(5, 0) == 0

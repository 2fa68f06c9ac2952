"""The company's local time: moments are stored in UTC, days are counted in PORTAL_TIMEZONE."""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app

from portal.models.types import utcnow


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_date(moment: datetime | None = None) -> date:
    """The calendar day a moment (by default now) falls on where the company is: a sale at
    01:30 Moscow time is that day's."""
    return (moment or utcnow()).astimezone(local_zone()).date()


def day_start(day: date) -> datetime:
    """Midnight at the start of `day` in the company's time zone, as an aware moment."""
    return datetime.combine(day, time.min).replace(tzinfo=local_zone())

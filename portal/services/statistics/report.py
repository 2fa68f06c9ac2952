"""What a statistics report is, as plain values: the same object is drawn as a page, a chart,
a CSV and a PDF (SPEC §7). Reports are computed in SQL by the modules of this package."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date


class ValueKind(str, enum.Enum):
    TEXT = "text"
    INT = "int"          # a count
    MONEY = "money"      # minor units (int)
    PERCENT = "percent"  # basis points (int): 1234 is 12.34 %
    DATE = "date"        # datetime.date
    DAYS = "days"        # a whole number of days


@dataclass(frozen=True)
class Column:
    key: str
    label: str           # already translated
    kind: ValueKind = ValueKind.TEXT


@dataclass(frozen=True)
class Series:
    name: str            # already translated
    values: tuple[int, ...]  # one per chart label; money in minor units, counts as counts


class ChartKind(str, enum.Enum):
    BARS = "bars"        # vertical bars, one group per label (a series per period when compared)
    HBARS = "hbars"      # horizontal bars, for long labels (managers, clients, SKUs)
    LINE = "line"        # a line per series over time
    FUNNEL = "funnel"    # decreasing stages (conversion)


@dataclass(frozen=True)
class Chart:
    kind: ChartKind
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    unit: ValueKind = ValueKind.MONEY   # MONEY or INT


@dataclass(frozen=True)
class Period:
    start: date          # first day, inclusive, in the company's time zone
    end: date            # last day, inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Report:
    key: str             # e.g. "sales_by_manager"
    title: str           # already translated
    period: Period
    columns: tuple[Column, ...]
    rows: tuple[dict, ...]             # column key -> value; may also hold "drill": {order-list query params}
    totals: dict = field(default_factory=dict)           # column key -> value for a totals row
    previous: Period | None = None                       # the period compared with, if any
    previous_totals: dict | None = None                  # the same keys as totals, for `previous`
    chart: Chart | None = None
    note: str = ""       # already translated; e.g. what the figures include

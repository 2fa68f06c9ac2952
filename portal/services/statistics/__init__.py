"""The supervisor's statistics (SPEC §7): eight reports, each computed in SQL over the team's data.

Every report is a function `(viewer, period, compare) -> Report` (see `report.py`): `viewer` is the
supervisor (their team's figures only), `period` the days it covers (`periods.period_for`),
`compare` whether to add the previous period (`periods.previous`). The page, the chart, the CSV
and the PDF are all drawn from the Report it returns.

The rules — what a sale is, when a return counts, whose figure an order is — are in `common`;
each report module's docstring says what its figures mean exactly.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.services.statistics.bonus import bonus_programme
from portal.services.statistics.clients import client_debt, new_clients
from portal.services.statistics.conversion import conversion
from portal.services.statistics.goods import goods_sold
from portal.services.statistics.report import Report
from portal.services.statistics.sales import sales_by_client, sales_by_manager, sales_by_period

ReportFunction = Callable[..., Report]


def _tuned(report: ReportFunction) -> ReportFunction:
    """Run a report with settings for a few big aggregations (PostgreSQL, this transaction only):
    sorts and hashes in memory rather than on disk, and no JIT compilation, which costs more than
    it saves on statements of a few hundred milliseconds."""
    @functools.wraps(report)
    def run(*args, **kwargs) -> Report:
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(db.text("SET LOCAL work_mem = '64MB'"))
            db.session.execute(db.text("SET LOCAL jit = off"))
        return report(*args, **kwargs)
    return run


REPORTS: dict[str, ReportFunction] = {key: _tuned(function) for key, function in {
    "sales_by_manager": sales_by_manager,
    "new_clients": new_clients,
    "sales_by_period": sales_by_period,
    "sales_by_client": sales_by_client,
    "conversion": conversion,
    "goods_sold": goods_sold,
    "client_debt": client_debt,
    "bonus_programme": bonus_programme,
}.items()}


@dataclass(frozen=True)
class ReportInfo:
    """What the list of reports shows about one before it is computed."""

    key: str
    title: object        # lazy translation
    description: object  # lazy translation
    snapshot: bool = False  # figures of today, whatever the period (no comparison)


CATALOGUE: tuple[ReportInfo, ...] = (
    ReportInfo("sales_by_manager", _l("Sales per manager"),
               _l("Orders paid, net sales, average order and confirmed orders of each member of the team.")),
    ReportInfo("new_clients", _l("New clients"),
               _l("Clients of the team created per day, week or month, by kind.")),
    ReportInfo("sales_by_period", _l("Sales per period"),
               _l("Sales, returns and net sales per day, week or month, against the previous period.")),
    ReportInfo("sales_by_client", _l("Sales per client"),
               _l("The clients who bought the most, with their share of the team's sales.")),
    ReportInfo("conversion", _l("Conversion of orders"),
               _l("Managers' orders created, confirmed and paid: the funnel and its rates.")),
    ReportInfo("goods_sold", _l("Goods sold"),
               _l("Quantities and net sales by SKU, and by catalogue section in the chart.")),
    ReportInfo("client_debt", _l("Client debt"),
               _l("Who owes what today, how much of it is overdue and for how many days."), snapshot=True),
    ReportInfo("bonus_programme", _l("Bonus programme"),
               _l("Bonus accrued, released, redeemed, expired and adjusted, and the outstanding liability.")),
)

__all__ = ["REPORTS", "CATALOGUE", "ReportInfo", "Report"]

"""Daily sums kept beside the data for the supervisor's statistics (SPEC §7).

A year's report on a million orders cannot read the 4 million lines or the 8 million ledger entries
and still answer within a second, so the writers of those rows also add them, in the same
transaction, to these sums by local day (the company's time zone) and by whose figure they are.
They hold nothing that the orders, returns and ledger do not: `flask statistics verify` recomputes
them from those rows and `flask statistics rebuild` makes them again.

Whose figure: `created_by_id` (who placed the order; 0 for nobody) and `manager_id` (the client's
responsible manager now; 0 for none). A reassignment moves a client's sums to the new manager.
No foreign keys: 0 stands for "nobody", and the rows are derived data.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

MONEY = sa.BigInteger


class SalesDay(db.Model):
    """Paid orders and returns of one client on one local day, by who placed the order."""

    __tablename__ = "stat_sales_days"
    __table_args__ = (sa.Index("ix_stat_sales_days_client", "client_id"),)

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    client_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    created_by_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    manager_id: Mapped[int] = mapped_column(default=0)
    orders: Mapped[int] = mapped_column(default=0)          # sales: orders paid that day
    sales: Mapped[int] = mapped_column(MONEY, default=0)    # their totals after discounts
    returned: Mapped[int] = mapped_column(MONEY, default=0)  # value of the goods returned that day


class _GoodsSums:
    product_id: Mapped[int] = mapped_column(autoincrement=False)
    created_by_id: Mapped[int] = mapped_column(autoincrement=False)
    manager_id: Mapped[int] = mapped_column(autoincrement=False)
    sold: Mapped[int] = mapped_column(MONEY, default=0)      # units
    returned: Mapped[int] = mapped_column(MONEY, default=0)  # units
    sales: Mapped[int] = mapped_column(MONEY, default=0)     # amount after discounts
    returns: Mapped[int] = mapped_column(MONEY, default=0)   # value taken back


class GoodsDay(_GoodsSums, db.Model):
    """Units and amounts of one product sold and returned on one local day."""

    __tablename__ = "stat_goods_days"
    __table_args__ = (sa.PrimaryKeyConstraint("day", "product_id", "created_by_id", "manager_id"),)
    day: Mapped[date] = mapped_column(sa.Date)


class GoodsMonth(_GoodsSums, db.Model):
    """The same by calendar month (`month` is its first day): a year is read in twelve rows a product."""

    __tablename__ = "stat_goods_months"
    __table_args__ = (sa.PrimaryKeyConstraint("month", "product_id", "created_by_id", "manager_id"),)
    month: Mapped[date] = mapped_column(sa.Date)


class BonusDay(db.Model):
    """Movements of the bonus of one manager's clients on one local day (SPEC §7 8), signed as the
    report shows them: accrued net of reversals, redeemed net of restorations."""

    __tablename__ = "stat_bonus_days"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    manager_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    accrued: Mapped[int] = mapped_column(MONEY, default=0)
    released: Mapped[int] = mapped_column(MONEY, default=0)
    redeemed: Mapped[int] = mapped_column(MONEY, default=0)
    expired: Mapped[int] = mapped_column(MONEY, default=0)
    adjusted: Mapped[int] = mapped_column(MONEY, default=0)

"""What every report shares: whose data the viewer sees, time buckets in SQL, the sales facts, and
small arithmetic on the aggregated figures.

Scope (SPEC §4: a supervisor sees the whole team):
- orders: exactly those of the order list (`order_list.visible_orders_condition`): placed by the
  supervisor or a member of the team (former members included), or for a client one of them is
  responsible for. An anonymous till sale, or a web order of a client nobody in the team looks
  after, is no team's sale;
- clients and their bonus: those whose responsible manager is the supervisor or a team member
  (unassigned clients belong to no team, so no team counts them).

Sales (SPEC §7 1, 3, 4, 6):
- a *sale* is an order that has been paid (it has `paid_at`, whatever became of it later: paid,
  completed, partly or wholly returned); it counts on the day it was paid;
- its *amount* is its total after discounts (`subtotal - discount`), bonus spent on it included:
  bonus is a means of payment, the goods were sold for that much;
- a *return* counts on the day it was made, against that period's sales, even when the order was
  paid in an earlier period: a period's net sales are what stayed sold in it. Its amount is the
  value of the goods taken back — the money refunded before any amount withheld for spent bonus,
  plus the bonus given back (`refund_total + withheld + bonus_restored`, the sum of the return's
  lines) — so an order returned in full nets to exactly zero.

Where the figures come from: the sales, goods and bonus reports read the daily sums the writers
keep beside the data (`portal/daily_sums.py`, tables `stat_*`), by local day and by whose figure
each sum is, so a year's report reads a few hundred thousand small rows instead of millions of
lines and ledger entries. They hold exactly what the orders, returns and ledger say (`flask
statistics verify`); the tests check every report against hand-written SQL over the raw rows.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from flask_babel import format_date

from portal.extensions import db
from portal.models import Client, Order, Return, SalesDay, User
from portal.services.orders.order_list import visible_staff_ids
from portal.services.statistics.periods import Grouping, Span

RETURN_VALUE = Return.refund_total + Return.withheld + Return.bonus_restored  # = the sum of its lines'


def staff_ids(viewer: User) -> list[int]:
    """The staff whose clients' figures `viewer` sees: a supervisor and the team (former members
    too), a manager themself; nobody for anyone else. The same people as the order list's."""
    return visible_staff_ids(viewer)


def team_clients_condition(viewer: User):
    """A SQL condition on Client: a client of the viewer's team."""
    ids = staff_ids(viewer)
    return Client.manager_id.in_(ids) if ids else db.false()


def responsible_person(viewer: User):
    """Whose figure an order is: the team member who placed it, else (a web or till order, or one a
    colleague from elsewhere made) the client's responsible manager. One of the two is always in
    the team for an order the viewer sees."""
    ids = staff_ids(viewer)
    return db.case((Order.created_by_id.in_(ids), Order.created_by_id), else_=Client.manager_id)


def bucket_of(column, span: Span):
    """The index of the bucket of `span` a moment falls in, as a SQL CASE over the buckets' UTC
    boundaries (rows are already limited to the span). Portable and exact across DST changes."""
    inner = span.bounds[1:-1]
    if not inner:
        return db.literal_column("0")
    return db.case(*[(column < bound, index) for index, bound in enumerate(inner)], else_=len(inner))


def in_span(column, span: Span) -> tuple:
    return column >= span.start, column < span.end


def day_bucket_of(column, span: Span):
    """The index of the bucket of `span` a local day (a Date column of the daily sums) falls in;
    rows are already limited to the span."""
    later = span.buckets[1:]
    if not later:
        return db.literal_column("0")
    return db.case(*[(column < bucket.first, index) for index, bucket in enumerate(later)], else_=len(later))


def team_sums_condition(viewer: User, sums_table):
    """A SQL condition on a daily-sums table (SalesDay, GoodsDay, GoodsMonth): the rows of orders
    the viewer sees (`visible_orders_condition`: placed by the team, or for a client of the team)."""
    ids = staff_ids(viewer)
    if not ids:
        return db.false()
    return db.or_(sums_table.created_by_id.in_(ids), sums_table.manager_id.in_(ids))


def person_of(viewer: User, sums_table):
    """`responsible_person` on a daily-sums table."""
    ids = staff_ids(viewer)
    return db.case((sums_table.created_by_id.in_(ids), sums_table.created_by_id), else_=sums_table.manager_id)


def in_days(column, period) -> tuple:
    return column >= period.start, column <= period.end


def sales_sums(viewer: User, period, key) -> list[tuple]:
    """(key, sales count, their amount, returns' value) per value of `key` (a SQL expression on
    SalesDay) over the team's daily sales sums of `period`'s days."""
    inner = (db.select(key.label("key"), SalesDay.orders, SalesDay.sales, SalesDay.returned)
             .where(team_sums_condition(viewer, SalesDay), *in_days(SalesDay.day, period))).subquery()
    return [(k, int(n or 0), int(s or 0), int(r or 0)) for k, n, s, r in db.session.execute(
        db.select(inner.c.key, db.func.sum(inner.c.orders), db.func.sum(inner.c.sales), db.func.sum(inner.c.returned))
        .group_by(inner.c.key)).all()]


# --- arithmetic on figures already aggregated ----------------------------------------------------

def divide(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half-up (away from zero on ties), 0 when dividing by 0."""
    if not denominator:
        return 0
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    quotient, remainder = divmod(abs(numerator), abs(denominator))
    if remainder * 2 >= abs(denominator):
        quotient += 1
    return sign * quotient


def rate_bp(part: int, whole: int) -> int:
    """part / whole in basis points (1234 is 12.34 %), rounded half-up; 0 when whole is 0."""
    return divide(part * 10_000, whole)


def staff_names(ids: Sequence[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(list(ids))))}


def drill_dates(start: date, end: date) -> dict:
    """The order list's date filter (days in the company's time zone, both included)."""
    return {"date_from": start.isoformat(), "date_to": end.isoformat()}


def bucket_label(first: date, last: date, grouping: Grouping) -> str:
    """A short label for a chart: 3 Mar / 2–8 Mar / Mar 2026, in the reader's language."""
    if grouping is Grouping.DAY:
        return format_date(first, "d MMM")
    if grouping is Grouping.MONTH:
        return format_date(first, "LLL yyyy")
    if first.month == last.month:
        return f"{first.day}–{format_date(last, 'd MMM')}"
    return f"{format_date(first, 'd MMM')} – {format_date(last, 'd MMM')}"



def period_label(first: date, last: date) -> str:
    """A period in words for titles and series: 1 Mar 2026 – 31 Mar 2026, or one day."""
    if first == last:
        return format_date(first, "medium")
    return f"{format_date(first, 'medium')} – {format_date(last, 'medium')}"

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
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from ...extensions import db
from ...models import Client, Order, Return, Role, User
from .. import team
from ..order_list import ORDER_TOTAL, visible_orders_condition
from .periods import Grouping, Span

RETURN_VALUE = Return.refund_total + Return.withheld + Return.bonus_restored


def staff_ids(viewer: User) -> list[int]:
    """The staff whose clients' figures `viewer` sees: a supervisor and the team (former members
    too), a manager themself; nobody for anyone else. The same people as the order list's."""
    if viewer is None or not getattr(viewer, "active", False):
        return []
    if viewer.role is Role.SUPERVISOR:
        return [viewer.id] + [m.id for m in team.team_members(viewer, include_inactive=True)]
    if viewer.role is Role.MANAGER:
        return [viewer.id]
    return []


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


def sales_facts(viewer: User, span: Span, keys: Callable[[object], list]):
    """A subquery of the team's sales and returns in `span`, one row per paid order or return,
    with the columns `keys(moment_column)` (labelled SQL expressions on Order, Client and the
    moment) and `orders` (1 for a sale), `sales` (its amount), `returned` (a return's value).

    Aggregate it with GROUP BY on the key columns of the subquery: grouping on the outer query's
    plain columns keeps PostgreSQL from comparing two renderings of an expression with parameters.
    """
    seen = visible_orders_condition(viewer)
    zero, one = db.literal_column("0"), db.literal_column("1")
    sold = (db.select(*keys(Order.paid_at), one.label("orders"), ORDER_TOTAL.label("sales"),
                      zero.label("returned"))
            .select_from(Order).outerjoin(Client, Client.id == Order.client_id)
            .where(seen, Order.paid_at.is_not(None), *in_span(Order.paid_at, span)))
    back = (db.select(*keys(Return.created_at), zero.label("orders"), zero.label("sales"),
                      RETURN_VALUE.label("returned"))
            .select_from(Return).join(Order, Order.id == Return.order_id)
            .outerjoin(Client, Client.id == Order.client_id)
            .where(seen, *in_span(Return.created_at, span)))
    return db.union_all(sold, back).subquery("facts")


def sums(facts) -> list:
    """count of sales, their amount, returns' value, as aggregate columns of a facts subquery."""
    return [db.func.coalesce(db.func.sum(facts.c.orders), 0), db.func.coalesce(db.func.sum(facts.c.sales), 0),
            db.func.coalesce(db.func.sum(facts.c.returned), 0)]


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
    from flask_babel import format_date
    if grouping is Grouping.DAY:
        return format_date(first, "d MMM")
    if grouping is Grouping.MONTH:
        return format_date(first, "LLL yyyy")
    if first.month == last.month:
        return f"{first.day}–{format_date(last, 'd MMM')}"
    return f"{format_date(first, 'd MMM')} – {format_date(last, 'd MMM')}"



def period_label(first: date, last: date) -> str:
    """A period in words for titles and series: 1 Mar 2026 – 31 Mar 2026, or one day."""
    from flask_babel import format_date
    if first == last:
        return format_date(first, "medium")
    return f"{format_date(first, 'medium')} – {format_date(last, 'medium')}"

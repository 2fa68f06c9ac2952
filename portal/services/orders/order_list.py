"""The manager's list of orders (SPEC §4): filters, sorting, pages, totals and the CSV export.

Everything is decided in SQL: who may see which order, the filters, the order of the rows, the
totals of the filtered set. Visibility means the same as `orders.can_open`: a manager sees the
orders of the clients they are responsible for and the orders they made; a supervisor sees those
of every member of the team (former members included) and their own.

Amounts are integers of minor units. An order's *total* is after discounts and before bonus
(`subtotal - discount`); *to pay* is the part of it paid in money (`paid`); *outstanding* is the
money still to come in (`paid - received`), nothing for a cancelled order.
"""
from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased, contains_eager, joinedload

from portal.clock import day_start, local_date
from portal.extensions import db
from portal.models import Channel, Client, Order, OrderStatus, PaymentTerms, Role, User
from portal.services.orders import debt
from portal.services.staff import team
from portal.text import squash

PER_PAGE = 25
MAX_PER_PAGE = 100
EXPORT_BATCH = 500

# `placed_by` values that are not a staff member: the client through the web shop, a shop's till.
PLACED_WEB = "web"
PLACED_TILL = "shop"


class OrderSort(str, enum.Enum):
    CREATED = "created"
    NUMBER = "number"
    TOTAL = "total"
    CLIENT = "client"


class Direction(str, enum.Enum):
    ASC = "asc"
    DESC = "desc"


DEFAULT_SORT = OrderSort.CREATED
DEFAULT_DIRECTION = Direction.DESC


@dataclass
class OrderListFilter:
    """What the list is narrowed to. Every field is optional (None or "" means any).

    Dates are calendar days in the company's time zone, both ends included. Amounts are minor
    units compared with the order's total after discounts, both ends included. `placed_by` is
    PLACED_WEB, PLACED_TILL or the id of the staff member who made the order.
    """

    date_from: date | None = None
    date_to: date | None = None
    number: str = ""
    client: str = ""
    amount_min: int | None = None
    amount_max: int | None = None
    status: OrderStatus | None = None
    channel: Channel | None = None
    placed_by: str | int | None = None


@dataclass(frozen=True)
class OrderTotals:
    count: int
    total: int  # after discounts, before bonus
    received: int
    outstanding: int


@dataclass(frozen=True)
class PlacedByChoice:
    value: str
    label: str


@dataclass(frozen=True)
class ExportRow:
    """One order as the CSV export writes it (plain values; amounts in minor units)."""

    id: int
    number: str
    external_id: str | None
    created_at: datetime
    channel: Channel
    status: OrderStatus
    client_name: str | None
    client_tax_id: str | None
    placed_by_name: str | None
    subtotal: int
    discount: int
    bonus: int
    to_pay: int
    received: int
    outstanding: int
    payment_terms: PaymentTerms | None
    due_date: date | None

    @property
    def total(self) -> int:
        return self.subtotal - self.discount


# --- amounts as SQL expressions ------------------------------------------------------------------

ORDER_TOTAL = Order.subtotal - Order.discount
OUTSTANDING = db.case((Order.status == OrderStatus.CANCELLED, 0), else_=Order.paid - Order.received)


def outstanding_of(order: Order) -> int:
    """The Python twin of OUTSTANDING, for a row already loaded."""
    return 0 if order.status is OrderStatus.CANCELLED else order.paid - order.received


# --- who sees which order ------------------------------------------------------------------------

def visible_staff_ids(viewer: User) -> list[int]:
    """The staff whose clients' and own orders `viewer` sees."""
    if viewer is None or not getattr(viewer, "active", False):
        return []
    return team.staff_seen_by(viewer)


def visible_orders_condition(viewer: User):
    """A SQL condition on Order (with Client outer-joined) keeping exactly what `can_open` allows."""
    ids = visible_staff_ids(viewer)
    if not ids:
        return db.false()
    return db.or_(Order.created_by_id.in_(ids), Client.manager_id.in_(ids))


# --- the filtered set ----------------------------------------------------------------------------

def _conditions(viewer: User, f: OrderListFilter) -> list:
    conditions = [visible_orders_condition(viewer)]
    if f.date_from is not None and f.date_from > date.min:  # (the first day has no UTC start to compare with)
        conditions.append(Order.created_at >= day_start(f.date_from))
    if f.date_to is not None and f.date_to < date.max:
        conditions.append(Order.created_at < day_start(f.date_to + timedelta(days=1)))
    number = (f.number or "").replace("\x00", "").strip()
    if number:
        conditions.append(db.or_(db.func.upper(Order.number).endswith(number.upper(), autoescape=True),
                                 db.func.lower(Order.external_id) == number.lower()))
    client = squash(f.client)
    if client:
        conditions.append(db.func.lower(Client.name).contains(client.lower(), autoescape=True))
    if f.amount_min is not None:
        conditions.append(f.amount_min <= ORDER_TOTAL)
    if f.amount_max is not None:
        conditions.append(f.amount_max >= ORDER_TOTAL)
    if f.status is not None:
        conditions.append(Order.status == OrderStatus(f.status))
    if f.channel is not None:
        conditions.append(Order.channel == Channel(f.channel))
    if f.placed_by == PLACED_WEB:
        conditions.append(Order.channel == Channel.WEB)
    elif f.placed_by == PLACED_TILL:
        conditions.append(Order.channel == Channel.SHOP)
    elif isinstance(f.placed_by, int) and not isinstance(f.placed_by, bool):
        conditions.append(Order.created_by_id == f.placed_by)
    return conditions


def _select(viewer: User, f: OrderListFilter, *columns):
    """SELECT `columns` FROM orders LEFT JOIN clients WHERE visible AND filtered."""
    return (db.select(*columns).select_from(Order).outerjoin(Client, Client.id == Order.client_id)
            .where(*_conditions(viewer, f)))


def _ordering(sort, direction) -> list:
    sort = parse_sort(sort)
    descending = parse_direction(direction) is Direction.DESC
    column = {
        OrderSort.CREATED: Order.created_at,
        OrderSort.NUMBER: Order.number,
        OrderSort.TOTAL: ORDER_TOTAL,
        OrderSort.CLIENT: db.func.lower(Client.name),
    }[sort]
    keys = []
    if sort is OrderSort.CLIENT:  # orders without a client (an anonymous till sale) come last either way
        keys.append(db.case((Client.id.is_(None), 1), else_=0))
    keys += [column.desc() if descending else column.asc(), Order.id.desc() if descending else Order.id.asc()]
    return keys


def _enum(cls, value, default):
    try:
        return cls(value) if value not in (None, "") else default
    except ValueError:
        return default


def parse_sort(value) -> OrderSort:
    """A sort key from its text; the default for anything unknown."""
    return _enum(OrderSort, value, DEFAULT_SORT)


def parse_direction(value) -> Direction:
    """"asc" or "desc"; the default for anything else."""
    return _enum(Direction, value, DEFAULT_DIRECTION)


def find_orders(viewer: User, f: OrderListFilter, sort: str | OrderSort = DEFAULT_SORT,
                direction: str | Direction = DEFAULT_DIRECTION, page: int = 1, per_page: int = PER_PAGE):
    """One page of the orders `viewer` may see that match `f` (a Flask-SQLAlchemy pagination of
    Order, each with its client and its author loaded). A page past the last gives the last."""
    per_page = min(max(int(per_page or PER_PAGE), 1), MAX_PER_PAGE)
    page = max(int(page or 1), 1)
    stmt = (_select(viewer, f, Order)
            .options(contains_eager(Order.client), joinedload(Order.created_by))
            .order_by(*_ordering(sort, direction)))
    result = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    if not result.items and page > 1 and result.pages:
        result = db.paginate(stmt, page=result.pages, per_page=per_page, error_out=False)
    return result


def order_totals(viewer: User, f: OrderListFilter) -> OrderTotals:
    """Count and sums over the whole filtered set (every page), in one SQL query."""
    count, total, received, outstanding = db.session.execute(_select(
        viewer, f, db.func.count(Order.id), db.func.coalesce(db.func.sum(ORDER_TOTAL), 0),
        db.func.coalesce(db.func.sum(Order.received), 0), db.func.coalesce(db.func.sum(OUTSTANDING), 0))).one()
    return OrderTotals(int(count), int(total), int(received), int(outstanding))


def orders_for_export(viewer: User, f: OrderListFilter, sort: str | OrderSort = DEFAULT_SORT,
                      direction: str | Direction = DEFAULT_DIRECTION) -> Iterator[ExportRow]:
    """Every order of the filtered set in the list's order, read from the database in batches
    of EXPORT_BATCH rows (a server-side cursor on PostgreSQL), so memory stays flat."""
    author = aliased(User)
    stmt = (_select(viewer, f, Order.id, Order.number, Order.external_id, Order.created_at, Order.channel,
                    Order.status, Client.name, Client.tax_id, author.name, Order.subtotal, Order.discount,
                    Order.bonus_redeemed, Order.paid, Order.received, OUTSTANDING, Order.payment_terms,
                    Order.due_date)
            .outerjoin(author, author.id == Order.created_by_id)
            .order_by(*_ordering(sort, direction))
            .execution_options(yield_per=EXPORT_BATCH))
    for row in db.session.execute(stmt):
        yield ExportRow(*row[:14], int(row[14]), *row[15:])


# --- who placed it -------------------------------------------------------------------------------

def placed_by_choices(viewer: User) -> list[PlacedByChoice]:
    """The web shop, the till, and the staff whose orders `viewer` sees (themselves, and for a
    supervisor the team, former members marked)."""
    choices = [PlacedByChoice(PLACED_WEB, str(_l("Web shop"))), PlacedByChoice(PLACED_TILL, str(_l("Till")))]
    if viewer is None or viewer.role not in (Role.MANAGER, Role.SUPERVISOR):
        return choices
    choices.append(PlacedByChoice(str(viewer.id), viewer.name))
    if viewer.role is Role.SUPERVISOR:
        for member in team.team_members(viewer, include_inactive=True):
            label = member.name if member.active else str(_l("%(name)s (no longer works here)", name=member.name))
            choices.append(PlacedByChoice(str(member.id), label))
    return choices


def parse_placed_by(value: str) -> str | int | None:
    """A `placed_by` from its text form ("web", "shop", a staff id); None for anything else."""
    value = (value or "").strip()
    if value in (PLACED_WEB, PLACED_TILL):
        return value
    if value.isascii() and value.isdigit() and len(value) <= 18:  # "²" is a digit to isdigit, not to int
        return int(value)
    return None


# --- the cabinet's overview ----------------------------------------------------------------------

@dataclass(frozen=True)
class OrdersAtAGlance:
    by_status: dict  # OrderStatus -> count, for the states that still need someone's action
    debt_open: int
    debt_overdue: int


def orders_at_a_glance(viewer: User, today: date | None = None) -> OrdersAtAGlance:
    """What needs the viewer's attention, counted in SQL over the orders they may open: managers'
    orders by state (a web-shop order is paid and done), and the debt of deferred orders."""
    today = today or local_date()
    waiting = (OrderStatus.DRAFT, OrderStatus.AWAITING_APPROVAL, OrderStatus.AWAITING_CONFIRMATION,
               OrderStatus.CONFIRMED, OrderStatus.PAID)
    seen = visible_orders_condition(viewer)
    rows = dict(db.session.execute(
        db.select(Order.status, db.func.count(Order.id)).outerjoin(Client, Client.id == Order.client_id)
        .where(seen, Order.channel == Channel.MANAGER, Order.status.in_(waiting)).group_by(Order.status)).all())
    open_, overdue = db.session.execute(
        db.select(debt.open_sum(), debt.overdue_sum(today)).outerjoin(Client, Client.id == Order.client_id)
        .where(seen, *debt.owing_conditions())).one()
    return OrdersAtAGlance({s: int(rows.get(s, 0)) for s in waiting}, int(open_), int(overdue))

"""The supervisor's approval queue (SPEC §4): what waits for this supervisor's decision, in one list.

Two kinds of item wait:

* `change` — a pending client change request (a new client, or a change of discount, credit limit,
  deferral or requisites) whose author is a manager of the supervisor's team; decided by
  `client_changes.approve_change` / `reject_change`;
* `order` — an order awaiting approval of a discount above the client's approved rate, that the
  supervisor may open (made by the team or for a client of the team); decided by
  `orders.approve` / `orders.reject`.

The queue is read in SQL in a fixed number of queries whatever its length (the requests with their
authors, the orders with theirs, when each order was sent for approval, the lines of the orders, the
clients, their debts, their three newest orders). The deciding is left to the two services: each
decision is one call, one transaction, and the author is told by that service.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.ids import parse_id
from portal.models import (
    AuditEvent,
    ChangeKind,
    ChangeRequest,
    ChangeStatus,
    Client,
    Order,
    OrderLine,
    OrderStatus,
    Role,
    User,
)
from portal.services.clients import changes as client_changes
from portal.services.orders import debt as debt_service
from portal.services.orders import orders

CHANGE = "change"
ORDER = "order"
KINDS = (CHANGE, ORDER)
RECENT_ORDERS = 3

# What an item asks for (the page names each one).
NEW_CLIENT = "new_client"
TERMS = "terms"
REQUISITES = "requisites"
TERMS_AND_REQUISITES = "terms_and_requisites"
ORDER_DISCOUNT = "order_discount"

# What the queue can be narrowed to: a new client, a change touching the discount, the credit limit,
# the deferral or the requisites (a change of several fields is found under each), an order's discount.
FILTERS = (NEW_CLIENT, "discount", "credit_limit", "deferral", REQUISITES, ORDER_DISCOUNT)
_FILTER_FIELDS = {"discount": ("discount_bp",), "credit_limit": ("credit_limit",), "deferral": ("deferral_days",),
                  REQUISITES: client_changes.REQUISITE_FIELDS}


# --- what the queue holds ----------------------------------------------------------------------------

@dataclass(frozen=True)
class RecentOrder:
    id: int
    number: str | None
    created_at: datetime
    total: int  # after discounts, before bonus, minor units
    status: OrderStatus


@dataclass(frozen=True)
class LineOverRate:
    """An order line discounted above the client's approved rate."""

    sku: str
    name: str
    qty: int
    price: int
    discount: int  # minor units
    discount_bp: int
    approved_bp: int


@dataclass
class QueueItem:
    kind: str  # CHANGE or ORDER
    id: int  # the change request's or the order's id
    what: str  # NEW_CLIENT, TERMS, REQUISITES, TERMS_AND_REQUISITES or ORDER_DISCOUNT
    at: datetime  # when it was sent for approval
    client: Client
    author: User | None
    # A change: the fields that change, as plain values (discount in basis points, money in minor units).
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    # An order: its number, the lines above the approved rate, its total after discounts.
    order_number: str | None = None
    lines_over: list[LineOverRate] = field(default_factory=list)
    order_total: int = 0
    # The client's context.
    debt: debt_service.Debt = debt_service.Debt(0, 0, 0)
    recent_orders: list[RecentOrder] = field(default_factory=list)

    @property
    def key(self) -> str:
        return item_key(self.kind, self.id)


@dataclass(frozen=True)
class Decision:
    """One decision taken: what it was about, for the line that replaces the item."""

    kind: str
    id: int
    approved: bool
    what: str
    client_id: int | None
    client_name: str
    author_name: str
    order_number: str | None
    comment: str

    @property
    def key(self) -> str:
        return item_key(self.kind, self.id)


@dataclass(frozen=True)
class Failure:
    kind: str
    id: int
    label: str  # the client's name, or the order's number, when known
    message: str

    @property
    def key(self) -> str:
        return item_key(self.kind, self.id)


@dataclass
class BulkOutcome:
    decided: list[Decision] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)


def item_key(kind: str, item_id: int) -> str:
    return f"{kind}-{item_id}"


def parse_key(key: str) -> tuple[str, int] | None:
    """`"change-12"` → `("change", 12)`; None for anything else."""
    kind, _, number = (key or "").strip().partition("-")
    item_id = parse_id(number)
    if kind not in KINDS or item_id is None:
        return None
    return kind, item_id


# --- who is whose ------------------------------------------------------------------------------------

def _is_supervisor(user: User | None) -> bool:
    return user is not None and user.active and user.role is Role.SUPERVISOR


def _team_of(supervisor: User):
    """The ids of the supervisor's managers (former members too: their requests still wait)."""
    return db.select(User.id).where(User.supervisor_id == supervisor.id, User.role == Role.MANAGER)


def _team_and_self(supervisor: User):
    return db.select(User.id).where(db.or_(db.and_(User.supervisor_id == supervisor.id, User.role == Role.MANAGER),
                                           User.id == supervisor.id))


def _pending_changes(supervisor: User):
    """Conditions on ChangeRequest: pending, by a member of the team (the rule client_changes decides by)."""
    return (ChangeRequest.status == ChangeStatus.PENDING,
            ChangeRequest.author_id.in_(db.select(User.id).where(User.supervisor_id == supervisor.id)))


def _pending_orders(supervisor: User):
    """Conditions on Order: awaiting approval, and the supervisor's to open (the rule of orders.can_open)."""
    team = _team_and_self(supervisor)
    return (Order.status == OrderStatus.AWAITING_APPROVAL,
            db.or_(Order.created_by_id.in_(team),
                   Order.client_id.in_(db.select(Client.id).where(Client.manager_id.in_(team)))))


def pending_count(supervisor: User) -> int:
    """How many items wait for the supervisor: one COUNT query."""
    if not _is_supervisor(supervisor):
        return 0
    changes = db.select(db.func.count(ChangeRequest.id)).where(*_pending_changes(supervisor)).scalar_subquery()
    waiting = db.select(db.func.count(Order.id)).where(*_pending_orders(supervisor)).scalar_subquery()
    return int(db.session.scalar(db.select(changes + waiting)) or 0)


# --- reading the queue -------------------------------------------------------------------------------

def change_what(request: ChangeRequest) -> str:
    if request.kind is ChangeKind.NEW_CLIENT:
        return NEW_CLIENT
    keys = set(request.after or {})
    terms = bool(keys & set(client_changes.TERM_FIELDS))
    requisites = bool(keys & set(client_changes.REQUISITE_FIELDS))
    if terms and requisites:
        return TERMS_AND_REQUISITES
    return REQUISITES if requisites else TERMS


def queue(supervisor: User, newest_first: bool = False, only: str | None = None) -> list[QueueItem]:
    """Everything waiting for the supervisor's decision, oldest first (or newest first); with `only`
    (one of FILTERS), just the items of that kind. An unknown `only` is no filter."""
    items = [i for i in _read(supervisor) if matches(i, only)]
    if newest_first:
        items.reverse()
    return items


def matches(item: QueueItem, only: str | None) -> bool:
    """The item is of the kind `only` names (see FILTERS); anything else in `only` matches everything."""
    if only not in FILTERS:
        return True
    if only == ORDER_DISCOUNT:
        return item.kind == ORDER
    if only == NEW_CLIENT:
        return item.what == NEW_CLIENT
    return item.what != NEW_CLIENT and item.kind == CHANGE and any(key in item.after for key in _FILTER_FIELDS[only])


def item(supervisor: User, kind: str, item_id: int) -> QueueItem | None:
    """One item of the supervisor's queue, or None when it no longer waits (or is not theirs)."""
    if kind not in KINDS:
        return None
    found = _read(supervisor, only=(kind, item_id))
    return found[0] if found else None


def _read(supervisor: User, only: tuple[str, int] | None = None) -> list[QueueItem]:
    if not _is_supervisor(supervisor):
        return []
    requests: list[ChangeRequest] = []
    if only is None or only[0] == CHANGE:
        stmt = (db.select(ChangeRequest).options(joinedload(ChangeRequest.author))
                .where(*_pending_changes(supervisor)))
        if only is not None:
            stmt = stmt.where(ChangeRequest.id == only[1])
        requests = list(db.session.scalars(stmt))
    waiting: list[Order] = []
    if only is None or only[0] == ORDER:
        stmt = db.select(Order).options(joinedload(Order.created_by)).where(*_pending_orders(supervisor))
        if only is not None:
            stmt = stmt.where(Order.id == only[1])
        waiting = list(db.session.scalars(stmt))

    order_ids = [o.id for o in waiting]
    sent_at: dict[int, datetime] = {}
    lines: dict[int, list[OrderLine]] = {}
    if order_ids:
        sent_at = dict(db.session.execute(
            db.select(AuditEvent.object_id, db.func.max(AuditEvent.at))
            .where(AuditEvent.object_type == Order.__tablename__, AuditEvent.action == "order_approval_requested",
                   AuditEvent.object_id.in_(order_ids))
            .group_by(AuditEvent.object_id)).all())
        for line in db.session.scalars(db.select(OrderLine).where(OrderLine.order_id.in_(order_ids))
                                       .order_by(OrderLine.order_id, OrderLine.line_no)):
            lines.setdefault(line.order_id, []).append(line)

    client_ids = sorted({r.client_id for r in requests} | {o.client_id for o in waiting if o.client_id})
    clients = {c.id: c for c in db.session.scalars(db.select(Client).where(Client.id.in_(client_ids)))} \
        if client_ids else {}
    debts = debt_service.debts_of(client_ids)
    recent = _recent_orders(client_ids)
    no_debt = debt_service.Debt(0, 0, 0)

    items: list[QueueItem] = []
    for request in requests:
        client = clients[request.client_id]
        items.append(QueueItem(
            kind=CHANGE, id=request.id, what=change_what(request), at=request.created_at, client=client,
            author=request.author, before=dict(request.before or {}), after=dict(request.after or {}),
            debt=debts.get(client.id, no_debt), recent_orders=recent.get(client.id, [])))
    for order in waiting:
        client = clients.get(order.client_id)
        if client is None:  # a manager's order always has a client; nothing to decide on otherwise
            continue
        over = [LineOverRate(line.sku, line.name, line.qty, line.price, line.discount, line.discount_bp,
                             client.discount_bp)
                for line in lines.get(order.id, []) if line.discount_bp > client.discount_bp]
        items.append(QueueItem(
            kind=ORDER, id=order.id, what=ORDER_DISCOUNT, at=sent_at.get(order.id) or order.created_at,
            client=client, author=order.created_by, order_number=order.number, lines_over=over,
            order_total=order.subtotal - order.discount, debt=debts.get(client.id, no_debt),
            recent_orders=recent.get(client.id, [])))
    items.sort(key=lambda i: (i.at, i.kind, i.id))
    return items


def _recent_orders(client_ids: list[int]) -> dict[int, list[RecentOrder]]:
    """The newest orders of each client, in one query (a window function on both engines)."""
    if not client_ids:
        return {}
    ranked = db.select(
        Order.id, Order.client_id, Order.number, Order.created_at, Order.subtotal, Order.discount, Order.status,
        db.func.row_number().over(partition_by=Order.client_id,
                                  order_by=(Order.created_at.desc(), Order.id.desc())).label("n"),
    ).where(Order.client_id.in_(client_ids)).subquery()
    out: dict[int, list[RecentOrder]] = {}
    for row in db.session.execute(db.select(ranked).where(ranked.c.n <= RECENT_ORDERS)
                                  .order_by(ranked.c.client_id, ranked.c.n)):
        out.setdefault(row.client_id, []).append(
            RecentOrder(row.id, row.number, row.created_at, row.subtotal - row.discount, row.status))
    return out


# --- deciding ----------------------------------------------------------------------------------------

def decide(supervisor: User, kind: str, item_id: int, approve: bool, comment: str = "") -> Decision:
    """Approve or reject one item through its own service (one transaction; the author is told there).

    Raises what that service raises: ValidationError (a rejection without a comment), DomainError
    (already decided, not the supervisor's), NotFound."""
    if kind == CHANGE:
        if approve:
            request = client_changes.approve_change(supervisor, item_id, comment)
        else:
            request = client_changes.reject_change(supervisor, item_id, comment)
        return Decision(kind=CHANGE, id=request.id, approved=approve, what=change_what(request),
                        client_id=request.client_id, client_name=request.client.name,
                        author_name=request.author.name if request.author else "", order_number=None,
                        comment=request.comment or "")
    if kind == ORDER:
        if approve:
            order = orders.approve(supervisor, item_id, comment)
        else:
            order = orders.reject(supervisor, item_id, comment)
        return Decision(kind=ORDER, id=order.id, approved=approve, what=ORDER_DISCOUNT, client_id=order.client_id,
                        client_name=order.client.name if order.client else "",
                        author_name=order.created_by.name if order.created_by else "", order_number=order.number,
                        comment=order.decision_comment or "")
    raise NotFound(_l("Nothing of this kind waits for approval."))


def decide_many(supervisor: User, keys: list[str], approve: bool = True, comment: str = "") -> BulkOutcome:
    """Decide several items, each by its own service call in its own transaction: one that cannot be
    decided (already decided, someone else's, gone) is reported with why, and the others go on."""
    outcome = BulkOutcome()
    seen: set[tuple[str, int]] = set()
    for key in keys:
        parsed = parse_key(key)
        if parsed is None or parsed in seen:
            continue
        seen.add(parsed)
        kind, item_id = parsed
        try:
            outcome.decided.append(decide(supervisor, kind, item_id, approve, comment))
        except DomainError as exc:
            # Someone else's (or a missing) item is named by its key only: its client is not theirs to read.
            label = f"#{item_id}" if exc.code in ("forbidden", "not_found") else _label(kind, item_id)
            outcome.failed.append(Failure(kind, item_id, label, str(exc.message)))
    return outcome


def _label(kind: str, item_id: int) -> str:
    """What a failed item was about, for the summary (its client, or its order's number)."""
    if kind == CHANGE:
        name = db.session.scalar(db.select(Client.name).join(ChangeRequest, ChangeRequest.client_id == Client.id)
                                 .where(ChangeRequest.id == item_id))
        return name or f"#{item_id}"
    number = db.session.scalar(db.select(Order.number).where(Order.id == item_id))
    return number or f"#{item_id}"

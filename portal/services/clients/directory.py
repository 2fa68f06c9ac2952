"""Finding clients and reading a client's card: who may see which client, search, filters, sorting,
pages, and every figure the card shows (bonus, debt, orders), read the same way as everywhere.

Visibility (SPEC §4): a manager sees the clients they are responsible for; a supervisor the
clients of their team's managers (former members included) and the clients nobody is
responsible for yet; an admin sees every client; nobody else sees any.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal import ledger
from portal.errors import Forbidden, NotFound
from portal.extensions import db
from portal.ledger.reading import Bonus, Leg, LegPosition
from portal.models import (
    AuditEvent,
    ChangeRequest,
    ChangeStatus,
    Client,
    ClientEmail,
    ClientKind,
    ClientPhone,
    ClientStatus,
    LedgerAccount,
    Order,
    Role,
    User,
)
from portal.phones import PhoneError, normalize_phone
from portal.services.clients import bonus as bonus_service
from portal.services.orders import debt as debt_service
from portal.services.staff import team
from portal.text import squash

PER_PAGE = 25
MAX_PER_PAGE = 100
CARD_ORDERS = 20
CARD_LEGS = 20


class NotVisible(Forbidden):
    """The client exists but is not this staff member's to see."""


class SortKey(str, enum.Enum):
    NAME = "name"
    CREATED = "created"
    DISCOUNT = "discount"
    CREDIT_LIMIT = "credit_limit"


_SORT_COLUMNS = {
    SortKey.NAME: db.func.lower(Client.name),
    SortKey.CREATED: Client.created_at,
    SortKey.DISCOUNT: Client.discount_bp,
    SortKey.CREDIT_LIMIT: Client.credit_limit,
}


# --- who sees whom -----------------------------------------------------------------------------

def visible_manager_ids(user: User) -> list[int] | None:
    """The managers whose clients `user` sees; None means every client (an admin)."""
    if user.role is Role.ADMIN:
        return None
    return team.staff_seen_by(user)


def visible_client_filter(user: User):
    """A SQL condition on `Client` that keeps exactly the clients `user` may see."""
    if user is None or not getattr(user, "active", False):
        return db.false()
    managers = visible_manager_ids(user)
    if managers is None:
        return db.true()
    if user.role is Role.SUPERVISOR:
        return db.or_(Client.manager_id.in_(managers), Client.manager_id.is_(None))
    if not managers:
        return db.false()
    return Client.manager_id.in_(managers)


def can_see(user: User, client: Client) -> bool:
    if user is None or not getattr(user, "active", False):
        return False
    managers = visible_manager_ids(user)
    if managers is None:
        return True
    if user.role is Role.SUPERVISOR and client.manager_id is None:
        return True
    return client.manager_id in managers


def visible_client(user: User, client_id: int) -> Client:
    """The client, if `user` may see it. NotFound when there is none, NotVisible when not theirs."""
    client = db.session.get(Client, client_id)
    if client is None:
        raise NotFound(_l("No such client."))
    if not can_see(user, client):
        raise NotVisible(_l("This client is not yours to see."))
    return client


# --- the list ----------------------------------------------------------------------------------

UNASSIGNED = "none"


@dataclass
class ClientQuery:
    """What the client list is asked for. Every field is optional; unknown values are ignored."""

    q: str = ""
    kind: str | None = None  # a ClientKind value
    status: str | None = None  # a ClientStatus value
    has_debt: bool | None = None
    has_bonus: bool | None = None
    # A supervisor narrows the list to one manager of the team, or to UNASSIGNED clients.
    manager: int | str | None = None
    sort: str = SortKey.NAME.value
    descending: bool = False
    page: int = 1
    per_page: int = PER_PAGE


@dataclass(frozen=True)
class ClientRow:
    client: Client
    debt: debt_service.Debt
    bonus_available: int
    bonus_pending: int
    change_pending: bool


@dataclass
class ClientPage:
    rows: list[ClientRow]
    total: int
    page: int
    per_page: int
    sort: str
    descending: bool

    @property
    def pages(self) -> int:
        return max((self.total + self.per_page - 1) // self.per_page, 1)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        """1-based position of the first row on this page (0 when there is none)."""
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return (self.page - 1) * self.per_page + len(self.rows)

    def window(self, around: int = 2) -> list[int | None]:
        """Page numbers to offer: the first, the last and a few around this one; None is a gap."""
        keep = {1, self.pages} | set(range(self.page - around, self.page + around + 1))
        numbers = sorted(n for n in keep if 1 <= n <= self.pages)
        out: list[int | None] = []
        for n in numbers:
            if out and n - out[-1] > 1:  # type: ignore[operator]
                out.append(None)
            out.append(n)
        return out


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _search_condition(q: str):
    """Name contains the words (any case), tax ID starts with the digits, a phone matches (any
    notation, or the digits typed appear in it), the loyalty card number or an e-mail matches."""
    text = squash(q)
    if not text:
        return None
    options = [db.func.lower(Client.name).contains(text.lower(), autoescape=True)]
    digits = _digits(text)
    only_number = digits and all(c.isdigit() or c in " +-()." for c in text)
    if only_number:
        options.append(Client.tax_id.startswith(digits, autoescape=True))
        phone_hits = []
        try:
            phone_hits.append(ClientPhone.number == normalize_phone(text, current_app.config["PORTAL_COUNTRY"]))
        except PhoneError:
            pass
        if len(digits) >= 3:
            phone_hits.append(ClientPhone.number.contains(digits, autoescape=True))
        if phone_hits:
            options.append(db.select(ClientPhone.id).where(ClientPhone.client_id == Client.id, db.or_(*phone_hits))
                           .exists())
    options.append(Client.card_number == text)
    if "@" in text:
        options.append(db.select(ClientEmail.id).where(
            ClientEmail.client_id == Client.id,
            db.func.lower(ClientEmail.address).contains(text.lower(), autoescape=True)).exists())
    return db.or_(*options)


def _with_bonus():
    return db.select(LedgerAccount.id).where(
        LedgerAccount.client_id == Client.id, LedgerAccount.available + LedgerAccount.pending > 0).exists()


def _enum_value(cls, value):
    try:
        return cls(value) if value not in (None, "") else None
    except ValueError:
        return None


def client_statement(user: User, query: ClientQuery):
    """The SELECT of the clients `user` sees that match `query` (without order or page)."""
    stmt = db.select(Client).where(visible_client_filter(user))
    search = _search_condition(query.q or "")
    if search is not None:
        stmt = stmt.where(search)
    kind = _enum_value(ClientKind, query.kind)
    if kind is not None:
        stmt = stmt.where(Client.kind == kind)
    status = _enum_value(ClientStatus, query.status)
    if status is not None:
        stmt = stmt.where(Client.status == status)
    if query.has_debt is True:
        stmt = stmt.where(Client.id.in_(debt_service.owing_clients_query()))
    elif query.has_debt is False:
        stmt = stmt.where(Client.id.not_in(debt_service.owing_clients_query()))
    if query.has_bonus is True:
        stmt = stmt.where(_with_bonus())
    elif query.has_bonus is False:
        stmt = stmt.where(~_with_bonus())
    if query.manager == UNASSIGNED:
        stmt = stmt.where(Client.manager_id.is_(None))
    elif isinstance(query.manager, int) and not isinstance(query.manager, bool):
        stmt = stmt.where(Client.manager_id == query.manager)
    return stmt


def search_clients(user: User, query: ClientQuery) -> ClientPage:
    """One page of the clients `user` sees, filtered, searched and sorted in SQL, with each row's
    debt, bonus and whether a change waits for approval (three more queries for the page)."""
    stmt = client_statement(user, query)
    sort = _enum_value(SortKey, query.sort) or SortKey.NAME
    column = _SORT_COLUMNS[sort]
    order = [column.desc() if query.descending else column.asc(),
             Client.id.desc() if query.descending else Client.id.asc()]
    per_page = min(max(int(query.per_page or PER_PAGE), 1), MAX_PER_PAGE)
    total = db.session.scalar(db.select(db.func.count()).select_from(stmt.subquery())) or 0
    pages = max((total + per_page - 1) // per_page, 1)
    page = min(max(int(query.page or 1), 1), pages)
    clients = list(db.session.scalars(stmt.order_by(*order).limit(per_page).offset((page - 1) * per_page)))
    ids = [c.id for c in clients]
    debts = debt_service.debts_of(ids)
    balances = {cid: (available, pending) for cid, available, pending in db.session.execute(
        db.select(LedgerAccount.client_id, LedgerAccount.available, LedgerAccount.pending)
        .where(LedgerAccount.client_id.in_(ids)))} if ids else {}
    waiting = set(db.session.scalars(db.select(ChangeRequest.client_id).where(
        ChangeRequest.client_id.in_(ids), ChangeRequest.status == ChangeStatus.PENDING))) if ids else set()
    no_debt = debt_service.Debt(0, 0, 0)
    rows = [ClientRow(client=c, debt=debts.get(c.id, no_debt), bonus_available=balances.get(c.id, (0, 0))[0],
                      bonus_pending=balances.get(c.id, (0, 0))[1], change_pending=c.id in waiting)
            for c in clients]
    return ClientPage(rows=rows, total=total, page=page, per_page=per_page, sort=sort.value,
                      descending=query.descending)


# --- the card ----------------------------------------------------------------------------------

@dataclass
class ClientCard:
    client: Client
    bonus: Bonus
    legs: list[Leg]
    next_legs: LegPosition | None
    order_numbers: dict[int, str]
    orders: list[Order]
    orders_total: int
    debt: debt_service.Debt
    pending_request: ChangeRequest | None
    last_decision: ChangeRequest | None
    history: list[AuditEvent] = field(default_factory=list)


def latest_orders_of(client_id: int, limit: int) -> list[Order]:
    """The client's newest orders of every channel."""
    return list(db.session.scalars(db.select(Order).where(Order.client_id == client_id)
                                   .order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)))


def order_numbers(order_ids: set[int]) -> dict[int, str]:
    """Order numbers by id, for history lines that name their order."""
    if not order_ids:
        return {}
    return dict(db.session.execute(db.select(Order.id, Order.number).where(Order.id.in_(order_ids))).all())


def client_card(user: User, client_id: int, legs_from: LegPosition | None = None,
                now: datetime | None = None) -> ClientCard:
    """Everything the card shows, for a client `user` may see (NotFound / NotVisible otherwise)."""
    client = visible_client(user, client_id)
    bonus_service.settle(client.id)
    legs, following = ledger.legs_of(client.id, limit=CARD_LEGS, start=legs_from)
    # A release moves bonus from pending to available: it reads as one line, "became available".
    legs = [leg for leg in legs if not (leg.kind == "release" and leg.amount < 0)]
    orders = latest_orders_of(client.id, CARD_ORDERS)
    orders_total = db.session.scalar(db.select(db.func.count(Order.id)).where(Order.client_id == client.id)) or 0
    numbers = order_numbers({leg.order_id for leg in legs if leg.order_id})
    return ClientCard(
        client=client, bonus=ledger.bonus_of(client.id, now), legs=legs, next_legs=following,
        order_numbers=numbers, orders=orders, orders_total=orders_total, debt=debt_service.debt_of(client.id),
        pending_request=pending_request_of(client.id), last_decision=last_decision_of(client.id),
        history=list(db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.object_type == Client.__tablename__,
                                        AuditEvent.object_id == client.id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(20))))


def pending_request_of(client_id: int) -> ChangeRequest | None:
    """The change waiting for a supervisor's decision (there is at most one)."""
    return db.session.scalar(db.select(ChangeRequest).where(
        ChangeRequest.client_id == client_id, ChangeRequest.status == ChangeStatus.PENDING)
        .order_by(ChangeRequest.id.desc()).limit(1))


def last_decision_of(client_id: int) -> ChangeRequest | None:
    """The most recently decided change of the client, if any."""
    return db.session.scalar(db.select(ChangeRequest).where(
        ChangeRequest.client_id == client_id, ChangeRequest.status != ChangeStatus.PENDING)
        .order_by(ChangeRequest.decided_at.desc(), ChangeRequest.id.desc()).limit(1))


def managers_to_choose(user: User) -> list[User]:
    """Whom `user` may make responsible for a client: a supervisor's active team, for an admin
    every active manager, for a manager nobody (their clients are their own)."""
    if user.role is Role.SUPERVISOR:
        return team.team_members(user)
    if user.role is Role.ADMIN:
        return list(db.session.scalars(db.select(User).where(User.role == Role.MANAGER, User.active.is_(True))
                                       .order_by(User.name)))
    return []

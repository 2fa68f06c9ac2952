"""A supervisor's team of managers: who is in it, the team directory with each manager's figures,
what a supervisor may do to a member (reset the password, deactivate, reactivate), and whose
clients and orders a person sees (`staff_seen_by`).

A supervisor acts only on the managers of their own team (former, deactivated members included,
so they can be reactivated); anyone else is `Forbidden`.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.errors import Forbidden, NotFound
from portal.extensions import db
from portal.models import OPEN_STATES, Channel, Client, Order, Role, User
from portal.services.staff import staff
from portal.text import squash


def team_members(supervisor: User, include_inactive: bool = False) -> list[User]:
    stmt = db.select(User).where(User.supervisor_id == supervisor.id, User.role == Role.MANAGER).order_by(User.name)
    if not include_inactive:
        stmt = stmt.where(User.active.is_(True))
    return list(db.session.scalars(stmt))


# --- the team directory --------------------------------------------------------------------------

@dataclass(frozen=True)
class TeamRow:
    """One manager as the team directory shows them. The e-mail is the login."""

    manager: User
    open_orders: int
    clients: int

    @property
    def login(self) -> str:
        return self.manager.email


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _member_search(query: str):
    """Name or e-mail contains the text (any case); a phone contains the digits typed (3 or more),
    whatever notation they were typed in."""
    text = squash(query)
    if not text:
        return None
    options = [db.func.lower(User.name).contains(text.lower(), autoescape=True),
               db.func.lower(User.email).contains(text.lower(), autoescape=True)]
    digits = _digits(text)
    if len(digits) >= 3 and all(c.isdigit() or c in " +-()." for c in text):
        options.append(User.phone.contains(digits, autoescape=True))
        if digits.startswith("8") and len(digits) == 11:  # 8 916 … is how a Russian number is often typed
            options.append(User.phone.contains("7" + digits[1:], autoescape=True))
    return db.or_(*options)


def open_orders_per_manager(manager_ids: list[int]) -> dict[int, int]:
    """How many managers' orders still wait for something (draft, awaiting approval, awaiting
    confirmation, confirmed) each manager has: made by them or for a client they are responsible
    for. An order one manager made for another's client counts for both. One grouped query."""
    if not manager_ids:
        return {}
    waiting = [Order.channel == Channel.MANAGER, Order.status.in_(OPEN_STATES)]
    made = db.select(Order.id.label("order_id"), Order.created_by_id.label("manager_id")).where(
        Order.created_by_id.in_(manager_ids), *waiting)
    for_clients = (db.select(Order.id.label("order_id"), Client.manager_id.label("manager_id"))
                   .join(Client, Client.id == Order.client_id)
                   .where(Client.manager_id.in_(manager_ids), *waiting))
    pairs = db.union(made, for_clients).subquery()  # UNION, not ALL: (order, manager) once each
    return {int(manager_id): int(count) for manager_id, count in db.session.execute(
        db.select(pairs.c.manager_id, db.func.count(pairs.c.order_id)).group_by(pairs.c.manager_id))}


def team_directory(supervisor: User, query: str = "") -> list[TeamRow]:
    """The supervisor's managers (deactivated ones too, after the active), searched by name,
    e-mail or phone, each with their open orders and clients: three queries whatever the size."""
    stmt = (db.select(User).where(User.supervisor_id == supervisor.id, User.role == Role.MANAGER)
            .order_by(User.active.desc(), User.name, User.id))
    search = _member_search(query)
    if search is not None:
        stmt = stmt.where(search)
    members = list(db.session.scalars(stmt))
    ids = [m.id for m in members]
    open_orders = open_orders_per_manager(ids)
    clients = dict(db.session.execute(
        db.select(Client.manager_id, db.func.count(Client.id)).where(Client.manager_id.in_(ids))
        .group_by(Client.manager_id)).all()) if ids else {}
    return [TeamRow(m, open_orders.get(m.id, 0), int(clients.get(m.id, 0))) for m in members]


# --- acting on a member ----------------------------------------------------------------------------

def team_member(supervisor: User, user_id: int) -> User:
    """A manager of `supervisor`'s team (active or not). NotFound when there is nobody with this
    id; Forbidden for anyone else (another team's manager, a cashier, the supervisor themselves)."""
    if supervisor is None or supervisor.role is not Role.SUPERVISOR or not supervisor.active:
        raise Forbidden(_l("Only a supervisor manages a team."))
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_l("No such staff member."))
    if user.role is not Role.MANAGER or user.supervisor_id != supervisor.id:
        raise Forbidden(_l("This person is not in your team."))
    return user


def reset_member_password(supervisor: User, user_id: int) -> tuple[User, str]:
    """A new random password for a manager of the team (their sessions end). Returns the manager
    and the plain password, to be shown once; only its hash is kept. Audited by the staff service."""
    member = team_member(supervisor, user_id)
    return member, staff.reset_password(supervisor, member.id)


def set_member_active(supervisor: User, user_id: int, active: bool) -> User:
    """Deactivate (their sessions end at once) or reactivate a manager of the team, by the staff
    service's rules (a DomainError when it refuses). Audited by the staff service."""
    member = team_member(supervisor, user_id)
    return staff.set_active(supervisor, member.id, active)


def staff_seen_by(user: User) -> list[int]:
    """The staff whose clients and orders `user` sees: a manager, themselves; a supervisor,
    themselves and every member of the team, former members included; anyone else, nobody's.
    The one rule behind the client list, the order list, an order's and a task's card."""
    if user.role is Role.MANAGER:
        return [user.id]
    if user.role is Role.SUPERVISOR:
        return [user.id] + [m.id for m in team_members(user, include_inactive=True)]
    return []

"""Parked carts: a customer's cart put aside with a label so the till can serve the next one.

Any cashier of the shop may resume a parked cart. A parked cart holds no stock (the sale checks
stock when it is paid) and keeps no spent bonus (the bonus is chosen again after resuming: the
client's balance may have changed meanwhile). Each function is one transaction.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l

from portal.errors import NotFound, ValidationError
from portal.extensions import db
from portal.models import Client, ParkedCart, User, utcnow
from portal.services.sales import till
from portal.services.transactions import one_transaction
from portal.text import squash

LABEL_LENGTH = 60
_NUMBERED = re.compile(r"^#(\d{1,6})$")


@dataclass
class Parked:
    """A parked cart as the till lists it."""

    cart: ParkedCart
    client: Client | None
    units: int
    now: datetime

    @property
    def age_minutes(self) -> int:
        return max(int((self.now - self.cart.parked_at).total_seconds() // 60), 0)


def _next_label(location_id: int, avoid: str | None = None) -> str:
    """"#1", "#2", ...: the smallest number no parked cart of the shop (nor `avoid`) is labelled with."""
    labels = [*db.session.scalars(db.select(ParkedCart.label).where(ParkedCart.location_id == location_id)), avoid or ""]
    taken = {int(match.group(1)) for label in labels if (match := _NUMBERED.match(label))}
    number = 1
    while number in taken:
        number += 1
    return f"#{number}"


def _park(cashier: User, label: str | None, avoid: str | None = None) -> ParkedCart | None:
    label = squash(label or "")
    if len(label) > LABEL_LENGTH:
        raise ValidationError({"label": _l("At most %(n)d characters.", n=LABEL_LENGTH)})
    taken = till.take_out(cashier)
    if taken is None:
        return None
    parked = ParkedCart(location_id=cashier.shop_id, label=label or _next_label(cashier.shop_id, avoid),
                        client_id=taken.client_id, lines=taken.lines, parked_by_id=cashier.id, parked_at=utcnow())
    db.session.add(parked)
    db.session.flush()
    return parked


def park(cashier: User, label: str | None = None) -> ParkedCart:
    """Put the cashier's cart aside under `label` (else "#n") and empty the till."""
    def run() -> ParkedCart:
        parked = _park(cashier, label)
        if parked is None:
            raise ValidationError({"cart": _l("The cart is empty: there is nothing to park.")})
        return parked
    return one_transaction(run)


def of_shop(location_id: int) -> list[Parked]:
    """The shop's parked carts, the oldest first."""
    carts = list(db.session.scalars(db.select(ParkedCart).where(ParkedCart.location_id == location_id)
                                    .order_by(ParkedCart.parked_at, ParkedCart.id)))
    client_ids = {cart.client_id for cart in carts if cart.client_id}
    clients = {c.id: c for c in db.session.scalars(db.select(Client).where(Client.id.in_(client_ids)))} \
        if client_ids else {}
    now = utcnow()
    return [Parked(cart, clients.get(cart.client_id), sum(int(line["qty"]) for line in cart.lines), now)
            for cart in carts]


@dataclass
class Resumed:
    cart: ParkedCart
    set_aside: ParkedCart | None  # the cart the till had, parked first so nothing is lost


def resume(cashier: User, parked_id: int) -> Resumed:
    """Bring a parked cart of the cashier's shop back to the till. A cart the till has now is
    parked first (under "#n"). The parked row is deleted in the same transaction, so a second tap
    finds nothing to resume and adds no lines twice."""
    return one_transaction(lambda: _resume(cashier, parked_id))


def _resume(cashier: User, parked_id: int) -> Resumed:
    parked = db.session.get(ParkedCart, parked_id)
    if parked is None or parked.location_id != cashier.shop_id:
        raise NotFound(_l("This parked cart is not here any more: it may have been resumed already."))
    lines, client_id = [dict(line) for line in parked.lines], parked.client_id
    # The conditional delete decides between twin requests: only one of them removes the row.
    gone = db.session.execute(db.delete(ParkedCart).where(ParkedCart.id == parked_id)
                              .execution_options(synchronize_session=False)).rowcount
    if gone != 1:
        raise NotFound(_l("This parked cart is not here any more: it may have been resumed already."))
    db.session.expunge(parked)
    set_aside = _park(cashier, None, avoid=parked.label)  # not under the resumed cart's number
    till.put_in(cashier, lines, client_id)
    return Resumed(parked, set_aside)


def discard(cashier: User, parked_id: int) -> None:
    """Drop a parked cart of the shop (the customer left)."""
    def run() -> None:
        gone = db.session.execute(db.delete(ParkedCart).where(
            ParkedCart.id == parked_id, ParkedCart.location_id == cashier.shop_id)).rowcount
        if gone != 1:
            raise NotFound(_l("This parked cart is not here any more: it may have been resumed already."))
    one_transaction(run)

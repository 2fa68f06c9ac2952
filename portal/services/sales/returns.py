"""Taking goods back: any quantities, in any number of returns, restoring money and bonus exactly."""
from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from portal import daily_sums, events, ledger
from portal.clock import local_date
from portal.errors import DomainError, NotFound, ValidationError
from portal.extensions import db
from portal.models import (
    LedgerOperation,
    OperationKind,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    Refund,
    Return,
    ReturnLine,
    User,
    utcnow,
)
from portal.money import allocate
from portal.services import audit
from portal.services.fiscal import documents as fiscal
from portal.services.messaging.outbox import enqueue
from portal.services.sales import stock, vat
from portal.services.sales.pricing import share
from portal.services.sales.sales import accrual_key
from portal.services.transactions import one_transaction, read_only
from portal.text import squash

RETURNABLE_STATES = {OrderStatus.PAID, OrderStatus.COMPLETED, OrderStatus.PARTIALLY_RETURNED}


class NotReturnable(DomainError):
    code = "not_returnable"


@dataclass
class ReturnRequest:
    qty: int
    sku: str | None = None
    order_line_id: int | None = None


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def warranty_end(line: OrderLine, paid_at: datetime) -> date | None:
    """The last day of the warranty, counted from the local day of purchase."""
    return add_months(local_date(paid_at), line.warranty_months) if line.warranty_months else None


def fully_returned(order: Order) -> bool:
    """Every unit of every line has come back: the order offers no further return."""
    return bool(order.lines) and all(line.returned_qty >= line.qty for line in order.lines)


def return_with_key(key: str) -> Return | None:
    """The return made under this idempotency key, if any."""
    return db.session.scalar(db.select(Return).where(Return.key == key))


def return_goods(order_id: int, requests: list[ReturnRequest], *, key: str, reason: str = "",
                 actor_id: int | None = None, location_id: int | None = None, shift_id: int | None = None,
                 now: datetime | None = None) -> Return:
    """Take back the requested quantities. Repeating a key returns the first result unchanged."""
    now = now or utcnow()

    return one_transaction(
        lambda: _take_back(order_id, requests, key, reason, actor_id, location_id, shift_id, now),
        replay=lambda: return_with_key(key))


def _match_lines(order: Order, requests: list[ReturnRequest]) -> list[tuple[OrderLine, int]]:
    if not requests:
        raise ValidationError({"lines": _l("Choose what is returned.")})
    wanted: dict[int, int] = {}
    errors = {}
    for i, req in enumerate(requests):
        if not isinstance(req.qty, int) or isinstance(req.qty, bool) or req.qty < 1:
            errors[f"lines[{i}].qty"] = _l("The quantity must be a whole number of at least 1.")
            continue
        candidates = [line for line in order.lines
                      if (req.order_line_id is not None and line.id == req.order_line_id)
                      or (req.order_line_id is None and line.sku == req.sku)]
        if not candidates:
            errors[f"lines[{i}].sku"] = _l("This order has no line %(sku)s.", sku=req.sku or req.order_line_id)
            continue
        left = req.qty
        for line in candidates:  # a SKU on several lines: fill them in order
            free = line.qty - line.returned_qty - wanted.get(line.id, 0)
            part = min(free, left)
            if part > 0:
                wanted[line.id] = wanted.get(line.id, 0) + part
                left -= part
        if left:
            errors[f"lines[{i}].qty"] = _l("More than was bought and not yet returned.")
    if errors:
        raise ValidationError(errors)
    by_id = {line.id: line for line in order.lines}
    return [(by_id[line_id], qty) for line_id, qty in wanted.items()]


def _check_returnable(order: Order, lines: list[tuple[OrderLine, int]], now: datetime) -> None:
    window = timedelta(days=current_app.config.get("PORTAL_RETURN_DAYS", 14))
    for line, _qty in lines:
        if not line.returnable:
            raise NotReturnable(_l("%(name)s cannot be returned: it is a non-returnable product.", name=line.name))
        if now - order.paid_at > window:
            end = warranty_end(line, order.paid_at)
            if end and end >= local_date(now):
                raise NotReturnable(_l(
                    "The return period for %(name)s is over. It is under warranty until %(date)s: "
                    "accept it for warranty service instead.", name=line.name, date=format_date(end)))
            raise NotReturnable(_l("The return period for %(name)s is over.", name=line.name))


def _take_back(order_id, requests, key, reason, actor_id, location_id, shift_id, now) -> Return:
    order = db.session.scalar(db.select(Order).where(Order.id == order_id).with_for_update())
    if order is None:
        raise NotFound(_l("No such order."))
    # A fully returned order stays open to the check below, which names each line asked for
    # as more than is left (nothing is).
    if order.status not in RETURNABLE_STATES and order.status is not OrderStatus.RETURNED:
        raise NotReturnable(_l("This order cannot take returns in its state."))
    lines = _match_lines(order, requests)
    _check_returnable(order, lines, now)
    status_before = order.status.value
    ret = Return(order_id=order.id, key=key, created_at=now, created_by_id=actor_id, shift_id=shift_id,
                 location_id=location_id or order.location_id, reason=squash(reason, 500))
    db.session.add(ret)
    db.session.flush()
    parts = []
    for line, qty in sorted(lines, key=lambda pair: pair[0].line_no):
        before, after = line.returned_qty, line.returned_qty + qty
        part = ReturnLine(order_line_id=line.id, qty=qty,
                          refund=share(line.paid, after, line.qty) - share(line.paid, before, line.qty),
                          bonus_restored=share(line.bonus, after, line.qty) - share(line.bonus, before, line.qty),
                          accrual_reversed=share(line.accrual, after, line.qty) - share(line.accrual, before, line.qty),
                          vat=vat.returned(line.vat, before, after, line.qty))
        ret.lines.append(part)
        parts.append((line, part))
        line.returned_qty = after
        stock.put_back(line.product_id, ret.location_id, qty)
    gross = sum(part.refund for _line, part in parts)
    ret.bonus_restored = sum(part.bonus_restored for _line, part in parts)
    ret.accrual_reversed = sum(part.accrual_reversed for _line, part in parts)
    shortfall = 0
    if order.client_id is not None:
        ledger.settle(order.client_id, now)  # the account is touched: release and expire what is due
        # Bonus spent on these goods comes back first; the accrual they earned is then taken back
        # from whatever the client has, so money is kept back only for bonus truly gone.
        if ret.bonus_restored:
            ledger.restore_redemption(order.client_id, ret.bonus_restored, f"return:{ret.id}:bonus",
                                      order_id=order.id, return_id=ret.id, now=now)
        for line, part in parts:
            if part.accrual_reversed:
                _op, short = ledger.reverse_accrual(
                    order.client_id, accrual_key(order.id, line.line_no), part.accrual_reversed,
                    f"return:{ret.id}:line:{line.line_no}:accrual", order_id=order.id, return_id=ret.id, now=now)
                shortfall += short
    withheld = min(gross, _unrecovered_before(order, ret) + shortfall)
    ret.withheld = withheld
    ret.refund_total = gross - withheld
    _split_refund(order, ret, gross, withheld)
    previous_status = order.status
    order.status = (OrderStatus.RETURNED if all(line.returned_qty == line.qty for line in order.lines)
                    else OrderStatus.PARTIALLY_RETURNED)
    db.session.flush()
    if order.status is not previous_status:
        events.order_changed.send(order, actor=db.session.get(User, actor_id) if actor_id else None,
                                  created=False, status_changed=True, now=now)
    _audit_return(order, ret, parts, status_before, actor_id)
    daily_sums.record_return(ret.id, order.client_id)
    fiscal.record_return(ret)  # a till return's receipt, registered on the shop's register through the outbox
    # 1C pulls returns through the exchange (portal/integrations/onec), in the return's transaction.
    enqueue("1c.return", f"1c:return:{ret.id}", {"return": ret.id, "order": order.number,
                                                 "refund": ret.refund_total, "withheld": ret.withheld})
    return ret


def _audit_return(order: Order, ret: Return, parts, status_before: str, actor_id: int | None) -> None:
    """The return in the order's history: status, the units returned before and after, the money."""
    actor = db.session.get(User, actor_id) if actor_id else None
    before = {"status": status_before,
              "returned": [f"{line.sku} × {line.returned_qty - part.qty}" for line, part in parts]}
    after = {"status": order.status.value,
             "returned": [f"{line.sku} × {line.returned_qty}" for line, part in parts],
             "refund": ret.refund_total, "withheld": ret.withheld, "reason": ret.reason, "return_id": ret.id}
    audit.record(actor, "order_returned", order, before, after,
                 source=None if actor else (audit.current_source() or "api"))


def _unrecovered_before(order: Order, ret: Return) -> int:
    """Spent bonus that earlier returns of this order could not take back and had no money to keep it from.

    A return's money share and accrual share are rounded separately, so a return may owe a
    kopeck it has no refund to keep it from; it is kept from the next return instead, and the
    last return of the order always has money enough (accrual never exceeds money paid).
    """
    short = db.session.scalar(db.select(db.func.coalesce(db.func.sum(LedgerOperation.shortfall), 0)).where(
        LedgerOperation.order_id == order.id, LedgerOperation.kind == OperationKind.ACCRUAL_REVERSAL,
        LedgerOperation.return_id != ret.id)) or 0
    kept = db.session.scalar(db.select(db.func.coalesce(db.func.sum(Return.withheld), 0)).where(
        Return.order_id == order.id, Return.id != ret.id)) or 0
    return int(short) - int(kept)


def _split_refund(order: Order, ret: Return, gross: int, withheld: int) -> None:
    """Give money back by the methods it came in, in proportion to what each still has to give back.

    Each method's part never exceeds what is left of it, and once every unit is returned each
    method has given back exactly what it took.
    """
    payments: list[Payment] = list(order.payments)
    if not payments or gross == 0:
        return
    given = dict(db.session.execute(
        db.select(Refund.method, db.func.sum(Refund.amount + Refund.withheld))
        .join(Return, Return.id == Refund.return_id)
        .where(Return.order_id == order.id, Return.id != ret.id).group_by(Refund.method)).all())
    left = [p.amount - int(given.get(p.method, 0)) for p in payments]
    parts = allocate(gross, left)
    kept = allocate(withheld, parts) if withheld else [0] * len(parts)
    for payment, part, keep in zip(payments, parts, kept):
        if part:
            ret.refunds.append(Refund(method=payment.method, amount=part - keep, withheld=keep))


@dataclass
class ReturnPreview:
    """What a return would give back, computed by the very code that performs it."""

    lines: list[tuple[str, str, int, int, int, int]]  # sku, name, qty, refund, bonus restored, accrual reversed
    refunds: list[tuple[str, int, int]]                # method, amount, withheld
    refund_total: int
    withheld: int
    bonus_restored: int
    accrual_reversed: int


def preview_return(order_id: int, requests: list[ReturnRequest], now: datetime | None = None) -> ReturnPreview:
    """Run the return inside a savepoint, read its figures, and roll it back: nothing is kept."""
    now = now or utcnow()

    def compute() -> ReturnPreview:
        nested = db.session.begin_nested()
        try:
            ret = _take_back(order_id, requests, f"preview:{uuid.uuid4().hex}", "", None, None, None, now)
            return ReturnPreview(
                lines=[(p.order_line.sku, p.order_line.name, p.qty, p.refund, p.bonus_restored, p.accrual_reversed)
                       for p in ret.lines],
                refunds=[(r.method.value, r.amount, r.withheld) for r in ret.refunds],
                refund_total=ret.refund_total, withheld=ret.withheld, bonus_restored=ret.bonus_restored,
                accrual_reversed=ret.accrual_reversed)
        finally:
            nested.rollback()

    return read_only(compute)

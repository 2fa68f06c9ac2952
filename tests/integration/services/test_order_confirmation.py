"""The client confirms a manager's order (SPEC §3): the SMS code, the link, and everything
confirmation does in one transaction (stock, bonus, due date, invoice, 1C outbox), with exact amounts.

STANDARD (see test_manager_orders): DRILL × 2 + PIPE × 3 for a client with 5 % = 2 849.99.
With 300.00 of bonus, allocated 190 000 : 94 999 by largest remainder -> 200.00 + 100.00
(20 000.07 and 9 999.93: the spare kopeck goes to PIPE), so the lines pay 1 700.00 + 849.99 = 2 549.99.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import format_date

from portal import ledger
from portal.errors import DomainError, Forbidden, ValidationError
from portal.extensions import db
from portal.i18n import money
from portal.integrations.sms import sent_messages
from portal.models import Invoice, OrderConfirmationCode, OrderStatus, OutboxEvent, PaymentTerms, Stock, utcnow
from portal.services import audit
from portal.services.clients import bonus as bonus_service
from portal.services.messaging.codes import CodeRefused, Throttled
from portal.services.orders import confirmation as order_confirmation
from portal.services.orders import orders
from portal.services.sales.stock import InsufficientStock

from ...pdf_text import pdf_text
from .test_manager_orders import (  # noqa: F401
    STANDARD,
    actions,
    code_in,
    draft,
    give_bonus,
    invoices_of,
    last_sms,
    local_day,
    new_order,
    notes,
    office,
    outbox,
    reload,
    rub,
    send_code,
    stock_of,
    submitted,
    token_in,
)

TEN_MINUTES = timedelta(minutes=10)


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 10 ** 6:06d}"


def squeeze(text: str) -> str:
    return " ".join(text.split())  # also the no-break spaces of money()


def code_rows(order) -> list[OrderConfirmationCode]:
    return list(db.session.scalars(db.select(OrderConfirmationCode).where(
        OrderConfirmationCode.order_id == order.id).order_by(OrderConfirmationCode.id)))


def nothing_was_confirmed(office, order, stock_before: dict) -> None:
    """The order is as it was before a refused confirmation: nothing of it was written."""
    order = reload(order)
    assert order.status is OrderStatus.AWAITING_CONFIRMATION
    assert (order.confirmed_at, order.due_date) == (None, None)
    assert {sku: stock_of(office, sku) for sku in stock_before} == stock_before
    assert invoices_of(order) == [] and outbox(order) == []
    assert "order_confirmed" not in actions(order)
    assert code_rows(order)[-1].used_at is None


# ------------------------------------------------------------------------------------ sending a code

def test_a_code_is_sent_only_for_an_order_awaiting_confirmation(office):
    draft_order = new_order(office)
    needs_approval = submitted(office, [("DRILL", 1, 700)])
    for order in (draft_order, needs_approval):
        with pytest.raises(DomainError, match="only for an order awaiting confirmation"):
            order_confirmation.send_code(office.manager, order.id)
    assert sent_messages(office.sms) == []
    assert code_rows(draft_order) == code_rows(needs_approval) == []


def test_the_sms_carries_a_six_digit_code_and_a_confirmation_link(app, office):
    order = submitted(office)
    now = utcnow()
    state = order_confirmation.send_code(office.manager, order.id, now=now)
    (sms,) = sent_messages(office.sms)
    assert sms["phone"] == office.client.primary_phone
    code, token = code_in(sms["text"]), token_in(sms["text"])
    assert len(code) == 6 and code.isdigit()
    assert f"{app.config['PORTAL_BASE_URL']}/my/confirm/{token}" in sms["text"]
    assert order.number in sms["text"] and rub("2,849.99") in sms["text"]
    assert (state.tries_left, state.usable, state.phone) == (5, True, office.client.primary_phone)
    assert state.expires_at - state.sent_at == TEN_MINUTES
    assert actions(order)[-1] == "order_code_sent"


def test_a_resend_within_a_minute_is_throttled(office):
    order = submitted(office)
    t0 = utcnow()
    send_code(office, order, now=t0)
    for after in (1, 30, 59):
        with pytest.raises(Throttled) as throttled:
            order_confirmation.send_code(office.manager, order.id, now=t0 + timedelta(seconds=after))
        assert 60 - after <= throttled.value.seconds <= 60 - after + 1
    assert len(sent_messages(office.sms)) == 1 and len(code_rows(order)) == 1
    send_code(office, order, now=t0 + timedelta(seconds=60))
    assert len(sent_messages(office.sms)) == 2 and len(code_rows(order)) == 2


def test_the_wait_before_a_resend_is_not_overstated(office):
    order = submitted(office)
    t0 = utcnow()
    send_code(office, order, now=t0)
    with pytest.raises(Throttled) as throttled:
        order_confirmation.send_code(office.manager, order.id, now=t0 + timedelta(seconds=59))
    assert throttled.value.seconds == 1


def test_the_code_is_kept_only_as_a_hash(office):
    order = submitted(office)
    code, _token = send_code(office, order)
    (row,) = code_rows(order)
    assert {c.name for c in OrderConfirmationCode.__table__.columns} == {
        "id", "order_id", "phone", "code_hash", "created_at", "expires_at", "attempts", "used_at"}
    assert code not in row.code_hash and re.fullmatch(r"[0-9a-f]{64}", row.code_hash)
    stored = db.session.execute(db.select(OrderConfirmationCode.__table__)).one()._asdict()
    assert not any(str(value) == code for value in stored.values())
    assert (row.attempts, row.used_at) == (0, None)


def test_no_code_sent_yet(office):
    order = submitted(office)
    with pytest.raises(CodeRefused, match="No code has been sent"):
        order_confirmation.confirm_with_code(office.manager, order.id, "123456")


def test_another_managers_order_is_neither_sent_nor_confirmed(office):
    order = submitted(office)
    with pytest.raises(Forbidden):
        order_confirmation.send_code(office.stranger, order.id)
    code, _token = send_code(office, order)
    with pytest.raises(Forbidden):
        order_confirmation.confirm_with_code(office.stranger, order.id, code)
    assert reload(order).status is OrderStatus.AWAITING_CONFIRMATION


# --------------------------------------------------------------------------------- wrong and late codes

def test_wrong_codes_use_up_five_tries_then_even_the_right_code_is_refused(office):
    order = submitted(office)
    code, token = send_code(office, order)
    wrong = other_code(code)
    for left in (4, 3, 2, 1):
        with pytest.raises(CodeRefused) as refused:
            order_confirmation.confirm_with_code(office.manager, order.id, wrong)
        assert str(refused.value) == f"The code is wrong. Tries left: {left}."
        assert order_confirmation.code_state(order.id).tries_left == left
    with pytest.raises(CodeRefused, match="tried too many times"):
        order_confirmation.confirm_with_code(office.manager, order.id, wrong)
    with pytest.raises(CodeRefused, match="tried too many times"):
        order_confirmation.confirm_with_code(office.manager, order.id, code)
    with pytest.raises(CodeRefused):
        order_confirmation.confirm_with_link(token)
    (row,) = code_rows(order)
    assert (row.attempts, row.used_at) == (5, None)
    state = order_confirmation.code_state(order.id)
    assert (state.tries_left, state.usable) == (0, False)
    assert actions(order).count("order_code_failed") == 6
    nothing_was_confirmed(office, order, {"DRILL": 100, "PIPE": 100})


def test_a_code_expires_after_ten_minutes(office):
    t0 = utcnow()
    late = submitted(office)
    code, _token = send_code(office, late, now=t0)
    with pytest.raises(CodeRefused, match="expired"):
        order_confirmation.confirm_with_code(office.manager, late.id, code, now=t0 + TEN_MINUTES)
    assert code_rows(late)[-1].attempts == 0  # lateness does not use up a try
    nothing_was_confirmed(office, late, {"DRILL": 100, "PIPE": 100})

    in_time = submitted(office, [("DRILL", 1)])
    code, _token = send_code(office, in_time, now=t0)
    order = order_confirmation.confirm_with_code(office.manager, in_time.id, code,
                                                 now=t0 + TEN_MINUTES - timedelta(seconds=1))
    assert order.status is OrderStatus.CONFIRMED


def test_a_new_code_replaces_the_old_one(office):
    order = submitted(office)
    t0 = utcnow()
    old_code, _ = send_code(office, order, now=t0)
    new_code, _ = send_code(office, order, now=t0 + timedelta(seconds=61))
    if old_code != new_code:
        with pytest.raises(CodeRefused):
            order_confirmation.confirm_with_code(office.manager, order.id, old_code, now=t0 + timedelta(seconds=62))
    order = order_confirmation.confirm_with_code(office.manager, order.id, new_code,
                                                 now=t0 + timedelta(seconds=63))
    assert order.status is OrderStatus.CONFIRMED


# ---------------------------------------------------------------------------- what confirmation does

def test_the_right_code_confirms_the_order_and_does_everything_at_once(app, office):
    db.session.add(Stock(product_id=office.products["PIPE"].id, location_id=office.shop2.id, quantity=10))
    db.session.commit()
    give_bonus(office, 1_000_00)
    order = submitted(office, location=office.shop2, bonus=300_00)
    assert [(line.bonus, line.paid) for line in order.lines] == [(200_00, 1_700_00), (100_00, 849_99)]
    assert (order.bonus_redeemed, order.paid) == (300_00, 2_549_99)
    available_before = ledger.bonus_of(office.client.id).available
    now = utcnow()
    code, _token = send_code(office, order, now=now)

    order = order_confirmation.confirm_with_code(office.manager, order.id, code, now=now)

    assert order.status is OrderStatus.CONFIRMED and order.confirmed_at == now
    assert (order.due_date, order.received, order.paid_at) == (None, 0, None)  # prepaid, nothing paid yet
    # stock is taken at the order's location only
    assert (stock_of(office, "DRILL", office.shop2), stock_of(office, "PIPE", office.shop2)) == (3, 7)
    assert (stock_of(office, "DRILL"), stock_of(office, "PIPE")) == (100, 100)
    # the bonus is spent from the ledger
    bonus = ledger.bonus_of(office.client.id)
    assert available_before - bonus.available == order.bonus_redeemed == 300_00
    assert bonus.pending == 0
    assert code_rows(order)[-1].used_at == now
    # the invoice
    (invoice,) = invoices_of(order)
    assert (invoice.number, invoice.total, invoice.issued_at) == (order.number, 2_549_99, now)
    text = squeeze(pdf_text(invoice.pdf))
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        to_pay = squeeze(money(order.paid))
    assert to_pay == "2,549.99 ₽"
    assert order.number in text
    assert "ООО «Ромашка»" in text and "7707083893" in text
    assert f"To pay {to_pay}" in text
    # one 1C event with the order's own figures
    (event,) = outbox(order)
    assert (event.topic, event.key) == ("1c.order", f"1c:order:{order.id}:confirmed")
    payload = event.payload
    assert payload["lines"] == [
        {"sku": "DRILL", "name": "Product DRILL", "qty": 2, "price": 1_000_00, "discount": 100_00, "bonus": 200_00,
         "amount": 1_700_00},
        {"sku": "PIPE", "name": "Product PIPE", "qty": 3, "price": 333_33, "discount": 50_00, "bonus": 100_00,
         "amount": 849_99}]
    assert [line["amount"] for line in payload["lines"]] == [line.paid for line in order.lines]
    assert (payload["subtotal"], payload["discount"], payload["bonus"], payload["total"]) == (
        order.subtotal, order.discount, order.bonus_redeemed, order.paid) == (2_999_99, 150_00, 300_00, 2_549_99)
    assert (payload["number"], payload["client"]["tax_id"], payload["location"]) == (
        order.number, "7707083893", "SHOP2")
    assert (payload["payment_terms"], payload["due_date"]) == ("prepaid", None)
    assert db.session.scalar(db.select(db.func.count(OutboxEvent.id)).where(OutboxEvent.topic == "1c.order")) == 1
    # the history; the manager confirmed it themselves, so nobody else is told
    assert actions(order) == ["order_created", "order_submitted", "order_code_sent", "order_confirmed"]
    assert notes("order_confirmed") == []
    assert ledger.verify().ok


def test_deferred_terms_get_the_local_confirmation_date_plus_the_deferral(app, office):
    # 22:30 UTC is already the next day in Moscow (the default PORTAL_TIMEZONE)
    now = (utcnow() - timedelta(days=2)).replace(hour=22, minute=30, second=0, microsecond=0)
    order = submitted(office, payment_terms=PaymentTerms.DEFERRED)
    code, _token = send_code(office, order, now=now)
    order = order_confirmation.confirm_with_code(office.manager, order.id, code, now=now)
    due = local_day(app, now) + timedelta(days=14)
    assert order.due_date == due
    assert outbox(order)[0].payload["due_date"] == due.isoformat()
    assert "Pay by " + format_date(due, "long") in squeeze(pdf_text(invoices_of(order)[0].pdf))
    confirmed_event = audit.history_of(order)[-1]
    assert (confirmed_event.before["due_date"], confirmed_event.after["due_date"]) == (None, due.isoformat())


def test_the_credit_limit_is_checked_again_at_confirmation(office):
    give_bonus(office, 1_000_00)
    first = submitted(office, bonus=100_00, payment_terms=PaymentTerms.DEFERRED)  # 2 749.99 of money
    second = submitted(office, [("DRILL", 1)], payment_terms=PaymentTerms.DEFERRED)  # 950.00
    office.client.credit_limit = 2_749_99 + 950_00 - 1  # each fits alone, not both
    db.session.commit()
    first_code, _ = send_code(office, first)
    second_code, _ = send_code(office, second)
    order_confirmation.confirm_with_code(office.manager, second.id, second_code)
    assert stock_of(office, "DRILL") == 99

    with pytest.raises(ValidationError) as refused:
        order_confirmation.confirm_with_code(office.manager, first.id, first_code)
    assert {k: str(v) for k, v in refused.value.fields.items()} == {"payment_terms": (
        f"Deferred payment refused: {rub('2,749.99')} is over the credit left of {rub('2,749.98')} "
        f"(limit {rub('3,699.98')}, open debt {rub('950.00')}).")}
    nothing_was_confirmed(office, first, {"DRILL": 99, "PIPE": 100})
    assert ledger.bonus_of(office.client.id).available == 1_000_00  # nothing redeemed
    assert order_confirmation.code_state(first.id).usable  # the code was not spent either

    office.client.credit_limit += 1
    db.session.commit()
    assert order_confirmation.confirm_with_code(office.manager, first.id, first_code).status is OrderStatus.CONFIRMED


def test_short_stock_at_confirmation_is_refused_and_nothing_is_written(office):
    give_bonus(office, 1_000_00)
    first = submitted(office, [("DRILL", 60)])
    second = submitted(office, [("DRILL", 60), ("PIPE", 1)], bonus=100_00)
    first_code, _ = send_code(office, first)
    second_code, _ = send_code(office, second)
    order_confirmation.confirm_with_code(office.manager, first.id, first_code)
    with pytest.raises(InsufficientStock):
        order_confirmation.confirm_with_code(office.manager, second.id, second_code)
    nothing_was_confirmed(office, second, {"DRILL": 40, "PIPE": 100})
    assert ledger.bonus_of(office.client.id).available == 1_000_00
    assert db.session.scalar(db.select(db.func.count(Invoice.id))) == 1


def test_bonus_spent_elsewhere_meanwhile_refuses_confirmation(office):
    give_bonus(office, 300_00)
    order = submitted(office, bonus=300_00)
    code, _ = send_code(office, order)
    ledger.redeem(office.client.id, 1, "test:spent-elsewhere")
    db.session.commit()
    with pytest.raises(ledger.InsufficientBonus):
        order_confirmation.confirm_with_code(office.manager, order.id, code)
    nothing_was_confirmed(office, order, {"DRILL": 100, "PIPE": 100})
    assert ledger.bonus_of(office.client.id).available == 299_99
    assert ledger.verify().ok


# ------------------------------------------------------------------------------------------- the link

def test_the_link_from_the_sms_shows_and_confirms_the_order(office):
    order = submitted(office)
    _code, token = send_code(office, order)
    shown = order_confirmation.order_from_link(token)
    assert shown.id == order.id and shown.status is OrderStatus.AWAITING_CONFIRMATION
    assert reload(order).status is OrderStatus.AWAITING_CONFIRMATION  # looking changes nothing
    order = order_confirmation.confirm_with_link(token)
    assert order.status is OrderStatus.CONFIRMED
    assert (stock_of(office, "DRILL"), stock_of(office, "PIPE")) == (98, 97)
    assert len(invoices_of(order)) == 1 and [e.key for e in outbox(order)] == [f"1c:order:{order.id}:confirmed"]
    assert code_rows(order)[-1].used_at is not None
    with pytest.raises(CodeRefused):
        order_confirmation.confirm_with_link(token)  # once only
    with pytest.raises(CodeRefused):
        order_confirmation.order_from_link(token)


def test_a_tampered_link_is_refused(office):
    order = submitted(office)
    _code, token = send_code(office, order)
    payload, signature = token.rsplit(".", 1)
    flip = {True: "B", False: "A"}
    forged = [
        f"{payload}.{signature[:5]}{flip[signature[5] == 'A']}{signature[6:]}",  # a full 6-bit character
        f"{payload[:5]}{flip[payload[5] == 'A']}{payload[6:]}.{signature}",
        token + "x", "not-a-token", ""]
    for bad in forged:
        with pytest.raises(CodeRefused):
            order_confirmation.order_from_link(bad)
        with pytest.raises(CodeRefused):
            order_confirmation.confirm_with_link(bad)
    # a well signed link naming another order's code
    other = submitted(office, [("DRILL", 1)])
    send_code(office, other)
    crossed = order_confirmation._serializer().dumps({"order": order.id, "code": code_rows(other)[-1].id})
    with pytest.raises(CodeRefused):
        order_confirmation.confirm_with_link(crossed)
    nothing_was_confirmed(office, order, {"DRILL": 100, "PIPE": 100})


def test_a_link_for_an_older_code_is_refused(office):
    order = submitted(office)
    t0 = utcnow()
    _code, old_token = send_code(office, order, now=t0)
    _code, new_token = send_code(office, order, now=t0 + timedelta(seconds=61))
    later = t0 + timedelta(seconds=62)
    with pytest.raises(CodeRefused):
        order_confirmation.order_from_link(old_token, now=later)
    with pytest.raises(CodeRefused):
        order_confirmation.confirm_with_link(old_token, now=later)
    assert reload(order).status is OrderStatus.AWAITING_CONFIRMATION
    assert order_confirmation.confirm_with_link(new_token, now=later).status is OrderStatus.CONFIRMED


def test_an_expired_link_is_refused(office):
    order = submitted(office)
    t0 = utcnow()
    _code, token = send_code(office, order, now=t0)
    with pytest.raises(CodeRefused, match="expired"):
        order_confirmation.order_from_link(token, now=t0 + TEN_MINUTES)
    with pytest.raises(CodeRefused):
        order_confirmation.confirm_with_link(token, now=t0 + TEN_MINUTES + timedelta(seconds=1))
    nothing_was_confirmed(office, order, {"DRILL": 100, "PIPE": 100})
    assert order_confirmation.order_from_link(token, now=t0 + TEN_MINUTES - timedelta(seconds=1)).id == order.id


def test_a_link_for_an_order_no_longer_awaiting_confirmation_is_refused(office):
    order = submitted(office)
    _code, token = send_code(office, order)
    orders.cancel(office.manager, order.id)
    with pytest.raises(CodeRefused):
        order_confirmation.order_from_link(token)
    with pytest.raises(CodeRefused):
        order_confirmation.confirm_with_link(token)
    assert reload(order).status is OrderStatus.CANCELLED
    assert invoices_of(order) == [] and (stock_of(office, "DRILL"), stock_of(office, "PIPE")) == (100, 100)


def test_a_code_sent_before_the_order_was_changed_confirms_nothing(office):
    order = submitted(office, [("DRILL", 1)])
    t0 = utcnow()
    code, token = send_code(office, order, now=t0)  # the SMS says 950.00
    orders.reopen(office.manager, order.id)
    orders.update_draft(office.manager, order.id, draft(office, STANDARD))
    order = orders.submit(office.manager, order.id)
    assert order.paid == 2_849_99
    with pytest.raises(CodeRefused):
        order_confirmation.order_from_link(token, now=t0 + timedelta(minutes=1))
    with pytest.raises(CodeRefused):
        order_confirmation.confirm_with_code(office.manager, order.id, code, now=t0 + timedelta(minutes=1))


# ------------------------------------------------------------------------------- wholly paid with bonus

def test_an_order_paid_wholly_with_bonus_is_paid_at_confirmation(office):
    bonus_service.change_programme(None, max_redeem_share_bp=10_000)
    give_bonus(office, 3_000_00)
    order = submitted(office, bonus=2_849_99)
    assert (order.total, order.bonus_redeemed, order.paid) == (2_849_99, 2_849_99, 0)
    assert [(line.bonus, line.paid) for line in order.lines] == [(1_900_00, 0), (949_99, 0)]
    now = utcnow()
    code, _token = send_code(office, order, now=now)
    assert rub("0.00") in last_sms(office)["text"]
    order = order_confirmation.confirm_with_code(office.manager, order.id, code, now=now)
    assert order.status is OrderStatus.PAID
    assert (order.confirmed_at, order.paid_at, order.received, order.accrual) == (now, now, 0, 0)
    bonus = ledger.bonus_of(office.client.id)
    assert (bonus.available, bonus.pending) == (150_01, 0)
    assert (stock_of(office, "DRILL"), stock_of(office, "PIPE")) == (98, 97)
    (invoice,) = invoices_of(order)
    assert invoice.total == 0
    assert [e.key for e in outbox(order)] == [f"1c:order:{order.id}:confirmed", f"1c:order:{order.id}:paid"]
    assert [n.user_id for n in notes("order_paid")] == [office.manager.id]
    assert [n.client_id for n in notes("client_order_paid")] == [office.client.id]
    assert set(actions(order)) >= {"order_confirmed", "order_paid"}
    assert ledger.verify().ok


def test_an_order_paid_wholly_with_bonus_has_its_history_in_order(office):
    bonus_service.change_programme(None, max_redeem_share_bp=10_000)
    give_bonus(office, 3_000_00)
    order = submitted(office, bonus=2_849_99)
    code, _token = send_code(office, order)
    order = order_confirmation.confirm_with_code(office.manager, order.id, code)
    history = audit.history_of(order)
    assert [e.action for e in history][-2:] == ["order_confirmed", "order_paid"]
    confirmed_, paid_ = history[-2:]
    assert (confirmed_.before["status"], confirmed_.after["status"]) == ("awaiting_confirmation", "confirmed")
    assert (paid_.before["status"], paid_.after["status"]) == ("confirmed", "paid")

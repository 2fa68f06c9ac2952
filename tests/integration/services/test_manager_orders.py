"""A manager's orders (SPEC §3): drafts, access, sending, approval, reopening, cancelling,
completing, the client's debt and the history of changes, with exact amounts.

The helpers and the `office` fixture here are shared with test_order_confirmation.py and
test_order_payments.py (imported by name there).

Figures used throughout (the client has an approved 5 % discount):
    DRILL × 2 = 2 000.00 − 100.00 = 1 900.00
    PIPE  × 3 =   999.99 −  50.00 =   949.99   (5 % of 999.99 = 49.9995, half-up)
    subtotal 2 999.99, discount 150.00, total 2 849.99, bonus cap 30 % = 854.99 (rounded down)
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal import ledger
from portal.errors import DomainError, Forbidden, ValidationError
from portal.extensions import db
from portal.integrations.sms import sent_messages
from portal.models import (
    AddressKind,
    AuditEvent,
    ClientAddress,
    ClientKind,
    ClientStatus,
    DeliveryMethod,
    Invoice,
    Location,
    Notification,
    Order,
    OrderStatus,
    OutboxEvent,
    PaymentMethod,
    PaymentTerms,
    Stock,
    User,
    utcnow,
)
from portal.services import audit
from portal.services.clients import bonus as bonus_service
from portal.services.orders import confirmation as order_confirmation
from portal.services.orders import debt, orders, payments
from portal.services.orders.orders import DraftLine, OrderDraft

from ...factories import make_client, make_location, make_staff

NBSP = "\u00a0"

# ----------------------------------------------------------------------------------------- fixtures


@dataclass
class Office:
    warehouse: Location
    shop2: Location  # a second location with a little stock of its own
    products: dict
    client: object
    boss: User  # the manager's supervisor
    manager: User  # the client's responsible manager
    colleague: User  # another manager of the same team
    other_boss: User  # a supervisor of another team
    stranger: User  # a manager of the other team
    gifter: User  # a supervisor who gives the client bonus (not in anyone's way)
    sms: str


@pytest.fixture
def office(shop, ctx, tmp_path):
    ctx.config["SMS_FILE_PATH"] = str(tmp_path / "sms.jsonl")
    boss = make_staff("supervisor", name="Sonia Boss")
    manager = make_staff("manager", name="Max Manager", supervisor=boss)
    colleague = make_staff("manager", name="Carl Colleague", supervisor=boss)
    other_boss = make_staff("supervisor", name="Olga Other")
    stranger = make_staff("manager", name="Stan Stranger", supervisor=other_boss)
    gifter = make_staff("supervisor", name="Gift Desk")
    client = shop["client"]
    client.name = "ООО «Ромашка»"
    client.kind = ClientKind.LEGAL_ENTITY
    client.tax_id = "7707083893"
    client.manager_id = manager.id
    client.credit_limit = 10_000_00
    client.deferral_days = 14
    client.addresses.append(ClientAddress(kind=AddressKind.LEGAL, text="Moscow, Tverskaya 1"))
    shop2 = make_location("shop", code="SHOP2", name="Second shop")
    db.session.add(Stock(product_id=shop["products"]["DRILL"].id, location_id=shop2.id, quantity=5))
    db.session.commit()
    return Office(shop["warehouse"], shop2, shop["products"], client, boss, manager, colleague, other_boss,
                  stranger, gifter, ctx.config["SMS_FILE_PATH"])


# ------------------------------------------------------------------------------------------ helpers

STANDARD = (("DRILL", 2), ("PIPE", 3))  # 2 849.99 to pay, see the module docstring


def draft(office: Office, lines=STANDARD, *, client=None, location=None, **kwargs) -> OrderDraft:
    """An OrderDraft; a line is (sku, qty) or (sku, qty, discount_bp)."""
    return OrderDraft(client_id=(client or office.client).id, location_id=(location or office.warehouse).id,
                      lines=[DraftLine(*line) for line in lines], **kwargs)


def new_order(office: Office, lines=STANDARD, *, actor=None, **kwargs) -> Order:
    return orders.create_draft(actor or office.manager, draft(office, lines, **kwargs))


def submitted(office: Office, lines=STANDARD, *, actor=None, **kwargs) -> Order:
    order = new_order(office, lines, actor=actor, **kwargs)
    return orders.submit(actor or office.manager, order.id)


def give_bonus(office: Office, amount: int, client=None, now: datetime | None = None) -> None:
    client = client or office.client
    bonus_service.adjust(office.gifter, client.id, amount, "welcome gift", f"test:gift:{client.id}:{amount}:{now}",
                  now=now)
    db.session.commit()


def last_sms(office: Office) -> dict:
    return sent_messages(office.sms)[-1]


def code_in(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text).group(1)  # the first 6 digits: the code comes before the number


def token_in(text: str) -> str:
    return re.search(r"/my/confirm/(\S+)", text).group(1)


def send_code(office: Office, order: Order, now: datetime | None = None, actor=None) -> tuple[str, str]:
    """Send the confirmation SMS; return the code and the link's token from it."""
    order_confirmation.send_code(actor or office.manager, order.id, now=now)
    text = last_sms(office)["text"]
    return code_in(text), token_in(text)


def confirmed(office: Office, lines=STANDARD, *, now: datetime | None = None, actor=None, **kwargs) -> Order:
    order = submitted(office, lines, actor=actor, **kwargs)
    assert order.status is OrderStatus.AWAITING_CONFIRMATION, order.status
    code, _token = send_code(office, order, now=now, actor=actor)
    return order_confirmation.confirm_with_code(actor or office.manager, order.id, code, now=now)


def paid(office: Office, lines=STANDARD, *, now: datetime | None = None, **kwargs) -> Order:
    order = confirmed(office, lines, now=now, **kwargs)
    return payments.record_payment(office.manager, order.id, PaymentMethod.BANK_TRANSFER, order.outstanding,
                                         expected_outstanding=order.outstanding, now=now)


def stock_of(office: Office, sku: str, location=None) -> int:
    return db.session.scalar(db.select(Stock.quantity).where(
        Stock.product_id == office.products[sku].id, Stock.location_id == (location or office.warehouse).id))


def notes(kind: str, *, user: User | None = None, client=None) -> list[Notification]:
    stmt = db.select(Notification).where(Notification.kind == kind).order_by(Notification.id)
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    if client is not None:
        stmt = stmt.where(Notification.client_id == client.id)
    return list(db.session.scalars(stmt))


def outbox(order: Order) -> list[OutboxEvent]:
    return list(db.session.scalars(db.select(OutboxEvent).where(
        OutboxEvent.key.like(f"1c:order:{order.id}:%")).order_by(OutboxEvent.id)))


def invoices_of(order: Order) -> list[Invoice]:
    return list(db.session.scalars(db.select(Invoice).where(Invoice.order_id == order.id)))


def actions(order: Order) -> list[str]:
    return [event.action for event in audit.history_of(order)]


def rub(text: str) -> str:
    """An English UI amount: rub("2,849.99") -> "2,849.99 ₽" (with the no-break space)."""
    return f"{text}{NBSP}₽"


def local_day(app, moment: datetime):
    return moment.astimezone(ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def reload(order: Order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


# ------------------------------------------------------------------------------- rule 1: drafts

def test_a_draft_is_priced_with_the_clients_discount_or_the_lines_own(office):
    order = new_order(office, [("DRILL", 2), ("PIPE", 3, 1000)], comment="  call first  ")
    assert order.status is OrderStatus.DRAFT and order.number == f"M-{order.id:06d}"
    assert re.fullmatch(r"M-\d{6}", order.number)
    assert (order.created_by_id, order.client_id, order.location_id) == (
        office.manager.id, office.client.id, office.warehouse.id)
    drill, pipe = order.lines
    assert (drill.price, drill.qty, drill.discount_bp, drill.discount, drill.paid) == (
        1_000_00, 2, 500, 100_00, 1_900_00)
    # 10 % of 999.99 = 99.999 -> 100.00 half-up
    assert (pipe.price, pipe.qty, pipe.discount_bp, pipe.discount, pipe.paid) == (333_33, 3, 1000, 100_00, 899_99)
    assert (order.subtotal, order.discount, order.bonus_redeemed, order.paid, order.received, order.accrual) == (
        2_999_99, 200_00, 0, 2_799_99, 0, 0)
    assert order.comment == "call first"
    assert (order.payment_terms, order.delivery_method) == (PaymentTerms.PREPAID, DeliveryMethod.PICKUP)


def test_a_draft_without_explicit_rates_uses_the_approved_discount(office):
    order = new_order(office)
    assert [(line.discount_bp, line.discount, line.paid) for line in order.lines] == [
        (500, 100_00, 1_900_00), (500, 50_00, 949_99)]
    assert (order.subtotal, order.discount, order.paid) == (2_999_99, 150_00, 2_849_99)


def test_an_explicit_discount_on_a_non_discountable_product_is_refused(office):
    with pytest.raises(ValidationError) as refused:
        new_order(office, [("DRILL", 1), ("VALVE", 1, 300)])
    assert set(refused.value.fields) == {"lines-1-discount"}
    assert str(refused.value.fields["lines-1-discount"]) == "VALVE is sold without discounts."
    assert db.session.scalar(db.select(db.func.count(Order.id))) == 0


def test_a_non_discountable_product_at_rate_zero_is_sold_at_full_price(office):
    order = new_order(office, [("DRILL", 1), ("VALVE", 2, 0)])
    valve = order.lines[1]
    assert (valve.discount_bp, valve.discount, valve.paid) == (0, 0, 199_98)
    assert order.paid == 950_00 + 199_98


def test_the_clients_default_discount_skips_a_non_discountable_product(office):
    order = new_order(office, [("DRILL", 1), ("VALVE", 2)])
    valve = order.lines[1]
    assert (valve.discount, valve.paid) == (0, 199_98)
    assert (order.subtotal, order.discount, order.paid) == (1_199_98, 50_00, 1_149_98)


def test_unknown_sku_and_bad_quantities_are_keyed_by_line(office):
    with pytest.raises(ValidationError) as refused:
        new_order(office, [("DRILL", 1), ("NOPE", 1), ("PIPE", 0), ("VALVE", 100_001, 0), ("DRILL", "2")])
    assert set(refused.value.fields) == {"lines-1-sku", "lines-2-qty", "lines-3-qty", "lines-4-qty"}
    assert str(refused.value.fields["lines-1-sku"]) == "Unknown product NOPE."
    assert str(refused.value.fields["lines-2-qty"]) == "The quantity must be a whole number from 1 to 100000."
    assert db.session.scalar(db.select(db.func.count(Order.id))) == 0


def test_sku_lookup_ignores_case_and_spaces(office):
    order = new_order(office, [(" drill ", 1)])
    assert order.lines[0].sku == "DRILL" and order.paid == 950_00


def test_an_empty_draft_is_refused(office):
    with pytest.raises(ValidationError) as refused:
        new_order(office, [])
    assert set(refused.value.fields) == {"lines"}


def test_creating_a_draft_records_order_created(office):
    order = new_order(office)
    (event,) = audit.history_of(order)
    assert (event.action, event.actor_id, event.object_type, event.object_id) == (
        "order_created", office.manager.id, "orders", order.id)
    assert not any((event.before or {}).values())  # nothing before it was made
    assert event.after["status"] == "draft" and event.after["to_pay"] == 2_849_99
    assert [text.split(" @ ")[0] for text in event.after["lines"]] == ["DRILL × 2", "PIPE × 3"]


def test_update_draft_replaces_lines_and_records_only_what_changed(office):
    order = new_order(office)
    order = orders.update_draft(office.manager, order.id, draft(office, [("DRILL", 1)], comment="call first"))
    assert [(line.line_no, line.sku, line.qty, line.paid) for line in order.lines] == [(1, "DRILL", 1, 950_00)]
    assert (order.subtotal, order.discount, order.paid) == (1_000_00, 50_00, 950_00)
    assert db.session.scalar(db.select(db.func.count()).select_from(db.metadata.tables["order_lines"])) == 1
    created, updated = audit.history_of(order)
    assert (created.action, updated.action, updated.actor_id) == ("order_created", "order_updated", office.manager.id)
    assert set(updated.before) == set(updated.after) == {"lines", "subtotal", "discount", "to_pay", "comment"}
    assert [text.split(" @ ")[0] for text in updated.before["lines"]] == ["DRILL × 2", "PIPE × 3"]
    assert [text.split(" @ ")[0] for text in updated.after["lines"]] == ["DRILL × 1"]
    assert {k: v for k, v in updated.before.items() if k != "lines"} == {
        "subtotal": 2_999_99, "discount": 150_00, "to_pay": 2_849_99, "comment": ""}
    assert {k: v for k, v in updated.after.items() if k != "lines"} == {
        "subtotal": 1_000_00, "discount": 50_00, "to_pay": 950_00, "comment": "call first"}


def test_only_a_draft_can_be_edited(office):
    order = submitted(office)
    with pytest.raises(DomainError, match="Only a draft can be edited"):
        orders.update_draft(office.manager, order.id, draft(office, [("DRILL", 1)]))
    order = reload(order)
    assert order.status is OrderStatus.AWAITING_CONFIRMATION and order.paid == 2_849_99
    assert actions(order) == ["order_created", "order_submitted"]


def test_the_client_of_an_order_cannot_be_changed(office):
    order = new_order(office)
    someone_else = make_client(office.manager, name="Another client")
    with pytest.raises(ValidationError) as refused:
        orders.update_draft(office.manager, order.id, draft(office, client=someone_else))
    assert set(refused.value.fields) == {"client_id"}
    assert reload(order).client_id == office.client.id


def test_a_manager_cannot_order_for_another_managers_client(office):
    with pytest.raises(Forbidden):
        new_order(office, actor=office.colleague)
    with pytest.raises(Forbidden):
        new_order(office, actor=office.stranger)
    assert db.session.scalar(db.select(db.func.count(Order.id))) == 0


def test_a_manager_cannot_open_another_managers_order(office):
    order = new_order(office)
    assert orders.order_for(office.manager, order.id).id == order.id
    for outsider in (office.colleague, office.stranger, office.other_boss):
        with pytest.raises(Forbidden):
            orders.order_for(outsider, order.id)
    with pytest.raises(Forbidden):
        orders.update_draft(office.stranger, order.id, draft(office, [("DRILL", 1)]))
    with pytest.raises(Forbidden):
        orders.submit(office.colleague, order.id)


def test_a_supervisor_orders_for_their_team_and_not_for_another(office):
    order = new_order(office, actor=office.boss)
    assert order.created_by_id == office.boss.id
    assert orders.order_for(office.boss, order.id).id == order.id
    assert orders.order_for(office.manager, order.id).id == order.id  # the client's manager sees it too
    with pytest.raises(Forbidden):
        new_order(office, actor=office.other_boss)
    with pytest.raises(Forbidden):
        orders.order_for(office.other_boss, new_order(office).id)


# ------------------------------------------------------------------------------- rule 2: submit

def test_a_discount_above_the_approved_rate_needs_approval(office):
    order = submitted(office, [("DRILL", 2, 700), ("PIPE", 3)])
    assert order.status is OrderStatus.AWAITING_APPROVAL
    assert (order.discount, order.paid) == (140_00 + 50_00, 1_860_00 + 949_99)
    (note,) = notes("order_approval_requested")
    assert note.user_id == office.boss.id and note.link == f"/manager/orders/{order.id}"
    assert note.params == {"by": "Max Manager", "number": order.number}
    assert actions(order) == ["order_created", "order_approval_requested"]


def test_a_discount_at_or_below_the_approved_rate_goes_to_confirmation(office):
    order = submitted(office, [("DRILL", 2, 500), ("PIPE", 3, 200)])
    assert order.status is OrderStatus.AWAITING_CONFIRMATION
    assert notes("order_approval_requested") == []
    assert actions(order) == ["order_created", "order_submitted"]
    event = audit.history_of(order)[-1]
    assert (event.before, event.after) == ({"status": "draft"}, {"status": "awaiting_confirmation"})


def test_submit_refuses_short_stock_at_the_orders_location(office):
    order = new_order(office, [("DRILL", 101)])  # a draft may wait for stock
    with pytest.raises(ValidationError) as refused:
        orders.submit(office.manager, order.id)
    assert set(refused.value.fields) == {"lines-0-qty"}
    message = f"Only 100 of DRILL in stock at {office.warehouse.name}."
    assert str(refused.value.fields["lines-0-qty"]) == message
    assert str(refused.value.message) == f"The order cannot be sent yet: {message}"
    assert reload(order).status is OrderStatus.DRAFT


def test_stock_elsewhere_does_not_count(office):
    # 100 in the warehouse, 5 in the second shop
    short = new_order(office, [("DRILL", 6)], location=office.shop2)
    with pytest.raises(ValidationError) as refused:
        orders.submit(office.manager, short.id)
    assert str(refused.value.fields["lines-0-qty"]) == "Only 5 of DRILL in stock at Second shop."
    enough = submitted(office, [("DRILL", 5)], location=office.shop2)
    assert enough.status is OrderStatus.AWAITING_CONFIRMATION


def test_submit_counts_the_same_product_on_two_lines_together(office):
    order = new_order(office, [("DRILL", 60), ("DRILL", 60)])
    with pytest.raises(ValidationError):
        orders.submit(office.manager, order.id)


def test_bonus_up_to_the_cap_is_accepted_and_priced(office):
    give_bonus(office, 1_000_00)
    order = submitted(office, bonus=854_99)  # 30 % of 2 849.99 = 854.997, rounded down
    assert order.status is OrderStatus.AWAITING_CONFIRMATION
    assert (order.total, order.bonus_redeemed, order.paid) == (2_849_99, 854_99, 1_995_00)
    assert sum(line.bonus for line in order.lines) == 854_99
    assert all(line.price * line.qty - line.discount == line.bonus + line.paid for line in order.lines)


def test_submit_refuses_bonus_over_what_the_client_has(office):
    give_bonus(office, 300_00)
    order = new_order(office, bonus=300_00)
    assert order.bonus_redeemed == 300_00
    # The client spends 0.01 elsewhere before the order is sent.
    ledger.redeem(office.client.id, 1, "test:spent-elsewhere")
    db.session.commit()
    with pytest.raises(ValidationError) as refused:
        orders.submit(office.manager, order.id)
    assert set(refused.value.fields) == {"bonus"}
    assert str(refused.value.fields["bonus"]) == (
        f"At most {rub('299.99')} of bonus can be spent on this order (the client has {rub('299.99')}).")
    assert reload(order).status is OrderStatus.DRAFT


def test_submit_refuses_bonus_over_the_cap(office):
    give_bonus(office, 1_000_00)
    order = new_order(office, bonus=854_99)
    bonus_service.change_programme(None, max_redeem_share_bp=2999)  # the cap becomes 854.71 (854.7147, down)
    with pytest.raises(ValidationError) as refused:
        orders.submit(office.manager, order.id)
    assert str(refused.value.fields["bonus"]) == (
        f"At most {rub('854.71')} of bonus can be spent on this order (the client has {rub('1,000.00')}).")
    assert reload(order).status is OrderStatus.DRAFT


def test_bonus_over_the_cap_is_never_silently_dropped(office):
    give_bonus(office, 1_000_00)
    try:
        order = new_order(office, bonus=855_00)
    except ValidationError as refused_at_once:
        assert "bonus" in refused_at_once.fields
        return
    assert order.bonus_redeemed == 855_00
    with pytest.raises(ValidationError) as refused:
        orders.submit(office.manager, order.id)
    assert "bonus" in refused.value.fields


def test_a_negative_bonus_is_refused_at_once(office):
    with pytest.raises(ValidationError) as refused:
        new_order(office, bonus=-1)
    assert set(refused.value.fields) == {"bonus"}


def test_courier_delivery_needs_an_address(office):
    for method in (DeliveryMethod.COURIER, DeliveryMethod.CARRIER):
        with pytest.raises(ValidationError) as refused:
            new_order(office, delivery_method=method, delivery_address="   ")
        assert set(refused.value.fields) == {"delivery_address"}
    order = new_order(office, delivery_method=DeliveryMethod.COURIER, delivery_address=" Moscow,   Arbat 1 ")
    assert order.delivery_address == "Moscow, Arbat 1"
    assert orders.submit(office.manager, order.id).status is OrderStatus.AWAITING_CONFIRMATION


def test_submit_refuses_a_courier_order_without_an_address(office):
    # Drafts cannot be saved so; the order is made so behind the service's back to test submit itself.
    order = new_order(office)
    order.delivery_method = DeliveryMethod.COURIER
    db.session.commit()
    with pytest.raises(ValidationError) as refused:
        orders.submit(office.manager, order.id)
    assert set(refused.value.fields) == {"delivery_address"}
    assert "Enter the delivery address." in str(refused.value.message)
    assert reload(order).status is OrderStatus.DRAFT


def test_deferred_terms_are_refused_for_a_pending_client(office):
    office.client.status = ClientStatus.PENDING
    db.session.commit()
    order = new_order(office, payment_terms=PaymentTerms.DEFERRED)
    with pytest.raises(ValidationError) as refused:
        orders.submit(office.manager, order.id)
    assert {k: str(v) for k, v in refused.value.fields.items()} == {
        "payment_terms": "Deferred payment needs a client approved by the supervisor."}
    assert orders.submit(office.manager, new_order(office).id).status is OrderStatus.AWAITING_CONFIRMATION


def test_deferred_terms_are_refused_without_a_credit_limit(office):
    office.client.credit_limit = 0
    db.session.commit()
    order = new_order(office, payment_terms=PaymentTerms.DEFERRED)
    with pytest.raises(ValidationError) as refused:
        orders.submit(office.manager, order.id)
    assert {k: str(v) for k, v in refused.value.fields.items()} == {
        "payment_terms": "This client has no credit limit: only prepaid orders are possible."}


def test_deferred_terms_exactly_at_the_credit_limit_and_one_kopeck_over(office):
    first = confirmed(office, payment_terms=PaymentTerms.DEFERRED)  # 2 849.99 owed
    assert debt.debt_of(office.client.id).open == 2_849_99
    order = new_order(office, [("DRILL", 1)], payment_terms=PaymentTerms.DEFERRED)  # 950.00
    office.client.credit_limit = 2_849_99 + 950_00 - 1
    db.session.commit()
    with pytest.raises(ValidationError) as refused:
        orders.submit(office.manager, order.id)
    assert {k: str(v) for k, v in refused.value.fields.items()} == {"payment_terms": (
        f"Deferred payment refused: {rub('950.00')} is over the credit left of {rub('949.99')} "
        f"(limit {rub('3,799.98')}, open debt {rub('2,849.99')}).")}
    assert reload(order).status is OrderStatus.DRAFT

    office.client.credit_limit = 2_849_99 + 950_00
    db.session.commit()
    assert orders.submit(office.manager, order.id).status is OrderStatus.AWAITING_CONFIRMATION
    assert first.status is OrderStatus.CONFIRMED


def test_the_bonus_part_does_not_count_against_the_credit_limit(office):
    give_bonus(office, 1_000_00)
    office.client.credit_limit = 1_995_00  # 2 849.99 - 854.99 bonus
    db.session.commit()
    order = submitted(office, bonus=854_99, payment_terms=PaymentTerms.DEFERRED)
    assert order.status is OrderStatus.AWAITING_CONFIRMATION and order.paid == 1_995_00


def test_open_and_overdue_debt(app, office):
    client = office.client
    now = utcnow()
    today = local_day(app, now)
    long_ago = now - timedelta(days=20)  # due 14 days after: 6 days ago
    overdue = confirmed(office, [("DRILL", 1)], payment_terms=PaymentTerms.DEFERRED, now=long_ago)  # 950.00
    assert overdue.due_date == local_day(app, long_ago) + timedelta(days=14)
    current = confirmed(office, payment_terms=PaymentTerms.DEFERRED, now=now)  # 2 849.99, partly paid below
    payments.record_payment(office.manager, current.id, PaymentMethod.CASH, 849_99,
                                  expected_outstanding=2_849_99, now=now)
    # None of these owes anything:
    confirmed(office, [("PIPE", 1)], now=now)  # prepaid: its goods wait for the money
    submitted(office, [("PIPE", 2)], payment_terms=PaymentTerms.DEFERRED)  # not confirmed yet
    new_order(office, [("PIPE", 3)], payment_terms=PaymentTerms.DEFERRED)  # a draft
    paid(office, [("VALVE", 1, 0)], payment_terms=PaymentTerms.DEFERRED, now=now)  # paid in full
    cancelled = confirmed(office, [("DRILL", 3)], payment_terms=PaymentTerms.DEFERRED, now=now)
    orders.cancel(office.manager, cancelled.id)
    other = make_client(office.manager, name="Other debtor", credit_limit=10_000_00, deferral_days=7)
    other_order = orders.create_draft(office.manager, draft(office, [("DRILL", 1)], client=other,
                                                            payment_terms=PaymentTerms.DEFERRED))
    orders.submit(office.manager, other_order.id)
    order_confirmation.confirm_with_code(office.manager, other_order.id,
                                         send_code(office, other_order)[0])

    owed = debt.debt_of(client.id, today)
    assert (today - overdue.due_date).days == 6
    assert (owed.open, owed.overdue, owed.days_overdue) == (950_00 + 2_000_00, 950_00, 6)
    assert debt.debt_of(other.id, today).open == 1_000_00  # no discount for that one
    assert debt.debt_of(client.id, overdue.due_date).overdue == 0  # due that day: not overdue yet


# ----------------------------------------------------------------------------- rule 3: approval

def test_approve_sends_the_order_to_confirmation_and_tells_the_author(office):
    order = submitted(office, [("DRILL", 2, 700)])
    order = orders.approve(office.boss, order.id)
    assert order.status is OrderStatus.AWAITING_CONFIRMATION and order.decision_comment == ""
    (note,) = notes("order_approved")
    assert note.user_id == office.manager.id
    assert note.params == {"by": "Sonia Boss", "number": order.number, "comment": ""}
    event = audit.history_of(order)[-1]
    assert (event.action, event.actor_id, event.before, event.after) == (
        "order_approved", office.boss.id, {"status": "awaiting_approval"}, {"status": "awaiting_confirmation"})
    # The approved discount stays as it was.
    assert (order.lines[0].discount, order.paid) == (140_00, 1_860_00)


def test_reject_needs_a_comment_and_returns_the_order_to_draft(office):
    order = submitted(office, [("DRILL", 2, 700)])
    for blank in ("", "   "):
        with pytest.raises(ValidationError) as refused:
            orders.reject(office.boss, order.id, blank)
        assert set(refused.value.fields) == {"comment"}
    assert reload(order).status is OrderStatus.AWAITING_APPROVAL
    order = orders.reject(office.boss, order.id, "  7 % is  too much ")
    assert order.status is OrderStatus.DRAFT and order.decision_comment == "7 % is too much"
    (note,) = notes("order_rejected")
    assert note.user_id == office.manager.id and note.params["comment"] == "7 % is too much"
    assert notes("order_approved") == []
    assert actions(order)[-1] == "order_rejected"
    # Sent again with the approved rate, it goes straight on, and the old decision is cleared.
    order = orders.update_draft(office.manager, order.id, draft(office, [("DRILL", 2)]))
    order = orders.submit(office.manager, order.id)
    assert order.status is OrderStatus.AWAITING_CONFIRMATION and order.decision_comment == ""


def test_a_manager_cannot_approve_or_reject(office):
    order = submitted(office, [("DRILL", 2, 700)])
    for person in (office.manager, office.colleague):
        with pytest.raises(Forbidden):
            orders.approve(person, order.id)
        with pytest.raises(Forbidden):
            orders.reject(person, order.id, "no")
    with pytest.raises(Forbidden):  # a supervisor of another team
        orders.approve(office.other_boss, order.id)
    assert reload(order).status is OrderStatus.AWAITING_APPROVAL
    assert notes("order_approved") == [] and notes("order_rejected") == []


def test_only_an_order_awaiting_approval_can_be_decided(office):
    order = submitted(office)
    with pytest.raises(DomainError):
        orders.approve(office.boss, order.id)
    assert reload(order).status is OrderStatus.AWAITING_CONFIRMATION


def test_reopen_takes_an_awaiting_order_back_to_draft(office):
    waiting_approval = submitted(office, [("DRILL", 1, 700)])
    waiting_client = submitted(office, [("DRILL", 1)])
    draft_order = new_order(office, [("DRILL", 1)])
    for order in (waiting_approval, waiting_client):
        order = orders.reopen(office.manager, order.id)
        assert order.status is OrderStatus.DRAFT
        assert actions(order)[-1] == "order_reopened"
    with pytest.raises(DomainError):
        orders.reopen(office.manager, draft_order.id)
    done = confirmed(office, [("DRILL", 1)])
    with pytest.raises(DomainError):
        orders.reopen(office.manager, done.id)
    assert reload(done).status is OrderStatus.CONFIRMED


# ------------------------------------------------------------------------------- rule 6: cancel

def test_cancel_before_confirmation(office):
    for order in (new_order(office, [("DRILL", 1)]), submitted(office, [("DRILL", 1, 700)]),
                  submitted(office, [("DRILL", 1)])):
        before = order.status
        order = orders.cancel(office.manager, order.id)
        assert order.status is OrderStatus.CANCELLED and order.cancelled_at is not None
        event = audit.history_of(order)[-1]
        assert (event.action, event.before, event.after) == (
            "order_cancelled", {"status": before.value}, {"status": "cancelled"})
        assert outbox(order) == []
    assert stock_of(office, "DRILL") == 100


def test_cancelling_a_confirmed_order_puts_the_goods_back_and_restores_the_bonus(office):
    give_bonus(office, 1_000_00)
    order = confirmed(office, bonus=854_99)
    assert (stock_of(office, "DRILL"), stock_of(office, "PIPE")) == (98, 97)
    assert ledger.bonus_of(office.client.id).available == 1_000_00 - 854_99
    order = orders.cancel(office.manager, order.id)
    assert order.status is OrderStatus.CANCELLED
    assert (stock_of(office, "DRILL"), stock_of(office, "PIPE")) == (100, 100)
    bonus = ledger.bonus_of(office.client.id)
    assert (bonus.available, bonus.pending) == (1_000_00, 0)
    assert [(e.key, e.payload) for e in outbox(order)][-1] == (
        f"1c:order:{order.id}:cancelled", {"order": order.number, "event": "cancelled"})
    assert ledger.verify().ok


def test_cancel_is_refused_once_money_came_in(office):
    order = confirmed(office)
    payments.record_payment(office.manager, order.id, PaymentMethod.CASH, 1,
                                  expected_outstanding=2_849_99)
    with pytest.raises(DomainError, match="Money has been received"):
        orders.cancel(office.manager, order.id)
    order = reload(order)
    assert order.status is OrderStatus.CONFIRMED and order.received == 1
    assert (stock_of(office, "DRILL"), stock_of(office, "PIPE")) == (98, 97)


def test_a_paid_order_cannot_be_cancelled_and_complete_is_only_from_paid(office):
    confirmed_order = confirmed(office, [("DRILL", 1)])
    with pytest.raises(DomainError):
        orders.complete(office.manager, confirmed_order.id)
    order = paid(office)
    with pytest.raises(DomainError):
        orders.cancel(office.manager, order.id)
    assert reload(order).status is OrderStatus.PAID
    order = orders.complete(office.manager, order.id)
    assert order.status is OrderStatus.COMPLETED
    assert actions(order)[-1] == "order_completed"
    with pytest.raises(DomainError):
        orders.cancel(office.manager, order.id)
    with pytest.raises(DomainError):
        orders.complete(office.manager, order.id)


# ------------------------------------------------------------------------------ rule 7: history

def test_the_history_of_a_whole_order(office):
    order = confirmed(office)
    order = payments.record_payment(office.manager, order.id, PaymentMethod.BANK_TRANSFER, 2_849_99,
                                          expected_outstanding=2_849_99)
    history = audit.history_of(order)
    assert [(e.action, e.actor_id) for e in history] == [
        ("order_created", office.manager.id), ("order_submitted", office.manager.id),
        ("order_code_sent", office.manager.id), ("order_confirmed", office.manager.id),
        ("order_payment_recorded", office.manager.id), ("order_paid", office.manager.id)]
    created, submitted_, code_sent, confirmed_, payment, paid_ = history
    assert not any((created.before or {}).values()) and created.after["status"] == "draft"
    assert (submitted_.before, submitted_.after) == ({"status": "draft"}, {"status": "awaiting_confirmation"})
    assert code_sent.after == {"phone": office.client.primary_phone}
    assert confirmed_.before["status"] == "awaiting_confirmation" and confirmed_.after["status"] == "confirmed"
    assert "due_date" not in confirmed_.after  # prepaid: no due date, so it did not change
    assert (payment.before, payment.after) == ({"received": 0}, {"received": 2_849_99})
    assert (paid_.before, paid_.after) == ({"status": "confirmed"}, {"status": "paid"})
    assert all(e.object_type == "orders" and e.object_id == order.id for e in history)
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(
        AuditEvent.object_type == "orders", AuditEvent.object_id == order.id)) == 6


def test_the_history_of_an_order_confirmed_by_the_clients_link(office):
    order = submitted(office)
    _code, token = send_code(office, order)
    order = order_confirmation.confirm_with_link(token)
    assert [(e.action, e.actor_id) for e in audit.history_of(order)][-1] == ("order_confirmed", None)
    (note,) = notes("order_confirmed")
    assert note.user_id == office.manager.id and note.params == {"client": office.client.name,
                                                                 "number": order.number}

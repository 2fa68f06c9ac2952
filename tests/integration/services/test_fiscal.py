"""Fiscal receipts (SPEC §11) against a stand-in of ATOL's driver v10 web server (tests/atol_stand_in):
each till sale, return, register shift and cash movement becomes a fiscal document in its own
transaction, registered through the outbox with its attributes; the register's errors are retried
with the reason kept; a register that answers late is read back by the same uuid, never registered
twice; a shift does not close while its documents await registration."""
from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from flask import current_app

from portal.errors import ValidationError
from portal.extensions import db
from portal.models import CashMovementKind, FiscalDocument, FiscalKind, FiscalStatus, OutboxEvent, Shift, utcnow
from portal.services.clients import bonus as bonus_service
from portal.services.fiscal import documents as fiscal
from portal.services.fiscal import registration
from portal.services.messaging import delivery
from portal.services.sales import cash, returns, shifts, till
from portal.services.sales.returns import ReturnRequest

from ...atol_stand_in import FN_NUMBER, AtolStandIn
from ...factories import make_client, make_location, make_product, make_staff


@pytest.fixture
def register():
    with AtolStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def desk(ctx, register):
    """A shop whose register is the stand-in, a cashier, products at 20 %, 10 % and without VAT, and a
    client with 500.00 of bonus."""
    ctx.config.update(FISCAL_BACKEND="atol", FISCAL_WAIT_SECONDS=0.3, FISCAL_TIMEOUT=5, OUTBOX_BACKOFF_JITTER=0)
    shop = make_location("shop", code="SH1")
    shop.fiscal_register_url = register.url
    cashier = make_staff("cashier", shop=shop, name="Anna Kassirova")
    drill = make_product("DRILL", 1_234_56, stock={shop: 50}, name="Drill")
    berry = make_product("BERRY", 33_33, stock={shop: 50}, name="Berry")
    book = make_product("BOOK", 99_99, stock={shop: 50}, name="Book")
    drill.vat_rate, berry.vat_rate, book.vat_rate = "20", "10", "none"
    client = make_client(name="Regular", phone="+79161234567")
    bonus_service.adjust(make_staff("supervisor"), client.id, 500_00, "welcome gift", "test:fiscal:gift")
    db.session.commit()
    return {"shop": shop, "cashier": cashier, "drill": drill, "berry": berry, "book": book, "client": client}


def drain(hours: float = 0):
    """Run the outbox's fiscal deliveries as the worker would, `hours` from now (past any back-off)."""
    at = utcnow() + timedelta(hours=hours)
    return delivery.deliver_due(topics=[fiscal.TOPIC], now=lambda: at)


def ring_up(cashier, items, *, card=0, tendered=None, client=None, bonus=0):
    for product, qty in items:
        till.add(cashier, product.id, by=qty)
    if client is not None:
        till.attach_client(cashier, client.primary_phone)
        if bonus:
            till.set_bonus(cashier, bonus)
    cart = till.view(cashier)
    tendered = cart.to_pay - card if tendered is None else tendered  # exact cash unless said
    return till.checkout(cashier, card=card, cash_tendered=tendered, version=cart.cart.version).order


def document(kind: FiscalKind, **where) -> FiscalDocument:
    db.session.expire_all()
    return db.session.scalar(db.select(FiscalDocument).filter_by(kind=kind, **where))


def test_a_till_sale_is_registered_with_exact_amounts_vat_per_line_and_the_fiscal_attributes(desk, register):
    cashier = desk["cashier"]
    shifts.open_shift(cashier, 1_000_00)
    order = ring_up(cashier, [(desk["drill"], 1), (desk["berry"], 3), (desk["book"], 1)], card=1_000_00,
                    tendered=500_00, client=desk["client"], bonus=100_00)
    sale = document(FiscalKind.SALE, order_id=order.id)
    assert sale.status is FiscalStatus.PENDING and sale.document_number is None  # awaiting registration
    event = db.session.scalar(db.select(OutboxEvent).where(OutboxEvent.key == f"fiscal:{sale.id}"))
    assert event.topic == "fiscal" and event.delivered_at is None

    result = drain()
    assert result.delivered == 2 and result.failed_tries == 0  # the register's shift, then the sale

    sale = document(FiscalKind.SALE, order_id=order.id)
    assert sale.status is FiscalStatus.REGISTERED and sale.last_error == ""
    (task,) = register.registered("sell")
    assert task.uuid == sale.uuid
    assert (sale.fn_number, sale.document_number, sale.receipt_number, sale.register_shift_number) == (
        FN_NUMBER, task.result["result"]["fiscalParams"]["fiscalDocumentNumber"], 1, 7)
    assert sale.fiscal_sign == task.result["result"]["fiscalParams"]["fiscalDocumentSign"]
    assert sale.registered_at is not None
    stamp = task.result["result"]["fiscalParams"]["fiscalDocumentDateTime"]  # 2026-12-08T03:15:00+03:00
    when = stamp[:4] + stamp[5:7] + stamp[8:10] + "T" + stamp[11:13] + stamp[14:16]
    assert sale.qr == (f"t={when}&s=1434.54&fn={FN_NUMBER}&i={sale.document_number}&fp={sale.fiscal_sign}&n=1")

    sent = task.task
    assert sent["type"] == "sell" and sent["operator"] == {"name": "Anna Kassirova"}
    assert sent["clientInfo"] == {"emailOrPhone": "+79161234567"}
    lines = [(i["name"], i["price"], i["quantity"], i["amount"], i["tax"]["type"], i["tax"]["sum"]) for i in sent["items"]]
    assert lines == [("Drill", Decimal("1234.56"), 1, Decimal("1234.56"), "vat20", Decimal("205.76")),
                     ("Berry", Decimal("33.33"), 3, Decimal("99.99"), "vat10", Decimal("9.09")),
                     ("Book", Decimal("99.99"), 1, Decimal("99.99"), "none", Decimal("0.00"))]
    assert [(line.vat_rate, line.vat) for line in order.lines] == [("20", 205_76), ("10", 9_09), ("none", 0)]
    # 1 434.54 in all: 100.00 of bonus ("other"), 1 000.00 on the card, the rest, 334.54, in cash
    assert sent["payments"] == [{"type": "cash", "sum": Decimal("334.54")},
                                {"type": "electronically", "sum": Decimal("1000.00")},
                                {"type": "other", "sum": Decimal("100.00")}]
    assert sent["total"] == Decimal("1434.54")
    # The amounts went as exact decimal text, never through a float.
    assert '"amount": 1234.56' in task.body and '"total": 1434.54' in task.body and '"sum": 9.09' in task.body
    assert event.id and db.session.get(OutboxEvent, event.id).delivery_ref == f"ФД {sale.document_number}"


def test_register_errors_are_retried_with_back_off_and_the_reason_kept_until_it_registers_once(desk, register):
    cashier = desk["cashier"]
    register.will("ok", "busy", "paper_out", "shift_expired", "ok")
    shifts.open_shift(cashier, 0)
    drain()  # the register's shift opens ("ok")
    order = ring_up(cashier, [(desk["berry"], 1)])
    first_uuid = document(FiscalKind.SALE, order_id=order.id).uuid

    for n, (code, words) in enumerate(((55, "busy"), (44, "paper"), (68, "24 hours")), start=1):
        result = drain(hours=10 * n)  # later than any back-off so far
        assert (result.delivered, result.failed_tries) == (0, 1)
        sale = document(FiscalKind.SALE, order_id=order.id)
        assert sale.status is FiscalStatus.PENDING and sale.last_error.startswith(f"[{code}] ")
        assert words in registration.advice(sale)
        event = db.session.scalar(db.select(OutboxEvent).where(OutboxEvent.key == f"fiscal:{sale.id}"))
        assert event.last_error == sale.last_error and event.available_at > utcnow()  # tried again later
        assert drain().attempts == 0  # not before its back-off is over

    assert drain(hours=500).delivered == 1
    sale = document(FiscalKind.SALE, order_id=order.id)
    assert sale.status is FiscalStatus.REGISTERED and sale.last_error == ""
    # Each refusal registered nothing, so each retry was a new task; the register has one sale.
    assert len({first_uuid, *register.posts[1:]}) == 4 and len(register.registered("sell")) == 1


def test_a_late_register_is_read_back_by_the_same_uuid_and_never_registers_twice(desk, register):
    cashier = desk["cashier"]
    shifts.open_shift(cashier, 0)
    drain()
    register.late_polls = 10_000  # "wait", then "inProgress" for as long as the attempt waits
    order = ring_up(cashier, [(desk["drill"], 2)])
    sale = document(FiscalKind.SALE, order_id=order.id)

    result = drain(hours=1)
    assert (result.delivered, result.failed_tries) == (0, 1)
    sale = document(FiscalKind.SALE, order_id=order.id)
    assert sale.status is FiscalStatus.PENDING and "inProgress" in sale.last_error
    register.late_polls = 0  # the register finishes
    assert drain(hours=3).delivered == 1
    sale = document(FiscalKind.SALE, order_id=order.id)
    assert sale.status is FiscalStatus.REGISTERED
    # The second attempt posted the same uuid (the register answered 409) and read the result.
    assert register.posts.count(sale.uuid) == 2 and len(register.registered("sell")) == 1
    assert register.registered("sell")[0].task["total"] == Decimal("2469.12")


def test_a_shift_does_not_close_while_its_documents_await_registration(desk, register):
    cashier = desk["cashier"]
    shift = shifts.open_shift(cashier, 100_00)
    order = ring_up(cashier, [(desk["book"], 1)])
    with pytest.raises(shifts.FiscalPending) as refused:
        shifts.close_shift(cashier, 199_99)
    assert refused.value.waiting == ["Opening of the register's shift", f"Sale receipt {order.number}"]
    assert db.session.get(Shift, shift.id).closed_at is None  # nothing was written

    drain()
    z = shifts.close_shift(cashier, 199_99)
    assert z.shift.closed_at is not None and z.difference == 0
    closing = document(FiscalKind.CLOSE_SHIFT, shift_id=shift.id)
    assert closing.status is FiscalStatus.PENDING  # made at the close; it does not hold the close up
    assert drain().delivered == 1
    assert document(FiscalKind.CLOSE_SHIFT, shift_id=shift.id).register_shift_number == 7
    assert [t.task["type"] for t in register.registered()] == ["openShift", "sell", "closeShift"]


def test_the_registers_shift_follows_the_shops_first_and_last_open_shift(desk, register):
    first, second = desk["cashier"], make_staff("cashier", shop=desk["shop"])
    one = shifts.open_shift(first, 0)
    two = shifts.open_shift(second, 0)
    drain()
    shifts.close_shift(first, 0)  # the second cashier still sells on the register
    shifts.close_shift(second, 0)
    drain()
    assert [t.task["type"] for t in register.registered()] == ["openShift", "closeShift"]
    assert document(FiscalKind.OPEN_SHIFT, shift_id=one.id) and not document(FiscalKind.OPEN_SHIFT, shift_id=two.id)
    assert document(FiscalKind.CLOSE_SHIFT, shift_id=two.id) and not document(FiscalKind.CLOSE_SHIFT, shift_id=one.id)


def test_a_till_return_is_registered_as_sell_return_with_the_bonus_and_money_it_gives_back(desk, register):
    cashier = desk["cashier"]
    shift = shifts.open_shift(cashier, 0)
    order = ring_up(cashier, [(desk["berry"], 3), (desk["drill"], 1)], client=desk["client"], bonus=50_00)
    berry_line = next(line for line in order.lines if line.sku == "BERRY")
    ret = returns.return_goods(order.id, [ReturnRequest(qty=2, order_line_id=berry_line.id)], key="r1",
                               actor_id=cashier.id, location_id=desk["shop"].id, shift_id=shift.id)
    assert document(FiscalKind.RETURN, return_id=ret.id).status is FiscalStatus.PENDING
    drain()
    back = document(FiscalKind.RETURN, return_id=ret.id)
    assert back.status is FiscalStatus.REGISTERED and back.qr.endswith("&n=2")
    (task,) = register.registered("sellReturn")
    sent = task.task
    part = ret.lines[0]
    worth = part.refund + part.bonus_restored
    assert [(i["name"], i["quantity"], i["amount"], i["tax"]["type"], i["tax"]["sum"]) for i in sent["items"]] == [
        ("Berry", 2, Decimal(worth) / 100, "vat10", Decimal(part.vat) / 100)]
    assert sent["total"] == Decimal(worth) / 100
    assert sum(p["sum"] for p in sent["payments"]) == sent["total"]
    assert {"type": "other", "sum": (Decimal(ret.bonus_restored + ret.withheld) / 100).quantize(Decimal("0.01"))} \
        in sent["payments"]
    assert sent["clientInfo"] == {"emailOrPhone": "+79161234567"}


def test_cash_in_and_out_count_in_the_drawer_and_are_registered(desk, register):
    cashier = desk["cashier"]
    shift = shifts.open_shift(cashier, 100_00)
    ring_up(cashier, [(desk["berry"], 1)])  # 33.33 cash
    put = cash.record_movement(cashier, "in", 1_000_50, "  change from the safe ", key="k1")
    again = cash.record_movement(cashier, "in", 1_000_50, "change from the safe", key="k1")  # a double tap
    assert again.id == put.id and put.reason == "change from the safe"
    with pytest.raises(ValidationError) as too_much:
        cash.record_movement(cashier, CashMovementKind.OUT, 1_133_84, "to the bank", key="k2")
    assert "1133.83" in str(too_much.value.fields["amount"]).replace("\xa0", "").replace(" ", "")
    taken = cash.record_movement(cashier, CashMovementKind.OUT, 1_133_83, "to the bank", key="k3")

    x = shifts.report(db.session.get(Shift, shift.id))
    assert (x.cash_in, x.cash_out, x.expected_cash) == (1_000_50, 1_133_83, 0)
    assert [(m.kind, m.amount, m.reason) for m in x.movements] == [
        (CashMovementKind.IN, 1_000_50, "change from the safe"), (CashMovementKind.OUT, 1_133_83, "to the bank")]

    drain()
    assert document(FiscalKind.CASH_IN, cash_movement_id=put.id).status is FiscalStatus.REGISTERED
    assert document(FiscalKind.CASH_OUT, cash_movement_id=taken.id).status is FiscalStatus.REGISTERED
    assert [(t.task["cashSum"], t.task["operator"]["name"]) for t in register.registered("cashIn")] == [
        (Decimal("1000.50"), "Anna Kassirova")]
    assert '"cashSum": 1133.83' in register.registered("cashOut")[0].body
    z = shifts.close_shift(cashier, 0)
    assert (z.cash_in, z.cash_out, z.shift.expected_cash, z.difference) == (1_000_50, 1_133_83, 0, 0)


def test_a_cash_movement_needs_an_amount_a_reason_and_an_open_shift(desk):
    cashier = desk["cashier"]
    with pytest.raises(ValidationError) as bad:
        cash.record_movement(cashier, "sideways", 0, "   ", key="k")
    assert set(bad.value.fields) == {"kind", "amount", "reason"}
    with pytest.raises(shifts.NoOpenShift):
        cash.record_movement(cashier, "in", 100, "float", key="k")
    assert db.session.scalar(db.select(db.func.count(FiscalDocument.id))) == 0


def test_without_a_register_address_documents_wait_with_the_reason(desk, register):
    desk["shop"].fiscal_register_url = ""
    db.session.commit()
    shift = shifts.open_shift(desk["cashier"], 0)
    assert drain().failed_tries == 1
    opening = document(FiscalKind.OPEN_SHIFT, shift_id=shift.id)
    assert opening.status is FiscalStatus.PENDING and "register address" in registration.advice(opening)
    assert register.posts == []


def test_backend_none_makes_no_fiscal_documents(desk, register):
    desk_app = current_app
    desk_app.config["FISCAL_BACKEND"] = "none"
    cashier = desk["cashier"]
    shifts.open_shift(cashier, 0)
    ring_up(cashier, [(desk["berry"], 1)])
    cash.record_movement(cashier, "in", 100, "change", key="k")
    shifts.close_shift(cashier, 33_33 + 100)
    assert db.session.scalar(db.select(db.func.count(FiscalDocument.id))) == 0
    assert db.session.scalar(db.select(db.func.count(OutboxEvent.id)).where(OutboxEvent.topic == "fiscal")) == 0


def test_file_backend_writes_the_task_for_an_agent_and_takes_its_answer(desk, tmp_path):
    desk_app = current_app
    desk_app.config.update(FISCAL_BACKEND="file", FISCAL_FILE_DIR=str(tmp_path))
    shift = shifts.open_shift(desk["cashier"], 0)
    opening = document(FiscalKind.OPEN_SHIFT, shift_id=shift.id)
    assert drain().failed_tries == 1
    written = json.loads((tmp_path / f"{opening.uuid}.json").read_text("utf-8"))
    assert written == {"uuid": opening.uuid, "request": [{"type": "openShift", "operator": {"name": "Anna Kassirova"}}]}
    assert "waiting for the register agent" in document(FiscalKind.OPEN_SHIFT, shift_id=shift.id).last_error

    (tmp_path / f"{opening.uuid}.result.json").write_text(json.dumps({"results": [{
        "status": "ready", "errorCode": 0, "errorDescription": "", "result": {"fiscalParams": {
            "fiscalDocumentDateTime": "2026-12-08T09:00:00+03:00", "fiscalDocumentNumber": 41,
            "fiscalDocumentSign": "2829405811", "fnNumber": FN_NUMBER, "shiftNumber": 12}}}]}), "utf-8")
    assert drain(hours=1).delivered == 1
    opening = document(FiscalKind.OPEN_SHIFT, shift_id=shift.id)
    assert (opening.status, opening.document_number, opening.register_shift_number) == (FiscalStatus.REGISTERED, 41, 12)
    assert opening.registered_at.isoformat().startswith("2026-12-08T06:00:00")


def test_a_receipt_the_register_cannot_take_fails_at_once_and_does_not_hold_the_shift(desk, register):
    """A line at a VAT rate no register has (18 %, from old data) can never be registered as it stands:
    the document is failed with the reason, its event fails without retrying, the notice keeps showing
    it, and the shift can still close (the shop registers that sale by hand on the register)."""
    cashier = desk["cashier"]
    old = make_product("OLD", 10_00, stock={desk["shop"]: 5}, name="Old stock")
    old.vat_rate = "18"
    db.session.commit()
    shifts.open_shift(cashier, 0)
    order = ring_up(cashier, [(old, 1)])
    result = drain()
    assert (result.delivered, result.gave_up) == (1, 1)
    sale = document(FiscalKind.SALE, order_id=order.id)
    assert sale.status is FiscalStatus.FAILED and "no VAT rate '18'" in sale.last_error
    assert fiscal.unregistered(location_id=desk["shop"].id) == [sale] and fiscal.awaiting(sale.shift_id) == []
    assert register.registered("sell") == []
    assert shifts.close_shift(cashier, 10_00).shift.closed_at is not None


def test_file_backend_an_error_answer_makes_a_new_task(desk, tmp_path):
    current_app.config.update(FISCAL_BACKEND="file", FISCAL_FILE_DIR=str(tmp_path))
    shift = shifts.open_shift(desk["cashier"], 0)
    first = document(FiscalKind.OPEN_SHIFT, shift_id=shift.id).uuid
    drain()
    (tmp_path / f"{first}.result.json").write_text(json.dumps({"results": [
        {"status": "error", "errorCode": 44, "errorDescription": "Нет бумаги"}]}), "utf-8")
    assert drain(hours=1).failed_tries == 1
    opening = document(FiscalKind.OPEN_SHIFT, shift_id=shift.id)
    assert opening.uuid != first and opening.last_error == "[44] Нет бумаги"
    drain(hours=2)
    assert (tmp_path / f"{opening.uuid}.json").exists()  # the next attempt wrote the new task


def test_a_register_shift_opened_or_closed_on_the_register_itself_is_taken_as_done(desk, register):
    register.shift_open = True  # someone opened it on the register's own keys
    cashier = desk["cashier"]
    shift = shifts.open_shift(cashier, 0)
    assert drain().delivered == 1
    opening = document(FiscalKind.OPEN_SHIFT, shift_id=shift.id)
    assert opening.status is FiscalStatus.REGISTERED and opening.document_number is None
    assert [t.result["errorCode"] for t in register.tasks.values()] == [83]
    register.shift_open = False  # and closed it there before the portal's shift ends
    shifts.close_shift(cashier, 0)
    assert drain().delivered == 1
    assert document(FiscalKind.CLOSE_SHIFT, shift_id=shift.id).status is FiscalStatus.REGISTERED

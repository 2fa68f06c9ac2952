"""The shop till: the cart (scan, search, +/−/remove), the client, bonus, and checkout, with exact amounts."""
from __future__ import annotations

import pytest

from portal import ledger
from portal.errors import DomainError, NotFound, ValidationError
from portal.extensions import db
from portal.integrations.sms import sent_messages
from portal.models import Barcode, Order, PaymentMethod, Stock
from portal.services.clients import bonus as bonus_service
from portal.services.sales import shifts, till
from portal.services.sales.stock import InsufficientStock

from ...factories import make_client, make_location, make_product, make_staff

CASH, CARD = PaymentMethod.CASH, PaymentMethod.CARD
PHONE = "+79161234567"


@pytest.fixture
def desk(ctx, tmp_path):
    """A shop and a warehouse, a cashier with an open shift, three products, a 5 % client with 5000.00 of bonus."""
    ctx.config["SMS_FILE_PATH"] = str(tmp_path / "sms.jsonl")
    shop = make_location("shop", code="SH1")
    warehouse = make_location("warehouse", code="MAIN", is_main=True)
    cashier = make_staff("cashier", shop=shop)
    drill = make_product("DRILL", 1_000_00, stock={shop: 5, warehouse: 100}, warranty_months=24)
    valve = make_product("VALVE", 99_99, stock={shop: 10, warehouse: 100}, discountable=False)
    nut = make_product("NUT", 33_33, stock={shop: 2})
    db.session.add_all([Barcode(product_id=drill.id, code="4600000000011"),
                        Barcode(product_id=valve.id, code="4600000000028")])
    db.session.commit()
    client = make_client(name="Vera Buyer", phone=PHONE, discount_bp=500, card_number="C-000123")
    boss = make_staff("supervisor")
    bonus_service.adjust(boss, client.id, 5_000_00, "welcome gift", "test:till:gift")
    db.session.commit()
    shift = shifts.open_shift(cashier, 1_000_00)
    return {"shop": shop, "warehouse": warehouse, "cashier": cashier, "shift": shift, "drill": drill,
            "valve": valve, "nut": nut, "client": client, "boss": boss, "sms": ctx.config["SMS_FILE_PATH"]}


def qtys(cashier) -> dict[str, int]:
    return {line.product.sku: line.qty for line in till.view(cashier).lines}


def stock(product, location) -> int:
    return db.session.scalar(db.select(Stock.quantity).where(Stock.product_id == product.id,
                                                             Stock.location_id == location.id))


def pay(cashier, *, card=0, tendered=None):
    return till.checkout(cashier, card=card, cash_tendered=tendered, version=till.view(cashier).cart.version)


# --- the cart ----------------------------------------------------------------------------------

def test_scanning_a_barcode_twice_adds_one_more_and_a_sku_is_found_in_any_case(desk):
    cashier = desk["cashier"]
    assert till.scan(cashier, "4600000000011").id == desk["drill"].id
    assert qtys(cashier) == {"DRILL": 1}
    till.scan(cashier, " 4600000000011 ")  # a scanner's stray space
    assert qtys(cashier) == {"DRILL": 2}
    assert till.scan(cashier, "valve").id == desk["valve"].id
    till.scan(cashier, "VaLvE")
    assert qtys(cashier) == {"DRILL": 2, "VALVE": 2}
    assert [line.product.sku for line in till.view(cashier).lines] == ["DRILL", "VALVE"]  # in the order scanned


def test_an_unknown_code_is_not_found_with_the_code_in_the_message(desk):
    cashier = desk["cashier"]
    with pytest.raises(NotFound, match="0000000000000"):
        till.scan(cashier, "0000000000000")
    desk["valve"].active = False
    db.session.commit()
    with pytest.raises(NotFound):
        till.scan(cashier, "4600000000028")  # a withdrawn product scans as nothing
    with pytest.raises(NotFound):
        till.scan(cashier, "")
    assert till.view(cashier).is_empty


def test_short_stock_in_this_shop_is_refused_and_the_cart_is_unchanged(desk):
    cashier = desk["cashier"]
    till.scan(cashier, "NUT")
    till.scan(cashier, "NUT")
    before = till.view(cashier).cart.version
    with pytest.raises(InsufficientStock) as short:
        till.scan(cashier, "NUT")
    # The message names the shop short of the goods (not "in stock", which Russian reads as "at the warehouse").
    assert str(short.value.message) == f"Not enough NUT in {desk['shop'].name}: 2 available, 3 wanted."
    with pytest.raises(InsufficientStock):
        till.set_quantity(cashier, desk["nut"].id, 7)
    assert qtys(cashier) == {"NUT": 2}
    assert till.view(cashier).cart.version == before

    # Stock elsewhere does not count: the shop has 5 drills, the warehouse 100.
    with pytest.raises(InsufficientStock) as short:
        till.set_quantity(cashier, desk["drill"].id, 6)
    assert (short.value.wanted, short.value.available) == (6, 5)
    assert qtys(cashier) == {"NUT": 2}


def test_plus_minus_and_remove(desk):
    cashier, drill, valve = desk["cashier"], desk["drill"], desk["valve"]
    till.add(cashier, drill.id)
    till.add(cashier, drill.id, by=1)
    till.add(cashier, valve.id, by=1)
    assert qtys(cashier) == {"DRILL": 2, "VALVE": 1}
    till.add(cashier, drill.id, by=-1)
    assert qtys(cashier) == {"DRILL": 1, "VALVE": 1}
    till.add(cashier, drill.id, by=-1)  # down to zero: the line goes
    assert qtys(cashier) == {"VALVE": 1}
    till.set_quantity(cashier, valve.id, 4)
    assert qtys(cashier) == {"VALVE": 4}
    till.set_quantity(cashier, valve.id, 0)  # ×
    assert till.view(cashier).is_empty
    with pytest.raises(ValidationError):
        till.set_quantity(cashier, valve.id, -1)
    with pytest.raises(NotFound):
        till.add(cashier, 999_999)
    till.add(cashier, drill.id)
    till.clear(cashier)
    assert till.view(cashier).is_empty


def test_search_by_name_or_sku_shows_the_shops_stock(desk):
    found = till.search(desk["shop"].id, "dri")
    assert [(c.product.sku, c.stock, c.variants) for c in found] == [("DRILL", 5, [])]
    assert {c.product.sku for c in till.search(desk["shop"].id, "product")} == {"DRILL", "VALVE", "NUT"}
    assert till.search(desk["shop"].id, "d") == []  # one letter is too little


# --- the client, discount and bonus ------------------------------------------------------------

def test_a_client_is_attached_by_phone_in_another_notation_or_by_card_number(desk):
    cashier = desk["cashier"]
    assert till.attach_client(cashier, "8 (916) 123-45-67").id == desk["client"].id
    assert till.view(cashier).client.id == desk["client"].id
    till.detach_client(cashier)
    assert till.view(cashier).client is None
    assert till.attach_client(cashier, "C-000123").id == desk["client"].id
    with pytest.raises(NotFound):
        till.attach_client(cashier, "+7 903 000-00-00")
    with pytest.raises(NotFound):
        till.attach_client(cashier, "not a phone")
    assert till.view(cashier).client.id == desk["client"].id  # a failed lookup keeps the client


def test_the_clients_discount_applies_at_once_to_discountable_lines_only(desk):
    cashier = desk["cashier"]
    for code in ("DRILL", "VALVE", "NUT"):
        till.scan(cashier, code)
    before = till.view(cashier)
    assert (before.pricing.subtotal, before.pricing.discount, before.to_pay, before.max_bonus) == (
        1_133_32, 0, 1_133_32, 0)

    till.attach_client(cashier, PHONE)
    cart = till.view(cashier)
    assert [(line.product.sku, line.price_line.discount) for line in cart.lines] == [
        ("DRILL", 50_00),   # 5 % of 1000.00
        ("VALVE", 0),       # not discountable
        ("NUT", 1_67),      # 5 % of 33.33 = 1.6665, half-up
    ]
    assert (cart.pricing.subtotal, cart.pricing.discount, cart.pricing.total) == (1_133_32, 51_67, 1_081_65)
    assert cart.available_bonus == 5_000_00
    assert cart.max_bonus == 324_49  # 30 % of 1081.65 = 324.495, rounded down
    assert cart.to_pay == 1_081_65 and cart.pricing.accrual == 54_08  # 5 % of 1081.65, down


def test_max_bonus_is_the_smaller_of_the_available_bonus_and_the_cap(desk):
    cashier = desk["cashier"]
    till.scan(cashier, "DRILL")
    till.attach_client(cashier, PHONE)
    assert till.view(cashier).max_bonus == 285_00  # 30 % of 950.00
    bonus_service.adjust(desk["boss"], desk["client"].id, -4_900_00, "correction", "test:till:take")
    db.session.commit()
    cart = till.view(cashier)
    assert (cart.available_bonus, cart.max_bonus) == (100_00, 100_00)


def test_spending_the_most_or_a_typed_amount_within_limits(desk):
    cashier = desk["cashier"]
    for code in ("DRILL", "VALVE", "NUT"):
        till.scan(cashier, code)
    with pytest.raises(ValidationError):  # no client, no bonus
        till.set_bonus(cashier, None)
    till.attach_client(cashier, PHONE)

    assert till.set_bonus(cashier, None) == 324_49
    cart = till.view(cashier)
    assert (cart.pricing.bonus, cart.to_pay, cart.pricing.accrual) == (324_49, 757_16, 37_85)

    assert till.set_bonus(cashier, 100_00) == 100_00
    with pytest.raises(ValidationError) as too_much:
        till.set_bonus(cashier, 324_50)
    assert "324.49" in str(too_much.value.fields["bonus"])
    with pytest.raises(ValidationError):
        till.set_bonus(cashier, -1)
    assert till.view(cashier).pricing.bonus == 100_00  # a refused amount changes nothing


def test_removing_a_line_clamps_the_bonus_to_the_new_cap(desk):
    cashier = desk["cashier"]
    for code in ("DRILL", "VALVE", "NUT"):
        till.scan(cashier, code)
    till.attach_client(cashier, PHONE)
    till.set_bonus(cashier, None)
    till.set_quantity(cashier, desk["drill"].id, 0)
    cart = till.view(cashier)
    assert cart.pricing.total == 131_65          # 99.99 + 31.66
    assert cart.cart.bonus == cart.max_bonus == cart.pricing.bonus == 39_49   # 30 % of 131.65, down
    assert cart.to_pay == 92_16
    till.attach_client(cashier, "C-000123")      # attaching again starts without bonus
    assert till.view(cashier).pricing.bonus == 0


def test_a_pending_accrual_is_not_spendable(desk):
    cashier = desk["cashier"]
    newcomer = make_client(name="New", phone="+79035550011")
    till.scan(cashier, "DRILL")
    till.attach_client(cashier, "+79035550011")
    order = pay(cashier, card=1_000_00).order
    assert order.accrual == 50_00
    till.scan(cashier, "VALVE")
    till.attach_client(cashier, "+79035550011")
    cart = till.view(cashier)
    assert (cart.client.id, cart.available_bonus, cart.max_bonus) == (newcomer.id, 0, 0)


def test_a_new_client_on_the_spot_gets_one_sms_with_the_bonus_page_link(desk):
    cashier = desk["cashier"]
    client = till.register_client(cashier, "  Petr   New ", "8 903 555-00-22")
    assert (client.name, client.primary_phone, client.created_by_id) == ("Petr New", "+79035550022", cashier.id)
    assert till.view(cashier).client.id == client.id
    messages = sent_messages(desk["sms"])
    assert len(messages) == 1
    assert messages[0]["phone"] == "+79035550022" and "/my/link/" in messages[0]["text"]

    with pytest.raises(till.ClientExists) as taken:  # the phone is Vera's: the till offers her instead
        till.register_client(cashier, "Twin", PHONE)
    assert taken.value.client.id == desk["client"].id
    assert str(taken.value.message) == "Vera Buyer already has this phone: attach this client instead?"
    assert till.view(cashier).client.id == client.id  # nothing changed on the cart
    with pytest.raises(ValidationError) as bad:
        till.register_client(cashier, "", "12")
    assert set(bad.value.fields) == {"name", "phone"}
    assert len(sent_messages(desk["sms"])) == 1


# --- checkout ----------------------------------------------------------------------------------

def test_cash_with_change_records_the_sale_on_the_shift_and_takes_stock_in_this_shop_only(desk):
    cashier, drill = desk["cashier"], desk["drill"]
    till.scan(cashier, "4600000000011")
    done = pay(cashier, tendered=1_050_00)
    order = done.order
    assert done.change == 50_00
    assert (order.number, order.shift_id, order.location_id, order.created_by_id) == (
        f"S-{order.id:06d}", desk["shift"].id, desk["shop"].id, cashier.id)
    assert (order.subtotal, order.discount, order.bonus_redeemed, order.paid, order.accrual) == (
        1_000_00, 0, 0, 1_000_00, 0)
    assert [(p.method, p.amount, p.tendered) for p in order.payments] == [(CASH, 1_000_00, 1_050_00)]
    assert (stock(drill, desk["shop"]), stock(drill, desk["warehouse"])) == (4, 100)
    assert till.view(cashier).is_empty and till.view(cashier).client is None

    till.set_quantity(cashier, desk["nut"].id, 2)
    assert pay(cashier, tendered=70_00).change == 3_34  # 66.66 in cash


def test_exact_cash_and_too_little_cash(desk):
    cashier = desk["cashier"]
    till.scan(cashier, "VALVE")
    with pytest.raises(ValidationError) as short:
        pay(cashier, tendered=99_98)
    assert "cash_tendered" in short.value.fields
    with pytest.raises(ValidationError):
        pay(cashier, tendered=None)
    assert db.session.scalar(db.select(db.func.count(Order.id))) == 0
    done = pay(cashier, tendered=99_99)
    assert done.change == 0


def test_a_split_payment_card_plus_cash_is_exact(desk):
    cashier = desk["cashier"]
    till.scan(cashier, "DRILL")
    till.scan(cashier, "NUT")
    till.attach_client(cashier, PHONE)
    till.set_bonus(cashier, 200_00)
    cart = till.view(cashier)
    # 950.00 + 31.66 after the discount; 30 % of it is 294.498
    assert (cart.pricing.total, cart.max_bonus, cart.to_pay) == (981_66, 294_49, 781_66)
    with pytest.raises(ValidationError) as over:
        pay(cashier, card=781_67, tendered=None)
    assert "card" in over.value.fields
    done = pay(cashier, card=700_00, tendered=100_00)
    order = done.order
    assert [(p.method, p.amount, p.tendered) for p in order.payments] == [(CASH, 81_66, 100_00), (CARD, 700_00, 700_00)]
    assert done.change == 18_34
    assert (order.subtotal, order.discount, order.bonus_redeemed, order.paid) == (1_033_33, 51_67, 200_00, 781_66)
    assert order.accrual == 39_08  # 5 % of 781.66, down
    assert ledger.bonus_of(desk["client"].id).available == 4_800_00
    card_only = (till.scan(cashier, "VALVE"), pay(cashier, card=99_99))[1]
    assert [(p.method, p.amount) for p in card_only.order.payments] == [(CARD, 99_99)] and card_only.change == 0


def test_a_double_tap_on_pay_places_one_sale(desk):
    cashier = desk["cashier"]
    till.scan(cashier, "DRILL")
    version = till.view(cashier).cart.version
    first = till.checkout(cashier, card=0, cash_tendered=1_100_00, version=version)
    again = till.checkout(cashier, card=0, cash_tendered=1_100_00, version=version)
    assert again.order.id == first.order.id and again.change == first.change == 100_00
    assert db.session.scalar(db.select(db.func.count(Order.id))) == 1
    assert stock(desk["drill"], desk["shop"]) == 4


def test_a_stale_cart_version_is_refused(desk):
    cashier = desk["cashier"]
    till.scan(cashier, "DRILL")
    seen = till.view(cashier).cart.version
    till.scan(cashier, "VALVE")  # e.g. on another tab
    with pytest.raises(DomainError, match="changed on another screen"):
        till.checkout(cashier, card=1_099_99, cash_tendered=None, version=seen)
    assert db.session.scalar(db.select(db.func.count(Order.id))) == 0
    assert qtys(cashier) == {"DRILL": 1, "VALVE": 1}


def test_an_empty_cart_cannot_be_paid(desk):
    cashier = desk["cashier"]
    with pytest.raises(ValidationError) as empty:
        pay(cashier, card=0, tendered=0)
    assert "cart" in empty.value.fields


def test_stock_sold_by_another_till_meanwhile_refuses_the_sale_and_keeps_the_cart(desk):
    cashier = desk["cashier"]
    other = make_staff("cashier", shop=desk["shop"])
    shifts.open_shift(other, 0)
    till.set_quantity(cashier, desk["nut"].id, 2)
    till.set_quantity(other, desk["nut"].id, 2)
    pay(other, card=66_66)
    with pytest.raises(InsufficientStock):
        pay(cashier, card=66_66)
    assert qtys(cashier) == {"NUT": 2}
    assert db.session.scalar(db.select(db.func.count(Order.id))) == 1
    assert stock(desk["nut"], desk["shop"]) == 0


def test_two_taps_on_pay_at_the_same_moment_both_get_the_one_sale(desk, monkeypatch):
    import threading

    from flask import current_app

    from portal.models import User
    from portal.services.sales import sales

    app, cashier_id = current_app._get_current_object(), desk["cashier"].id
    till.scan(desk["cashier"], "VALVE")
    version = till.view(desk["cashier"]).cart.version
    db.session.commit()
    # Both requests get past the "already placed?" checks before either writes: the race, made certain
    # on PostgreSQL. SQLite serialises whole transactions (BEGIN IMMEDIATE), so there the second tap
    # waits for the first to commit and the barrier gives up after a few seconds.
    both_checked = threading.Barrier(2)
    place = sales._place

    def place_after_both_checked(sale, now):
        try:
            both_checked.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass
        return place(sale, now)

    monkeypatch.setattr(sales, "_place", place_after_both_checked)
    results: list = [None, None]

    def tap(i):
        with app.app_context():
            try:
                results[i] = till.checkout(db.session.get(User, cashier_id), card=99_99, cash_tendered=None,
                                           version=version).order.id
            except Exception as exc:  # noqa: BLE001 - recorded and asserted below
                results[i] = exc

    threads = [threading.Thread(target=tap, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert db.session.scalar(db.select(db.func.count(Order.id))) == 1
    assert isinstance(results[0], int) and results[0] == results[1], results

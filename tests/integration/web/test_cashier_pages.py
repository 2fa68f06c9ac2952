"""The cashier's pages through the test client: shift, till (htmx), receipts, the base of sales, returns, X/Z."""
from __future__ import annotations

import re
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

from portal import ledger
from portal.extensions import db
from portal.integrations.sms import sent_messages
from portal.models import (
    Barcode,
    Channel,
    Location,
    Order,
    OrderLine,
    ParkedCart,
    PaymentMethod,
    Return,
    Shift,
    Stock,
    User,
    utcnow,
)
from portal.services.clients import bonus as bonus_service
from portal.services.sales import sales, shifts, till
from portal.services.sales.returns import add_months

from ...factories import DEFAULT_PASSWORD, make_client, make_location, make_product, make_staff
from ...pdf_text import pdf_text

EN = {"Accept-Language": "en"}
HX = {"HX-Request": "true", **EN}
PHONE = "+79161234567"


# ------------------------------------------------------------------------------------------ helpers

def rub(minor: int) -> str:
    """Minor units as the English pages show them: 123456 -> '1,234.56 ₽'."""
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) / 100:,.2f}\u00a0₽"


def by_testid(html: str, name: str) -> str:
    match = re.search(rf'data-testid="{name}"[^>]*>([^<]*)<', html)
    assert match, f"no data-testid={name} in:\n{html[:3000]}"
    return match.group(1).strip()


def has_tid(html: str, name: str) -> bool:
    return f'data-testid="{name}"' in html


def cart_skus(html: str) -> dict[str, int]:
    rows = re.findall(r'data-testid="cart-line" data-sku="([^"]+)".*?data-testid="qty">(\d+)<', html, re.S)
    return {sku: int(qty) for sku, qty in rows}


def order_numbers(html: str) -> list[str]:
    return re.findall(r'<a href="/cashier/orders/\d+">([^<]+)</a>', html)


def found(client, query: str = "") -> list[str]:
    """The order numbers the base of all sales lists for `query`."""
    return order_numbers(client.get("/cashier/orders" + query, headers=EN).get_data(as_text=True))


def local_date(moment) -> str:
    return format_date(moment.astimezone(ZoneInfo("Europe/Moscow")).date(), "medium", locale="en")


def en_date(day) -> str:
    return format_date(day, "medium", locale="en")


def get(client, path):
    return client.get(path, headers=EN)


def post(client, path, data=None, hx=False):
    return client.post(path, data=data or {}, headers=HX if hx else EN)


# ----------------------------------------------------------------------------------------- fixtures

@pytest.fixture
def store(app, tmp_path):
    """Two shops and a warehouse; four products with barcodes; Vera (5 %, card C-000123) with 500.00 of bonus."""
    app.config["SMS_FILE_PATH"] = str(tmp_path / "sms.jsonl")
    with app.app_context():
        shop = make_location("shop", code="SH1", name="Arbat shop", address="Arbat 1")
        other = make_location("shop", code="SH2", name="Tverskaya shop")
        warehouse = make_location("warehouse", code="MAIN", is_main=True)
        drill = make_product("DRILL", 1_000_00, stock={shop: 10, other: 10, warehouse: 100}, warranty_months=24,
                             name="Cordless drill")
        valve = make_product("VALVE", 99_99, stock={shop: 10, warehouse: 100}, discountable=False, name="Ball valve")
        pipe = make_product("PIPE", 333_33, stock={shop: 10}, returnable=False, name="Cut pipe")
        nut = make_product("NUT", 33_33, stock={shop: 10}, name="Hex nut")
        db.session.add_all([Barcode(product_id=drill.id, code="4600000000011"),
                            Barcode(product_id=valve.id, code="4600000000028")])
        db.session.commit()
        vera = make_client(name="Vera Buyer", phone=PHONE, discount_bp=500, card_number="C-000123")
        boss = make_staff("supervisor")
        bonus_service.adjust(boss, vera.id, 500_00, "welcome gift", "test:web:gift")
        db.session.commit()
        ids = {"shop": shop.id, "other": other.id, "warehouse": warehouse.id, "drill": drill.id, "valve": valve.id,
               "pipe": pipe.id, "nut": nut.id, "vera": vera.id}
    return {**ids, "shop_obj": shop, "sms": app.config["SMS_FILE_PATH"]}


@pytest.fixture
def cashier(app, store, login):
    """A signed-in cashier of the Arbat shop (no shift yet); yields the user id."""
    return login("cashier", shop=store["shop_obj"])


@pytest.fixture
def on_shift(app, client, cashier):
    response = post(client, "/cashier/shift/open", {"opening_float": "1000"})
    assert response.status_code == 302 and response.location == "/cashier/sale"
    return cashier


def ring_up(app, cashier_id, items, *, card=0, tendered=None, client_query=None, bonus=None):
    """A sale placed through the till service directly, as the till screen does it."""
    with app.app_context():
        user = db.session.get(User, cashier_id)
        for product_id, qty in items:
            till.add(user, product_id, by=qty)
        if client_query:
            till.attach_client(user, client_query)
            if bonus is not None:
                till.set_bonus(user, bonus or None)
        done = till.checkout(user, card=card, cash_tendered=tendered, version=till.view(user).cart.version)
        return done.order.id, done.order.number


def line_ids(app, order_id) -> dict[str, int]:
    with app.app_context():
        return {line.sku: line.id for line in db.session.scalars(
            db.select(OrderLine).where(OrderLine.order_id == order_id))}


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


# -------------------------------------------------------------------------------------------- shift

def test_home_shows_the_open_shift_form_and_a_bad_float_keeps_the_typed_value(app, client, cashier):
    html = get(client, "/cashier/").get_data(as_text=True)
    assert 'action="/cashier/shift/open"' in html and 'name="opening_float"' in html
    assert "Arbat shop" in html

    response = get(client, "/cashier/sale")  # no shift: no till
    assert response.status_code == 302 and response.location == "/cashier/"
    assert "Open a shift first: a sale needs an open shift." in get(client, "/cashier/").get_data(as_text=True)

    for typed in ("12.345", "-100", "five"):
        response = post(client, "/cashier/shift/open", {"opening_float": typed})
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert "Enter an amount like 1500 or 1500,50." in html
        assert f'value="{typed}"' in html and 'aria-invalid="true"' in html
    assert count(app, Shift) == 0

    response = post(client, "/cashier/shift/open", {"opening_float": "1 500,50"})
    assert response.status_code == 302 and response.location == "/cashier/sale"
    with app.app_context():
        assert db.session.scalar(db.select(Shift.opening_float)) == 1_500_50
    assert get(client, "/cashier/").location == "/cashier/sale"   # an open shift goes straight to the till
    html = get(client, "/cashier/sale").get_data(as_text=True)
    assert 'id="scan-code"' in html and "data-scan" in html

    response = post(client, "/cashier/shift/open", {"opening_float": "10"})  # a second open is refused
    assert response.location == "/cashier/sale"
    assert "Your shift is already open." in get(client, "/cashier/sale").get_data(as_text=True)
    assert count(app, Shift) == 1


def test_a_manager_gets_403_and_a_visitor_the_login_page(app, client, login):
    assert get(client, "/cashier/sale").location.startswith("/login")
    login("manager")
    assert get(client, "/cashier/sale").status_code == 403
    assert get(client, "/cashier/orders").status_code == 403


# --------------------------------------------------------------------------------------------- till

def test_the_till_panel_through_htmx(app, client, store, on_shift):
    response = post(client, "/cashier/cart/scan", {"code": "4600000000011"}, hx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html  # the panel only
    assert cart_skus(html) == {"DRILL": 1}
    assert (by_testid(html, "subtotal"), by_testid(html, "to-pay")) == (rub(1_000_00), rub(1_000_00))

    html = post(client, "/cashier/cart/scan", {"code": "4600000000011"}, hx=True).get_data(as_text=True)
    assert cart_skus(html) == {"DRILL": 2}
    html = post(client, "/cashier/cart/scan", {"code": "valve"}, hx=True).get_data(as_text=True)
    assert cart_skus(html) == {"DRILL": 2, "VALVE": 1}
    html = post(client, f"/cashier/cart/add/{store['valve']}", {"by": "1"}, hx=True).get_data(as_text=True)
    assert cart_skus(html) == {"DRILL": 2, "VALVE": 2}
    html = post(client, f"/cashier/cart/add/{store['drill']}", {"by": "-1"}, hx=True).get_data(as_text=True)
    assert cart_skus(html) == {"DRILL": 1, "VALVE": 2}
    html = post(client, f"/cashier/cart/qty/{store['valve']}", {"qty": "0"}, hx=True).get_data(as_text=True)
    assert cart_skus(html) == {"DRILL": 1}

    html = post(client, "/cashier/cart/scan", {"code": "NOPE-42"}, hx=True).get_data(as_text=True)
    assert by_testid(html, "till-message") == "No product with the barcode or SKU NOPE-42."
    html = post(client, f"/cashier/cart/qty/{store['drill']}", {"qty": "11"}, hx=True).get_data(as_text=True)
    assert by_testid(html, "till-message") == "Not enough DRILL in Arbat shop: 10 available, 11 wanted."  # the shop, not "stock"
    assert cart_skus(html) == {"DRILL": 1}

    # Search as you type.
    html = client.get("/cashier/products?q=dri", headers=HX).get_data(as_text=True)
    assert "Cordless drill" in html and "in shop: 10" in html and "Ball valve" not in html
    assert "Nothing found." in client.get("/cashier/products?q=zzz", headers=HX).get_data(as_text=True)

    # The client by phone in another notation: the discount applies at once.
    post(client, "/cashier/cart/scan", {"code": "VALVE"}, hx=True)
    html = post(client, "/cashier/cart/client", {"query": "8 (916) 123-45-67"}, hx=True).get_data(as_text=True)
    assert "Vera Buyer" in block_of(html, "client-name")
    assert (by_testid(html, "subtotal"), by_testid(html, "discount"), by_testid(html, "to-pay")) == (
        rub(1_099_99), rub(50_00), rub(1_049_99))
    assert by_testid(html, "bonus-available") == rub(500_00)
    assert by_testid(html, "bonus-max") == rub(314_99)           # 30 % of 1049.99, rounded down
    assert f"Spend {rub(314_99)}" in html

    html = post(client, "/cashier/cart/bonus", {"amount": "400"}, hx=True).get_data(as_text=True)
    assert by_testid(html, "till-message") == "At most 314.99 of bonus can be spent on this cart."
    assert by_testid(html, "bonus-spent") == rub(0)
    html = post(client, "/cashier/cart/bonus", {"amount": "100,5"}, hx=True).get_data(as_text=True)
    assert (by_testid(html, "bonus-spent"), by_testid(html, "to-pay")) == (rub(100_50), rub(949_49))
    html = post(client, "/cashier/cart/bonus", {"max": "1"}, hx=True).get_data(as_text=True)
    assert (by_testid(html, "bonus-spent"), by_testid(html, "to-pay"), by_testid(html, "accrual")) == (
        rub(314_99), rub(735_00), rub(36_75))

    # A plain form post (no htmx) goes back to the sale screen.
    response = post(client, "/cashier/cart/client/remove")
    assert response.status_code == 302 and response.location == "/cashier/sale"
    html = post(client, "/cashier/cart/client", {"query": "C-000123"}, hx=True).get_data(as_text=True)
    assert "Vera Buyer" in block_of(html, "client-name")


def block_of(html: str, name: str) -> str:
    match = re.search(rf'data-testid="{name}"[^>]*>(.*?)</p>', html, re.S)
    assert match, f"no data-testid={name}"
    return match.group(1)


def test_a_new_client_on_the_spot_gets_the_link_by_sms(app, client, store, on_shift):
    html = post(client, "/cashier/cart/client/new", {"name": "Petr New", "phone": "8 903 555-00-22"},
                hx=True).get_data(as_text=True)
    assert by_testid(html, "till-message") == "The client is registered; an SMS with the bonus page link is sent."
    assert "Petr New" in block_of(html, "client-name")
    messages = sent_messages(store["sms"])
    assert len(messages) == 1 and messages[0]["phone"] == "+79035550022" and "/my/link/" in messages[0]["text"]
    html = post(client, "/cashier/cart/client/new", {"name": "", "phone": "1"}, hx=True).get_data(as_text=True)
    assert has_tid(html, "till-message") and len(sent_messages(store["sms"])) == 1


def test_checkout_redirects_to_the_receipt_with_exact_figures_and_a_pdf(app, client, store, on_shift):
    post(client, "/cashier/cart/scan", {"code": "4600000000011"}, hx=True)
    post(client, "/cashier/cart/scan", {"code": "4600000000028"}, hx=True)
    post(client, "/cashier/cart/client", {"query": PHONE}, hx=True)
    html = post(client, "/cashier/cart/bonus", {"max": "1"}, hx=True).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)

    stale = post(client, "/cashier/checkout", {"mode": "card", "version": str(int(version) - 1)}, hx=True)
    assert by_testid(stale.get_data(as_text=True), "till-message") == \
        "The cart changed on another screen. Check it and pay again."
    short = post(client, "/cashier/checkout", {"mode": "split", "card": "500", "cash_tendered": "200",
                                               "version": version}, hx=True)
    assert by_testid(short.get_data(as_text=True), "till-message") == "The cash handed over must be at least 235.00."

    form = {"mode": "split", "card": "500", "cash_tendered": "300", "version": version}
    response = post(client, "/cashier/checkout", form, hx=True)
    assert response.status_code == 200
    target = response.headers["HX-Redirect"]
    assert re.fullmatch(r"/cashier/receipt/\d+", target)
    again = post(client, "/cashier/checkout", form, hx=True)  # a double tap
    assert again.headers["HX-Redirect"] == target
    assert count(app, Order) == 1
    order_id = int(target.rsplit("/", 1)[1])

    with app.app_context():
        order = db.session.get(Order, order_id)
        number, paid_at, shift_id = order.number, order.paid_at, order.shift_id
        release = ledger.accrual_release_at(order_id)
        cashier_name = db.session.get(User, on_shift).name
        assert shift_id == db.session.scalar(db.select(Shift.id))
        assert db.session.scalar(db.select(Stock.quantity).where(
            Stock.product_id == store["drill"], Stock.location_id == store["shop"])) == 9
        assert db.session.scalar(db.select(Stock.quantity).where(
            Stock.product_id == store["drill"], Stock.location_id == store["other"])) == 10

    html = get(client, target).get_data(as_text=True)
    assert f"Sale receipt {number}" in html and "Arbat shop" in html and f"Cashier: {cashier_name}" in html
    assert "Client: Vera Buyer" in html
    assert by_testid(html, "r-discount") == "−" + rub(50_00)
    assert by_testid(html, "r-bonus") == "−" + rub(314_99)
    assert by_testid(html, "r-paid") == rub(735_00)
    assert (by_testid(html, "r-pay-cash"), by_testid(html, "r-pay-card")) == (rub(235_00), rub(500_00))
    assert by_testid(html, "r-change") == rub(65_00)
    assert by_testid(html, "r-accrual") == rub(36_75)             # 5 % of 735.00
    assert f"pending until {local_date(release)}" in html
    assert f"Warranty until {en_date(add_months(paid_at.astimezone(ZoneInfo('Europe/Moscow')).date(), 24))}" in html
    assert "Goods can be returned within 14 days" in html

    # The next sale starts empty.
    html = get(client, "/cashier/sale").get_data(as_text=True)
    assert cart_skus(html) == {} and "The cart is empty." in html

    pdf = get(client, target + ".pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    text = pdf_text(pdf.data)
    assert number in text and "735.00" in text and "65.00" in text and "Arbat shop" in text


def test_cash_exact_and_card_modes(app, client, store, on_shift):
    post(client, "/cashier/cart/scan", {"code": "NUT"}, hx=True)
    html = post(client, "/cashier/cart/scan", {"code": "NUT"}, hx=True).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    target = post(client, "/cashier/checkout", {"mode": "cash", "cash_tendered": "", "version": version},
                  hx=True).headers["HX-Redirect"]
    html = get(client, target).get_data(as_text=True)
    assert by_testid(html, "r-pay-cash") == rub(66_66) and not has_tid(html, "r-change")

    html = post(client, "/cashier/cart/scan", {"code": "VALVE"}, hx=True).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    response = post(client, "/cashier/checkout", {"mode": "card", "version": version})  # a plain post
    assert response.status_code == 302 and re.fullmatch(r"/cashier/receipt/\d+", response.location)
    html = get(client, response.location).get_data(as_text=True)
    assert by_testid(html, "r-pay-card") == rub(99_99) and not has_tid(html, "r-pay-cash")


def test_checkout_after_the_shift_was_closed_is_refused_with_the_message(app, client, store, on_shift):
    html = post(client, "/cashier/cart/scan", {"code": "VALVE"}, hx=True).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    with app.app_context():
        shifts.close_shift(db.session.get(User, on_shift), 1_000_00)
    html = post(client, "/cashier/checkout", {"mode": "card", "version": version}, hx=True).get_data(as_text=True)
    assert by_testid(html, "till-message") == "Open a shift first: a sale needs an open shift."
    assert count(app, Order) == 0


# ------------------------------------------------------------------------------------ base of sales

def test_the_base_of_all_sales_searches_by_number_phone_dates_and_shop(app, client, store, on_shift):
    with app.app_context():
        other_client = make_client(name="Oleg Other", phone="+79035550011")
        web = sales.place_paid_order(sales.Sale(channel=Channel.WEB, lines=[sales.SaleLine(qty=1, sku="VALVE")],
                                                location_id=store["warehouse"], client_id=store["vera"]))
        old = sales.place_paid_order(sales.Sale(
            channel=Channel.SHOP, lines=[sales.SaleLine(qty=1, sku="DRILL")], location_id=store["other"],
            client_id=other_client.id, payments={PaymentMethod.CARD: 1_000_00}, now=utcnow() - timedelta(days=10)))
        web_number, old_number, old_at = web.number, old.number, old.created_at
    shop_id, shop_number = ring_up(app, on_shift, [(store["nut"], 1)], card=33_33)
    tz = ZoneInfo("Europe/Moscow")
    old_day = old_at.astimezone(tz).date()

    everything = found(client)
    assert everything == [shop_number, web_number, old_number]   # newest first, every channel
    assert found(client, f"?number={old_number.lower()}") == [old_number]
    # the digits alone find it (the number ends with them)
    assert found(client, f"?number={web_number[2:]}") == [web_number]
    assert found(client, "?phone=8+916+123-45-67") == [web_number]
    assert found(client, "?phone=%2B79035550011") == [old_number]
    day = old_day.isoformat()
    assert found(client, f"?from={day}&to={day}") == [old_number]
    since = (old_day + timedelta(days=1)).isoformat()
    assert found(client, f"?from={since}") == [shop_number, web_number]
    assert found(client, f"?location={store['other']}") == [old_number]
    assert found(client, f"?location={store['shop']}") == [shop_number]
    assert "No sales match." in get(client, "/cashier/orders?number=S-999999").get_data(as_text=True)

    html = get(client, f"/cashier/orders/{shop_id}").get_data(as_text=True)
    assert f"Order {shop_number}" in html and "Return goods" in html and "No returns." in html


# ------------------------------------------------------------------------------------------ returns

def test_a_return_preview_shows_the_refund_by_method_and_one_confirm_makes_one_return(app, client, store, on_shift):
    order_id, number = ring_up(app, on_shift, [(store["nut"], 3)], card=60_00, tendered=39_99)  # 99.99: 39.99 + 60.00
    nut_line = line_ids(app, order_id)["NUT"]
    form_html = get(client, f"/cashier/orders/{order_id}/return").get_data(as_text=True)
    token = re.search(r'name="token" value="([0-9a-f]+)"', form_html).group(1)

    response = post(client, f"/cashier/orders/{order_id}/return", {f"qty-{nut_line}": "1", "token": token}, hx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    # 33.33 back over 39.99 cash : 60.00 card, largest remainder.
    assert (by_testid(html, "refund-cash"), by_testid(html, "refund-card")) == (rub(13_33), rub(20_00))
    assert by_testid(html, "refund-total") == rub(33_33)
    with app.app_context():  # a preview keeps nothing
        assert db.session.scalar(db.select(db.func.count(Return.id))) == 0
        assert db.session.get(OrderLine, nut_line).returned_qty == 0
        assert db.session.scalar(db.select(Stock.quantity).where(
            Stock.product_id == store["nut"], Stock.location_id == store["shop"])) == 7

    too_many = post(client, f"/cashier/orders/{order_id}/return", {f"qty-{nut_line}": "4", "token": token}, hx=True)
    assert by_testid(too_many.get_data(as_text=True), "return-error") == "More than was bought and not yet returned."

    confirm = {f"qty-{nut_line}": "1", "token": token, "confirm": "1", "reason": "wrong size"}
    response = post(client, f"/cashier/orders/{order_id}/return", confirm)
    assert response.status_code == 302
    receipt = response.location
    assert re.fullmatch(r"/cashier/returns/\d+/receipt", receipt)
    assert post(client, f"/cashier/orders/{order_id}/return", confirm).location == receipt  # the same form again
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Return.id))) == 1
        assert db.session.get(OrderLine, nut_line).returned_qty == 1

    html = get(client, receipt).get_data(as_text=True)
    assert f"Return receipt for {number}" in html and "Reason: wrong size" in html
    assert (by_testid(html, "rr-cash"), by_testid(html, "rr-card"), by_testid(html, "rr-total")) == (
        rub(13_33), rub(20_00), rub(33_33))
    pdf = get(client, receipt.replace("/receipt", "/receipt.pdf"))
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")

    # What is left to return is what was bought minus what came back.
    form_html = get(client, f"/cashier/orders/{order_id}/return").get_data(as_text=True)
    assert f'name="qty-{nut_line}" min="0" max="2"' in form_html
    html = get(client, f"/cashier/orders/{order_id}").get_data(as_text=True)
    assert rub(33_33) in html and "No returns." not in html


def test_a_non_returnable_line_shows_the_clear_message(app, client, store, on_shift):
    order_id, _ = ring_up(app, on_shift, [(store["pipe"], 1)], card=333_33)
    pipe_line = line_ids(app, order_id)["PIPE"]
    html = post(client, f"/cashier/orders/{order_id}/return", {f"qty-{pipe_line}": "1", "token": "t1"},
                hx=True).get_data(as_text=True)
    assert by_testid(html, "return-error") == "Cut pipe cannot be returned: it is a non-returnable product."
    assert not has_tid(html, "return-preview")
    response = post(client, f"/cashier/orders/{order_id}/return",
                    {f"qty-{pipe_line}": "1", "token": "t1", "confirm": "1"})
    assert response.status_code == 422
    assert "Cut pipe cannot be returned: it is a non-returnable product." in response.get_data(as_text=True)
    assert count(app, Return) == 0


def test_an_old_order_under_warranty_shows_warranty_until_instead_of_a_refund(app, client, store, on_shift):
    with app.app_context():
        old = sales.place_paid_order(sales.Sale(
            channel=Channel.SHOP, lines=[sales.SaleLine(qty=1, sku="DRILL"), sales.SaleLine(qty=1, sku="VALVE")],
            location_id=store["shop"], payments={PaymentMethod.CARD: 1_099_99}, now=utcnow() - timedelta(days=20)))
        order_id, paid_at = old.id, old.paid_at
    lines = line_ids(app, order_id)
    html = post(client, f"/cashier/orders/{order_id}/return", {f"qty-{lines['DRILL']}": "1", "token": "w"},
                hx=True).get_data(as_text=True)
    until = en_date(add_months(paid_at.astimezone(ZoneInfo('Europe/Moscow')).date(), 24))
    assert by_testid(html, "return-error") == (
        f"The return period for Cordless drill is over. It is under warranty until {until}: "
        "accept it for warranty service instead.")
    assert "warranty until" in html and not has_tid(html, "refund-total")
    html = post(client, f"/cashier/orders/{order_id}/return", {f"qty-{lines['VALVE']}": "1", "token": "w"},
                hx=True).get_data(as_text=True)
    assert by_testid(html, "return-error") == "The return period for Ball valve is over."
    assert count(app, Return) == 0


# ----------------------------------------------------------------------------------------- X and Z

def test_the_x_report_and_the_z_report_after_closing_show_the_difference(app, client, store, on_shift):
    cash_id, _ = ring_up(app, on_shift, [(store["valve"], 1)], tendered=100_00)                # 99.99 cash
    ring_up(app, on_shift, [(store["drill"], 1)], card=1_000_00)                                # 1000.00 card
    split_id, _ = ring_up(app, on_shift, [(store["nut"], 3)], card=60_00, tendered=50_00)       # 39.99 cash + 60.00
    nut_line = line_ids(app, split_id)["NUT"]
    post(client, f"/cashier/orders/{split_id}/return",
         {f"qty-{nut_line}": "1", "token": "x1", "confirm": "1"})                               # 13.33 cash, 20.00 card

    html = get(client, "/cashier/shift").get_data(as_text=True)
    assert "X report" in html and "Z report" not in html
    assert by_testid(html, "net-cash") == rub(99_99 + 39_99 - 13_33)
    assert by_testid(html, "net-card") == rub(1_060_00 - 20_00)
    assert by_testid(html, "expected-cash") == rub(1_000_00 + 126_65)
    assert not has_tid(html, "difference")

    bad = post(client, "/cashier/shift/close", {"counted_cash": "lots"})
    assert bad.status_code == 422
    assert "Enter an amount like 1500 or 1500,50." in bad.get_data(as_text=True)
    assert 'value="lots"' in bad.get_data(as_text=True)

    response = post(client, "/cashier/shift/close", {"counted_cash": "1120"})
    assert response.status_code == 302
    z_url = response.location
    assert re.fullmatch(r"/cashier/shifts/\d+", z_url)
    html = get(client, z_url).get_data(as_text=True)
    assert "Z report" in html
    assert by_testid(html, "expected-cash") == rub(1_126_65)
    assert by_testid(html, "counted-cash") == rub(1_120_00)
    assert by_testid(html, "difference") == rub(-6_65) + " (short)"
    assert (by_testid(html, "net-cash"), by_testid(html, "net-card")) == (rub(126_65), rub(1_040_00))

    response = get(client, "/cashier/shift")  # closed: back home to open a new one
    assert response.location == "/cashier/"
    assert z_url.rsplit("/", 1)[1] in get(client, "/cashier/").get_data(as_text=True)

    post(client, "/logout")
    with app.app_context():
        someone = make_staff("cashier", shop=db.session.get(Location, store["shop"]))
        email = someone.email
    client.post("/login", data={"email": email, "password": DEFAULT_PASSWORD})
    assert get(client, z_url).status_code == 404  # another cashier's shift


def test_the_warranty_runs_from_the_local_day_of_purchase(app, client, store, on_shift):
    from datetime import datetime
    with app.app_context():
        order = sales.place_paid_order(sales.Sale(
            channel=Channel.SHOP, lines=[sales.SaleLine(qty=1, sku="DRILL")], location_id=store["shop"],
            payments={PaymentMethod.CARD: 1_000_00}, now=datetime(2026, 1, 10, 22, 30, tzinfo=UTC)))
        order_id = order.id
    html = get(client, f"/cashier/receipt/{order_id}").get_data(as_text=True)
    assert "1/11/26, 1:30\u202fAM" in html or "1/11/26, 1:30 AM" in html  # the receipt's own purchase date
    assert "Warranty until Jan 11, 2028" in html


def test_the_cart_marks_non_returnable_goods_and_a_shortage_and_parks_through_htmx(app, client, store, on_shift):
    html = post(client, f"/cashier/cart/add/{store['pipe']}", hx=True).get_data(as_text=True)
    assert has_tid(html, "non-returnable") and by_testid(html, "non-returnable") == "non-returnable"
    html = post(client, f"/cashier/cart/add/{store['nut']}", {"by": "4"}, hx=True).get_data(as_text=True)
    assert html.count('data-testid="non-returnable"') == 1  # the nut can be returned
    assert not has_tid(html, "short")

    html = post(client, "/cashier/cart/park", {"label": "Anna"}, hx=True).get_data(as_text=True)
    assert by_testid(html, "till-message") == "The cart is parked as Anna. The till is ready for the next customer."
    assert cart_skus(html) == {} and by_testid(html, "parked-count") == "1"
    with app.app_context():
        db.session.execute(db.update(Stock).where(Stock.product_id == store["nut"], Stock.location_id == store["shop"])
                           .values(quantity=3))  # sold elsewhere meanwhile: the parked cart held nothing
        db.session.commit()
        parked_id = db.session.scalar(db.select(ParkedCart.id))
    html = post(client, f"/cashier/parked/{parked_id}/resume", hx=True).get_data(as_text=True)
    assert by_testid(html, "till-message") == "Anna is back on the till."
    assert cart_skus(html) == {"PIPE": 1, "NUT": 4}
    assert by_testid(html, "short") == "only 3 in the shop"  # kept, and the shortage is shown
    html = post(client, f"/cashier/parked/{parked_id}/resume", hx=True).get_data(as_text=True)  # a double tap
    assert by_testid(html, "till-message").startswith("This parked cart is not here any more")
    assert cart_skus(html) == {"PIPE": 1, "NUT": 4}

    # A plain form post (no htmx) parks too and comes back to the sale screen.
    response = post(client, "/cashier/cart/park", {"label": ""})
    assert response.status_code == 302 and response.location == "/cashier/sale"
    assert "The cart is parked as #1." in client.get("/cashier/sale", headers=EN).get_data(as_text=True)

"""The manager's order pages through the test client (SPEC §3, §4 Manager): choosing the client,
the order form (exact prices, adding and removing lines, analogues, typing slips, the credit limit),
discount approval, the SMS code, the invoice, payments, notifications, the client's side of it
(the confirmation link and the bonus page), access and the history of changes.

Figures (Vega Engineering has an approved 5 % discount, a credit limit of 50,000.00 and 14 days):

    DRILL  1,000.00 × 2 = 2,000.00 − 100.00 = 1,900.00
    PIPE     333.33 × 3 =   999.99 −  50.00 =   949.99   (5 % of 999.99 = 49.9995, half-up)
    subtotal 2,999.99, discount 150.00, to pay 2,849.99; accrual 5 % = 142.49 (142.4995 rounded down)
    with VALVE 99.99 × 1 (sold without discounts): subtotal 3,099.98, to pay 2,949.98

    PUMP-B 13,100.00 × 5 = 65,500.00 − 3,275.00 = 62,225.00: over the credit limit of 50,000.00
    PUMP-B 13,100.00 × 3 = 39,300.00 − 1,965.00 = 37,335.00: within it
"""
from __future__ import annotations

import html as html_lib
import re
from urllib.parse import urlsplit

import pytest

from portal import ledger
from portal.extensions import db
from portal.integrations.sms import sent_messages
from portal.models import (
    AuditEvent,
    ClientKind,
    Invoice,
    Notification,
    Order,
    OrderStatus,
    Payment,
    PaymentTerms,
    Stock,
    User,
)
from portal.services import audit
from portal.services.clients import access as client_access
from portal.services.clients import bonus as bonus_service
from portal.services.orders import confirmation as order_confirmation
from portal.services.orders import orders
from portal.services.orders.orders import DraftLine, OrderDraft

from ...factories import DEFAULT_PASSWORD, make_client, make_location, make_product, make_staff
from ...pdf_text import pdf_text

EN = {"Accept-Language": "en"}
HX = {"HX-Request": "true", **EN}
NBSP = "\u00a0"

STANDARD = [("DRILL", "2"), ("PIPE", "3")]
STANDARD_TO_PAY = 2_849_99
STANDARD_ACCRUAL = 142_49
WITH_VALVE = [*STANDARD, ("VALVE", "1")]


# ------------------------------------------------------------------------------------------ helpers

def rub(minor: int) -> str:
    """Minor units as the English pages show them: 123456 -> '1,234.56 ₽' (with a no-break space)."""
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) / 100:,.2f}{NBSP}₽"


def plain(minor: int) -> str:
    return f"{minor / 100:.2f}"


def squeeze(text: str) -> str:
    return " ".join(text.replace(NBSP, " ").split())


def text_of(html: str) -> str:
    """The page as a reader sees it: no tags, entities decoded, white space squeezed."""
    return squeeze(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)))


def by_testid(html: str, name: str) -> str:
    match = re.search(rf'data-testid="{name}"[^>]*>(.*?)</', html, re.S)
    assert match, f"no data-testid={name} in:\n{html[:3000]}"
    return html_lib.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def has_tid(html: str, name: str) -> bool:
    return f'data-testid="{name}"' in html


def block(html: str, testid: str) -> str:
    """The element with this data-testid, up to its closing tag (elements of that tag are not nested)."""
    match = re.search(rf'<(\w+)[^>]*data-testid="{testid}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"no data-testid={testid}"
    return match.group(2)


def totals(html: str) -> dict[str, str]:
    """The totals list (dt -> dd) of the order form or the order card."""
    match = re.search(r'<dl class="totals[^"]*">(.*?)</dl>', html, re.S)
    assert match, "no totals"
    return {html_lib.unescape(dt).strip(): html_lib.unescape(re.sub(r"<[^>]+>", "", dd)).strip()
            for dt, dd in re.findall(r"<dt[^>]*>([^<]*)</dt>\s*<dd[^>]*>(.*?)</dd>", match.group(1), re.S)}


def form_rows(html: str) -> list[str]:
    """The order form's lines, as the SKUs in their order."""
    return re.findall(r'<tr data-sku="([^"]+)"', block_lines(html))


def block_lines(html: str) -> str:
    match = re.search(r'<table class="table order-lines" data-testid="order-lines">(.*?)</table>', html, re.S)
    return match.group(1) if match else ""


def form_row(html: str, sku: str) -> str:
    match = re.search(rf'<tr data-sku="{re.escape(sku)}"[^>]*>(.*?)</tr>', block_lines(html), re.S)
    assert match, f"no line {sku} in the form"
    return match.group(1)


def row_cells(row: str) -> list[str]:
    return [squeeze(html_lib.unescape(re.sub(r"<[^>]+>", " ", cell)))
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def input_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    if not match:
        return None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html_lib.unescape(value.group(1)) if value else None


def field_box(html: str, input_id: str) -> str:
    """The <div class="field ..."> around the control with this id, up to its error list."""
    match = re.search(rf'<div class="field([^"]*)">\s*<label for="{input_id}">'
                      r'.*?(?=<div class="field|</section>|</fieldset>)', html, re.S)
    assert match, f"no field {input_id}"
    return match.group(0)


def errors_in(fragment: str) -> list[str]:
    return [html_lib.unescape(e).strip() for e in re.findall(r'<ul class="errors"[^>]*><li>([^<]*)</li>', fragment)]


def flashes(html: str) -> list[tuple[str, str]]:
    return [(kind, html_lib.unescape(text).strip())
            for kind, text in re.findall(r'<div class="flash flash-(\w+)">([^<]*)</div>', html)]


def sign_in(app, email: str):
    http = app.test_client()
    response = http.post("/login", data={"email": email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return http


def get(http, path: str):
    return http.get(path, headers=EN)


def post(http, path: str, data=None, hx: bool = False):
    return http.post(path, data=data or {}, headers=HX if hx else EN)


def order_form(w, lines=STANDARD, *, action="recalculate", terms="prepaid", location=None, **values) -> dict:
    """What the order form posts: a line is (sku, qty) or (sku, qty, discount) as typed."""
    data = {"client_id": str(values.pop("client_id", w["vega"])), "location_id": str(location or w["main"]),
            "payment_terms": terms, "delivery_method": "pickup", "delivery_address": "", "delivery_date": "",
            "bonus": "", "comment": "", "action": action}
    for i, line in enumerate(lines):
        sku, qty, discount = (*line, "")[:3]
        data.update({f"lines-{i}-sku": sku, f"lines-{i}-qty": qty, f"lines-{i}-discount": discount})
    data.update(values)
    return data


def order_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(db.select(Order.id).order_by(Order.id)))


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def stock_of(app, product_id: int, location_id: int) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Stock.quantity).where(Stock.product_id == product_id,
                                                                 Stock.location_id == location_id))


def status_of(app, order_id: int) -> OrderStatus:
    with app.app_context():
        return db.session.get(Order, order_id).status


def card_id(response) -> int:
    assert response.status_code == 303, (response.status_code, response.get_data(as_text=True)[:3000])
    match = re.fullmatch(r"/manager/orders/(\d+)", response.location)
    assert match, response.location
    return int(match.group(1))


def sms_with_code(w) -> tuple[str, str, str]:
    """The last SMS: its text, the 6-digit code and the path of the confirmation link."""
    text = sent_messages(w["sms"])[-1]["text"]
    code = re.search(r"\bCode (\d{6})\b", text).group(1)
    link = re.search(r"(https?://\S+/my/confirm/\S+)", text).group(1)
    return text, code, urlsplit(link).path


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10 ** 6:06d}"


def pdf_plain(data: bytes) -> str:
    return squeeze(pdf_text(data))


# ----------------------------------------------------------------------------------------- fixtures

@pytest.fixture
def w(app, tmp_path):
    """Sonia's team: Anna (Vega Engineering, Vera Private) and Carl; Olga's team: Oleg (Stranger Trade).
    A warehouse and a shop; a drill, a pipe, a valve without discounts, and pump A, out of stock at the
    warehouse, with analogues pump B (7 there) and pump C (none). Vega has 500.00 of bonus."""
    app.config["SMS_FILE_PATH"] = str(tmp_path / "sms.jsonl")
    with app.app_context():
        main = make_location("warehouse", code="MAIN", name="Main warehouse", is_main=True)
        shop = make_location("shop", code="SH1", name="Arbat shop")
        boss = make_staff("supervisor", name="Sonia Boss")
        anna = make_staff("manager", name="Anna Manager", supervisor=boss)
        carl = make_staff("manager", name="Carl Colleague", supervisor=boss)
        olga = make_staff("supervisor", name="Olga Other")
        oleg = make_staff("manager", name="Oleg Stranger", supervisor=olga)
        cashier = make_staff("cashier", shop=shop, name="Kate Cashier")
        drill = make_product("DRILL", 1_000_00, stock={main: 100, shop: 10}, name="Cordless drill")
        pipe = make_product("PIPE", 333_33, stock={main: 100}, name="Copper pipe")
        valve = make_product("VALVE", 99_99, stock={main: 100}, discountable=False, name="Ball valve")
        pump_a = make_product("PUMP-A", 12_500_00, stock={main: 0, shop: 3}, name="Circulation pump A")
        pump_b = make_product("PUMP-B", 13_100_00, stock={main: 7}, name="Circulation pump B")
        pump_c = make_product("PUMP-C", 11_900_00, stock={main: 0}, name="Circulation pump C")
        pump_a.analogues.append(pump_b)
        pump_a.analogues.append(pump_c)
        db.session.commit()
        vega = make_client(anna, "Vega Engineering", ClientKind.LEGAL_ENTITY, "+79161234567", tax_id="7707083893",
                           discount_bp=500, credit_limit=50_000_00, deferral_days=14)
        vera = make_client(anna, "Vera Private", ClientKind.PRIVATE_PERSON, "+79035550011")
        stranger = make_client(oleg, "Stranger Trade", ClientKind.LEGAL_ENTITY, "+79267770000")
        bonus_service.adjust(boss, vega.id, 500_00, "welcome gift", "test:web:orders:gift")
        db.session.commit()
        return {
            "sms": app.config["SMS_FILE_PATH"], "main": main.id, "shop": shop.id,
            "boss": boss.email, "anna": anna.email, "carl": carl.email, "oleg": oleg.email,
            "cashier": cashier.email, "anna_id": anna.id, "oleg_id": oleg.id,
            "drill": drill.id, "pipe": pipe.id, "valve": valve.id, "pump_a": pump_a.id, "pump_b": pump_b.id,
            "vega": vega.id, "vera": vera.id, "stranger": stranger.id,
        }


@pytest.fixture
def anna(app, w):
    return sign_in(app, w["anna"])


def sent_order(app, w, lines=(("DRILL", 2), ("PIPE", 3)), *, client="vega", email="anna",
               terms=PaymentTerms.PREPAID) -> int:
    """An order made and sent through the services, as the form does it; its id."""
    with app.app_context():
        actor = db.session.scalar(db.select(User).where(User.email == w[email]))
        draft = OrderDraft(client_id=w[client], location_id=w["main"], lines=[DraftLine(*line) for line in lines],
                           payment_terms=terms)
        order = orders.create_draft(actor, draft)
        return orders.submit(actor, order.id).id


def confirmed_order(app, w, http, **kwargs) -> int:
    """An order sent, then confirmed with the code from the SMS on the card; its id."""
    order_id = sent_order(app, w, **kwargs)
    assert post(http, f"/manager/orders/{order_id}/code").status_code == 303
    _text, code, _link = sms_with_code(w)
    assert post(http, f"/manager/orders/{order_id}/confirm", {"code": code}).status_code == 303
    assert status_of(app, order_id) is OrderStatus.CONFIRMED
    return order_id


def pay(http, order_id: int, amount: str, expected: int, method: str = "bank_transfer"):
    return post(http, f"/manager/orders/{order_id}/payments",
                {"method": method, "amount": amount, "expected": str(expected)})


# ------------------------------------------------------------------------------------ choosing the client

def test_a_new_order_without_a_client_shows_the_picker_that_finds_the_managers_clients_by_name(anna, w):
    response = get(anna, "/manager/orders/new")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Who is the order for?" in html
    assert not has_tid(html, "client-choices") and "No clients match." not in html
    assert 'id="order-editor"' not in html

    html = get(anna, "/manager/orders/new?q=vega").get_data(as_text=True)
    choices = block(html, "client-choices")
    assert "Vega Engineering" in choices and "7707083893" in choices and "+7 916 123-45-67" in choices
    assert f'href="/manager/orders/new?client={w["vega"]}"' in choices
    assert "Vera Private" not in choices
    assert 'value="vega"' in html  # what was typed stays in the box

    # another manager's client is not offered
    html = get(anna, "/manager/orders/new?q=Stranger").get_data(as_text=True)
    assert not has_tid(html, "client-choices")
    assert "No clients match." in html and 'href="/manager/clients/new"' in html

    html = get(anna, f"/manager/orders/new?client={w['vega']}").get_data(as_text=True)
    assert "<h1>New order</h1>" in html and 'id="order-editor"' in html
    assert f'name="client_id" value="{w["vega"]}"' in html
    assert by_testid(html, "client-discount") == f"5{NBSP}%"
    assert by_testid(html, "bonus-available") == rub(500_00)
    assert "No goods yet: find a product above and add it." in html
    assert re.search(rf'<option value="{w["main"]}" selected>Main warehouse', html)
    assert "Credit left: 50,000.00\u00a0₽ of 50,000.00\u00a0₽." in html
    assert 'class="form-errors"' not in html and 'class="errors"' not in html  # a new form is not wrong yet


# ------------------------------------------------------------------------------------------ the form

def test_the_form_prices_every_line_and_the_totals_exactly(app, anna, w):
    response = post(anna, "/manager/orders/new", order_form(w, WITH_VALVE))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert form_rows(html) == ["DRILL", "PIPE", "VALVE"]
    # product, price, qty, discount %, discount, amount, in stock, remove
    drill, pipe, valve = (row_cells(form_row(html, sku)) for sku in ("DRILL", "PIPE", "VALVE"))
    assert drill[1] == "1,000.00 ₽" and drill[4:6] == ["100.00 ₽", "1,900.00 ₽"]
    assert pipe[1] == "333.33 ₽" and pipe[4:6] == ["50.00 ₽", "949.99 ₽"]
    assert valve[1] == "99.99 ₽" and valve[4:6] == ["0.00 ₽", "99.99 ₽"]
    assert "Cordless drill" in drill[0] and "no discounts" in valve[0]
    # the client's rate fills the discount field; a product without discounts cannot take one
    assert input_value(html, "lines-0-discount") == "5"
    assert re.search(r'<input[^>]*name="lines-2-discount"[^>]*disabled', html, re.S)
    # stock here, and elsewhere by location code
    assert drill[6] == "100 SH1: 10"
    assert totals(html) == {"Subtotal": rub(3_099_98), "Discount": "−" + rub(150_00),
                            "Paid with bonus": rub(0), "To pay": rub(2_949_98)}
    assert by_testid(html, "to-pay") == rub(2_949_98)
    # the bonus: 30 % of 2,949.98 is 884.99, but the client has 500.00
    assert "At most 500.00\u00a0₽" in html  # the client's 500.00 is beside "Bonus available"

    # htmx re-prices just the editor, with bonus spent
    response = post(anna, "/manager/orders/new", order_form(w, WITH_VALVE, bonus="100,50"), hx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and html.lstrip().startswith('<form id="order-editor"')
    assert totals(html) == {"Subtotal": rub(3_099_98), "Discount": "−" + rub(150_00),
                            "Paid with bonus": "−" + rub(100_50), "To pay": rub(2_949_98 - 100_50)}
    assert order_ids(app) == []  # pricing writes nothing

    # without the valve, the figures every other test uses
    html = post(anna, "/manager/orders/new", order_form(w)).get_data(as_text=True)
    assert totals(html) == {"Subtotal": rub(2_999_99), "Discount": "−" + rub(150_00),
                            "Paid with bonus": rub(0), "To pay": rub(STANDARD_TO_PAY)}
    assert "At most 500.00\u00a0₽" in html
    assert errors_in(html) == []


def test_a_product_sold_without_discounts_can_be_ordered_by_a_client_with_a_discount(app, anna, w):
    html = post(anna, "/manager/orders/new", order_form(w, WITH_VALVE)).get_data(as_text=True)
    assert errors_in(html) == []
    assert "row-problem" not in html
    response = post(anna, "/manager/orders/new", order_form(w, WITH_VALVE, action="send"))
    order_id = card_id(response)
    html = get(anna, f"/manager/orders/{order_id}").get_data(as_text=True)
    assert by_testid(html, "order-status") == "Awaiting confirmation"
    assert by_testid(html, "order-total") == rub(2_949_98)


def test_add_sku_adds_a_line_or_one_more_unit_and_remove_drops_one_line(app, anna, w):
    html = post(anna, "/manager/orders/new", order_form(w, [("DRILL", "2")], add_sku="PIPE")).get_data(as_text=True)
    assert form_rows(html) == ["DRILL", "PIPE"]
    assert (input_value(html, "lines-0-qty"), input_value(html, "lines-1-qty")) == ("2", "1")
    assert by_testid(html, "to-pay") == rub(1_900_00 + 316_66)  # 333.33 − 16.67 (5 % of 333.33 = 16.6665)

    html = post(anna, "/manager/orders/new",
                order_form(w, [("DRILL", "2"), ("PIPE", "1")], add_sku="drill")).get_data(as_text=True)
    assert form_rows(html) == ["DRILL", "PIPE"]  # the same product in any case: one more unit, no new line
    assert (input_value(html, "lines-0-qty"), input_value(html, "lines-1-qty")) == ("3", "1")
    assert by_testid(html, "to-pay") == rub(2_850_00 + 316_66)

    html = post(anna, "/manager/orders/new",
                order_form(w, [("DRILL", "3"), ("PIPE", "1"), ("VALVE", "2")], remove_line="1")).get_data(as_text=True)
    assert form_rows(html) == ["DRILL", "VALVE"]
    assert (input_value(html, "lines-0-qty"), input_value(html, "lines-1-qty")) == ("3", "2")
    assert by_testid(html, "to-pay") == rub(2_850_00 + 199_98)

    html = post(anna, "/manager/orders/new", order_form(w, [("DRILL", "3")], remove_line="0")).get_data(as_text=True)
    assert form_rows(html) == [] and "No goods yet" in html
    assert order_ids(app) == []


def test_an_out_of_stock_product_shows_its_analogues_with_their_stock(anna, w):
    html = post(anna, "/manager/orders/new", order_form(w, [("PUMP-A", "1")])).get_data(as_text=True)
    row = form_row(html, "PUMP-A")
    assert errors_in(row) == ["Only 0 of PUMP-A in stock at Main warehouse."]
    assert 'class="row-problem"' in html
    assert by_testid(row, "stock-here") == "0"
    analogues = text_of(block(row, "analogues"))
    assert analogues == ("Analogues: + Circulation pump B · 13,100.00 ₽ · 7 in stock "
                         "+ Circulation pump C · 11,900.00 ₽ · 0 in stock")  # in stock first
    assert re.search(r'<button[^>]*name="add_sku" value="PUMP-B"', row)
    # the stock elsewhere is shown too
    assert "SH1: 3" in row_cells(row)[6]

    # the analogue's button adds it to the order
    html = post(anna, "/manager/orders/new", order_form(w, [("PUMP-A", "1")], add_sku="PUMP-B")).get_data(as_text=True)
    assert form_rows(html) == ["PUMP-A", "PUMP-B"]
    assert errors_in(form_row(html, "PUMP-B")) == [] and not has_tid(form_row(html, "PUMP-B"), "analogues")

    # the product search says the same
    html = get(anna, f"/manager/products?q=PUMP-A&location_id={w['main']}").get_data(as_text=True)
    results = block(html, "product-results")
    assert "Circulation pump A" in results and "0 here" in results
    assert text_of(block(results, "analogues")).startswith(
        "Out of stock here. Analogues: + Circulation pump B · 13,100.00 ₽ · 7 in stock")
    # nothing to offer where the product is in stock
    html = get(anna, f"/manager/products?q=PUMP-A&location_id={w['shop']}").get_data(as_text=True)
    assert "3 here" in html and not has_tid(html, "analogues")


@pytest.mark.parametrize("action", ["save", "send"])
def test_a_bad_qty_discount_or_bonus_is_shown_by_its_field_and_what_was_typed_is_kept(app, anna, w, action):
    data = order_form(w, [("DRILL", "two"), ("PIPE", "3", "7,555")], action=action, bonus="12 abc",
                      comment="Call before delivery")
    response = post(anna, "/manager/orders/new", data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<div class="form-errors" role="alert"><p>Correct the marked fields.</p></div>' in html
    assert errors_in(form_row(html, "DRILL")) == ["Enter a whole number of units, 1 or more."]
    assert errors_in(form_row(html, "PIPE")) == ["Enter a discount from 0 to 100 %."]
    bonus = field_box(html, "bonus")
    assert "has-error" in bonus and errors_in(bonus) == ["Enter an amount like 150 or 150.50."]
    assert (input_value(html, "lines-0-qty"), input_value(html, "lines-1-discount"), input_value(html, "bonus"),
            input_value(html, "comment")) == ("two", "7,555", "12 abc", "Call before delivery")
    assert order_ids(app) == []

    # a discount over 100 % and a bonus over what may be spent
    data = order_form(w, [("DRILL", "2", "150"), ("PIPE", "3")], action=action, bonus="600")
    response = post(anna, "/manager/orders/new", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert errors_in(form_row(html, "DRILL")) == ["Enter a discount from 0 to 100 %."]
    assert input_value(html, "lines-0-discount") == "150"
    if action == "send":  # a draft may keep a bonus the client does not have yet; sending may not
        bonus = field_box(html, "bonus")
        assert errors_in(bonus) == ["At most 500.00\u00a0₽ of bonus can be spent on this order "
                                    "(the client has 500.00\u00a0₽)."]
    assert input_value(html, "bonus") == "600"
    assert order_ids(app) == []


def test_deferred_payment_over_the_credit_limit_is_refused_and_nothing_is_saved(app, anna, w):
    response = post(anna, "/manager/orders/new", order_form(w, [("PUMP-B", "5")], terms="deferred"))
    html = response.get_data(as_text=True)
    refusal = ("Deferred payment refused: 62,225.00\u00a0₽ is over the credit left of 50,000.00\u00a0₽ "
               "(limit 50,000.00\u00a0₽, open debt 0.00\u00a0₽).")
    assert response.status_code == 200 and by_testid(html, "terms-error") == refusal  # said while typing
    assert re.search(r'<input type="radio" name="payment_terms" value="deferred" checked', html)

    response = post(anna, "/manager/orders/new", order_form(w, [("PUMP-B", "5")], terms="deferred", action="send"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The order was not sent: correct the marked fields, or save it as a draft." in html
    assert by_testid(html, "terms-error") == refusal
    assert input_value(html, "lines-0-qty") == "5"
    assert order_ids(app) == []
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(AuditEvent.object_type == "orders")) == 0

    response = post(anna, "/manager/orders/new", order_form(w, [("PUMP-B", "3")], terms="deferred", action="send"))
    order_id = card_id(response)
    assert order_ids(app) == [order_id]
    html = get(anna, response.location).get_data(as_text=True)
    with app.app_context():
        number = db.session.get(Order, order_id).number
    assert ("success", f"Order {number} saved.") in flashes(html)
    assert by_testid(html, "order-status") == "Awaiting confirmation"
    assert by_testid(html, "order-total") == rub(37_335_00)
    assert "Deferred payment" in text_of(html)


def test_htmx_send_redirects_the_browser_to_the_card(app, anna, w):
    response = post(anna, "/manager/orders/new", order_form(w, action="send"), hx=True)
    assert response.status_code == 204
    (order_id,) = order_ids(app)
    assert response.headers["HX-Redirect"] == f"/manager/orders/{order_id}"


def test_a_quantity_of_zero_is_refused_not_saved_as_one(app, anna, w):
    html = post(anna, "/manager/orders/new", order_form(w, [("DRILL", "0")])).get_data(as_text=True)
    assert errors_in(form_row(html, "DRILL")) != []
    assert by_testid(html, "to-pay") != rub(950_00)  # what is shown (0 units) is what is priced
    response = post(anna, "/manager/orders/new", order_form(w, [("DRILL", "0")], action="save"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert errors_in(form_row(html, "DRILL")) != [] and input_value(html, "lines-0-qty") == "0"
    assert order_ids(app) == []


# ------------------------------------------------------------------------------------------ approval

def test_a_discount_above_the_clients_rate_waits_for_the_supervisor_who_approves_it(app, anna, w):
    html = post(anna, "/manager/orders/new", order_form(w, [("DRILL", "2", "12")])).get_data(as_text=True)
    assert "needs approval" in form_row(html, "DRILL")
    assert "A discount above the client’s 5\u00a0% needs the supervisor’s approval" in html
    assert by_testid(html, "to-pay") == rub(1_760_00)

    order_id = card_id(post(anna, "/manager/orders/new", order_form(w, [("DRILL", "2", "12")], action="send")))
    html = get(anna, f"/manager/orders/{order_id}").get_data(as_text=True)
    assert by_testid(html, "order-status") == "Awaiting approval"
    assert "A discount is above the client’s approved rate: the supervisor decides." in html
    assert ">Approve</button>" not in html and ">Reject</button>" not in html  # not the manager's to decide
    assert f"12{NBSP}%" in block(html, "order-lines")

    boss = sign_in(app, w["boss"])
    html = get(boss, f"/manager/orders/{order_id}").get_data(as_text=True)
    assert ">Approve</button>" in html and ">Reject</button>" in html
    assert f'formaction="/manager/orders/{order_id}/reject"' in html
    response = post(boss, f"/manager/orders/{order_id}/approve", {"comment": ""})
    assert response.status_code == 303 and response.location == f"/manager/orders/{order_id}"
    html = get(boss, response.location).get_data(as_text=True)
    assert ("success", "The discounts were approved.") in flashes(html)
    assert by_testid(html, "order-status") == "Awaiting confirmation"
    assert ">Approve</button>" not in html

    html = get(anna, "/notifications").get_data(as_text=True)
    with app.app_context():
        number = db.session.get(Order, order_id).number
    assert f"Sonia Boss approved the discounts of order {number}." in text_of(html)


def test_rejecting_needs_a_comment_and_returns_the_order_to_draft_with_it(app, anna, w):
    order_id = sent_order(app, w, [("DRILL", 2, 1500)])
    assert status_of(app, order_id) is OrderStatus.AWAITING_APPROVAL
    boss = sign_in(app, w["boss"])

    response = post(boss, f"/manager/orders/{order_id}/reject", {"comment": "   "})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    decision = field_box(html, "decision")
    assert "has-error" in decision and errors_in(decision) == ["Say why the discounts are rejected."]
    assert status_of(app, order_id) is OrderStatus.AWAITING_APPROVAL

    response = post(boss, f"/manager/orders/{order_id}/reject", {"comment": "15 % is too much, 8 % at most"})
    assert response.status_code == 303
    html = get(boss, response.location).get_data(as_text=True)
    assert ("success", "The discounts were rejected; the order is a draft again.") in flashes(html)
    assert by_testid(html, "order-status") == "Draft"
    assert by_testid(html, "decision-comment") == "15 % is too much, 8 % at most"

    html = get(anna, f"/manager/orders/{order_id}").get_data(as_text=True)  # the manager reads why
    assert by_testid(html, "decision-comment") == "15 % is too much, 8 % at most"
    assert f'href="/manager/orders/{order_id}/edit"' in html
    with app.app_context():
        number = db.session.get(Order, order_id).number
    assert (f"Sonia Boss rejected the discounts of order {number}: 15 % is too much, 8 % at most"
            in text_of(get(anna, "/notifications").get_data(as_text=True)))

    # the draft opens in the form with its lines, and the manager lowers the discount and sends it again
    html = get(anna, f"/manager/orders/{order_id}/edit").get_data(as_text=True)
    assert form_rows(html) == ["DRILL"] and input_value(html, "lines-0-discount") == "15"
    response = post(anna, f"/manager/orders/{order_id}/edit", order_form(w, [("DRILL", "2", "5")], action="send"))
    assert card_id(response) == order_id
    assert status_of(app, order_id) is OrderStatus.AWAITING_CONFIRMATION


# ------------------------------------------------------------------------------------ the code and the invoice

def test_the_sms_code_confirms_the_order_and_the_invoice_is_made(app, anna, w):
    # "Send for confirmation" saves, sends on and sends the code in one step (nothing needs approval).
    response = post(anna, "/manager/orders/new", order_form(w, action="send"))
    order_id = card_id(response)
    with app.app_context():
        number = db.session.get(Order, order_id).number
    html = get(anna, response.location).get_data(as_text=True)
    assert ("success", "A code was sent to +7 916 123-45-67.") in flashes(html)
    assert not has_tid(html, "invoice-link")
    assert "tries left: 5" in by_testid(html, "code-state")
    assert by_testid(html, "send-code") == "Send a new code"
    (sms,) = sent_messages(w["sms"])
    assert sms["phone"] == "+79161234567"
    text, code, link = sms_with_code(w)
    assert re.fullmatch(r"\d{6}", code) and link.startswith("/my/confirm/")
    assert f"confirms order {number} for {rub(STANDARD_TO_PAY)}" in text

    response = post(anna, f"/manager/orders/{order_id}/confirm", {"code": wrong(code)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert by_testid(html, "code-error") == "The code is wrong. Tries left: 4."
    assert input_value(html, "code") == wrong(code)
    assert status_of(app, order_id) is OrderStatus.AWAITING_CONFIRMATION

    response = post(anna, f"/manager/orders/{order_id}/confirm", {"code": code})
    assert response.status_code == 303
    html = get(anna, response.location).get_data(as_text=True)
    assert ("success", "The client confirmed the order. The invoice is ready.") in flashes(html)
    assert by_testid(html, "order-status") == "Confirmed"
    assert by_testid(html, "outstanding") == rub(STANDARD_TO_PAY)
    assert has_tid(html, "payment-form")
    assert f'href="/manager/orders/{order_id}/invoice.pdf" data-testid="invoice-link"' in html

    response = get(anna, f"/manager/orders/{order_id}/invoice.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="invoice-{number}.pdf"'
    text = pdf_plain(response.data)
    assert number in text and "Vega Engineering" in text
    assert f"To pay {squeeze(rub(STANDARD_TO_PAY))}" in text
    # the confirmed goods left the warehouse
    assert stock_of(app, w["drill"], w["main"]) == 98


def test_five_wrong_codes_use_the_code_up_and_a_resend_within_a_minute_is_throttled(app, anna, w):
    order_id = sent_order(app, w)
    assert post(anna, f"/manager/orders/{order_id}/code").status_code == 303
    _text, code, _link = sms_with_code(w)

    response = post(anna, f"/manager/orders/{order_id}/code")
    assert response.status_code == 303
    shown = flashes(get(anna, response.location).get_data(as_text=True))
    assert shown[0] == ("success", "A code was sent to +7 916 123-45-67.") and len(shown) == 2
    flash = shown[1]
    assert flash[0] == "error" and re.fullmatch(r"A code was sent a moment ago\. You can ask for a new one in "
                                                r"(60|59) s\.", flash[1]), flash
    assert len(sent_messages(w["sms"])) == 1

    for left in (4, 3, 2, 1):
        response = post(anna, f"/manager/orders/{order_id}/confirm", {"code": wrong(code)})
        assert response.status_code == 422
        assert by_testid(response.get_data(as_text=True), "code-error") == f"The code is wrong. Tries left: {left}."
    for typed in (wrong(code), code):  # the fifth wrong try uses the code up: even the right one is refused now
        response = post(anna, f"/manager/orders/{order_id}/confirm", {"code": typed})
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert by_testid(html, "code-error") == "The code has expired or was tried too many times. Send a new one."
    assert "It can no longer be used: send a new one." in by_testid(html, "code-state")
    assert status_of(app, order_id) is OrderStatus.AWAITING_CONFIRMATION and count(app, Invoice) == 0


def test_a_code_sent_before_the_order_was_changed_no_longer_confirms_it(app, anna, w):
    order_id = sent_order(app, w)
    assert post(anna, f"/manager/orders/{order_id}/code").status_code == 303
    text, code, link = sms_with_code(w)
    assert f"for {rub(STANDARD_TO_PAY)}" in text
    assert post(anna, f"/manager/orders/{order_id}/reopen").status_code == 303
    response = post(anna, f"/manager/orders/{order_id}/edit", order_form(w, [("DRILL", "20"), ("PIPE", "3")],
                                                                         action="send"))
    assert card_id(response) == order_id and status_of(app, order_id) is OrderStatus.AWAITING_CONFIRMATION

    assert app.test_client().get(link, headers=EN).status_code == 410  # the link of the old amount
    response = post(anna, f"/manager/orders/{order_id}/confirm", {"code": code})
    assert response.status_code == 422
    assert status_of(app, order_id) is OrderStatus.AWAITING_CONFIRMATION and count(app, Invoice) == 0


def test_confirming_a_deferred_order_over_the_limit_used_meanwhile_says_why(app, anna, w):
    first = sent_order(app, w, lines=(("PUMP-B", 3),), terms=PaymentTerms.DEFERRED)   # 37,335.00
    second = sent_order(app, w, lines=(("PUMP-B", 2),), terms=PaymentTerms.DEFERRED)  # 24,890.00: fits alone
    assert post(anna, f"/manager/orders/{first}/code").status_code == 303
    assert post(anna, f"/manager/orders/{first}/confirm", {"code": sms_with_code(w)[1]}).status_code == 303
    assert post(anna, f"/manager/orders/{second}/code").status_code == 303

    response = post(anna, f"/manager/orders/{second}/confirm", {"code": sms_with_code(w)[1]})
    assert response.status_code in (409, 422)
    assert status_of(app, second) is OrderStatus.AWAITING_CONFIRMATION
    assert ("Deferred payment refused: 24,890.00 ₽ is over the credit left of 12,665.00 ₽ "
            "(limit 50,000.00 ₽, open debt 37,335.00 ₽).") in text_of(response.get_data(as_text=True))


def test_the_client_link_refusing_a_deferred_order_over_the_limit_shows_no_field_names(app, anna, w):
    first = sent_order(app, w, lines=(("PUMP-B", 3),), terms=PaymentTerms.DEFERRED)
    second = sent_order(app, w, lines=(("PUMP-B", 2),), terms=PaymentTerms.DEFERRED)
    assert post(anna, f"/manager/orders/{first}/code").status_code == 303
    assert post(anna, f"/manager/orders/{first}/confirm", {"code": sms_with_code(w)[1]}).status_code == 303
    assert post(anna, f"/manager/orders/{second}/code").status_code == 303
    _text, _code, link = sms_with_code(w)

    response = app.test_client().post(link, headers=EN)
    assert response.status_code != 200
    assert status_of(app, second) is OrderStatus.AWAITING_CONFIRMATION
    page = text_of(response.get_data(as_text=True))
    assert "payment_terms" not in page


def test_no_invoice_before_confirmation(app, anna, w):
    order_id = sent_order(app, w)
    assert get(anna, f"/manager/orders/{order_id}/invoice.pdf").status_code == 404


# ------------------------------------------------------------------------------------------ payments

def test_payments_partial_then_full_make_the_order_paid_and_accrue_the_bonus(app, anna, w):
    order_id = confirmed_order(app, w, anna)
    with app.app_context():
        number = db.session.get(Order, order_id).number
        before = ledger.bonus_of(w["vega"])

    # more than is owed: refused by the field, the typed amount kept
    response = pay(anna, order_id, "3000", STANDARD_TO_PAY)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    amount = field_box(html, "amount")
    assert "has-error" in amount and errors_in(amount) == ["At most 2,849.99\u00a0₽ is still to be paid."]
    assert input_value(html, "amount") == "3000"
    assert count(app, Payment) == 0

    response = pay(anna, order_id, "abc", STANDARD_TO_PAY)
    assert response.status_code == 422
    assert errors_in(field_box(response.get_data(as_text=True), "amount")) == ["Enter an amount like 1500 or 1500.50."]

    # a part of it
    response = pay(anna, order_id, "1 000,00", STANDARD_TO_PAY)
    assert response.status_code == 303
    html = get(anna, response.location).get_data(as_text=True)
    assert ("success", "The payment was recorded.") in flashes(html)
    assert by_testid(html, "order-status") == "Confirmed"
    assert by_testid(html, "outstanding") == rub(1_849_99)
    assert by_testid(html, "order-received") == rub(1_000_00)
    assert input_value(html, "expected") == str(1_849_99) and input_value(html, "amount") == "1849.99"

    # the same form sent twice: the second one saw an outstanding that is no longer true
    response = pay(anna, order_id, "1000", STANDARD_TO_PAY)
    assert response.status_code == 303
    html = get(anna, response.location).get_data(as_text=True)
    assert ("error", "Another payment was recorded meanwhile. Check the order and try again.") in flashes(html)
    assert by_testid(html, "order-received") == rub(1_000_00)
    assert count(app, Payment) == 1

    # the rest
    response = pay(anna, order_id, "1849.99", 1_849_99, method="card")
    assert response.status_code == 303
    html = get(anna, response.location).get_data(as_text=True)
    assert by_testid(html, "order-status") == "Paid"
    assert by_testid(html, "order-received") == rub(STANDARD_TO_PAY)
    assert not has_tid(html, "payment-form")
    assert "Paid in full. Hand the goods over, then mark the order completed." in html
    assert totals(html)["Bonus accrued"] == "+" + rub(STANDARD_ACCRUAL)
    assert text_of(block(html, "payments")) == "Bank transfer 1,000.00 ₽ Card 1,849.99 ₽"
    with app.app_context():
        after = ledger.bonus_of(w["vega"])
        order = db.session.get(Order, order_id)
        assert order.accrual == STANDARD_ACCRUAL
    assert after.pending - before.pending == STANDARD_ACCRUAL
    assert after.available == before.available

    # the manager is told
    html = get(anna, "/notifications").get_data(as_text=True)
    assert (f"Order {number} of Vega Engineering is paid in full: {squeeze(rub(STANDARD_TO_PAY))}."
            in text_of(html))
    with app.app_context():
        unread = audit.unread_count(w["anna_id"])
        assert db.session.scalar(db.select(db.func.count(Notification.id)).where(
            Notification.user_id == w["anna_id"], Notification.kind == "order_paid",
            Notification.read_at.is_(None))) == 1
    assert by_testid(get(anna, "/manager/").get_data(as_text=True), "unread-count") == str(unread)

    # no more money is taken
    response = pay(anna, order_id, "1", 0)
    assert response.status_code == 303
    assert ("error", "Payments are recorded for confirmed orders only.") in flashes(
        get(anna, response.location).get_data(as_text=True))
    assert count(app, Payment) == 2


def test_bonus_spent_on_the_order_leaves_the_ledger_on_confirmation_and_accrues_only_on_the_money(app, anna, w):
    response = post(anna, "/manager/orders/new", order_form(w, action="send", bonus="100"))
    order_id = card_id(response)
    html = get(anna, response.location).get_data(as_text=True)
    assert totals(html) == {"Subtotal": rub(2_999_99), "Discount": "−" + rub(150_00),
                            "Paid with bonus": "−" + rub(100_00), "To pay": rub(2_749_99),
                            "Without VAT": "—",  # the company's rate in the tests: no VAT
                            "Received": rub(0)}
    with app.app_context():
        assert ledger.bonus_of(w["vega"]).available == 500_00  # nothing is spent before the client confirms
    assert post(anna, f"/manager/orders/{order_id}/code").status_code == 303
    _text, code, _link = sms_with_code(w)
    assert post(anna, f"/manager/orders/{order_id}/confirm", {"code": code}).status_code == 303
    with app.app_context():
        assert ledger.bonus_of(w["vega"]).available == 400_00
        pending = ledger.bonus_of(w["vega"]).pending

    assert pay(anna, order_id, "2749.99", 2_749_99).status_code == 303
    html = get(anna, f"/manager/orders/{order_id}").get_data(as_text=True)
    assert by_testid(html, "order-status") == "Paid"
    assert by_testid(html, "order-accrual") == "+" + rub(137_49)  # 5 % of 2,749.99 = 137.4995, rounded down
    with app.app_context():
        assert ledger.bonus_of(w["vega"]).pending - pending == 137_49


def test_the_open_debt_of_confirmed_deferred_orders_counts_against_the_credit_limit(app, anna, w):
    first = confirmed_order(app, w, anna, lines=(("PUMP-B", 3),), terms=PaymentTerms.DEFERRED)  # 37,335.00 owed
    html = get(anna, f"/manager/orders/{first}").get_data(as_text=True)
    assert "To be paid by " in html and by_testid(html, "outstanding") == rub(37_335_00)

    html = post(anna, "/manager/orders/new", order_form(w, [("PUMP-B", "1")], terms="deferred")).get_data(as_text=True)
    assert not has_tid(html, "terms-error")  # 12,445.00 fits in the 12,665.00 left
    assert "Credit left: 12,665.00\u00a0₽ of 50,000.00\u00a0₽." in html
    assert "Open debt" in html and rub(37_335_00) in html

    response = post(anna, "/manager/orders/new", order_form(w, [("PUMP-B", "2")], terms="deferred", action="send"))
    assert response.status_code == 422
    assert by_testid(response.get_data(as_text=True), "terms-error") == (
        "Deferred payment refused: 24,890.00\u00a0₽ is over the credit left of 12,665.00\u00a0₽ "
        "(limit 50,000.00\u00a0₽, open debt 37,335.00\u00a0₽).")
    assert order_ids(app) == [first]
    # prepaid is never held back by the limit
    assert card_id(post(anna, "/manager/orders/new", order_form(w, [("PUMP-B", "2")], action="send")))

    # paying the debt frees the limit
    assert pay(anna, first, "37335", 37_335_00).status_code == 303
    assert card_id(post(anna, "/manager/orders/new", order_form(w, [("PUMP-B", "2")], terms="deferred",
                                                                  action="send")))

    # a client without a credit limit buys prepaid only
    response = post(anna, "/manager/orders/new", order_form(w, [("DRILL", "1")], terms="deferred", action="send",
                                                            client_id=w["vera"]))
    assert response.status_code == 422
    assert by_testid(response.get_data(as_text=True), "terms-error") == (
        "This client has no credit limit: only prepaid orders are possible.")


def test_the_client_sees_the_paid_order_its_notice_and_the_invoice_on_the_bonus_page(app, anna, w):
    order_id = confirmed_order(app, w, anna)
    assert pay(anna, order_id, plain(STANDARD_TO_PAY), STANDARD_TO_PAY).status_code == 303
    vera_order = confirmed_order(app, w, anna, client="vera", lines=(("DRILL", 1),))
    with app.app_context():
        number = db.session.get(Order, order_id).number
        link = client_access.signed_link(w["vega"])

    vega = app.test_client()
    response = vega.get(urlsplit(link).path, headers=EN)
    assert response.status_code == 302 and response.location == "/my/"
    html = vega.get("/my/", headers=EN).get_data(as_text=True)
    mine = block(html, "client-orders")
    assert number in mine and "Paid" in mine and rub(STANDARD_TO_PAY) in mine
    assert f'href="/my/orders/{order_id}/invoice.pdf"' in mine
    assert f"Your order {number} is paid: {squeeze(rub(STANDARD_TO_PAY))}. Thank you!" in text_of(
        block(html, "client-notes"))
    assert by_testid(html, "pending") == rub(STANDARD_ACCRUAL)

    response = vega.get(f"/my/orders/{order_id}/invoice.pdf", headers=EN)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_plain(response.data)
    assert number in text and f"{squeeze(rub(STANDARD_TO_PAY))}" in text

    # another client's invoice, or none at all, is not found
    assert vega.get(f"/my/orders/{vera_order}/invoice.pdf").status_code == 404
    assert vega.get("/my/orders/999999/invoice.pdf").status_code == 404
    # and nobody signed in gets to the login page
    assert app.test_client().get(f"/my/orders/{order_id}/invoice.pdf").location == "/my/login"


# --------------------------------------------------------------------------------- the client's link

def test_the_confirmation_link_shows_the_order_and_confirms_only_on_post(app, anna, w):
    order_id = sent_order(app, w)
    assert post(anna, f"/manager/orders/{order_id}/code").status_code == 303
    _text, _code, path = sms_with_code(w)
    with app.app_context():
        number = db.session.get(Order, order_id).number
    phone = app.test_client()  # the client's phone: nobody signed in

    for _ in range(2):  # opening it, even twice, changes nothing
        response = phone.get(path, headers=EN)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert f"Order {number}" in html and "Vega Engineering" in html
        assert text_of(block(html, "confirm-lines")) == (
            "Cordless drill × 2 1,900.00 ₽ Copper pipe × 3 949.99 ₽")
        assert totals(html) == {"Discount": "−" + rub(150_00), "To pay": rub(STANDARD_TO_PAY)}
        assert f'action="{path}"' in html and "Confirm the order" in html
        assert status_of(app, order_id) is OrderStatus.AWAITING_CONFIRMATION
        assert count(app, Invoice) == 0

    # a tampered link is refused without a word about the order
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    for method in (phone.get, phone.post):
        response = method(tampered, headers=EN)
        assert response.status_code == 410
        html = response.get_data(as_text=True)
        assert "The link cannot be used" in html
        assert "This link has expired or is not valid. Ask the manager for a new code." in html
        assert number not in html
    assert status_of(app, order_id) is OrderStatus.AWAITING_CONFIRMATION

    response = phone.post(path, headers=EN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"Thank you! Order {number} is confirmed." in html
    assert f"To pay: {rub(STANDARD_TO_PAY)}." in html
    assert status_of(app, order_id) is OrderStatus.CONFIRMED
    assert count(app, Invoice) == 1
    assert "the client" in text_of(block(get(anna, f"/manager/orders/{order_id}").get_data(as_text=True),
                                         "history"))
    assert f"Vega Engineering confirmed order {number}." in text_of(get(anna, "/notifications").get_data(as_text=True))

    # used once: the link cannot confirm again
    assert phone.post(path, headers=EN).status_code == 410
    assert phone.get(path, headers=EN).status_code == 410


# ------------------------------------------------------------------------------------------ access

def test_a_manager_cannot_open_another_managers_order_or_order_for_another_managers_client(app, anna, w):
    order_id = sent_order(app, w)
    for email in ("carl", "oleg"):  # a colleague of the same team, and a manager of another team
        other = sign_in(app, w[email])
        assert get(other, f"/manager/orders/{order_id}").status_code == 403
        assert get(other, f"/manager/orders/{order_id}/invoice.pdf").status_code == 403
        assert post(other, f"/manager/orders/{order_id}/cancel").status_code == 403
        assert post(other, f"/manager/orders/{order_id}/code").status_code == 403
        assert get(other, f"/manager/orders/new?client={w['vega']}").status_code == 403
    assert status_of(app, order_id) is OrderStatus.AWAITING_CONFIRMATION
    assert sent_messages(w["sms"]) == []

    assert get(anna, f"/manager/orders/new?client={w['stranger']}").status_code == 403
    for action in ("recalculate", "save", "send"):
        response = post(anna, "/manager/orders/new", order_form(w, action=action, client_id=w["stranger"]))
        assert response.status_code == 403
    assert order_ids(app) == [order_id]
    assert get(anna, "/manager/orders/new?client=999999").status_code == 404
    assert get(anna, "/manager/orders/999999").status_code == 404

    # the team's supervisor may open it, another team's may not
    assert get(sign_in(app, w["boss"]), f"/manager/orders/{order_id}").status_code == 200
    with app.app_context():
        olga = make_staff("supervisor", name="Olga Two")
        olga_email = olga.email
    assert get(sign_in(app, olga_email), f"/manager/orders/{order_id}").status_code == 403


def test_cashiers_cannot_make_orders(app, w):
    cashier = sign_in(app, w["cashier"])
    assert get(cashier, "/manager/orders/new").status_code == 403
    assert get(cashier, f"/manager/orders/new?client={w['vega']}").status_code == 403
    assert post(cashier, "/manager/orders/new", order_form(w, action="send")).status_code == 403
    assert order_ids(app) == []


# ------------------------------------------------------------------------------------- cancel, history

def test_cancelling_a_confirmed_order_puts_the_goods_back(app, anna, w):
    order_id = confirmed_order(app, w, anna)
    assert (stock_of(app, w["drill"], w["main"]), stock_of(app, w["pipe"], w["main"])) == (98, 97)
    html = get(anna, f"/manager/orders/{order_id}").get_data(as_text=True)
    assert f'action="/manager/orders/{order_id}/cancel"' in html

    response = post(anna, f"/manager/orders/{order_id}/cancel")
    assert response.status_code == 303
    html = get(anna, response.location).get_data(as_text=True)
    assert ("success", "The order was cancelled.") in flashes(html)
    assert by_testid(html, "order-status") == "Cancelled"
    assert f'action="/manager/orders/{order_id}/cancel"' not in html
    assert (stock_of(app, w["drill"], w["main"]), stock_of(app, w["pipe"], w["main"]),
            stock_of(app, w["valve"], w["main"])) == (100, 100, 100)

    # cancelling twice changes nothing more
    response = post(anna, f"/manager/orders/{order_id}/cancel")
    assert ("error", "This cannot be done to an order that is cancelled.") in flashes(
        get(anna, response.location).get_data(as_text=True))
    assert stock_of(app, w["drill"], w["main"]) == 100


def test_a_paid_order_cannot_be_cancelled(app, anna, w):
    order_id = confirmed_order(app, w, anna)
    assert pay(anna, order_id, "100", STANDARD_TO_PAY).status_code == 303
    html = get(anna, f"/manager/orders/{order_id}").get_data(as_text=True)
    assert f'action="/manager/orders/{order_id}/cancel"' not in html  # money came in: no cancel button
    response = post(anna, f"/manager/orders/{order_id}/cancel")
    assert ("error", "Money has been received for this order: it cannot be cancelled.") in flashes(
        get(anna, response.location).get_data(as_text=True))
    assert status_of(app, order_id) is OrderStatus.CONFIRMED and stock_of(app, w["drill"], w["main"]) == 98


def test_the_history_table_lists_every_step_with_who_did_it(app, anna, w):
    order_id = card_id(post(anna, "/manager/orders/new", order_form(w, action="save")))
    assert post(anna, f"/manager/orders/{order_id}/submit").status_code == 303
    assert post(anna, f"/manager/orders/{order_id}/code").status_code == 303
    _text, code, _link = sms_with_code(w)
    assert post(anna, f"/manager/orders/{order_id}/confirm", {"code": wrong(code)}).status_code == 422
    assert post(anna, f"/manager/orders/{order_id}/confirm", {"code": code}).status_code == 303
    assert pay(anna, order_id, "1000", STANDARD_TO_PAY).status_code == 303
    assert pay(anna, order_id, "1849.99", 1_849_99).status_code == 303
    assert post(anna, f"/manager/orders/{order_id}/complete").status_code == 303

    html = get(anna, f"/manager/orders/{order_id}").get_data(as_text=True)
    assert by_testid(html, "order-status") == "Completed"
    rows = re.findall(r"<tr><td class=\"nowrap\">[^<]*</td><td>([^<]*)</td><td>([^<]*)</td>",
                      block(html, "history"))
    assert [what for _who, what in rows] == [
        "Order created", "Sent for confirmation", "Confirmation code sent", "Wrong confirmation code entered",
        "Confirmed by the client", "Payment recorded", "Payment recorded", "Paid in full", "Completed"]
    assert {who for who, _what in rows} == {"Anna Manager"}
    history = text_of(block(html, "history"))
    assert "Draft" in history and "Awaiting confirmation" in history and "Paid" in history


# ------------------------------------------------------------------------------------------ CSRF

@pytest.mark.csrf
def test_a_payment_without_the_csrf_token_is_refused(app, w):
    with app.app_context():
        anna = db.session.scalar(db.select(User).where(User.email == w["anna"]))
        order_id = orders.submit(anna, orders.create_draft(anna, OrderDraft(
            client_id=w["vega"], location_id=w["main"], lines=[DraftLine("DRILL", 1)])).id).id
        order_confirmation.send_code(anna, order_id)
        _text, code, _link = sms_with_code(w)
        order_confirmation.confirm_with_code(anna, order_id, code)
    http = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', http.get("/login").get_data(as_text=True)).group(1)
    assert http.post("/login", data={"email": w["anna"], "password": DEFAULT_PASSWORD,
                                     "csrf_token": token}).status_code == 302

    response = http.post(f"/manager/orders/{order_id}/payments",
                         data={"method": "cash", "amount": "950", "expected": "95000"}, headers=EN)
    assert response.status_code == 400
    assert count(app, Payment) == 0 and status_of(app, order_id) is OrderStatus.CONFIRMED

    # with the card's own token it goes through
    html = http.get(f"/manager/orders/{order_id}", headers=EN).get_data(as_text=True)
    form = re.search(r'<form[^>]*data-testid="payment-form".*?</form>', html, re.S).group(0)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    response = http.post(f"/manager/orders/{order_id}/payments",
                         data={"method": "cash", "amount": "950", "expected": "95000", "csrf_token": token},
                         headers=EN)
    assert response.status_code == 303
    assert status_of(app, order_id) is OrderStatus.PAID


def test_deferred_terms_show_the_due_date_if_the_client_confirms_today(app, anna, w):
    from datetime import timedelta

    from babel.dates import format_date

    from portal.clock import local_date
    html = post(anna, "/manager/orders/new", order_form(w, [("PUMP-B", "1")], terms="deferred"),
                hx=True).get_data(as_text=True)
    with app.app_context():
        due = format_date(local_date() + timedelta(days=14), "medium", locale="en")
    assert by_testid(html, "due-if-today") == f"Due date if the client confirms today: {due}."
    prepaid = post(anna, "/manager/orders/new", order_form(w, [("PUMP-B", "1")]), hx=True).get_data(as_text=True)
    assert 'data-testid="due-if-today"' not in prepaid


# ------------------------------------------------------------------ the editor's rules (issue 17)

def oob_ids(html: str) -> set[str]:
    """The ids of the parts an htmx answer swaps into the page (out of band)."""
    return set(re.findall(r'id="([^"]+)"[^>]*hx-swap-oob="true"', html))


def test_the_next_working_day_is_monday_to_friday_after_today(app):
    from datetime import date

    from portal.clock import local_date
    from portal.services.orders.delivery import next_working_day
    thursday, friday, saturday, sunday = (date(2026, 12, d) for d in (10, 11, 12, 13))
    assert next_working_day(thursday) == friday
    assert next_working_day(friday) == next_working_day(saturday) == next_working_day(sunday) == date(2026, 12, 14)
    with app.test_request_context():
        assert next_working_day() == next_working_day(local_date())  # the company's today


def test_the_default_delivery_address_is_the_first_delivery_one_then_the_legal_one(app, w):
    from portal.models import AddressKind, Client, ClientAddress
    from portal.services.orders.delivery import default_address, delivery_addresses
    with app.app_context():
        vega = db.session.get(Client, w["vega"])
        assert delivery_addresses(vega) == [] and default_address(vega) == ""
        vega.addresses.append(ClientAddress(kind=AddressKind.LEGAL, text="Moscow, Tverskaya 1"))
        db.session.commit()
        assert default_address(vega) == "Moscow, Tverskaya 1"  # no delivery address: the legal one
        vega.addresses.extend([ClientAddress(kind=AddressKind.DELIVERY, text="Lenina 5"),
                               ClientAddress(kind=AddressKind.DELIVERY, text="  "),
                               ClientAddress(kind=AddressKind.DELIVERY, text="lenina 5"),
                               ClientAddress(kind=AddressKind.DELIVERY, text="Khimki 3")])
        db.session.commit()
        assert delivery_addresses(vega) == ["Lenina 5", "Khimki 3", "Moscow, Tverskaya 1"]
        assert default_address(vega) == "Lenina 5"


def test_a_new_order_is_delivered_the_next_working_day_and_courier_offers_the_clients_addresses(app, anna, w):
    from portal.models import AddressKind, Client, ClientAddress
    from portal.services.orders.delivery import next_working_day
    with app.app_context():
        vega = db.session.get(Client, w["vega"])
        vega.addresses.extend([ClientAddress(kind=AddressKind.LEGAL, text="Moscow, Tverskaya 1"),
                               ClientAddress(kind=AddressKind.DELIVERY, text="Moscow, Lenina 5")])
        db.session.commit()
    with app.test_request_context():
        day = next_working_day()
    html = get(anna, f"/manager/orders/new?client={w['vega']}").get_data(as_text=True)
    assert input_value(html, "delivery_date") == day.isoformat()
    assert 'data-default-address="Moscow, Lenina 5"' in html
    picks = block(html, "address-picks")
    assert re.findall(r'data-address="([^"]+)"', picks) == ["Moscow, Lenina 5", "Moscow, Tverskaya 1"]
    # the address field shows for courier and carrier only
    assert re.search(r'data-testid="delivery-address-field"\s*hidden', html)
    html = post(anna, "/manager/orders/new", order_form(w, delivery_method="courier",
                                                       delivery_address="Moscow, Lenina 5")).get_data(as_text=True)
    assert not re.search(r'data-testid="delivery-address-field"\s*hidden', html)
    # the address in the field is not offered again; the others are
    assert re.findall(r'data-address="([^"]+)"[^>]*?( hidden)?>', block(html, "address-picks")) == [
        ("Moscow, Lenina 5", " hidden"), ("Moscow, Tverskaya 1", "")]


def test_re_pricing_answers_only_the_computed_parts_and_leaves_the_inputs_alone(app, anna, w):
    response = post(anna, "/manager/orders/new", order_form(w, WITH_VALVE, terms="deferred", bonus="100",
                                                           delivery_method="courier", delivery_address="Lenina 5"),
                    hx=True)
    html = response.get_data(as_text=True)
    cells = {f"line-{i}-{part}" for i in range(3) for part in ("info", "price", "discount", "amount", "stock")}
    assert oob_ids(html) == {"order-message", "bonus-available", "location-note", "delivery-note", "terms-note",
                             "bonus-note", "order-totals", *cells}
    assert 'hx-swap="none"' in html and 'hx-sync="this:queue all"' in html  # the form swaps nothing itself
    assert totals(html)["Paid with bonus"] == "−" + rub(100_00)

    # a line added, removed or re-counted: the lines table is drawn again (with its cells in it)
    for change in ({"add_sku": "PUMP-B", "add_qty": "2"}, {"remove_line": "0"}, {"set_qty_sku": "pipe", "set_qty": "7"}):
        html = post(anna, "/manager/orders/new", order_form(w, WITH_VALVE, **change), hx=True).get_data(as_text=True)
        assert "order-lines" in oob_ids(html) and not oob_ids(html) & cells, change
    html = post(anna, "/manager/orders/new", order_form(w, WITH_VALVE, add_sku="PUMP-B", add_qty="2"),
                hx=True).get_data(as_text=True)
    assert form_rows(html) == ["DRILL", "PIPE", "VALVE", "PUMP-B"] and input_value(html, "lines-3-qty") == "2"
    html = post(anna, "/manager/orders/new", order_form(w, WITH_VALVE, add_sku="drill", add_qty="3"),
                hx=True).get_data(as_text=True)
    assert input_value(html, "lines-0-qty") == "5"  # 2 + 3
    html = post(anna, "/manager/orders/new", order_form(w, WITH_VALVE, set_qty_sku="pipe", set_qty="7"),
                hx=True).get_data(as_text=True)
    assert input_value(html, "lines-1-qty") == "7"
    # a quantity that is not 1-9999 is ignored rather than guessed
    html = post(anna, "/manager/orders/new", order_form(w, WITH_VALVE, set_qty_sku="pipe", set_qty="0"),
                hx=True).get_data(as_text=True)
    assert input_value(html, "lines-1-qty") == "3"


def test_send_for_confirmation_sends_the_code_in_one_step_when_nothing_needs_approval(app, anna, w):
    response = post(anna, "/manager/orders/new", order_form(w, action="send"))
    order_id = card_id(response)
    assert status_of(app, order_id) is OrderStatus.AWAITING_CONFIRMATION
    (sms,) = sent_messages(w["sms"])
    assert sms["phone"] == "+79161234567"
    html = get(anna, response.location).get_data(as_text=True)
    assert ("success", "A code was sent to +7 916 123-45-67.") in flashes(html)
    assert re.search(r'<input id="code"[^>]*autofocus', html)  # the code field has the focus


def test_send_for_confirmation_waits_for_the_supervisor_when_a_discount_needs_approval(app, anna, w):
    response = post(anna, "/manager/orders/new", order_form(w, [("DRILL", "2", "12")], action="send"))
    order_id = card_id(response)
    assert status_of(app, order_id) is OrderStatus.AWAITING_APPROVAL
    assert sent_messages(w["sms"]) == []  # no code before the supervisor approves
    html = get(anna, response.location).get_data(as_text=True)
    assert ("success", "The order was sent on.") in flashes(html)
    # approved, it awaits the client: the code is then sent from the card
    with app.app_context():
        boss = db.session.scalar(db.select(User).where(User.email == w["boss"]))
        orders.approve(boss, order_id)
    assert status_of(app, order_id) is OrderStatus.AWAITING_CONFIRMATION


def test_the_service_sends_on_and_sends_the_code_or_says_why_not(app, w):
    with app.app_context():
        anna = db.session.scalar(db.select(User).where(User.email == w["anna"]))
        draft = OrderDraft(client_id=w["vega"], location_id=w["main"], lines=[DraftLine("DRILL", 1)])
        sent = order_confirmation.send_for_confirmation(anna, orders.create_draft(anna, draft).id)
        assert sent.order.status is OrderStatus.AWAITING_CONFIRMATION and sent.code.phone == "+79161234567"
        assert sent.code_refused is None
        over = OrderDraft(client_id=w["vega"], location_id=w["main"], lines=[DraftLine("DRILL", 1, 1_500)])
        sent = order_confirmation.send_for_confirmation(anna, orders.create_draft(anna, over).id)
        assert sent.order.status is OrderStatus.AWAITING_APPROVAL and sent.code is None
        # a client whose phone is gone: sent on, and the reason the code was not sent is said
        vera_id = w["vera"]
        from portal.models import ClientPhone
        db.session.execute(db.delete(ClientPhone).where(ClientPhone.client_id == vera_id))
        db.session.commit()
        db.session.expire_all()
        plain_order = orders.create_draft(anna, OrderDraft(client_id=vera_id, location_id=w["main"],
                                                           lines=[DraftLine("DRILL", 1)]))
        sent = order_confirmation.send_for_confirmation(anna, plain_order.id)
        assert sent.order.status is OrderStatus.AWAITING_CONFIRMATION and sent.code is None
        assert sent.code_refused == "The client has no phone number: add one on the client's card."

"""VAT where people read it: the till's receipt (page and PDF) and the manager's order card."""
from __future__ import annotations

import re

from portal.extensions import db
from portal.models import Channel, Order
from portal.services.sales import sales
from portal.services.sales.sales import Sale, SaleLine

from ...factories import make_location, make_product
from ...pdf_text import pdf_text


def _shop_with_a_sale(app, cashier_id=None):
    app.config["PORTAL_VAT_RATE"] = "20"
    with app.app_context():
        shop = make_location("shop", code="SH1", name="Arbat shop")
        make_product("DRILL", 1_200_00, stock={shop: 10})
        book = make_product("BOOK", 110_00, stock={shop: 10})
        gift = make_product("GIFT", 50_00, stock={shop: 10})
        book.vat_rate, gift.vat_rate = "10", "none"
        db.session.commit()
        order = sales.place_paid_order(Sale(
            channel=Channel.SHOP, lines=[SaleLine(qty=1, sku="DRILL"), SaleLine(qty=1, sku="BOOK"),
                                         SaleLine(qty=1, sku="GIFT")],
            location_id=shop.id, created_by_id=cashier_id))
        return shop, order.id


def _text(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</div>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split()) if found else ""


def test_the_receipt_shows_the_vat_per_rate_on_the_page_and_in_the_pdf(app, client, login):
    with app.app_context():
        shop = make_location("shop", code="SH0", name="Till shop")
        assert shop.id  # loaded, so the detached object still knows its id
    cashier_id = login("cashier", shop=shop)
    _, order_id = _shop_with_a_sale(app, cashier_id)
    with app.app_context():  # the sale was made at another shop by this cashier's account: read it as theirs
        order = db.session.get(Order, order_id)
        order.location_id = shop.id
        db.session.commit()
    html = client.get(f"/cashier/receipt/{order_id}").get_data(as_text=True)
    assert _text(html, "r-vat-20") == "incl. VAT 20 % 200.00 ₽"       # 1 200.00 × 20 / 120
    assert _text(html, "r-vat-10") == "incl. VAT 10 % 10.00 ₽"        # 110.00 × 10 / 110
    assert _text(html, "r-vat-none") == "Without VAT"
    pdf = client.get(f"/cashier/receipt/{order_id}.pdf")
    text = " ".join(pdf_text(pdf.data).split())
    assert "incl. VAT 20 % 200.00 ₽" in text and "incl. VAT 10 % 10.00 ₽" in text and "Without VAT" in text


def test_the_order_card_shows_the_vat_per_rate(app, client, login):
    boss_id = login("supervisor")
    _, order_id = _shop_with_a_sale(app)
    with app.app_context():
        order = db.session.get(Order, order_id)
        order.created_by_id = boss_id  # the supervisor opens the orders they made
        db.session.commit()
    html = client.get(f"/manager/orders/{order_id}").get_data(as_text=True)
    assert re.search(r'data-testid="order-vat-20">200\.00\s₽<', html), html[html.find("order-total"):][:600]
    assert re.search(r'data-testid="order-vat-10">10\.00\s₽<', html)
    assert 'data-testid="order-vat-none">—<' in html

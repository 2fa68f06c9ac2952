"""Fiscal receipts and cash in/out on the cashier's and the admin's pages, through the test client, with
the stand-in ATOL web server as the shop's register."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import CashMovement, Location, Order, User, utcnow
from portal.services.fiscal import documents as fiscal
from portal.services.messaging import delivery
from portal.services.sales import returns, shifts, till
from portal.services.sales.returns import ReturnRequest

from ...atol_stand_in import FN_NUMBER, AtolStandIn
from ...factories import DEFAULT_PASSWORD, make_location, make_product, make_staff
from ...pdf_text import pdf_text

EN = {"Accept-Language": "en"}


@pytest.fixture
def register():
    with AtolStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def counter(app, client, login, register):
    """A signed-in cashier of a shop whose register is the stand-in, with an open shift (float 100.00)."""
    app.config.update(FISCAL_BACKEND="atol", FISCAL_WAIT_SECONDS=0.3, OUTBOX_BACKOFF_JITTER=0)
    with app.app_context():
        shop = make_location("shop", code="SH1", name="Shop on Tverskaya")
        shop.fiscal_register_url = register.url
        product = make_product("TEA", 250_00, stock={shop: 10}, name="Green tea")
        shop_id, product_id = shop.id, product.id
    cashier_id = sign_in_cashier(app, client, shop_id, name="Anna Kassirova")
    assert client.post("/cashier/shift/open", data={"opening_float": "100"}, headers=EN).status_code == 302
    return {"shop_id": shop_id, "product_id": product_id, "cashier_id": cashier_id}


def sign_in_cashier(app, client, shop_id: int, **kwargs) -> int:
    with app.app_context():
        user = make_staff("cashier", shop=db.session.get(Location, shop_id), **kwargs)
        email, user_id = user.email, user.id
    assert client.post("/login", data={"email": email, "password": DEFAULT_PASSWORD}).status_code == 302
    return user_id


def drain(app, hours: float = 0):
    with app.app_context():
        at = utcnow() + timedelta(hours=hours)
        return delivery.deliver_due(topics=[fiscal.TOPIC], now=lambda: at)


def sell(app, counter) -> int:
    with app.app_context():
        cashier = db.session.get(User, counter["cashier_id"])
        till.add(cashier, counter["product_id"])
        cart = till.view(cashier)
        return till.checkout(cashier, card=0, cash_tendered=250_00, version=cart.cart.version).order.id


def test_the_receipt_awaits_registration_then_shows_the_fiscal_attributes_and_qr(app, client, counter, register):
    order_id = sell(app, counter)
    page = client.get(f"/cashier/receipt/{order_id}", headers=EN).get_data(as_text=True)
    assert "Awaiting registration on the fiscal register" in page and 'data-testid="fiscal-fn"' not in page
    assert "Awaiting registration on the fiscal register" in pdf_text(
        client.get(f"/cashier/receipt/{order_id}.pdf", headers=EN).data)

    assert drain(app).delivered == 2
    page = client.get(f"/cashier/receipt/{order_id}", headers=EN).get_data(as_text=True)
    sale = register.registered("sell")[0].result["result"]["fiscalParams"]
    assert re.search(rf'data-testid="fiscal-fn">{FN_NUMBER}<', page)
    assert re.search(rf'data-testid="fiscal-fd">{sale["fiscalDocumentNumber"]}<', page)
    assert re.search(rf'data-testid="fiscal-fp">{sale["fiscalDocumentSign"]}<', page)
    assert re.search(r'data-testid="fiscal-shift">7<', page)
    qr = re.search(r'<svg [^>]*data-qr="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert qr.startswith("t=") and f"&s=250.00&fn={FN_NUMBER}&i={sale['fiscalDocumentNumber']}" in qr
    assert qr.endswith(f"&fp={sale['fiscalDocumentSign']}&n=1") and "Awaiting registration" not in page
    text = pdf_text(client.get(f"/cashier/receipt/{order_id}.pdf", headers=EN).data)
    assert FN_NUMBER in text and sale["fiscalDocumentSign"] in text and "Awaiting registration" not in text


def test_the_till_and_the_shift_page_list_what_awaits_registration_with_the_reason(app, client, counter, register):
    register.will("paper_out")
    order_id = sell(app, counter)
    drain(app)
    with app.app_context():
        number = db.session.get(Order, order_id).number
    till_page = client.get("/cashier/sale", headers=EN).get_data(as_text=True)  # one line on the till
    assert 'data-testid="fiscal-notice"' in till_page and "2 documents await registration" in till_page
    assert "out of paper" in till_page and 'href="/cashier/shift"' in till_page
    shift_page = client.get("/cashier/shift", headers=EN).get_data(as_text=True)  # which, on the shift page
    assert re.search(rf'data-testid="fiscal-waiting">Sale receipt {number} — <span class="small">The register '
                     r'is out of paper', shift_page)
    refused = client.post("/cashier/shift/close", data={"counted_cash": "350"}, headers=EN)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "cannot close while documents await registration" in html
    assert 'value="350"' in html and f"Sale receipt {number}" in html

    register.will("ok")
    drain(app, hours=2)
    assert 'data-testid="fiscal-notice"' not in client.get("/cashier/sale", headers=EN).get_data(as_text=True)
    closed = client.post("/cashier/shift/close", data={"counted_cash": "350"}, headers=EN)
    assert closed.status_code == 302


def test_cash_in_and_out_on_the_shift_page(app, client, counter, register):
    bad = client.post("/cashier/shift/cash", data={"kind": "out", "amount": "12x", "reason": "  ", "token": "t1"},
                      headers=EN)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Enter an amount like 1500 or 1500,50." in html
    assert 'value="12x"' in html and 'value="out" checked' in html
    too_much = client.post("/cashier/shift/cash", data={"kind": "out", "amount": "100,01", "reason": "bank",
                                                         "token": "t2"}, headers=EN)
    html = too_much.get_data(as_text=True)
    assert too_much.status_code == 422 and "At most 100.00 is in the drawer." in html and 'value="bank"' in html
    no_reason = client.post("/cashier/shift/cash", data={"kind": "in", "amount": "5", "reason": "", "token": "t3"},
                            headers=EN)
    assert no_reason.status_code == 422 and "Say why the cash moves." in no_reason.get_data(as_text=True)

    for _tap in range(2):  # a double tap records one movement
        done = client.post("/cashier/shift/cash", data={"kind": "in", "amount": "500,50", "reason": "change",
                                                        "token": "t4"}, headers=EN)
        assert done.status_code == 303
    client.post("/cashier/shift/cash", data={"kind": "out", "amount": "50", "reason": "to the safe", "token": "t5"},
                headers=EN)
    page = client.get("/cashier/shift", headers=EN).get_data(as_text=True)
    assert re.search(r'data-testid="cash-in-total">500\.50\xa0₽<', page)
    assert re.search(r'data-testid="cash-out-total">50\.00\xa0₽<', page)
    assert re.search(r'data-testid="expected-cash">550\.50\xa0₽<', page)
    assert page.count('data-testid="cash-movement"') == 2 and "to the safe" in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(CashMovement.id))) == 2
        assert len(fiscal.awaiting(shifts.current_shift(counter["cashier_id"]).id)) == 3  # shift, in, out
    drain(app)
    assert [t.task["type"] for t in register.registered()] == ["openShift", "cashIn", "cashOut"]


def test_the_admin_sets_a_shops_register_address(app, client, login):
    login("admin")
    with app.app_context():
        shop_id = make_location("shop", code="SH9").id
    base = {"code": "SH9", "name": "Shop nine", "kind": "shop", "active": "y"}
    bad = client.post(f"/admin/locations/{shop_id}", data={**base, "fiscal_register_url": "ftp://10.0.5.20"},
                      headers=EN)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Enter an address like http://10.0.5.20:16732." in html
    assert 'value="ftp://10.0.5.20"' in html
    good = client.post(f"/admin/locations/{shop_id}", data={**base, "fiscal_register_url": " http://10.0.5.20:16732/ "},
                       headers=EN)
    assert good.status_code == 302
    with app.app_context():
        assert db.session.get(Location, shop_id).fiscal_register_url == "http://10.0.5.20:16732"
    assert 'value="http://10.0.5.20:16732"' in client.get(f"/admin/locations/{shop_id}", headers=EN).get_data(
        as_text=True)


def test_without_a_register_the_receipt_shows_nothing_fiscal(app, client, login):
    with app.app_context():
        shop = make_location("shop", code="SH2")
        product_id = make_product("TEA", 250_00, stock={shop: 10}).id
        shop_id = shop.id
    cashier_id = sign_in_cashier(app, client, shop_id)
    with app.app_context():
        shifts.open_shift(db.session.get(User, cashier_id), 0)
    order_id = sell(app, {"cashier_id": cashier_id, "product_id": product_id})
    page = client.get(f"/cashier/receipt/{order_id}", headers=EN).get_data(as_text=True)
    assert 'data-testid="fiscal"' not in page and "fiscal register" not in page
    assert "fiscal register" not in pdf_text(client.get(f"/cashier/receipt/{order_id}.pdf", headers=EN).data)


def test_the_return_receipt_shows_its_own_registration(app, client, counter, register):
    order_id = sell(app, counter)
    with app.app_context():
        order = db.session.get(Order, order_id)
        shift_id = shifts.current_shift(counter["cashier_id"]).id
        return_id = returns.return_goods(order.id, [ReturnRequest(qty=1, order_line_id=order.lines[0].id)],
                                         key="web-r", actor_id=counter["cashier_id"], location_id=order.location_id,
                                         shift_id=shift_id).id
    page = client.get(f"/cashier/returns/{return_id}/receipt", headers=EN).get_data(as_text=True)
    assert "Awaiting registration on the fiscal register" in page
    drain(app)
    back = register.registered("sellReturn")[0].result["result"]["fiscalParams"]
    page = client.get(f"/cashier/returns/{return_id}/receipt", headers=EN).get_data(as_text=True)
    assert re.search(rf'data-testid="fiscal-fd">{back["fiscalDocumentNumber"]}<', page)
    assert re.search(r'data-qr="[^"]*&amp;s=250\.00&amp;[^"]*&amp;n=2"', page)
    text = pdf_text(client.get(f"/cashier/returns/{return_id}/receipt.pdf", headers=EN).data)
    assert back["fiscalDocumentSign"] in text and FN_NUMBER in text


def test_the_admins_outbox_page_names_each_fiscal_document_and_its_error(app, counter, register):
    register.will("busy")
    order_id = sell(app, counter)
    drain(app)
    with app.app_context():
        number = db.session.get(Order, order_id).number
        email = make_staff("admin").email
    admin = app.test_client()
    assert admin.post("/login", data={"email": email, "password": DEFAULT_PASSWORD}).status_code == 302
    page = admin.get("/admin/outbox?topic=fiscal", headers=EN).get_data(as_text=True)
    assert f'data-testid="outbox-fiscal">Sale receipt {number}<' in page
    assert "Opening of the register&#39;s shift" in page or "Opening of the register's shift" in page
    assert page.count("[55] ККТ занята") == 2  # both documents' last error, on their events

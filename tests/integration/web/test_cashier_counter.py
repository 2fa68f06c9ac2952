"""Issue 16 at the counter: the client's card on the bonus page and at the till, the receipt's bonus
balance as of the sale, the receipt by SMS as a signed link, the all-sales list's state filter, the
return receipt's particulars, and a fully returned order that offers no further return."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from portal import ledger
from portal.extensions import db
from portal.models import (
    AuditEvent,
    Barcode,
    Channel,
    Client,
    Location,
    Order,
    OrderLine,
    OutboxEvent,
    PaymentMethod,
    Return,
    User,
    utcnow,
)
from portal.services.clients import access, loyalty_card
from portal.services.clients import bonus as bonus_service
from portal.services.orders import orders
from portal.services.orders.orders import DraftLine, OrderDraft
from portal.services.sales import receipt_link, returns, sales, till

from ...factories import make_client, make_location, make_product, make_staff
from ...pdf_text import pdf_text
from ...sms_gateway import LocalGateway

EN = {"Accept-Language": "en"}
HX = {"HX-Request": "true", **EN}
PHONE = "+79161234567"


def rub(minor: int) -> str:
    return f"{minor / 100:,.2f}\u00a0₽"


def by_testid(html: str, name: str) -> str:
    match = re.search(rf'data-testid="{name}"[^>]*>([^<]*)<', html)
    assert match, f"no data-testid={name} in:\n{html[:3000]}"
    return match.group(1).strip()


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def code128_text(svg: str) -> str:
    """Read a Code 128 barcode back from its SVG: the black bars' widths and the gaps between them
    in modules, each symbol looked up in the symbology's table, the check symbol verified."""
    from reportlab.graphics.barcode.code128 import _patterns  # the table of Code 128's 107 symbols

    bars = sorted((float(x), float(w)) for x, w in re.findall(
        r'<rect x="([\d.]+)" y="0" width="([\d.]+)" height="[\d.]+" style="[^"]*fill: rgb\(0%,0%,0%\)', svg))
    module = min(w for _x, w in bars)
    widths = []
    for (x, w), following in zip(bars, bars[1:] + [None]):
        widths.append(round(w / module))
        if following is not None:
            widths.append(round((following[0] - x - w) / module))
    by_pattern = {pattern: value for value, pattern in _patterns.items()}
    symbols, start = [], 0
    while start < len(widths):
        size = 7 if len(widths) - start == 7 else 6  # the stop symbol has a last bar of its own
        chunk = widths[start:start + size]
        symbols.append(by_pattern["".join(chr((65 if i % 2 == 0 else 97) + n - 1) for i, n in enumerate(chunk))])
        start += size
    *data, check, stop = symbols
    assert stop == 106 and check == (data[0] + sum(i * v for i, v in enumerate(data[1:], start=1))) % 103
    code_set, text = {103: "A", 104: "B", 105: "C"}[data[0]], ""
    for value in data[1:]:
        if code_set == "C" and value < 100:
            text += f"{value:02d}"
        elif value == 99:
            code_set = "C"
        elif value == 100:
            code_set = "B"
        else:
            text += chr(value + 32)
    return text


@pytest.fixture
def gateway(app):
    with LocalGateway() as gw:
        app.config.update(gw.settings())
        yield gw


@pytest.fixture
def counter(app, client, login, tmp_path):
    """The Arbat shop with a drill and a valve, Vera (5 %, 500.00 of bonus, no card yet) and a
    signed-in cashier of the shop with an open shift."""
    app.config["SMS_FILE_PATH"] = str(tmp_path / "sms.jsonl")
    with app.app_context():
        shop = make_location("shop", code="SH1", name="Arbat shop", address="Arbat 1, Moscow")
        main = make_location("warehouse", code="MAIN", is_main=True)
        drill = make_product("DRILL", 1_000_00, stock={shop: 10, main: 100}, name="Cordless drill")
        valve = make_product("VALVE", 99_99, stock={shop: 10, main: 100}, discountable=False, name="Ball valve")
        db.session.add(Barcode(product_id=drill.id, code="4600000000011"))
        vera = make_client(name="Vera Buyer", phone=PHONE, discount_bp=500)
        boss = make_staff("supervisor")
        bonus_service.adjust(boss, vera.id, 500_00, "welcome gift", "test:counter:gift")
        db.session.commit()
        ids = {"shop": shop.id, "main": main.id, "drill": drill.id, "valve": valve.id, "vera": vera.id}
        shop_obj = shop
    cashier_id = login("cashier", shop=shop_obj, name="Kira Cashier")
    assert client.post("/cashier/shift/open", data={"opening_float": "1000"}).status_code == 302
    return {**ids, "cashier": cashier_id}


def ring_up(app, cashier_id, items, *, client_query=None, bonus=None):
    with app.app_context():
        user = db.session.get(User, cashier_id)
        for product_id, qty in items:
            till.add(user, product_id, by=qty)
        if client_query:
            till.attach_client(user, client_query)
            if bonus is not None:
                till.set_bonus(user, bonus)
        cart = till.view(user)
        done = till.checkout(user, card=cart.to_pay, cash_tendered=None, version=cart.cart.version)
        return done.order.id, done.order.number


def open_bonus_page(app, client_id: int):
    http = app.test_client()
    with app.app_context():
        token = access.signed_link(client_id).rsplit("/", 1)[1]
    assert http.get(f"/my/link/{token}").location == "/my/"
    return http


# ------------------------------------------------------------------------------------- the client's card

def test_the_bonus_page_shows_the_card_as_barcode_and_qr_and_a_client_without_one_gets_a_number(app, counter):
    with app.app_context():
        carded = make_client(name="Oleg Carded", phone="+79035550011", card_number="2000000012345")
        db.session.commit()
        carded_id = carded.id
    http = open_bonus_page(app, counter["vera"])
    html = http.get("/my/", headers=EN).get_data(as_text=True)
    number = by_testid(html, "card-number")
    assert re.fullmatch(r"2990\d{9}", number) and loyalty_card.check_digit(number[:12]) == number[12]
    assert 'src="/my/card/barcode.svg"' in html and 'src="/my/card/qr.svg"' in html
    assert f'alt="Barcode of card {number}"' in html
    with app.app_context():
        assert db.session.get(Client, counter["vera"]).card_number == number
        issued = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "system:card_issued")).all()
        assert [(e.object_id, e.after) for e in issued] == [(counter["vera"], {"card_number": number})]
    # the number stays the same on every later visit
    assert by_testid(http.get("/my/", headers=EN).get_data(as_text=True), "card-number") == number

    barcode = http.get("/my/card/barcode.svg")
    assert barcode.status_code == 200 and barcode.mimetype == "image/svg+xml"
    svg = barcode.get_data(as_text=True)
    assert code128_text(svg) == number and "<script" not in svg
    assert barcode.cache_control.private and barcode.cache_control.max_age == 86400
    assert http.get("/my/card/barcode.svg", headers={"If-None-Match": barcode.headers["ETag"]}).status_code == 304
    qr = http.get("/my/card/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and qr.get_data(as_text=True).count("<rect") > 100
    assert qr.get_data() != barcode.get_data()

    # a client with a plastic card keeps its number; the pictures follow the session's client only
    oleg = open_bonus_page(app, carded_id)
    assert by_testid(oleg.get("/my/", headers=EN).get_data(as_text=True), "card-number") == "2000000012345"
    assert code128_text(oleg.get("/my/card/barcode.svg").get_data(as_text=True)) == "2000000012345"
    assert code128_text(http.get("/my/card/barcode.svg").get_data(as_text=True)) == number
    # no session: the sign-in page, not a picture
    assert app.test_client().get("/my/card/qr.svg").location == "/my/login"


def test_an_issued_number_is_never_another_clients_card_or_a_product_barcode(app, counter, monkeypatch):
    with app.app_context():
        taken = ["2990000000017", "2990000000024"]
        make_client(name="Has the first", card_number=taken[0])
        drill = db.session.get(Barcode, db.session.scalar(db.select(Barcode.id)))
        db.session.add(Barcode(product_id=drill.product_id, code=taken[1]))
        db.session.commit()
        offered = iter(taken + ["2990000000031"])
        monkeypatch.setattr(loyalty_card, "_new_number", lambda: next(offered))
        assert loyalty_card.card_number_of(counter["vera"]) == "2990000000031"
        assert loyalty_card.card_number_of(counter["vera"]) == "2990000000031"  # issued once


def test_scanning_the_card_at_the_till_attaches_the_client(app, client, counter):
    with app.app_context():
        number = loyalty_card.card_number_of(counter["vera"])
    response = client.post("/cashier/cart/scan", data={"code": f" {number} "}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Vera Buyer" in html
    with app.app_context():
        user = db.session.get(User, counter["cashier"])
        cart = till.view(user)
        assert cart.client.id == counter["vera"] and cart.lines == [] and cart.available_bonus == 500_00
    # a product's barcode still adds the product, and an unknown code says so
    html = client.post("/cashier/cart/scan", data={"code": "4600000000011"}, headers=HX).get_data(as_text=True)
    assert 'data-sku="DRILL"' in html and "Vera Buyer" in html
    html = client.post("/cashier/cart/scan", data={"code": "2990999999999"}, headers=HX).get_data(as_text=True)
    assert "No product with the barcode or SKU 2990999999999." in html


# ------------------------------------------------------------------------------- the receipt's bonus balance

def test_the_receipt_shows_the_bonus_balance_as_of_the_sale_also_when_printed_again(app, client, counter):
    with app.app_context():
        hold_days = ledger.settings.current().hold_days
        # a till sale of hold_days + 1 days ago: its accrual is due by now, not yet released
        order = sales.place_paid_order(sales.Sale(
            channel=Channel.SHOP, lines=[sales.SaleLine(qty=1, product_id=counter["drill"])],
            location_id=counter["shop"], client_id=counter["vera"], bonus_to_redeem=100_00,
            default_method=PaymentMethod.CARD, created_by_id=counter["cashier"],
            now=utcnow() - timedelta(days=hold_days + 1)))
        order_id, accrual = order.id, order.accrual
        assert accrual > 0 and order.bonus_redeemed == 100_00 and hold_days > 0
    html = client.get(f"/cashier/receipt/{order_id}", headers=EN).get_data(as_text=True)
    assert by_testid(html, "r-bonus-available") == rub(400_00)
    assert by_testid(html, "r-bonus-pending") == rub(accrual)
    pdf = pdf_text(client.get(f"/cashier/receipt/{order_id}.pdf", headers=EN).get_data())
    assert "Bonus available after this sale" in pdf and "400.00" in pdf and "Bonus pending after this sale" in pdf

    # today another sale releases that accrual and spends bonus — the first receipt still says the same
    second_id, _ = ring_up(app, counter["cashier"], [(counter["valve"], 1)], client_query=PHONE, bonus=10_00)
    with app.app_context():
        now = ledger.bonus_of(counter["vera"])
        assert now.available == 400_00 + accrual - 10_00 and now.pending == db.session.get(Order, second_id).accrual
    html = client.get(f"/cashier/receipt/{order_id}", headers=EN).get_data(as_text=True)
    assert (by_testid(html, "r-bonus-available"), by_testid(html, "r-bonus-pending")) == (rub(400_00), rub(accrual))
    second = client.get(f"/cashier/receipt/{second_id}", headers=EN).get_data(as_text=True)
    assert by_testid(second, "r-bonus-available") == rub(now.available)

    # a sale that moves no bonus (its accrual rounds to 0) is cut at its payment time
    with app.app_context():
        penny = make_product("PENNY", 1, stock={db.session.get(Location, counter["shop"]): 5}).id
    penny_id, _ = ring_up(app, counter["cashier"], [(penny, 1)], client_query=PHONE)
    with app.app_context():
        assert db.session.get(Order, penny_id).accrual == 0
        now = ledger.bonus_of(counter["vera"])
    html = client.get(f"/cashier/receipt/{penny_id}", headers=EN).get_data(as_text=True)
    assert (by_testid(html, "r-bonus-available"), by_testid(html, "r-bonus-pending")) == (
        rub(now.available), rub(now.pending))

    # a sale without a client has no bonus lines
    anonymous_id, _ = ring_up(app, counter["cashier"], [(counter["valve"], 1)])
    assert 'data-testid="r-bonus-available"' not in client.get(f"/cashier/receipt/{anonymous_id}").get_data(as_text=True)


# ---------------------------------------------------------------------------------------- the receipt by SMS

def test_the_receipt_goes_by_sms_as_a_signed_link_that_opens_read_only(app, client, counter, gateway):
    order_id, number = ring_up(app, counter["cashier"], [(counter["drill"], 1)], client_query=PHONE)
    page = client.get(f"/cashier/receipt/{order_id}", headers=EN).get_data(as_text=True)
    assert f'value="{PHONE}"' in page and f'action="/cashier/receipt/{order_id}/sms"' in page

    response = client.post(f"/cashier/receipt/{order_id}/sms", data={"phone": ""}, headers=EN)
    assert response.status_code == 302 and response.location == f"/cashier/receipt/{order_id}"
    assert f"The receipt link is sent by SMS to {PHONE}." in text(client.get(response.location, headers=EN))
    assert len(gateway.received) == 1
    sent = gateway.received[0].query
    assert sent["to"] == PHONE and f"Your receipt {number} from" in sent["text"]
    link = re.search(r"https?://\S+/r/(\S+)", sent["text"])
    token = link.group(1)
    with app.app_context():
        event = db.session.scalar(db.select(OutboxEvent).where(OutboxEvent.key == f"sms:receipt:order:{order_id}:{PHONE}"))
        assert event.state == "delivered" and token not in event.payload["text"]  # the link is wiped once sent
        sent_by = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "receipt_sent")).all()
        assert [(e.actor_id, e.object_id, e.after) for e in sent_by] == [(counter["cashier"], order_id, {"phone": PHONE})]

    # pressing again sends nothing new; another phone gets its own message
    client.post(f"/cashier/receipt/{order_id}/sms", data={"phone": PHONE}, headers=EN)
    assert len(gateway.received) == 1
    client.post(f"/cashier/receipt/{order_id}/sms", data={"phone": "8 903 555-00-11"}, headers=EN)
    assert [r.query["to"] for r in gateway.received] == [PHONE, "+79035550011"]

    # the link opens the receipt in a browser with no session at all, page and PDF
    stranger = app.test_client()
    opened = stranger.get(f"/r/{token}", headers=EN)
    assert opened.status_code == 200 and "private" in opened.headers["Cache-Control"]
    html = opened.get_data(as_text=True)
    assert f"Sale receipt {number}" in html and "Vera Buyer" in html and "<form" not in html.split("</header>", 1)[1]
    pdf = stranger.get(f"/r/{token}.pdf")
    assert pdf.mimetype == "application/pdf" and f"Sale receipt {number}" in pdf_text(pdf.get_data())
    # a forged, changed or expired token opens nothing
    assert stranger.get(f"/r/{token[:-2]}xx", headers=EN).status_code == 410
    with app.app_context():
        other_id, _ = ring_up(app, counter["cashier"], [(counter["valve"], 1)])
        forged = URLSafeTimedSerializer("not the secret", salt=receipt_link.SALT).dumps({"order": other_id})
        assert stranger.get(f"/r/{forged}", headers=EN).status_code == 410

        class LongAgo(TimestampSigner):
            def get_timestamp(self):
                return super().get_timestamp() - (app.config["RECEIPT_LINK_DAYS"] * 86400 + 60)

        old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=receipt_link.SALT, signer=LongAgo).dumps(
            {"order": order_id})
    expired = stranger.get(f"/r/{old}", headers=EN)
    assert expired.status_code == 410 and "This receipt link has expired" in text(expired)
    assert stranger.get(f"/r/{old}.pdf").status_code == 410


def test_a_bad_phone_for_the_receipt_sms_keeps_what_was_typed(app, client, counter, gateway):
    order_id, _ = ring_up(app, counter["cashier"], [(counter["valve"], 1)])  # no client: no phone to offer
    response = client.post(f"/cashier/receipt/{order_id}/sms", data={"phone": ""}, headers=EN)
    assert response.status_code == 422
    assert "Enter the phone number to send the receipt to." in text(response)
    response = client.post(f"/cashier/receipt/{order_id}/sms", data={"phone": "12ab"}, headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="12ab"' in html and 'aria-invalid="true"' in html
    assert by_testid(html, "receipt-sms-error")
    assert gateway.received == []
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(OutboxEvent).where(
            OutboxEvent.key.like("sms:receipt:%"))) == 0


# ------------------------------------------------------------------------------------------ all sales

def test_all_sales_shows_paid_sales_of_every_channel_and_drafts_only_on_the_filter(app, client, counter):
    shop_id, shop_number = ring_up(app, counter["cashier"], [(counter["drill"], 1)])
    with app.app_context():
        web = sales.place_paid_order(sales.Sale(channel=Channel.WEB, lines=[sales.SaleLine(qty=1, sku="VALVE")],
                                                location_id=counter["main"])).number
        manager = make_staff("manager")
        buyer = make_client(manager=manager, name="Draft Buyer")
        db.session.commit()
        draft = orders.create_draft(manager, OrderDraft(client_id=buyer.id, location_id=counter["main"],
                                                        lines=[DraftLine("DRILL", 1)]))
        draft_number = draft.number

    def numbers(query=""):
        html = client.get("/cashier/orders" + query, headers=EN).get_data(as_text=True)
        return set(re.findall(r'<a href="/cashier/orders/\d+">([^<]+)</a>', html))

    assert numbers() == {shop_number, web}
    assert numbers("?state=paid") == {shop_number, web}
    assert numbers("?state=unpaid") == {draft_number}
    assert numbers("?state=all") == {shop_number, web, draft_number}
    assert numbers("?state=cancelled") == set()
    assert numbers("?state=nonsense") == {shop_number, web}
    html = client.get("/cashier/orders?state=unpaid", headers=EN).get_data(as_text=True)
    assert '<option value="unpaid" selected>' in html
    # a draft's "paid" column shows the money received: none
    row = html.split(draft_number, 1)[1].split("</tr>", 1)[0]
    assert rub(0) in row and "Draft" in row


# ------------------------------------------------------------------------------------ the return receipt

def line_ids(app, order_id) -> dict[str, int]:
    with app.app_context():
        return {line.sku: line.id for line in db.session.scalars(db.select(OrderLine).where(OrderLine.order_id == order_id))}


def test_the_return_receipt_has_its_number_cashier_client_shop_address_and_signatures(app, client, counter):
    order_id, number = ring_up(app, counter["cashier"], [(counter["drill"], 2)], client_query=PHONE)
    lines = line_ids(app, order_id)
    response = client.post(f"/cashier/orders/{order_id}/return",
                           data={f"qty-{lines['DRILL']}": "1", "confirm": "1", "token": "t1", "reason": "wrong size"})
    assert response.status_code == 302
    with app.app_context():
        ret = db.session.scalar(db.select(Return))
        return_number, return_id = ret.number, ret.id
    assert return_number == f"R-{return_id:06d}"
    html = client.get(response.location, headers=EN).get_data(as_text=True)
    assert by_testid(html, "rr-number") == f"Return No. {return_number}"
    assert (by_testid(html, "rr-cashier"), by_testid(html, "rr-client")) == ("Kira Cashier", "Vera Buyer")
    assert by_testid(html, "rr-address") == "Arbat 1, Moscow"
    assert "Cashier signature" in html and "Client signature" in html
    pdf = pdf_text(client.get(f"/cashier/returns/{return_id}/receipt.pdf", headers=EN).get_data())
    for wanted in (f"Return No. {return_number}", "Cashier: Kira Cashier", "Client: Vera Buyer", "Arbat 1, Moscow",
                   "Cashier signature", "Client signature", f"Return receipt for {number}"):
        assert wanted in pdf, (wanted, pdf)


# -------------------------------------------------------------------------------- a fully returned order

def test_a_fully_returned_order_offers_no_further_return(app, client, counter):
    order_id, number = ring_up(app, counter["cashier"], [(counter["drill"], 1), (counter["valve"], 1)])
    lines = line_ids(app, order_id)
    page = client.get(f"/cashier/orders/{order_id}", headers=EN).get_data(as_text=True)
    assert 'data-testid="return-goods"' in page
    form = {f"qty-{lines['DRILL']}": "1", f"qty-{lines['VALVE']}": "1", "confirm": "1", "token": "all"}
    done = client.post(f"/cashier/orders/{order_id}/return", data=form)
    assert done.status_code == 302 and "/receipt" in done.location
    # a second tap on Confirm shows the same return, and makes none
    assert client.post(f"/cashier/orders/{order_id}/return", data=form).location == done.location
    with app.app_context():
        assert returns.fully_returned(db.session.get(Order, order_id))
        assert db.session.scalar(db.select(db.func.count()).select_from(Return)) == 1

    page = client.get(f"/cashier/orders/{order_id}", headers=EN).get_data(as_text=True)
    assert 'data-testid="return-goods"' not in page
    assert by_testid(page, "fully-returned") == "Every item of this order has been returned."
    message = f"Every item of order {number} has been returned already: there is nothing left to return."
    for ask in (lambda: client.get(f"/cashier/orders/{order_id}/return", headers=EN),
                lambda: client.post(f"/cashier/orders/{order_id}/return", data={**form, "token": "again"}, headers=EN)):
        response = ask()
        assert response.status_code == 302 and response.location == f"/cashier/orders/{order_id}"
        assert message in text(client.get(response.location, headers=EN))
    htmx = client.post(f"/cashier/orders/{order_id}/return", data={f"qty-{lines['DRILL']}": "1"}, headers=HX)
    assert htmx.headers["HX-Redirect"] == f"/cashier/orders/{order_id}"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Return)) == 1


def test_a_partly_returned_order_still_offers_a_return(app, client, counter):
    order_id, _ = ring_up(app, counter["cashier"], [(counter["drill"], 2)])
    lines = line_ids(app, order_id)
    client.post(f"/cashier/orders/{order_id}/return", data={f"qty-{lines['DRILL']}": "1", "confirm": "1", "token": "a"})
    page = client.get(f"/cashier/orders/{order_id}", headers=EN).get_data(as_text=True)
    assert 'data-testid="return-goods"' in page and 'data-testid="fully-returned"' not in page
    form = client.get(f"/cashier/orders/{order_id}/return", headers=EN)
    assert form.status_code == 200 and f'name="qty-{lines["DRILL"]}"' in form.get_data(as_text=True)

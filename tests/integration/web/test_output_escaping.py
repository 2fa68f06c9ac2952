"""Hostile names are shown as text everywhere (issue 8, point 2: output).

One company is built through the services with names that are markup or spreadsheet formulas: a
client `<script>alert(1)</script>`, a product `<img src=x onerror=alert(1)>`, a manager `"><b>x</b>`,
clients `=cmd|' /C calc'!A0` and `@SUM(1+1)`, products `+1+1` and `-1+1`. They have a confirmed and
paid order with its invoice, an order and a change waiting for approval, a till sale with its receipt
and a return with its receipt, notifications, audit events, outbox events and statistics. Then every
GET route of the URL map is requested as every role (URL arguments filled from that data; each
statistics report by its key) and:

- no answer is a 5xx;
- no HTML page carries any of the names as raw markup, and the pages that show the client, the
  product or the manager show them escaped (`&lt;script&gt;...`);
- every PDF (till and return receipts, invoices, every report) shows the names literally as text;
- every CSV (the order list, every report) neutralises a cell that a spreadsheet would run (`=`, `+`,
  `-`, `@` first): it starts with `'`; only plain negative numbers may start with `-`.
"""
from __future__ import annotations

import csv
import html as html_lib
import io
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from portal.extensions import db
from portal.integrations.sms import sent_messages
from portal.models import ClientKind, Notification, OrderLine, OutboxEvent, PaymentMethod, PaymentTerms, Shift, utcnow
from portal.services.clients import access, changes
from portal.services.clients import bonus as bonus_service
from portal.services.orders import confirmation as order_confirmation
from portal.services.orders import orders, payments
from portal.services.orders.orders import DraftLine, OrderDraft
from portal.services.sales import returns, sales, shifts, till
from portal.services.statistics import REPORTS

from ...factories import DEFAULT_PASSWORD, make_client, make_location, make_product, make_staff
from ...pdf_text import pdf_text

EN = {"Accept-Language": "en"}
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
BOLD = '"><b>x</b>'
FORMULAS = ("=cmd|' /C calc'!A0", "@SUM(1+1)", "+1+1", "-1+1")
RAW_MARKUP = (SCRIPT, IMG, "<b>x</b>", "onerror=alert(1)>")
ESCAPED = {SCRIPT: "&lt;script&gt;alert(1)&lt;/script&gt;", IMG: "&lt;img src=x onerror=alert(1)&gt;",
           BOLD: "&lt;b&gt;x&lt;/b&gt;"}
ROLES = ("admin", "supervisor", "manager", "cashier", "client")


# ------------------------------------------------------------------------------------------- the data

def build_world(app, sms_path: str) -> dict:
    """The hostile company, made through the services; returns ids, e-mails and tokens."""
    app.config["SMS_FILE_PATH"] = sms_path
    with app.app_context():
        main = make_location("warehouse", code="MAIN", name="Main warehouse", is_main=True)
        shop = make_location("shop", code="SH1", name="Arbat shop", address="Arbat 1")
        admin = make_staff("admin", name="Ada Admin")
        boss = make_staff("supervisor", name="Sonia Boss")
        manager = make_staff("manager", name=BOLD, supervisor=boss)
        cashier = make_staff("cashier", name="Kate Cashier", shop=shop)
        evil_product = make_product("XSS-1", 1_000_00, stock={main: 100, shop: 50}, name=IMG, warranty_months=12)
        make_product("PLUS-1", 10_00, stock={main: 100, shop: 50}, name=FORMULAS[2])
        make_product("MINUS-1", 20_00, stock={main: 100, shop: 50}, name=FORMULAS[3])
        evil = make_client(manager, SCRIPT, ClientKind.LEGAL_ENTITY, "+79161234567", tax_id="7707083893",
                           discount_bp=500, credit_limit=50_000_00, deferral_days=14)
        formula = make_client(manager, FORMULAS[0], ClientKind.PRIVATE_PERSON, "+79035550011")
        at_sum = make_client(manager, FORMULAS[1], ClientKind.PRIVATE_PERSON, "+79035550022")
        bonus_service.adjust(boss, evil.id, 500_00, SCRIPT, "test:escaping:gift")
        db.session.commit()

        # A manager's order: sent, confirmed with the SMS code (the invoice is made), paid in full.
        draft = OrderDraft(client_id=evil.id, location_id=main.id, comment=SCRIPT,
                           lines=[DraftLine("XSS-1", 2), DraftLine("PLUS-1", 1), DraftLine("MINUS-1", 1)])
        paid_order = orders.submit(manager, orders.create_draft(manager, draft).id)
        order_confirmation.send_code(manager, paid_order.id)
        code = re.search(r"\b(\d{6})\b", sent_messages(sms_path)[-1]["text"]).group(1)
        order_confirmation.confirm_with_code(manager, paid_order.id, code)
        paid_order = db.session.get(type(paid_order), paid_order.id)
        payments.record_payment(manager, paid_order.id, PaymentMethod.BANK_TRANSFER, paid_order.outstanding,
                                      expected_outstanding=paid_order.outstanding)
        paid_id = paid_order.id

        # An order above the client's rate (waits for the supervisor) and one awaiting confirmation with a link.
        waiting = orders.submit(manager, orders.create_draft(manager, OrderDraft(
            client_id=evil.id, location_id=main.id, lines=[DraftLine("XSS-1", 1, 2_000)])).id)
        to_confirm = orders.submit(manager, orders.create_draft(manager, OrderDraft(
            client_id=evil.id, location_id=main.id, lines=[DraftLine("XSS-1", 1)])).id)
        order_confirmation.send_code(manager, to_confirm.id)
        link = re.search(r"(https?://\S+/my/confirm/\S+)", sent_messages(sms_path)[-1]["text"]).group(1)
        # A change of terms waiting for the supervisor.
        change = changes.change_client(manager, evil.id, changes.ClientChange(
            kind=ClientKind.LEGAL_ENTITY.value, name=SCRIPT, tax_id="7707083893", discount_bp=700,
            credit_limit=50_000_00, deferral_days=14))

        # A confirmed deferred order still to be paid, and a draft.
        unpaid = orders.submit(manager, orders.create_draft(manager, OrderDraft(
            client_id=evil.id, location_id=main.id, lines=[DraftLine("PLUS-1", 1)],
            payment_terms=PaymentTerms.DEFERRED)).id)
        order_confirmation.send_code(manager, unpaid.id)
        code = re.search(r"\b(\d{6})\b", sent_messages(sms_path)[-1]["text"]).group(1)
        order_confirmation.confirm_with_code(manager, unpaid.id, code)
        draft_order = orders.create_draft(manager, OrderDraft(client_id=formula.id, location_id=main.id,
                                                              lines=[DraftLine("MINUS-1", 1)], comment=SCRIPT))

        # Web-shop orders of the formula clients, for the statistics and the order list.
        for client, sku in ((formula, "PLUS-1"), (at_sum, "MINUS-1")):
            sales.place_paid_order(sales.Sale(channel=sales.Channel.WEB, lines=[sales.SaleLine(qty=1, sku=sku)],
                                              location_id=main.id, client_id=client.id))

        # The till: a shift, a sale to the client, a return of one unit, and a line left in the cart.
        shift = shifts.open_shift(cashier, 1_000_00)
        till.add(cashier, evil_product.id, by=2)
        till.attach_client(cashier, "+79161234567")
        cart = till.view(cashier)
        sold = till.checkout(cashier, card=0, cash_tendered=cart.to_pay, version=cart.cart.version).order
        line = db.session.scalar(db.select(OrderLine).where(OrderLine.order_id == sold.id))
        ret = returns.return_goods(sold.id, [returns.ReturnRequest(qty=1, order_line_id=line.id)], key="test:esc:ret",
                                   reason=SCRIPT, actor_id=cashier.id, location_id=shop.id, shift_id=shift.id)
        # A parked cart under a hostile label, then a line left in the cart; the shop's quick keys
        # (the product's hostile name on a tile).
        from portal.services.sales import parked, quick_keys
        till.add(cashier, evil_product.id, by=1)
        parked.park(cashier, SCRIPT)
        till.add(cashier, evil_product.id, by=1)
        till.attach_client(cashier, "+79161234567")
        quick_keys.add_key(admin, shop.id, "XSS-1")
        closed = db.session.scalar(db.select(Shift.id).where(Shift.cashier_id == cashier.id))

        # A task of the manager's, and an automation rule of the supervisor's (from a template).
        from portal.services import tasks
        from portal.services.automation import templates
        task = tasks.create_task(manager, SCRIPT, utcnow() + timedelta(days=1), client_id=evil.id, note=IMG)
        rule = templates.enable_template(boss, templates.TEMPLATES[-1].code)

        # 1C: an unmapped warehouse and a catalogue import whose refusals carry markup (the admin's 1C page).
        from portal.models import OnecImport, OnecSession, OnecWarehouse
        onec_session = OnecSession(token_hash="e" * 64, kind="catalog")
        db.session.add(onec_session)
        db.session.flush()
        db.session.add(OnecImport(session_id=onec_session.id, filename="offers.xml", status="done", counts={
            "rejected": 2, "rejects": [{"code": "bad_price", "params": {"id": "x-1", "name": IMG, "price": SCRIPT}},
                                       SCRIPT]}))
        db.session.add(OnecWarehouse(onec_id=BOLD, name=SCRIPT, unmapped_quantity="6"))
        db.session.commit()

        note = db.session.scalar(db.select(Notification.id).order_by(Notification.id))
        event = db.session.get(OutboxEvent, db.session.scalar(db.select(OutboxEvent.id).order_by(OutboxEvent.id)))
        # An SMS the gateway refused for good (what a worker records after its last attempt).
        event.failed_at, event.last_error, event.attempts, event.delivered_at = utcnow(), SCRIPT, 8, None
        db.session.commit()
        return {
            "emails": {"admin": admin.email, "supervisor": boss.email, "manager": manager.email,
                       "cashier": cashier.email},
            "ids": {"admin": admin.id, "supervisor": boss.id, "manager": manager.id, "cashier": cashier.id},
            "client": evil.id, "formula_client": formula.id, "product": evil_product.id, "main": main.id,
            "shop": shop.id, "paid_order": paid_id, "waiting_order": waiting.id, "to_confirm": to_confirm.id,
            "till_order": sold.id, "return": ret.id, "shift": closed, "change": change.id if change else None,
            "note": note, "event": event.id, "unpaid_order": unpaid.id, "draft_order": draft_order.id,
            "task": task.id, "rule": rule.id, "confirm_token": urlsplit(link).path.rsplit("/", 1)[1],
            "link_token": access.signed_link(evil.id).rsplit("/", 1)[1],
        }


def sign_in(app, world: dict, role: str):
    http = app.test_client()
    if role == "client":
        response = http.get(f"/my/link/{world['link_token']}")
    else:
        response = http.post("/login", data={"email": world["emails"][role], "password": DEFAULT_PASSWORD})
    assert response.status_code in (302, 303), (role, response.get_data(as_text=True)[:500])
    return http


def arg_values(world: dict, role: str) -> dict[str, list]:
    """What each URL argument of the URL map is filled with, for this role."""
    order = [world["till_order"]] if role == "cashier" else [
        world[k] for k in ("paid_order", "waiting_order", "to_confirm", "unpaid_order", "draft_order")]
    user = world["ids"]["cashier"] if role == "cashier" else world["ids"]["manager"]
    return {
        "client_id": [world["client"], world["formula_client"]], "order_id": order, "task_id": [world["task"]],
        "rule_id": [world["rule"]], "return_id": [world["return"]],
        "shift_id": [world["shift"]], "user_id": [user], "location_id": [world["shop"]],
        "event_id": [world["event"]], "note_id": [world["note"]], "product_id": [world["product"]],
        "key": sorted(REPORTS), "kind": ["change", "order"], "item_id": [world["change"] or 0],
        "token": [world["confirm_token"]], "filename": ["app.css"],
    }


def get_urls(app, world: dict, role: str) -> list[str]:
    """Every GET route of the URL map with its arguments filled, plus the htmx partials' queries."""
    values = arg_values(world, role)
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.rule.startswith(("/api/", "/exchange")):
            continue
        if rule.endpoint == "client.link":
            continue  # signing in, done by sign_in
        combos = [{}]
        for name in rule.arguments:
            # An argument this data set does not know (a route added later) still gets a value.
            combos = [{**c, name: v} for c in combos for v in values.get(name, [1])]
        with app.test_request_context():
            from flask import url_for
            urls += [url_for(rule.endpoint, **c) for c in combos]
    urls += ["/cashier/products?q=xss", "/manager/products?q=xss", f"/manager/orders/new?client={world['client']}",
             "/manager/orders/new?q=script", "/manager/clients?q=script", "/cashier/orders?q=79161234567",
             "/supervisor/statistics/sales_by_client?period=year", "/admin/audit?q=script",
             f"/supervisor/bonus?client={world['client']}", "/admin/outbox?status=failed"]
    return sorted(set(urls))


# ---------------------------------------------------------------------------------------------- tests

@pytest.fixture
def world(app, tmp_path):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a 500 answer to assert on
    return build_world(app, str(tmp_path / "sms.jsonl"))


def _visible(html: str) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", html))


def test_every_page_shows_hostile_names_as_text(app, world):
    escaped_on: dict[str, set[str]] = {name: set() for name in ESCAPED}
    seen_pdf, seen_csv, crashes, unescaped = [], [], [], []
    for role in ROLES:
        http = sign_in(app, world, role)
        for url in get_urls(app, world, role):
            response = http.get(url, headers=EN)
            data = response.get_data()  # read to the end: a streamed answer (CSV) then closes its context
            response.close()
            status = response.status_code
            if status >= 500:
                crashes.append((role, url, status))
            if status != 200:
                continue
            kind = response.mimetype
            if kind == "text/html":
                html = data.decode()
                unescaped += [(role, url, raw) for raw in RAW_MARKUP if raw in html]
                for name, escaped in ESCAPED.items():
                    if escaped in html:
                        escaped_on[name].add(urlsplit(url).path)
            elif kind == "application/pdf":
                seen_pdf.append((role, url, pdf_text(data)))
            elif kind == "text/csv":
                seen_csv.append((role, url, data.decode()))
    assert not crashes, crashes
    assert not unescaped, unescaped

    paid, client = world["paid_order"], world["client"]
    must_show = {
        SCRIPT: {f"/manager/clients/{client}", "/manager/clients", f"/manager/orders/{paid}", "/manager/orders",
                 "/supervisor/approvals", f"/cashier/receipt/{world['till_order']}", "/cashier/orders",
                 f"/cashier/orders/{world['till_order']}", "/supervisor/statistics/sales_by_client",
                 "/manager/orders/new", "/notifications", "/my/"},
        IMG: {f"/manager/orders/{paid}", f"/cashier/receipt/{world['till_order']}", "/cashier/sale",
              f"/cashier/returns/{world['return']}/receipt", "/supervisor/statistics/goods_sold",
              f"/my/confirm/{world['confirm_token']}", "/cashier/products"},
        BOLD: {"/supervisor/", "/supervisor/statistics/sales_by_manager", f"/manager/clients/{client}",
               "/admin/staff", f"/admin/staff/{world['ids']['manager']}", "/manager/orders",
               "/admin/audit"},
    }
    for name, paths in must_show.items():
        missing = paths - escaped_on[name]
        assert not missing, f"{name!r} is not shown (escaped) on {sorted(missing)}"

    texts = {url: " ".join(text.split()) for _role, url, text in seen_pdf}
    expect_pdf = {
        f"/cashier/receipt/{world['till_order']}.pdf": [IMG, SCRIPT],
        f"/cashier/returns/{world['return']}/receipt.pdf": [IMG],
        f"/manager/orders/{paid}/invoice.pdf": [SCRIPT, IMG, FORMULAS[2], FORMULAS[3]],
        f"/my/orders/{paid}/invoice.pdf": [SCRIPT, IMG],
        "/supervisor/statistics/sales_by_client.pdf": [SCRIPT, FORMULAS[0], FORMULAS[1]],
        "/supervisor/statistics/sales_by_manager.pdf": [BOLD],
        "/supervisor/statistics/goods_sold.pdf": [IMG, FORMULAS[2], FORMULAS[3]],
    }
    for url, names in expect_pdf.items():
        assert url in texts, f"no PDF at {url}: {sorted(texts)}"
        for name in names:
            assert name in texts[url], (url, name, texts[url][:1500])
    assert len(texts) >= len(REPORTS) + 4  # every report and every document answered with a PDF

    assert {urlsplit(url).path for _r, url, _t in seen_csv} >= {"/manager/orders.csv",
                                                                *(f"/supervisor/statistics/{k}.csv" for k in REPORTS)}
    formula_cells = 0
    for role, url, text in seen_csv:
        for row in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"):
            for cell in row:
                if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
                    assert re.fullmatch(r"-\d+(\.\d+)?", cell), (role, url, cell)
                if cell.startswith("'") and cell[1:] in FORMULAS:
                    formula_cells += 1
    assert formula_cells >= 4, "the formula names never reached a CSV"
    csv_of = {urlsplit(url).path: text for _r, url, text in seen_csv}
    assert "'=cmd|' /C calc'!A0" in csv_of["/manager/orders.csv"] or "'=cmd|" in csv_of["/manager/orders.csv"]
    assert "'@SUM(1+1)" in csv_of["/supervisor/statistics/sales_by_client.csv"]
    assert "'+1+1" in csv_of["/supervisor/statistics/goods_sold.csv"]
    assert "'-1+1" in csv_of["/supervisor/statistics/goods_sold.csv"]

"""A manager's order in the browser, from choosing the client to the money (SPEC §3, §4 Manager).

The flow: find the client in the order's client picker → new order → look up a product that is out
of stock, see its analogues and add one → deferred payment with a quantity over the credit limit →
the refusal says why → a lower quantity is sent → the code goes by SMS → a wrong code, then the right
one (read from the SMS file) → the invoice PDF downloads → a payment in full → "Paid", and the bell
shows the notification. Also the order form on a tablet, and a discount change proposed from the
client's card that waits for approval.

Figures (Vega Engineering: 5 % discount, credit limit 50,000.00, 14 days' deferral):
    Circulation pump B 13,100.00 × 5 = 65,500.00 − 3,275.00 = 62,225.00  (over the limit)
    Circulation pump B 13,100.00 × 4 = 52,400.00 − 2,620.00 = 49,780.00  (within it); accrual 5 % = 2,489.00

Screenshots go to tests/e2e/artifacts/order-*.png.
"""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from babel.dates import format_date

from portal import ledger
from portal.clock import local_date
from portal.extensions import db
from portal.integrations.sms import sent_messages
from portal.models import ClientKind, Order, OrderStatus, PaymentTerms, User
from portal.services import audit
from portal.services.orders import orders
from portal.services.orders.orders import DraftLine, OrderDraft

from ..factories import DEFAULT_PASSWORD, make_client, make_location, make_product, make_staff
from ..pdf_text import pdf_text
from .support import MIN_TAP, assert_no_horizontal_overflow, expect, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]

ARTIFACTS = Path(__file__).parent / "artifacts"
NBSP = "\u00a0"
REFUSAL = (f"Deferred payment refused: 62,225.00{NBSP}₽ is over the credit left of 50,000.00{NBSP}₽ "
           f"(limit 50,000.00{NBSP}₽, open debt 0.00{NBSP}₽).")


def rub(minor: int) -> str:
    return f"{minor / 100:,.2f}{NBSP}₽"


def squeeze(text: str) -> str:
    return " ".join(text.replace(NBSP, " ").split())


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def office(app, tmp_path):
    """Anna (manager of Sonia's team) and her client Vega Engineering; a warehouse where pump A is out
    of stock and its analogue pump B is not; a drill and a pipe. Anna has read her notifications."""
    app.config["SMS_FILE_PATH"] = str(tmp_path / "sms.jsonl")
    with app.app_context():
        main = make_location("warehouse", code="MAIN", name="Main warehouse", is_main=True)
        shop = make_location("shop", code="SH1", name="Arbat shop")
        boss = make_staff("supervisor", name="Sonia Boss")
        anna = make_staff("manager", name="Anna Manager", supervisor=boss)
        pump_a = make_product("PUMP-A", 12_500_00, stock={main: 0, shop: 2}, name="Circulation pump A")
        pump_b = make_product("PUMP-B", 13_100_00, stock={main: 7}, name="Circulation pump B")
        make_product("PUMP-C", 11_900_00, stock={main: 0}, name="Circulation pump C")
        pump_a.analogues.append(pump_b)
        db.session.commit()
        make_product("DRILL", 1_000_00, stock={main: 100, shop: 10}, name="Cordless drill")
        make_product("PIPE", 333_33, stock={main: 100}, name="Copper pipe")
        vega = make_client(anna, "Vega Engineering", ClientKind.LEGAL_ENTITY, "+79161234567", tax_id="7707083893",
                           discount_bp=500, credit_limit=50_000_00, deferral_days=14)
        make_client(anna, "Vera Private", ClientKind.PRIVATE_PERSON, "+79035550011")
        audit.mark_read(anna.id)  # the welcome note: the bell starts quiet
        return {"app": app, "anna": anna.email, "anna_id": anna.id, "vega": vega.id, "main": main.id,
                "sms": app.config["SMS_FILE_PATH"], "due": local_date() + timedelta(days=14)}


def last_code(office) -> str:
    text = sent_messages(office["sms"])[-1]["text"]
    return re.search(r"\bCode (\d{6})\b", text).group(1)


def count_orders(office) -> int:
    with office["app"].app_context():
        return db.session.scalar(db.select(db.func.count(Order.id)))


def only_order(office) -> tuple[str, int]:
    with office["app"].app_context():
        order = db.session.scalar(db.select(Order))
        return order.number, order.id


def send_button(page):
    return page.get_by_role("button", name="Send for confirmation")


def set_qty(page, row, qty: str) -> None:
    """Type a quantity and leave the field: the change re-prices the form (htmx)."""
    field = row.locator("input.qty-field")
    field.fill(qty)
    with page.expect_response(lambda r: r.url.endswith("/manager/orders/new") and r.request.method == "POST"):
        field.press("Tab")


def form_part(page, live_server, office) -> tuple[str, int]:
    """Picker → new order → analogue → deferred over the limit refused → fewer units sent. (number, id)"""
    sign_in(page, live_server, office["anna"], DEFAULT_PASSWORD)
    expect(page).to_have_url(live_server + "/manager/")
    expect(page.locator("[data-testid=unread-count]")).to_be_hidden()

    # --- the order's client picker finds the client by name
    page.locator(".mainnav").get_by_role("link", name="Orders").click()
    page.get_by_role("link", name="New order").click()
    expect(page).to_have_url(live_server + "/manager/orders/new")
    expect(page.locator("main h2")).to_have_text("Who is the order for?")
    page.get_by_placeholder("Name, tax ID or phone").fill("vega")
    page.get_by_role("button", name="Find").click()
    choices = page.locator("[data-testid=client-choices] li")
    expect(choices).to_have_count(1)
    expect(choices.first).to_contain_text("Vega Engineering")
    choices.first.get_by_role("link", name="Choose").click()
    expect(page).to_have_url(f"{live_server}/manager/orders/new?client={office['vega']}")
    expect(page.locator("main h1")).to_have_text("New order")
    expect(page.get_by_test_id("client-discount")).to_have_text(f"5{NBSP}%")

    # --- an out-of-stock product: its analogue is offered with its stock, and one click adds it
    page.locator("#product-q").fill("PUMP-A")
    results = page.get_by_test_id("product-results")
    expect(results).to_contain_text("Circulation pump A")
    expect(results).to_contain_text("0 here")
    analogues = results.get_by_test_id("analogues")
    expect(analogues).to_contain_text("Out of stock here. Analogues:")
    offer = analogues.get_by_role("button", name=re.compile(r"Circulation pump B"))
    expect(offer).to_have_text(f"+ Circulation pump B · {rub(13_100_00)} · 7 in stock")
    shot(page, "order-analogues")
    offer.click()
    rows = page.locator("[data-testid=order-lines] tbody tr")
    expect(rows).to_have_count(1)
    row = page.locator("tr[data-sku='PUMP-B']")
    expect(row).to_contain_text("Circulation pump B")
    expect(row.get_by_test_id("stock-here")).to_have_text("7")
    expect(page.get_by_test_id("to-pay")).to_have_text(rub(12_445_00))
    shot(page, "order-form")

    # --- five of them, deferred: over the credit limit, and the form says why at once
    set_qty(page, row, "5")
    expect(page.locator("form#order-editor")).to_have_count(1)
    expect(page.get_by_test_id("to-pay")).to_have_text(rub(62_225_00))
    with page.expect_response(lambda r: r.url.endswith("/manager/orders/new") and r.request.method == "POST"):
        page.get_by_label("Deferred, 14 days").check()
    terms_error = page.get_by_test_id("terms-error")
    expect(terms_error).to_have_text(REFUSAL)
    expect(page.get_by_label("Deferred, 14 days")).to_be_checked()

    # sending it anyway is refused: nothing is saved and the reason stays in front of the manager
    with page.expect_response(lambda r: r.url.endswith("/manager/orders/new") and r.request.method == "POST") as sent:
        send_button(page).click()
    assert sent.value.status == 200  # htmx swaps only successful answers: the refused editor comes as 200
    expect(page.locator("#order-editor .form-errors[role=alert]")).to_have_text(
        "The order was not sent: correct the marked fields, or save it as a draft.")
    expect(page).to_have_url(f"{live_server}/manager/orders/new?client={office['vega']}")
    expect(terms_error).to_have_text(REFUSAL)
    expect(row.locator("input.qty-field")).to_have_value("5")
    shot(page, "order-flow-refused")
    assert count_orders(office) == 0

    # --- four fit: sent, the card is waiting for the client's confirmation
    set_qty(page, row, "4")
    expect(page.get_by_test_id("to-pay")).to_have_text(rub(49_780_00))
    expect(terms_error).to_have_count(0)
    expect(page.get_by_label("Deferred, 14 days")).to_be_checked()
    send_button(page).click()
    expect(page).to_have_url(re.compile(re.escape(live_server) + r"/manager/orders/\d+$"))
    number, order_id = only_order(office)
    expect(page.locator(".flash-success").first).to_have_text(f"Order {number} saved.")
    return number, order_id


def card_part(app, page, office, number: str, order_id: int, code_sent: bool = True) -> None:
    """The card of a deferred order of four pumps awaiting confirmation → the code → invoice → paid → bell.
    `code_sent`: the editor's "Send for confirmation" sent the code already; otherwise the card sends it."""
    expect(page.get_by_test_id("order-status")).to_have_text("Awaiting confirmation")
    expect(page.get_by_test_id("order-total")).to_have_text(rub(49_780_00))
    badge = page.locator("[data-testid=unread-count]")
    expect(badge).to_be_hidden()

    # --- the code went by SMS with "Send for confirmation" (one step); the code field has the focus
    if code_sent:
        expect(page.locator(".flash-success").nth(1)).to_have_text("A code was sent to +7 916 123-45-67.")
    else:
        page.get_by_test_id("send-code").click()
        expect(page.locator(".flash-success")).to_have_text("A code was sent to +7 916 123-45-67.")
    expect(page.get_by_label("Code the client reads out")).to_be_focused()
    expect(page.get_by_test_id("code-state")).to_contain_text("tries left: 5")
    code = last_code(office)
    wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
    page.get_by_label("Code the client reads out").fill(wrong)
    page.locator(".code-form").get_by_role("button", name="Confirm").click()
    expect(page.get_by_test_id("code-error")).to_have_text("The code is wrong. Tries left: 4.")
    expect(page.get_by_test_id("order-status")).to_have_text("Awaiting confirmation")
    shot(page, "order-card-confirm")

    page.get_by_label("Code the client reads out").fill(code)
    page.locator(".code-form").get_by_role("button", name="Confirm").click()
    expect(page.locator(".flash-success")).to_have_text("The client confirmed the order. The invoice is ready.")
    expect(page.get_by_test_id("order-status")).to_have_text("Confirmed")
    expect(page.get_by_test_id("outstanding")).to_have_text(rub(49_780_00))
    expect(page.get_by_test_id("order-next")).to_contain_text(
        f"To be paid by {format_date(office['due'], 'medium', locale='en')}.")

    # --- the invoice downloads as a PDF with the order's number and total
    with page.expect_download() as download:
        page.get_by_test_id("invoice-link").click()
    assert download.value.suggested_filename == f"invoice-{number}.pdf"
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    text = squeeze(pdf_text(pdf))
    assert number in text and "Vega Engineering" in text
    assert f"To pay {squeeze(rub(49_780_00))}" in text

    # --- the money, in full: paid, bonus accrued, the bell rings
    with app.app_context():
        pending = ledger.bonus_of(office["vega"]).pending
    payment = page.get_by_test_id("payment-form")
    expect(payment.get_by_label("Amount")).to_have_value("49780.00")
    payment.get_by_label("Method").select_option("bank_transfer")
    payment.get_by_role("button", name="Record payment").click()
    expect(page.locator(".flash-success")).to_have_text("The payment was recorded.")
    expect(page.get_by_test_id("order-status")).to_have_text("Paid")
    expect(page.get_by_test_id("order-received")).to_have_text(rub(49_780_00))
    expect(page.get_by_test_id("order-accrual")).to_have_text("+" + rub(2_489_00))
    expect(page.get_by_test_id("payments")).to_contain_text("Bank transfer")
    expect(page.get_by_test_id("history")).to_contain_text("Paid in full")
    with app.app_context():
        assert ledger.bonus_of(office["vega"]).pending - pending == 2_489_00
        assert db.session.get(Order, order_id).status is OrderStatus.PAID
    expect(badge).to_be_visible()
    expect(badge).to_have_text("1")
    shot(page, "order-paid")

    page.locator("#notifications-bell").click()
    expect(page).to_have_url(re.compile(r".*/notifications$"))
    expect(page.locator("#notifications li.note.unread")).to_have_count(1)
    expect(page.locator("#notifications")).to_contain_text(
        f"Order {number} of Vega Engineering is paid in full: {rub(49_780_00)}.")


def test_order_from_the_client_picker_to_paid_with_analogues_credit_limit_sms_code_invoice_and_bell(
        app, live_server, page, office):
    number, order_id = form_part(page, live_server, office)
    card_part(app, page, office, number, order_id)


def test_the_card_of_a_sent_order_from_the_sms_code_to_paid_with_the_invoice_and_the_bell(
        app, live_server, page, office):
    """The second half of the flow above, on an order sent through the services (the form's half is
    held up by the editor bug)."""
    with app.app_context():
        anna = db.session.get(User, office["anna_id"])
        order = orders.create_draft(anna, OrderDraft(
            client_id=office["vega"], location_id=office["main"], lines=[DraftLine("PUMP-B", 4)],
            payment_terms=PaymentTerms.DEFERRED))
        orders.submit(anna, order.id)
        number, order_id = order.number, order.id
    sign_in(page, live_server, office["anna"], DEFAULT_PASSWORD)
    page.locator(".mainnav").get_by_role("link", name="Orders").click()
    page.get_by_role("link", name=number).click()
    expect(page).to_have_url(f"{live_server}/manager/orders/{order_id}")
    card_part(app, page, office, number, order_id, code_sent=False)


def test_re_pricing_a_form_with_a_line_keeps_one_order_editor(app, live_server, page, office):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server, office["anna"], DEFAULT_PASSWORD)
    page.goto(f"{live_server}/manager/orders/new?client={office['vega']}")
    page.locator("#product-q").fill("DRILL")
    page.get_by_test_id("product-results").get_by_role("button", name="Add").click()
    expect(page.locator("tr[data-sku='DRILL']")).to_have_count(1)
    set_qty(page, page.locator("tr[data-sku='DRILL']").first, "2")
    page.wait_for_timeout(300)  # the swap runs after the response arrives
    shot(page, "order-form-duplicated")
    assert errors == []
    expect(page.locator("form#order-editor")).to_have_count(1)
    expect(page.get_by_test_id("to-pay")).to_have_text(rub(1_900_00))


def test_a_refused_send_tells_the_manager_the_order_was_not_sent(app, live_server, page, office):
    with app.app_context():  # a draft may be over the limit; sending it may not
        anna = db.session.get(User, office["anna_id"])
        order_id = orders.create_draft(anna, OrderDraft(
            client_id=office["vega"], location_id=office["main"], lines=[DraftLine("PUMP-B", 5)],
            payment_terms=PaymentTerms.DEFERRED)).id
    sign_in(page, live_server, office["anna"], DEFAULT_PASSWORD)
    page.goto(f"{live_server}/manager/orders/{order_id}/edit")
    expect(page.get_by_test_id("terms-error")).to_have_text(REFUSAL)
    with page.expect_response(lambda r: r.url.endswith(f"/orders/{order_id}/edit") and r.request.method == "POST") \
            as sent:
        send_button(page).click()
    assert sent.value.status == 200  # htmx swaps only successful answers: the refused editor comes as 200
    page.wait_for_timeout(300)
    shot(page, "order-refused")
    expect(page.locator("#order-editor .form-errors[role=alert]")).to_have_text(
        "The order was not sent: correct the marked fields, or save it as a draft.")
    with app.app_context():
        assert db.session.get(Order, order_id).status is OrderStatus.DRAFT


def test_the_order_form_on_a_tablet(app, live_server, tablet_page, office):
    page = tablet_page
    with app.app_context():
        anna = db.session.get(User, office["anna_id"])
        draft_id = orders.create_draft(anna, OrderDraft(
            client_id=office["vega"], location_id=office["main"],
            lines=[DraftLine("DRILL", 2), DraftLine("PIPE", 3), DraftLine("PUMP-A", 1)])).id
    sign_in(page, live_server, office["anna"], DEFAULT_PASSWORD)

    # a new order from the client's card: one product found and added by touch
    page.goto(f"{live_server}/manager/clients/{office['vega']}")
    page.get_by_role("link", name="New order").first.tap()
    expect(page.locator("main h1")).to_have_text("New order")
    page.wait_for_load_state()  # htmx and the editor's script (deferred) listen to the search from then on
    page.locator("#product-q").fill("drill")
    add = page.get_by_test_id("product-results").locator("button[name=add_sku][value=DRILL]")
    expect(add).to_have_text("Add")
    add.tap()
    expect(page.locator("tr[data-sku='DRILL']")).to_be_visible()
    expect(page.get_by_test_id("to-pay")).to_have_text(rub(950_00))
    assert_no_horizontal_overflow(page)

    # a draft with three lines, one of them out of stock with its analogue offered
    page.goto(f"{live_server}/manager/orders/{draft_id}/edit")
    expect(page.locator("[data-testid=order-lines] tbody tr")).to_have_count(3)
    expect(page.locator("tr[data-sku='PUMP-A']").get_by_test_id("analogues")).to_contain_text(
        "Circulation pump B")
    expect(page.get_by_test_id("to-pay")).to_have_text(rub(2_849_99 + 11_875_00))
    expect(send_button(page)).to_be_visible()
    shot(page, "order-form-tablet")
    assert_no_horizontal_overflow(page)
    for target in (send_button(page), page.get_by_role("button", name="Save draft"),
                   page.locator("tr[data-sku='DRILL']").get_by_role("button", name="Remove")):
        box = target.bounding_box()
        assert box is not None and box["height"] >= MIN_TAP, (target, box)

    page.goto(f"{live_server}/manager/orders/{draft_id}")
    expect(page.get_by_test_id("order-status")).to_have_text("Draft")
    shot(page, "order-card-tablet")
    assert_no_horizontal_overflow(page)


def test_on_a_tablet_every_line_of_the_order_form_fits_its_card(app, live_server, tablet_page, office):
    page = tablet_page
    with app.app_context():
        anna = db.session.get(User, office["anna_id"])
        draft_id = orders.create_draft(anna, OrderDraft(
            client_id=office["vega"], location_id=office["main"],
            lines=[DraftLine("DRILL", 2), DraftLine("PIPE", 3), DraftLine("PUMP-A", 1)])).id
    sign_in(page, live_server, office["anna"], DEFAULT_PASSWORD)
    page.goto(f"{live_server}/manager/orders/{draft_id}/edit")
    wrap = page.locator("#order-editor .table-wrap").bounding_box()
    assert page.locator("#order-editor .table-wrap").evaluate("e => e.scrollWidth <= e.clientWidth")
    for remove in page.get_by_role("button", name="Remove").all():
        box = remove.bounding_box()
        assert box["x"] + box["width"] <= wrap["x"] + wrap["width"], (box, wrap)


def test_a_discount_change_proposed_on_the_client_card_waits_for_approval(app, live_server, page, office):
    sign_in(page, live_server, office["anna"], DEFAULT_PASSWORD)
    page.goto(f"{live_server}/manager/orders/new?client={office['vega']}")
    page.get_by_role("link", name="Client card").click()
    expect(page).to_have_url(f"{live_server}/manager/clients/{office['vega']}")
    expect(page.get_by_test_id("discount")).to_have_text(f"5{NBSP}%")

    page.get_by_role("link", name="Propose a change").click()
    expect(page.get_by_test_id("approval-notice")).to_contain_text("goes to your supervisor for approval")
    page.get_by_label("Discount, %").fill("7")
    page.get_by_role("button", name="Send for approval").click()

    expect(page).to_have_url(f"{live_server}/manager/clients/{office['vega']}")
    expect(page.locator(".flash-success")).to_have_text("Your change has been sent to your supervisor for approval.")
    pending = page.get_by_test_id("pending-change")
    expect(pending).to_contain_text("Awaiting approval")
    expect(pending.locator("tr[data-field=discount_bp] .before")).to_have_text(f"5{NBSP}%")
    expect(pending.locator("tr[data-field=discount_bp] .after")).to_have_text(f"7{NBSP}%")
    expect(page.get_by_test_id("discount")).to_have_text(f"5{NBSP}%")
    shot(page, "order-client-change-awaiting")

    # until the supervisor decides, a new order is priced at the approved 5 %
    page.get_by_role("link", name="New order").first.click()
    expect(page.get_by_test_id("client-discount")).to_have_text(f"5{NBSP}%")
    page.wait_for_load_state()
    page.locator("#product-q").fill("DRILL")
    page.get_by_test_id("product-results").get_by_role("button", name="Add").click()
    expect(page.get_by_test_id("to-pay")).to_have_text(rub(950_00))

"""A client on a phone (390x844, touch): signs in to the bonus page with the SMS code, sees the same
figures as the web-shop API, the page fits the screen, signs out; and a signed link opens it."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.integrations.sms import sent_messages
from portal.models import Channel, utcnow
from portal.services.clients import bonus as bonus_service
from portal.services.sales import sales

from ..factories import make_client, make_location, make_product, make_staff
from .support import assert_no_horizontal_overflow, expect

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]

PHONE_SIZE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
PHONE = "+79161112233"


def rub(amount: str) -> str:
    """An API money string as the English page shows it: "1234.56" -> "1,234.56 ₽"."""
    return f"{Decimal(amount):,.2f}\u00a0₽"


@pytest.fixture
def sms_path(app, tmp_path):
    path = tmp_path / "sms.log"
    app.config["SMS_FILE_PATH"] = str(path)
    return path


@pytest.fixture
def vera(app, sms_path):
    """A client with a bonus history: a gift, a released accrual, a purchase paid partly with bonus."""
    with app.app_context():
        warehouse = make_location("warehouse", code="MAIN", is_main=True)
        make_product("DRILL", 1_000_00, stock={warehouse: 100})
        make_product("VALVE", 99_99, stock={warehouse: 100}, discountable=False)
        client = make_client(name="Vera Buyer", phone=PHONE, discount_bp=500)
        bonus_service.adjust(make_staff("supervisor"), client.id, 1_234_56, "welcome gift", "e2e:gift",
                      now=utcnow() - timedelta(days=340))
        db.session.commit()
        numbers = []
        for lines, days_ago, bonus in (([("DRILL", 2)], 20, 0), ([("DRILL", 1), ("VALVE", 1)], 2, 100_00)):
            order = sales.place_paid_order(sales.Sale(
                channel=Channel.WEB, lines=[sales.SaleLine(qty=q, sku=s) for s, q in lines],
                location_id=warehouse.id, client_id=client.id, bonus_to_redeem=bonus,
                now=utcnow() - timedelta(days=days_ago)))
            numbers.append(order.number)
        return {"id": client.id, "numbers": numbers}


def api_bonus(app, client_id: int) -> dict:
    result = app.test_cli_runner().invoke(args=["api-keys", "create", "e2e"])
    key = result.output.strip().splitlines()[-1]
    response = app.test_client().get(f"/api/v1/clients/{client_id}/bonus", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    return response.get_json()


def test_a_client_signs_in_on_a_phone_and_sees_the_apis_figures(app, sms_path, vera, live_server, open_page):
    page = open_page("phone", locale="en-US", **PHONE_SIZE)
    assert page.viewport_size == {"width": 390, "height": 844}
    page.goto(live_server + "/my/")
    expect(page).to_have_url(live_server + "/my/login")
    assert_no_horizontal_overflow(page)

    page.fill("input[name=phone]", "8 (916) 111-22-33")
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(re.escape(live_server) + r"/my/code\?phone="))
    assert_no_horizontal_overflow(page)
    messages = sent_messages(sms_path)
    assert len(messages) == 1 and messages[0]["phone"] == PHONE
    code = re.search(r"\b(\d{6})\b", messages[0]["text"]).group(1)
    page.fill("input[name=code]", code)
    page.click("main form[action='/my/code'] button[type=submit]")

    expect(page).to_have_url(live_server + "/my/")
    bonus = api_bonus(app, vera["id"])
    # 1234.56 + 95.00 released - 100.00 spent; pending 5 % of 949.99 = 47.49
    assert (bonus["available"], bonus["pending"], bonus["expiring_30d"]) == ("1229.56", "47.49", "1134.56")
    expect(page.get_by_test_id("available")).to_have_text(rub(bonus["available"]))
    expect(page.get_by_test_id("pending")).to_have_text(rub(bonus["pending"]))
    expect(page.get_by_test_id("expiring")).to_have_text(rub(bonus["expiring_30d"]))
    expect(page.locator("main")).to_contain_text(rub(bonus["next_release"]["amount"]))
    for number in vera["numbers"]:
        expect(page.locator(".ledger-list")).to_contain_text(f"order {number}")
    expect(page.locator("main")).to_contain_text("Vera Buyer")
    assert_no_horizontal_overflow(page)
    # a finger-sized way out
    sign_out = page.get_by_role("button", name="Sign out")
    expect(sign_out).to_be_visible()
    assert sign_out.bounding_box()["height"] >= 44

    sign_out.tap()
    expect(page).to_have_url(live_server + "/my/login")
    page.goto(live_server + "/my/")
    expect(page).to_have_url(live_server + "/my/login")


def test_a_wrong_code_keeps_the_client_out(sms_path, vera, live_server, open_page):
    page = open_page("phone", locale="en-US", **PHONE_SIZE)
    page.goto(live_server + "/my/login")
    page.fill("input[name=phone]", PHONE)
    page.click("main form button[type=submit]")
    code = re.search(r"\b(\d{6})\b", sent_messages(sms_path)[-1]["text"]).group(1)
    page.fill("input[name=code]", f"{(int(code) + 1) % 10 ** 6:06d}")
    page.click("main form[action='/my/code'] button[type=submit]")
    expect(page.locator(".errors")).to_contain_text("The code is wrong or has expired")
    assert "/my/code" in page.url
    page.goto(live_server + "/my/")
    expect(page).to_have_url(live_server + "/my/login")


def test_the_signed_link_opens_the_page_on_a_phone(app, vera, live_server, open_page):
    result = app.test_cli_runner().invoke(args=["clients", "link", "+7 916 111-22-33"])
    assert result.exit_code == 0, result.output
    url = result.output.strip().splitlines()[-1]
    path = url[len(app.config["PORTAL_BASE_URL"].rstrip("/")):]
    assert path.startswith("/my/link/")
    page = open_page("phone", locale="en-US", **PHONE_SIZE)
    page.goto(live_server + path)
    expect(page).to_have_url(live_server + "/my/")
    bonus = api_bonus(app, vera["id"])
    expect(page.get_by_test_id("available")).to_have_text(rub(bonus["available"]))
    expect(page.locator("main")).to_contain_text("Vera Buyer")
    assert_no_horizontal_overflow(page)
    # a tampered link does not
    other = open_page("phone", locale="en-US", **PHONE_SIZE)
    other.goto(live_server + path[:-2] + ("xx" if not path.endswith("xx") else "yy"))
    expect(other).to_have_url(live_server + "/my/login")
    expect(other.locator(".flash-error")).to_contain_text("This link has expired or is not valid")

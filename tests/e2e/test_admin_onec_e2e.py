"""The administrator's "1C exchange" page after 1C ran a real exchange over HTTP against the live
server: the settings, the catalogue import with its rejected item, a broken file with its error,
and the orders waiting for 1C. Screenshots go to tests/e2e/artifacts/onec-*.png.
"""
from __future__ import annotations

import base64
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from portal.extensions import db
from portal.services.messaging import outbox

from ..factories import DEFAULT_PASSWORD, make_location, make_staff
from .support import assert_no_horizontal_overflow, expect, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]

ARTIFACTS = Path(__file__).parent / "artifacts"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "onec"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


class HttpOneC:
    """1C's exchange processor over a real socket."""

    def __init__(self, base: str, login: str, password: str):
        self.base, self.cookie = base, None
        self.auth = "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()

    def call(self, kind: str, mode: str, data: bytes | None = None, **params) -> list[str]:
        url = self.base + "/exchange?" + urllib.parse.urlencode({"type": kind, "mode": mode, **params})
        request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
        if mode == "checkauth":
            request.add_header("Authorization", self.auth)
        elif self.cookie:
            request.add_header("Cookie", self.cookie)
        with urllib.request.urlopen(request, timeout=30) as response:
            lines = response.read().decode("utf-8").split("\n")
        if mode == "checkauth":
            self.cookie = f"{lines[1]}={lines[2]}"
        return lines


def test_the_admin_sees_how_the_last_1c_exchange_went(app, live_server, page, open_page, tmp_path):
    app.instance_path = str(tmp_path)
    app.config.update(ONEC_LOGIN="1c-exchange", ONEC_PASSWORD="секрет-1С", ONEC_PRICE_TYPE="Розничная")
    with app.app_context():
        admin = make_staff("admin", name="Alla Admin").email
        make_location("warehouse", code="MAIN", name="Main warehouse", is_main=True)
        outbox.enqueue("1c.order", "1c:order:77:confirmed", {"number": "M-000077"})
        db.session.commit()

    onec = HttpOneC(live_server, "1c-exchange", "секрет-1С")
    assert onec.call("catalog", "checkauth")[0] == "success"
    assert onec.call("catalog", "init") == ["zip=yes", f"file_limit={app.config['ONEC_FILE_LIMIT']}"]
    for name in ("import.xml", "offers.xml"):
        assert onec.call("catalog", "file", data=(FIXTURES / name).read_bytes(), filename=name) == ["success"]
        answer = onec.call("catalog", "import", filename=name)
        assert answer[0] == "success", answer
    onec.call("catalog", "file", data=(FIXTURES / "bad.xml").read_bytes(), filename="prices.xml")
    assert onec.call("catalog", "import", filename="prices.xml")[0] == "failure"

    sign_in(page, live_server, admin, DEFAULT_PASSWORD)
    page.locator("header.topbar .mainnav").get_by_role("link", name="1C exchange").click()
    expect(page).to_have_url(live_server + "/admin/onec")
    expect(page.locator("main h1")).to_have_text("1C exchange")
    expect(page.locator("[data-testid=onec-enabled]")).to_contain_text("Exchange user: 1c-exchange")
    expect(page.locator("[data-testid=onec-settings]")).to_contain_text("Розничная")
    expect(page.locator("[data-testid=onec-settings]")).to_contain_text("Main warehouse (MAIN)")
    expect(page.locator("[data-testid=onec-waiting]")).to_have_text("1")
    expect(page.locator("[data-testid=onec-last-confirmed]")).to_have_text("never")
    rows = page.locator("[data-testid=onec-import-row]")
    expect(rows).to_have_count(3)
    failed = rows.filter(has_text="prices.xml")
    expect(failed).to_contain_text("Import failed")
    expect(failed.locator("[data-testid=onec-import-result]")).to_have_text(
        "prices.xml is not well-formed XML (line 22, column 28)")
    catalogue = rows.filter(has_text="import.xml")
    expect(catalogue.locator("[data-testid=onec-import-result]")).to_contain_text(
        "Created 4, updated 0, offers 0, rejected 1, taken off sale 0")
    expect(catalogue.locator("[data-testid=onec-rejects]")).to_contain_text("Услуга монтажа котла")
    expect(page.locator("[data-testid=onec-settings]")).to_contain_text("8.4 MB")
    shot(page, "onec-admin")
    narrow = open_page("desktop", viewport={"width": 1280, "height": 900})
    sign_in(narrow, live_server, admin, DEFAULT_PASSWORD)
    narrow.goto(live_server + "/admin/onec")
    assert_no_horizontal_overflow(narrow)
    shot(narrow, "onec-admin-1280")

    # 1C collects the order; the page says when.
    assert onec.call("sale", "checkauth")[0] == "success"
    onec.call("sale", "query")
    assert onec.call("sale", "success")[0] == "success"
    page.reload()
    expect(page.locator("[data-testid=onec-waiting]")).to_have_text("0")
    expect(page.locator("[data-testid=onec-last-confirmed]")).to_contain_text("0 documents")

    russian = open_page("tablet", locale="ru-RU")
    sign_in(russian, live_server, admin, DEFAULT_PASSWORD)
    russian.goto(live_server + "/admin/onec")
    expect(russian.locator("main h1")).to_have_text("Обмен с 1С")
    expect(russian.locator("[data-testid=onec-import-row]")).to_have_count(3)
    assert_no_horizontal_overflow(russian)
    shot(russian, "onec-admin-tablet-ru")


def test_only_the_admin_opens_the_1c_page(app, live_server, page):
    with app.app_context():
        manager = make_staff("manager").email
    sign_in(page, live_server, manager, DEFAULT_PASSWORD)
    response = page.goto(live_server + "/admin/onec")
    assert response.status == 403

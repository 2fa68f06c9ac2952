"""A supervisor in the browser: searches the team, resets a manager's password and sees it once,
deactivates and reactivates a manager; changes the accrual rate, adjusts a client's bonus with a
reason and sees the new balance. Desktop (1366×900) and tablet (768×1024 portrait); screenshots go
to tests/e2e/artifacts/supervisor-team-*.png and supervisor-bonus-*.png.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from portal import ledger
from portal.extensions import db
from portal.models import Channel, ClientKind, Order, OrderStatus
from portal.services.clients import bonus as bonus_service

from ..factories import DEFAULT_PASSWORD, make_client, make_staff
from .support import MIN_TAP, assert_no_horizontal_overflow, expect, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]

ARTIFACTS = Path(__file__).parent / "artifacts"
NBSP = "\u00a0"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"supervisor-{name}.png"), full_page=True)


@pytest.fixture
def office(app):
    """Sonia's team: Anna (two clients, open orders), Boris, and Carl who has left; another team's
    manager with a client of his own."""
    with app.app_context():
        boss = make_staff("supervisor", name="Sonia Supervisor", email="sonia@demo.example")
        anna = make_staff("manager", name="Anna Petrova", email="anna.petrova@demo.example",
                          phone="+79165551234", supervisor=boss)
        boris = make_staff("manager", name="Boris Orlov", email="boris.orlov@demo.example",
                           phone="+79031112233", supervisor=boss)
        carl = make_staff("manager", name="Carl Weber", email="carl.weber@demo.example", supervisor=boss)
        stranger = make_staff("manager", name="Stan Stranger")
        kran = make_client(anna, "ООО Кран-Сервис", ClientKind.LEGAL_ENTITY, "+79161234567", tax_id="7707083893")
        make_client(anna, "Иванов Пётр Сергеевич", ClientKind.PRIVATE_PERSON, "+79035550011")
        make_client(boris, "ИП Трубников", ClientKind.SOLE_PROPRIETOR, "+79267770000", tax_id="500100732259")
        make_client(stranger, "Stranger Ltd", ClientKind.LEGAL_ENTITY, "+79001112233")
        for status in (OrderStatus.DRAFT, OrderStatus.AWAITING_APPROVAL, OrderStatus.CONFIRMED, OrderStatus.PAID):
            db.session.add(Order(channel=Channel.MANAGER, status=status, client_id=kran.id, created_by_id=anna.id))
        db.session.commit()
        bonus_service.adjust(boss, kran.id, 1_000_00, "welcome gift", "e2e:gift:kran")
        db.session.commit()
        from portal.services.staff import staff
        staff.set_active(boss, carl.id, False)
        return {"boss": boss.email, "anna": anna.id, "anna_email": anna.email, "boris": boris.id,
                "carl": carl.id, "kran": kran.id}


def test_team_directory_search_and_password_reset(app, live_server, open_page, office):
    page = open_page("desktop")
    sign_in(page, live_server, office["boss"], DEFAULT_PASSWORD)
    expect(page).to_have_url(live_server + "/supervisor/")
    team = page.locator("[data-testid=team]")
    expect(team.locator("tbody tr")).to_have_count(3)
    anna = team.locator(f"tr[data-manager='{office['anna']}']")
    expect(anna.locator("[data-testid=open-orders]")).to_have_text("3")  # draft, awaiting approval, confirmed
    expect(anna.locator("[data-testid=clients]")).to_have_text("2")
    expect(anna.locator("[data-testid=login]")).to_have_text(office["anna_email"])
    expect(team).not_to_contain_text("Stan Stranger")
    expect(team.locator(f"tr[data-manager='{office['carl']}']")).to_contain_text("deactivated")
    assert_no_horizontal_overflow(page)
    shot(page, "team-desktop")

    # Anna signs in elsewhere; her session ends with the reset.
    anna_page = open_page("desktop")
    sign_in(anna_page, live_server, office["anna_email"], DEFAULT_PASSWORD)
    expect(anna_page).to_have_url(live_server + "/manager/")

    page.fill("input[name=q]", "916 555")
    page.locator("form.team-search button[type=submit]").click()
    expect(team.locator("tbody tr")).to_have_count(1)
    expect(team).to_contain_text("Anna Petrova")
    questions = []

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    anna.get_by_role("button", name="Reset password").click()
    expect(page.locator("main h1")).to_have_text("Password reset")
    assert "Anna Petrova" in questions[0]
    password = page.locator("[data-testid=new-password]").inner_text().strip()
    assert len(password) >= 10
    expect(page.locator("main")).to_contain_text(office["anna_email"])
    shot(page, "team-password-desktop")
    page.get_by_role("link", name="Done").click()
    expect(page).to_have_url(live_server + "/supervisor/")
    expect(page.locator("main")).not_to_contain_text(password)

    anna_page.reload()
    expect(anna_page).to_have_url(live_server + "/login?next=%2Fmanager%2F")
    sign_in(anna_page, live_server, office["anna_email"], password)
    expect(anna_page).to_have_url(live_server + "/manager/")

    # Boris is deactivated, then reactivated.
    boris = team.locator(f"tr[data-manager='{office['boris']}']")
    page.once("dialog", lambda dialog: dialog.accept())
    boris.get_by_role("button", name="Deactivate").click()
    expect(page.locator(".flash-success")).to_contain_text("Boris Orlov is deactivated")
    expect(boris).to_contain_text("deactivated")
    boris.get_by_role("button", name="Reactivate").click()
    expect(page.locator(".flash-success")).to_contain_text("Boris Orlov can sign in again.")
    expect(boris.locator(".tag-ok")).to_have_text("active")


def test_team_directory_on_a_tablet(live_server, open_page, office):
    page = open_page("tablet")
    sign_in(page, live_server, office["boss"], DEFAULT_PASSWORD)
    expect(page.locator("[data-testid=team] tbody tr")).to_have_count(3)
    page.wait_for_load_state("load")  # the stylesheet is applied before anything is measured
    assert_no_horizontal_overflow(page)
    for button in page.locator(".team-actions button").all():
        box = button.bounding_box()
        assert box is not None and box["height"] >= MIN_TAP, (button.inner_text(), box)
    shot(page, "team-tablet")


def test_change_the_accrual_rate_and_adjust_a_clients_bonus(app, live_server, open_page, office):
    page = open_page("desktop")
    sign_in(page, live_server, office["boss"], DEFAULT_PASSWORD)
    page.locator(".mainnav").get_by_role("link", name="Bonus programme").click()
    expect(page).to_have_url(live_server + "/supervisor/bonus")
    expect(page.locator("[data-testid=accrual-rate]")).to_have_text(f"5{NBSP}%")
    shot(page, "bonus-start-desktop")

    page.fill("#accrual_rate", "7,5")
    page.get_by_role("button", name="Save the settings").click()
    expect(page.locator(".flash-success")).to_contain_text("apply to new operations only")
    expect(page.locator("[data-testid=accrual-rate]")).to_have_text(f"7.5{NBSP}%")
    expect(page.locator("[data-testid=settings-history] tbody tr")).to_have_count(1)
    expect(page.locator("[data-testid=settings-history]")).to_contain_text("Sonia Supervisor")
    with app.app_context():
        assert ledger.settings.current().accrual_rate_bp == 750

    page.fill("#client-q", "кран")
    page.locator("form.adjust-search button[type=submit]").click()
    results = page.locator("[data-testid=client-results] li")
    expect(results).to_have_count(1)
    results.first.get_by_role("link").click()
    expect(page.locator("[data-testid=bonus-available]")).to_have_text(f"1,000.00{NBSP}₽")

    # Taking more than there is: refused next to the amount, with what was typed kept.
    page.fill("#amount", "-1500")
    page.fill("#reason", "Correction of a duplicate gift")
    page.get_by_role("button", name="Adjust the bonus").click()
    expect(page.locator("#amount-errors")).to_contain_text("Not enough bonus")
    expect(page.locator("#amount")).to_have_value("-1500")
    expect(page.locator("#reason")).to_have_value("Correction of a duplicate gift")
    shot(page, "bonus-error-desktop")

    page.fill("#amount", "150,50")
    page.fill("#reason", "Apology for a late delivery")
    page.get_by_role("button", name="Adjust the bonus").click()
    expect(page.locator(".flash-success")).to_contain_text(
        f"available 1,000.00{NBSP}₽ → 1,150.50{NBSP}₽")
    expect(page.locator("[data-testid=bonus-available]")).to_have_text(f"1,150.50{NBSP}₽")
    expect(page.locator("#amount")).to_have_value("")
    assert_no_horizontal_overflow(page)
    shot(page, "bonus-desktop")
    with app.app_context():
        assert ledger.bonus_of(office["kran"]).available == 1_150_50
        assert ledger.verify().ok


def test_bonus_page_on_a_tablet(live_server, open_page, office):
    page = open_page("tablet")
    sign_in(page, live_server, office["boss"], DEFAULT_PASSWORD)
    page.goto(f"{live_server}/supervisor/bonus?q=7707&client={office['kran']}#adjust")
    expect(page.locator("[data-testid=client-results] li")).to_have_count(1)
    expect(page.locator("[data-testid=bonus-available]")).to_have_text(f"1,000.00{NBSP}₽")
    page.fill("#hold_days", "two weeks")
    page.get_by_role("button", name="Save the settings").click()
    expect(page.locator("#hold_days-errors")).to_contain_text("Enter a whole number of days.")
    expect(page.locator("#hold_days")).to_have_value("two weeks")
    expect(page.locator("[data-testid=bonus-available]")).to_have_text(f"1,000.00{NBSP}₽")  # still chosen
    page.wait_for_load_state("load")
    assert_no_horizontal_overflow(page)
    for button in page.locator("main button").all():
        box = button.bounding_box()
        assert box is not None and box["height"] >= MIN_TAP
    shot(page, "bonus-tablet")

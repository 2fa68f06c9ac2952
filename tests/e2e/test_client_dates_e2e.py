"""A manager sets a client's birthday on the card's own form and reads it on the card, at a desktop
(English) and on a tablet (Russian): a date in the future is refused next to the field, the page keeps
what was typed; a right one is saved at once and shown in the reader's format with how soon it comes.
Screenshots go to tests/e2e/artifacts/client-dates-*.png.
"""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from babel.dates import format_date

from portal.clock import local_date
from portal.models import ClientKind

from ..factories import DEFAULT_PASSWORD, make_client, make_staff
from .support import assert_no_horizontal_overflow, expect, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.csrf]

ARTIFACTS = Path(__file__).parent / "artifacts"
# size -> (browser locale, the texts a person reads)
READS = {
    "desktop": ("en-US", {"toggle": "Change dates", "birthday": "Birthday", "save": "Save dates",
                          "future": "A birthday cannot be in the future.", "turns": "turns", "soon": "in 2 days"}),
    "tablet": ("ru-RU", {"toggle": "Изменить даты", "birthday": "День рождения", "save": "Сохранить даты",
                         "future": "День рождения не может быть в будущем.", "turns": "исполнится",
                         "soon": "через 2 дня"}),
}


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"client-dates-{name}.png"), full_page=True)


@pytest.fixture
def office(app):
    with app.app_context():
        boss = make_staff("supervisor", name="Boris Supervisor")
        anna = make_staff("manager", supervisor=boss, name="Anna Manager")
        person = make_client(anna, "Иванов Пётр Сергеевич", ClientKind.PRIVATE_PERSON, "+79035550011")
        return {"anna": anna.email, "person": person.id, "today": local_date()}


@pytest.mark.parametrize("size", ["desktop", "tablet"])
def test_the_manager_sets_a_birthday_on_the_card_and_sees_it_there(live_server, open_page, office, size):
    locale, say = READS[size]
    page = open_page(size, locale=locale)
    sign_in(page, live_server, office["anna"], DEFAULT_PASSWORD)
    expect(page).to_have_url(live_server + "/manager/")
    card_url = f"{live_server}/manager/clients/{office['person']}"
    page.goto(card_url)
    expect(page.get_by_test_id("birthday")).to_have_text("—")

    page.get_by_test_id("dates-toggle").click()
    expect(page.get_by_test_id("dates-toggle")).to_have_text(say["toggle"])
    birthday = page.get_by_label(say["birthday"], exact=True)
    tomorrow = office["today"] + timedelta(days=1)
    birthday.fill(tomorrow.isoformat())
    page.get_by_role("button", name=say["save"]).click()
    field = page.locator(".field", has=page.locator("input[name=birthday]"))
    expect(field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(field.locator(".errors")).to_have_text(say["future"])
    expect(birthday).to_have_value(tomorrow.isoformat())  # what was typed is still there
    expect(page.get_by_test_id("birthday")).to_have_text("—")
    assert_no_horizontal_overflow(page)
    shot(page, f"error-{size}")

    coming = office["today"] + timedelta(days=2)
    year = 1984 if (coming.month, coming.day) == (2, 29) else 1985
    born = coming.replace(year=year)
    birthday.fill(born.isoformat())
    page.get_by_role("button", name=say["save"]).click()
    expect(page).to_have_url(card_url + "#client-dates")
    shown = page.get_by_test_id("birthday")
    # the reader's date format (as Babel writes it for the locale), the age it turns, how soon
    expect(shown).to_contain_text(format_date(born, "medium", locale=locale.replace("-", "_")))
    expect(shown).to_contain_text(f"{say['turns']} {coming.year - year}")
    expect(shown.get_by_test_id("date-soon")).to_have_text(say["soon"])
    expect(page.locator("details.dates-edit")).not_to_have_attribute("open", "")
    assert_no_horizontal_overflow(page)
    shot(page, f"card-{size}")

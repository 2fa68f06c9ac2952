"""The client's birthday and contract renewal date on the card: shown in the reader's language, set
from the card's own form (no approval), a wrong date shown next to its field with what was typed."""
from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest

from portal.clock import local_date
from portal.extensions import db
from portal.models import AuditEvent, Client, ClientKind

from ...factories import DEFAULT_PASSWORD, make_client, make_staff

NBSP = "\u00a0"


def shown(response, name: str) -> str:
    html = response.get_data(as_text=True)
    match = re.search(rf'data-testid="{name}"[^>]*>(.*?)</dd>', html, flags=re.S)
    assert match, f"no {name} on the page"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(1))).replace(NBSP, " ").split())


def input_value(response, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', response.get_data(as_text=True))
    assert match, f"no input {name}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return unescape(value.group(1)) if value else ""


def field_errors(response, name: str) -> list[str]:
    html = response.get_data(as_text=True)
    match = re.search(rf'<ul class="errors" id="{name}-errors">(.*?)</ul>', html, flags=re.S)
    return [unescape(e) for e in re.findall(r"<li>(.*?)</li>", match.group(1))] if match else []


@pytest.fixture
def team(app, client):
    with app.app_context():
        boss = make_staff("supervisor", name="Boss Bossov")
        anna = make_staff("manager", supervisor=boss, name="Anna Manager")
        other = make_staff("manager", name="Other Team")
        person = make_client(anna, "Ivanov Petr", ClientKind.PRIVATE_PERSON, "+79035550011")
        company = make_client(anna, "OOO Kran", ClientKind.LEGAL_ENTITY, "+79161234567", tax_id="7707083893")
        theirs = make_client(other, "Their Client", ClientKind.PRIVATE_PERSON, "+79267770000")
        ids = {"person": person.id, "company": company.id, "theirs": theirs.id}
        emails = {"boss": boss.email, "anna": anna.email}
    assert client.post("/login", data={"email": emails["anna"], "password": DEFAULT_PASSWORD}).status_code == 302
    return {**ids, "emails": emails}


def today(app) -> date:
    with app.app_context():
        return local_date()


def dates_of(app, client_id: int) -> tuple:
    with app.app_context():
        row = db.session.get(Client, client_id)
        return row.birthday, row.contract_renewal_on


def test_the_manager_sets_the_dates_on_the_card_and_reads_them_in_their_language(app, client, team):
    url = f"/manager/clients/{team['person']}"
    card = client.get(url)
    assert card.status_code == 200 and shown(card, "birthday") == "—" and shown(card, "contract-renewal") == "—"
    assert f'action="/manager/clients/{team["person"]}/dates"' in card.get_data(as_text=True)
    renewal = today(app) + timedelta(days=3)
    response = client.post(f"{url}/dates", data={"birthday": "1985-03-12", "contract_renewal_on": renewal.isoformat()})
    assert response.status_code == 303 and response.location.endswith(f"{url}#client-dates")
    assert dates_of(app, team["person"]) == (date(1985, 3, 12), renewal)
    card = client.get(url, headers={"Accept-Language": "en"})
    assert shown(card, "birthday").startswith("Mar 12, 1985")
    assert shown(card, "contract-renewal").endswith("in 3 days")
    assert "The dates of Ivanov Petr have been saved." in card.get_data(as_text=True)
    assert input_value(card, "birthday") == "1985-03-12"  # the date input holds ISO; the browser shows it locally
    client.post("/language", data={"locale": "ru"})
    ru = client.get(url)
    assert shown(ru, "birthday").startswith("12 мар. 1985") and shown(ru, "contract-renewal").endswith("через 3 дня")
    assert "Даты изменены" in ru.get_data(as_text=True)  # the history names the change ...
    assert "День рождения: — → 12 мар. 1985" in unescape(ru.get_data(as_text=True)).replace(NBSP, " ")
    # ... typed the Russian way too, and emptied to remove
    assert client.post(f"{url}/dates", data={"birthday": "01.02.1990", "contract_renewal_on": ""}).status_code == 303
    assert dates_of(app, team["person"]) == (date(1990, 2, 1), None)


def test_a_wrong_date_is_shown_at_its_field_with_what_was_typed_and_nothing_is_saved(app, client, team):
    url = f"/manager/clients/{team['person']}"
    future = (today(app) + timedelta(days=1)).isoformat()
    response = client.post(f"{url}/dates", data={"birthday": future, "contract_renewal_on": "31.02.2027"},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert field_errors(response, "birthday") == ["A birthday cannot be in the future."]
    assert field_errors(response, "contract_renewal_on") == ["Enter a date, e.g. 1985-03-12."]
    assert input_value(response, "birthday") == future and input_value(response, "contract_renewal_on") == "31.02.2027"
    assert "<details class=\"dates-edit\" open>" in response.get_data(as_text=True)  # the form is open at its errors
    response = client.post(f"{url}/dates", data={"birthday": "1899-12-31", "contract_renewal_on": "tomorrow"})
    assert field_errors(response, "birthday") == ["A birthday cannot be before 1900."]
    assert field_errors(response, "contract_renewal_on") == ["Enter a date, e.g. 1985-03-12."]
    assert dates_of(app, team["person"]) == (None, None)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(AuditEvent.id))
                                 .where(AuditEvent.action == "client_dates_updated")) == 0


def test_a_company_has_a_renewal_date_but_no_birthday(app, client, team):
    url = f"/manager/clients/{team['company']}"
    card = client.get(url)
    assert 'name="birthday"' not in card.get_data(as_text=True) and 'data-testid="birthday"' not in card.get_data(
        as_text=True)
    response = client.post(f"{url}/dates", data={"birthday": "1990-01-01", "contract_renewal_on": "2027-06-30"})
    assert response.status_code == 422
    assert field_errors(response, "birthday") == ["A company has no birthday: leave it empty."]
    assert input_value(response, "contract_renewal_on") == "2027-06-30"
    assert client.post(f"{url}/dates", data={"contract_renewal_on": "2027-06-30"}).status_code == 303
    assert dates_of(app, team["company"]) == (None, date(2027, 6, 30))


def test_another_teams_client_is_refused_and_the_supervisor_sets_the_teams(app, client, team):
    response = client.post(f"/manager/clients/{team['theirs']}/dates", data={"birthday": "1980-01-01"})
    assert response.status_code == 403 and dates_of(app, team["theirs"]) == (None, None)
    assert client.post("/manager/clients/999999/dates", data={"birthday": "1980-01-01"}).status_code == 404
    boss = app.test_client()
    assert boss.post("/login", data={"email": team["emails"]["boss"], "password": DEFAULT_PASSWORD}).status_code == 302
    assert boss.post(f"/manager/clients/{team['person']}/dates", data={"birthday": "1980-01-01"}).status_code == 303
    assert dates_of(app, team["person"]) == (date(1980, 1, 1), None)
    assert boss.post(f"/manager/clients/{team['theirs']}/dates", data={"birthday": "1980-01-01"}).status_code == 403

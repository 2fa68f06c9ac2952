"""The client card's terms changed in place (issue 17, point 6): the discount, the credit limit and the
deferral typed on the card are a proposal for the supervisor (a manager) or a change at once (a
supervisor); a refused value is shown on its field, as typed, and nothing is written."""
from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import AuditEvent, ChangeKind, ChangeRequest, ChangeStatus, Client, ClientKind, Notification

from ...factories import make_client, make_staff
from .test_manager_clients import INN_LEGAL, shown, sign_in, text

HTMX = {"HX-Request": "true"}


@pytest.fixture
def team(app, client):
    """Boss with manager Anna (signed in); Anna's client Kran has 10 %, 100 000 and 10 days."""
    with app.app_context():
        boss = make_staff("supervisor", name="Boss Bossov")
        anna = make_staff("manager", supervisor=boss, name="Anna Manager")
        other = make_staff("manager", name="Other Manager")
        kran = make_client(anna, "OOO Kran", ClientKind.LEGAL_ENTITY, "+79161234567", tax_id=INN_LEGAL,
                           discount_bp=1000, credit_limit=100_000_00, deferral_days=10)
        theirs = make_client(other, "Their Shop", ClientKind.PRIVATE_PERSON, "+79035550011")
        ids = {"boss": boss.id, "anna": anna.id, "kran": kran.id, "theirs": theirs.id,
               "emails": {"boss": boss.email, "anna": anna.email}}
    sign_in(client, ids["emails"]["anna"])
    return ids


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return (db.session.scalar(db.select(db.func.count(ChangeRequest.id))),
                db.session.scalar(db.select(db.func.count(AuditEvent.id))),
                db.session.scalar(db.select(db.func.count(Notification.id))))


def terms_of(app, client_id: int) -> tuple[int, int, int]:
    with app.app_context():
        c = db.session.get(Client, client_id)
        return c.discount_bp, c.credit_limit, c.deferral_days


def test_the_card_offers_each_term_to_change_in_place(client, team):
    page = client.get(f"/manager/clients/{team['kran']}")
    html = page.get_data(as_text=True)
    for term in ("discount", "credit_limit", "deferral_days"):
        assert f'action="/manager/clients/{team["kran"]}/terms/{term}"' in html
    assert shown(page, "discount") == "10 %"
    assert 'id="term-discount-value" name="value" value="10"' in html
    assert "js/client_card.js" in html


def test_a_managers_discount_typed_in_place_is_a_proposal_and_the_card_says_it_waits(app, client, team):
    answer = client.post(f"/manager/clients/{team['kran']}/terms/discount", data={"value": "12"}, headers=HTMX)
    assert answer.status_code == 200
    body = text(answer)
    assert "awaiting approval: 12 %" in body
    assert "Sent to your supervisor for approval." in body
    assert shown(answer, "discount") == "10 %"  # the card keeps its value until the supervisor decides
    assert 'id="client-pending" hx-swap-oob="true"' in answer.get_data(as_text=True)
    assert '<span id="client-propose" class="head-action" hx-swap-oob="true"></span>' in answer.get_data(as_text=True)
    assert 'hx-post=' not in answer.get_data(as_text=True)  # while it waits, no term is editable
    with app.app_context():
        request = db.session.scalar(db.select(ChangeRequest))
        assert request.kind is ChangeKind.CHANGE and request.status is ChangeStatus.PENDING
        assert request.before == {"discount_bp": 1000} and request.after == {"discount_bp": 1200}
        assert request.author_id == team["anna"]
        assert db.session.scalar(db.select(Notification).where(
            Notification.user_id == team["boss"], Notification.kind == "change_request_submitted")) is not None
    assert terms_of(app, team["kran"]) == (1000, 100_000_00, 10)
    card = client.get(f"/manager/clients/{team['kran']}")
    assert "awaiting approval: 12 %" in text(card)
    assert shown(card, "discount-pending") == "awaiting approval: 12 %"


@pytest.mark.parametrize("term, typed, expected", [
    ("credit_limit", "150 000,50", {"credit_limit": 150_000_50}),
    ("deferral_days", "30", {"deferral_days": 30}),
    ("discount", "7,5", {"discount_bp": 750}),
])
def test_each_term_is_read_as_typed(app, client, team, term, typed, expected):
    answer = client.post(f"/manager/clients/{team['kran']}/terms/{term}", data={"value": typed}, headers=HTMX)
    assert answer.status_code == 200
    with app.app_context():
        assert db.session.scalar(db.select(ChangeRequest)).after == expected


@pytest.mark.parametrize("term, typed, message", [
    ("discount", "120", "The discount must be from 0 to 100 percent."),
    ("discount", "abc", "Enter a percentage from 0 to 100"),
    ("discount", "", "Enter the discount."),
    ("credit_limit", "-5", "Enter an amount"),
    ("deferral_days", "400", "The deferral must be from 0 to 365 days."),
    ("deferral_days", "2.5", "Enter a whole number of days."),
])
def test_a_bad_value_is_shown_on_its_field_as_typed_and_nothing_is_written(app, client, team, term, typed, message):
    before = counts(app)
    answer = client.post(f"/manager/clients/{team['kran']}/terms/{term}", data={"value": typed}, headers=HTMX)
    assert answer.status_code == 200  # htmx swaps the refused field in with its error
    html = answer.get_data(as_text=True)
    testid = {"discount": "discount", "credit_limit": "credit-limit", "deferral_days": "deferral"}[term]
    assert message in shown(answer, f"{testid}-error")
    assert f'id="term-{term}-value" name="value" value="{typed}"' in html
    assert 'aria-invalid="true"' in html and 'class="term-edit is-open"' in html
    assert counts(app) == before
    assert terms_of(app, team["kran"]) == (1000, 100_000_00, 10)
    # Without htmx: the card again, 422, with the field open and the value as typed.
    plain = client.post(f"/manager/clients/{team['kran']}/terms/{term}", data={"value": typed})
    assert plain.status_code == 422
    assert message in shown(plain, f"{testid}-error")
    assert f'value="{typed}"' in plain.get_data(as_text=True)
    assert counts(app) == before


def test_the_same_value_is_nothing_changed_and_writes_nothing(app, client, team):
    before = counts(app)
    answer = client.post(f"/manager/clients/{team['kran']}/terms/discount", data={"value": "10,00"}, headers=HTMX)
    assert answer.status_code == 200
    assert shown(answer, "discount-note") == "Nothing has changed."
    assert "awaiting approval" not in text(answer)
    assert counts(app) == before


def test_a_second_proposal_waits_for_the_first(app, client, team):
    client.post(f"/manager/clients/{team['kran']}/terms/discount", data={"value": "12"}, headers=HTMX)
    before = counts(app)
    answer = client.post(f"/manager/clients/{team['kran']}/terms/deferral_days", data={"value": "20"})
    assert answer.status_code == 422
    assert "already waiting for approval" in text(answer)
    assert counts(app) == before


def test_without_htmx_a_proposal_comes_back_to_the_card(app, client, team):
    answer = client.post(f"/manager/clients/{team['kran']}/terms/credit_limit", data={"value": "200000"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/manager/clients/{team['kran']}")
    card = client.get(f"/manager/clients/{team['kran']}")
    assert "Sent to your supervisor for approval." in text(card)
    assert shown(card, "credit-limit-pending").startswith("awaiting approval: 200")


def test_a_supervisor_changes_a_term_in_place_at_once(app, client, team):
    client.post("/logout")
    sign_in(client, team["emails"]["boss"])
    answer = client.post(f"/manager/clients/{team['kran']}/terms/deferral_days", data={"value": "20"}, headers=HTMX)
    assert answer.status_code == 200
    assert shown(answer, "deferral") == "20 days"
    assert terms_of(app, team["kran"]) == (1000, 100_000_00, 20)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ChangeRequest.id))) == 0


def test_someone_elses_client_and_an_unknown_term_are_refused(app, client, team):
    before = counts(app)
    assert client.post(f"/manager/clients/{team['theirs']}/terms/discount", data={"value": "5"}).status_code == 403
    assert client.post(f"/manager/clients/{team['kran']}/terms/name", data={"value": "X"}).status_code == 404
    assert counts(app) == before

"""A client's birthday and contract renewal date (portal/services/client_dates.py): set directly by
whoever may see the client, validated, audited with the values before and after, refused for another
team's client; and read by the automation date rules as set."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.clock import local_date
from portal.errors import DomainError, ValidationError
from portal.extensions import db
from portal.models import AuditEvent, Client, ClientKind
from portal.services.automation.engine import run_date_rules
from portal.services.clients import dates as client_dates
from portal.services.clients.dates import ClientDates, dates_of, next_birthday, update_dates
from portal.services.clients.directory import NotVisible

from ...factories import make_client, make_staff
from .test_automation_events import make_rule, runs_of, tasks_of


@pytest.fixture
def team(ctx):
    boss = make_staff("supervisor", name="Boss")
    anna = make_staff("manager", supervisor=boss, name="Anna")
    oleg = make_staff("manager", supervisor=boss, name="Oleg")
    stranger_boss = make_staff("supervisor", name="Other Boss")
    stranger = make_staff("manager", supervisor=stranger_boss, name="Stranger")
    person = make_client(anna, "Ivanov Petr", ClientKind.PRIVATE_PERSON)
    company = make_client(anna, "OOO Kran", ClientKind.LEGAL_ENTITY, tax_id="7707083893")
    theirs = make_client(stranger, "Their Client", ClientKind.PRIVATE_PERSON)
    return {"boss": boss, "anna": anna, "oleg": oleg, "stranger_boss": stranger_boss, "stranger": stranger,
            "person": person, "company": company, "theirs": theirs}


def events_of(client) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.object_type == "clients", AuditEvent.object_id == client.id,
        AuditEvent.action == "client_dates_updated").order_by(AuditEvent.id)))


def stored(client) -> tuple:
    db.session.expire_all()
    row = db.session.get(Client, client.id)
    return row.birthday, row.contract_renewal_on


def test_the_manager_sets_changes_and_clears_the_dates_and_each_change_is_audited(team):
    anna, person = team["anna"], team["person"]
    update_dates(anna, person.id, ClientDates(birthday=date(1985, 3, 12), contract_renewal_on=date(2027, 1, 31)))
    assert stored(person) == (date(1985, 3, 12), date(2027, 1, 31))
    update_dates(anna, person.id, ClientDates(birthday=date(1985, 3, 12), contract_renewal_on=date(2027, 1, 31)))
    update_dates(anna, person.id, ClientDates(birthday=date(1985, 3, 21), contract_renewal_on=date(2027, 1, 31)))
    update_dates(anna, person.id, ClientDates())
    assert stored(person) == (None, None)
    # the same dates again are no change: three events, each with only the fields that changed
    assert [(e.actor_id, e.before, e.after) for e in events_of(person)] == [
        (anna.id, {"birthday": None, "contract_renewal_on": None},
         {"birthday": "1985-03-12", "contract_renewal_on": "2027-01-31"}),
        (anna.id, {"birthday": "1985-03-12"}, {"birthday": "1985-03-21"}),
        (anna.id, {"birthday": "1985-03-21", "contract_renewal_on": "2027-01-31"},
         {"birthday": None, "contract_renewal_on": None}),
    ]


def test_a_birthday_is_a_past_date_of_a_person_and_a_renewal_any_date(team):
    anna, person, company = team["anna"], team["person"], team["company"]
    today = local_date()
    wrong = [
        (person, ClientDates(birthday=today + timedelta(days=1)), {"birthday": "A birthday cannot be in the future."}),
        (person, ClientDates(birthday=date(1899, 12, 31)), {"birthday": "A birthday cannot be before 1900."}),
        (company, ClientDates(birthday=date(1990, 1, 1)), {"birthday": "A company has no birthday: leave it empty."}),
        (person, ClientDates(birthday="1990-01-01", contract_renewal_on=20270101),  # not dates at all
         {"birthday": "Enter a date, e.g. 1985-03-12.", "contract_renewal_on": "Enter a date, e.g. 1985-03-12."}),
    ]
    for client, data, errors in wrong:
        with pytest.raises(ValidationError) as refused:
            update_dates(anna, client.id, data)
        assert {k: str(v) for k, v in refused.value.fields.items()} == errors
        assert stored(client) == (None, None) and events_of(client) == []
    # the edges are allowed: born today, on 1 January 1900; a renewal long past or far ahead; a company's renewal
    update_dates(anna, person.id, ClientDates(birthday=today, contract_renewal_on=date(2001, 1, 1)))
    update_dates(anna, person.id, ClientDates(birthday=date(1900, 1, 1), contract_renewal_on=date(2100, 12, 31)))
    update_dates(anna, company.id, ClientDates(contract_renewal_on=today))
    assert stored(person) == (date(1900, 1, 1), date(2100, 12, 31)) and stored(company) == (None, today)


def test_only_someone_who_sees_the_client_sets_its_dates(team):
    person, theirs = team["person"], team["theirs"]
    data = ClientDates(birthday=date(1970, 6, 1))
    for actor, client in ((team["stranger"], person), (team["stranger_boss"], person), (team["oleg"], person),
                          (team["anna"], theirs), (team["boss"], theirs)):
        with pytest.raises(NotVisible):
            update_dates(actor, client.id, data)
    cashier = make_staff("cashier")
    with pytest.raises(DomainError) as refused:
        update_dates(cashier, person.id, data)
    assert refused.value.code == "forbidden"
    assert stored(person) == (None, None) and stored(theirs) == (None, None)
    assert events_of(person) == [] and events_of(theirs) == []
    # the team's supervisor may, directly (dates are not terms: no approval)
    update_dates(team["boss"], person.id, data)
    assert stored(person) == (date(1970, 6, 1), None)
    assert [e.actor_id for e in events_of(person)] == [team["boss"].id]


def test_the_card_shows_how_soon_the_dates_come():
    today = date(2027, 2, 20)
    assert next_birthday(date(1992, 2, 29), today) == date(2027, 2, 28)  # as the date rules greet it
    assert next_birthday(date(1992, 2, 29), date(2028, 1, 1)) == date(2028, 2, 29)
    assert next_birthday(date(1980, 1, 5), today) == date(2028, 1, 5)
    person = Client(kind=ClientKind.PRIVATE_PERSON, name="P", birthday=date(1980, 2, 20),
                    contract_renewal_on=date(2027, 3, 1))
    view = dates_of(person, today)
    assert (view.birthday_in, view.turns, view.renewal_in, view.may_have_birthday) == (0, 47, 9, True)
    company = Client(kind=ClientKind.LEGAL_ENTITY, name="C", contract_renewal_on=date(2027, 2, 19))
    view = dates_of(company, today)
    assert (view.birthday, view.renewal_in, view.may_have_birthday) == (None, None, False)  # passed: not "soon"
    far = dates_of(Client(kind=ClientKind.SOLE_PROPRIETOR, name="S", birthday=date(1980, 6, 1)), today)
    assert far.birthday_in is None and far.turns == 47 and client_dates.SOON_DAYS == 30


def test_the_date_rules_remind_of_a_renewal_date_set_here(team):
    rule = make_rule(team["boss"], "contract_renewal", {"days_before": 30})
    today = local_date()
    update_dates(team["anna"], team["company"].id, ClientDates(contract_renewal_on=today + timedelta(days=30)))
    assert run_date_rules(today) == 1 and run_date_rules(today) == 0
    assert [(r.object_id, r.occurrence) for r in runs_of(rule)] == [(team["company"].id, today.isoformat())]
    assert [t.assignee_id for t in tasks_of(rule)] == [team["anna"].id]

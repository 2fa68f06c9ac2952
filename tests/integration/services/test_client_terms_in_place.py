"""One term changed on the card itself (changes.change_term) and the approval queue's order and filter
(approvals.queue) — issue 17, point 6."""
from __future__ import annotations

import pytest

from portal.errors import DomainError, NotFound, ValidationError
from portal.extensions import db
from portal.models import AuditEvent, ChangeKind, ChangeRequest, ClientKind, OutboxEvent
from portal.services.clients import changes
from portal.services.orders import approvals

from ...factories import make_client, make_staff


@pytest.fixture
def people(ctx):
    boss = make_staff("supervisor", name="Boss Bossov")
    anna = make_staff("manager", supervisor=boss, name="Anna Manager")
    kran = make_client(anna, "OOO Kran", ClientKind.LEGAL_ENTITY, "+79161234567", tax_id="7707083893",
                       discount_bp=1000, credit_limit=100_000_00, deferral_days=10)
    shop = make_client(anna, "Shop", ClientKind.PRIVATE_PERSON, "+79161234568")
    db.session.commit()
    return {"boss": boss, "anna": anna, "kran": kran, "shop": shop}


def written() -> tuple[int, int, int]:
    return (db.session.scalar(db.select(db.func.count(ChangeRequest.id))),
            db.session.scalar(db.select(db.func.count(AuditEvent.id))),
            db.session.scalar(db.select(db.func.count(OutboxEvent.id))))


def test_a_managers_term_is_a_request_of_that_field_only(people):
    request = changes.change_term(people["anna"], people["kran"].id, "discount_bp", 1200)
    assert request.kind is ChangeKind.CHANGE
    assert request.before == {"discount_bp": 1000} and request.after == {"discount_bp": 1200}
    db.session.refresh(people["kran"])
    assert people["kran"].discount_bp == 1000  # the card keeps its value until approved


def test_a_supervisors_term_is_applied_at_once_and_sent_to_1c(people):
    before = written()
    assert changes.change_term(people["boss"], people["kran"].id, "credit_limit", 250_000_00) is None
    db.session.refresh(people["kran"])
    assert people["kran"].credit_limit == 250_000_00
    requests, audit, outbox = written()
    assert requests == before[0] and audit == before[1] + 1 and outbox == before[2] + 1


@pytest.mark.parametrize("term, value, field", [
    ("discount_bp", 10_001, "discount"), ("discount_bp", None, "discount"),
    ("credit_limit", -1, "credit_limit"), ("deferral_days", 366, "deferral_days"),
])
def test_a_bad_term_names_its_field_and_writes_nothing(people, term, value, field):
    before = written()
    with pytest.raises(ValidationError) as refused:
        changes.change_term(people["anna"], people["kran"].id, term, value)
    assert set(refused.value.fields) == {field}
    assert written() == before


def test_the_same_value_is_nothing_changed(people):
    before = written()
    with pytest.raises(changes.NothingChanged):
        changes.change_term(people["anna"], people["kran"].id, "deferral_days", 10)
    assert written() == before


def test_a_second_term_waits_for_the_first_and_an_unknown_term_is_not_found(people):
    changes.change_term(people["anna"], people["kran"].id, "discount_bp", 1200)
    before = written()
    with pytest.raises(DomainError, match="already waiting"):
        changes.change_term(people["anna"], people["kran"].id, "deferral_days", 20)
    with pytest.raises(NotFound):
        changes.change_term(people["anna"], people["kran"].id, "name", "X")
    assert written() == before


def test_the_queue_newest_first_and_by_kind(people):
    first = changes.change_term(people["anna"], people["kran"].id, "discount_bp", 1200)
    second = changes.change_term(people["anna"], people["shop"].id, "deferral_days", 5)
    boss = people["boss"]
    assert [i.id for i in approvals.queue(boss)] == [first.id, second.id]
    assert [i.id for i in approvals.queue(boss, newest_first=True)] == [second.id, first.id]
    assert [i.id for i in approvals.queue(boss, only="discount")] == [first.id]
    assert [i.id for i in approvals.queue(boss, only="deferral")] == [second.id]
    assert approvals.queue(boss, only="credit_limit") == [] and approvals.queue(boss, only="order_discount") == []
    assert len(approvals.queue(boss, only="nonsense")) == 2

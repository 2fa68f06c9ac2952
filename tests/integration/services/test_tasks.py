"""Tasks of managers (SPEC §8, issue 9): who may set, see and close which task, overdue and the
navigation counts, rescheduling, completing with an outcome (a missed call fires the automation
event), and the audit trail of every change."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.errors import DomainError, Forbidden, NotFound, ValidationError
from portal.extensions import db
from portal.models import AuditEvent, Notification, Task, TaskOutcome, TaskStatus, utcnow
from portal.services import tasks
from portal.services.orders import orders
from portal.services.orders.orders import DraftLine, OrderDraft

from ...factories import make_client, make_location, make_product, make_staff


@pytest.fixture
def office(ctx):
    """Two teams: supervisor Sam with managers Ann and Bob, supervisor Zoe with manager Zed."""
    sam = make_staff("supervisor", name="Sam")
    ann = make_staff("manager", name="Ann", supervisor=sam)
    bob = make_staff("manager", name="Bob", supervisor=sam)
    zoe = make_staff("supervisor", name="Zoe")
    zed = make_staff("manager", name="Zed", supervisor=zoe)
    ann_client = make_client(ann, name="Ann's client")
    zed_client = make_client(zed, name="Zed's client")
    return {"sam": sam, "ann": ann, "bob": bob, "zoe": zoe, "zed": zed, "ann_client": ann_client,
            "zed_client": zed_client}


def in_hours(n: float) -> datetime:
    return utcnow() + timedelta(hours=n)


def actions_of(task: Task) -> list[str]:
    return [e.action for e in db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.object_type == "tasks", AuditEvent.object_id == task.id)
        .order_by(AuditEvent.id))]


def test_a_manager_sets_a_task_for_themselves_linked_to_their_client(office):
    ann, client = office["ann"], office["ann_client"]
    task = tasks.create_task(ann, "  Call   about the quote ", in_hours(2), client_id=client.id, note="ask for Ivan")
    db.session.expire_all()
    task = db.session.get(Task, task.id)
    assert (task.title, task.assignee_id, task.set_by_id, task.client_id, task.status, task.note) == (
        "Call about the quote", ann.id, ann.id, client.id, TaskStatus.OPEN, "ask for Ivan")
    assert task.rule_id is None and task.outcome is None and task.completed_at is None
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.object_type == "tasks"))
    assert (event.action, event.actor_id, event.after["title"]) == ("task_created", ann.id, "Call about the quote")
    # Nobody is notified of a task one set oneself.
    assert db.session.scalar(db.select(db.func.count(Notification.id)).where(Notification.kind == "task_assigned")) == 0


def test_a_linked_order_brings_its_client_and_must_be_one_the_manager_opens(office):
    warehouse = make_location("warehouse", code="MAIN", is_main=True)
    make_product("DRILL", 1_000_00, stock={warehouse: 10})
    ann, zed = office["ann"], office["zed"]
    order = orders.create_draft(ann, OrderDraft(client_id=office["ann_client"].id, location_id=warehouse.id,
                                                lines=[DraftLine(sku="DRILL", qty=1)]))
    task = tasks.create_task(ann, "Send the invoice", in_hours(1), order_id=order.id)
    assert (task.order_id, task.client_id) == (order.id, office["ann_client"].id)
    with pytest.raises(ValidationError) as refused:
        tasks.create_task(zed, "Peek", in_hours(1), order_id=order.id)
    assert set(refused.value.fields) == {"order_id"}
    with pytest.raises(ValidationError) as mismatch:
        tasks.create_task(ann, "Mixed up", in_hours(1), order_id=order.id, client_id=make_client(ann).id)
    assert set(mismatch.value.fields) == {"order_id"}


def test_what_is_refused_is_named_field_by_field_and_nothing_is_written(office):
    ann, bob, zed_client = office["ann"], office["bob"], office["zed_client"]
    with pytest.raises(ValidationError) as refused:
        tasks.create_task(ann, "   ", utcnow() - timedelta(hours=1), assignee_id=bob.id, client_id=zed_client.id,
                          note="x" * (tasks.MAX_NOTE + 1))
    assert set(refused.value.fields) == {"title", "due_at", "assignee_id", "client_id", "note"}
    with pytest.raises(ValidationError) as naive:
        tasks.create_task(ann, "Naive time", datetime(2030, 1, 1, 10, 0))
    assert set(naive.value.fields) == {"due_at"}
    with pytest.raises(ValidationError):
        tasks.create_task(ann, "x" * (tasks.MAX_TITLE + 1), in_hours(1))
    assert db.session.scalar(db.select(db.func.count(Task.id))) == 0
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(AuditEvent.object_type == "tasks")) == 0
    # A cashier sets no tasks at all.
    with pytest.raises(Forbidden):
        tasks.create_task(make_staff("cashier"), "Count the till", in_hours(1))


def test_a_supervisor_sets_tasks_for_the_team_only_and_the_manager_is_notified(office):
    sam, ann, zed = office["sam"], office["ann"], office["zed"]
    task = tasks.create_task(sam, "Visit the client", in_hours(24), assignee_id=ann.id,
                             client_id=office["ann_client"].id)
    assert (task.assignee_id, task.set_by_id) == (ann.id, sam.id)
    note = db.session.scalar(db.select(Notification).where(Notification.user_id == ann.id,
                                                            Notification.kind == "task_assigned"))
    assert (note.kind, note.params["title"], note.link) == ("task_assigned", "Visit the client", f"/manager/tasks/{task.id}")
    with pytest.raises(ValidationError) as refused:
        tasks.create_task(sam, "Not yours", in_hours(1), assignee_id=zed.id)
    assert set(refused.value.fields) == {"assignee_id"}
    with pytest.raises(ValidationError):  # a supervisor must say whom
        tasks.create_task(sam, "Whom?", in_hours(1))


def test_who_sees_which_task_another_teams_task_is_not_found(office):
    ann, bob, sam, zoe, zed = (office[k] for k in ("ann", "bob", "sam", "zoe", "zed"))
    ann_task = tasks.create_task(ann, "Ann's", in_hours(1))
    bob_task = tasks.create_task(bob, "Bob's", in_hours(2))
    zed_task = tasks.create_task(zed, "Zed's", in_hours(3))
    assert [t.id for t in tasks.tasks_for(ann).items] == [ann_task.id]
    assert [t.id for t in tasks.tasks_for(sam).items] == [ann_task.id, bob_task.id]
    assert [t.id for t in tasks.tasks_for(sam, assignee_id=bob.id).items] == [bob_task.id]
    assert [t.id for t in tasks.tasks_for(sam, assignee_id=zed.id).items] == []
    assert [t.id for t in tasks.tasks_for(zoe).items] == [zed_task.id]
    assert tasks.task_for(sam, bob_task.id).id == bob_task.id
    for who, task in ((ann, bob_task), (bob, ann_task), (sam, zed_task), (zed, ann_task)):
        with pytest.raises(NotFound):
            tasks.task_for(who, task.id)
        for write in (lambda: tasks.complete(who, task.id), lambda: tasks.cancel(who, task.id),
                      lambda: tasks.reschedule(who, task.id, in_hours(5))):
            with pytest.raises(NotFound):
                write()
    with pytest.raises(NotFound):
        tasks.task_for(ann, 999_999)
    # The supervisor closes a member's task.
    assert tasks.complete(sam, bob_task.id).completed_by_id == sam.id


def test_overdue_today_and_the_navigation_counts(office):
    ann, bob, sam = office["ann"], office["bob"], office["sam"]
    late = tasks.create_task_in_transaction(title="Late", due_at=utcnow() - timedelta(hours=3), assignee_id=ann.id)
    later = tasks.create_task_in_transaction(title="Later", due_at=utcnow() + timedelta(days=3), assignee_id=ann.id)
    tasks.create_task_in_transaction(title="Bob's late", due_at=utcnow() - timedelta(minutes=1), assignee_id=bob.id)
    done = tasks.create_task_in_transaction(title="Done", due_at=utcnow() - timedelta(days=1), assignee_id=ann.id)
    db.session.commit()
    tasks.complete(ann, done.id)
    assert tasks.counts_for(ann.id) == (2, 1)
    assert tasks.counts_for(bob.id) == (1, 1)
    assert tasks.counts_for(sam.id) == (0, 0)
    # Time passes: at a given moment "later" is overdue too.
    assert tasks.counts_for(ann.id, now=utcnow() + timedelta(days=4)) == (2, 2)
    assert [t.id for t in tasks.tasks_for(ann, status="overdue").items] == [late.id]
    assert [t.id for t in tasks.tasks_for(ann, status="open").items] == [late.id, later.id]
    assert [t.id for t in tasks.tasks_for(ann, status="done").items] == [done.id]
    assert [t.id for t in tasks.tasks_for(ann, status="all").items] == [late.id, later.id, done.id]
    assert late.is_overdue() and not later.is_overdue()
    assert tasks.team_counts(sam) == {ann.id: (2, 1), bob.id: (1, 1)}


def test_due_today_means_the_companys_calendar_day(office, app):
    ann = office["ann"]
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Europe/Moscow"  # UTC+3, no summer time
    now = datetime(2030, 6, 10, 20, 30, tzinfo=UTC)  # 23:30 in Moscow on 10 June
    evening = tasks.create_task_in_transaction(title="At 23:45 Moscow", due_at=now + timedelta(minutes=15),
                                               assignee_id=ann.id)
    tasks.create_task_in_transaction(title="At 00:15 Moscow on 11 June", due_at=now + timedelta(minutes=45),
                                     assignee_id=ann.id)
    db.session.commit()
    assert [t.title for t in tasks.tasks_for(ann, status="today", now=now).items] == [evening.title]


def test_reschedule_moves_the_due_time_and_is_audited(office):
    ann = office["ann"]
    task = tasks.create_task(ann, "Call", in_hours(1))
    new_due = in_hours(26).replace(microsecond=0)
    tasks.reschedule(ann, task.id, new_due)
    db.session.expire_all()
    task = db.session.get(Task, task.id)
    assert task.due_at == new_due and task.status is TaskStatus.OPEN
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "task_rescheduled"))
    assert event.after["due_at"] == new_due.isoformat() and event.before["due_at"] != event.after["due_at"]
    with pytest.raises(ValidationError) as past:
        tasks.reschedule(ann, task.id, utcnow() - timedelta(hours=1))
    assert set(past.value.fields) == {"due_at"}


def test_complete_with_an_outcome_then_nothing_more_can_be_done(office):
    ann = office["ann"]
    task = tasks.create_task(ann, "Call", in_hours(1))
    tasks.complete(ann, task.id, TaskOutcome.DONE, note="Agreed on Friday")
    db.session.expire_all()
    task = db.session.get(Task, task.id)
    assert (task.status, task.outcome, task.completed_by_id, task.note) == (
        TaskStatus.DONE, TaskOutcome.DONE, ann.id, "Agreed on Friday")
    assert task.completed_at is not None and not task.is_overdue(utcnow() + timedelta(days=9))
    for again in (lambda: tasks.complete(ann, task.id), lambda: tasks.cancel(ann, task.id),
                  lambda: tasks.reschedule(ann, task.id, in_hours(3))):
        with pytest.raises(DomainError):
            again()
    cancelled = tasks.cancel(ann, tasks.create_task(ann, "Not needed", in_hours(1)).id)
    assert cancelled.status is TaskStatus.CANCELLED and tasks.counts_for(ann.id) == (0, 0)
    assert actions_of(task) == ["task_created", "task_completed"]
    assert actions_of(cancelled) == ["task_created", "task_cancelled"]


def test_no_answer_closes_the_task_and_fires_the_missed_call_event(office):
    """The outcome "No answer" fires `task_no_answer` in the same transaction: with the
    "call back in 2 hours" template enabled, a call-back task for the same client appears."""
    from portal.services.automation import templates
    ann, sam, client = office["ann"], office["sam"], office["ann_client"]
    templates.enable_template(sam, "no_answer_call_back")
    task = tasks.create_task(ann, "First call", in_hours(1), client_id=client.id)
    tasks.complete(ann, task.id, TaskOutcome.NO_ANSWER)
    db.session.expire_all()
    assert db.session.get(Task, task.id).outcome is TaskOutcome.NO_ANSWER
    follow_up = db.session.scalars(db.select(Task).where(Task.id != task.id)).all()
    assert len(follow_up) == 1
    assert (follow_up[0].assignee_id, follow_up[0].client_id, follow_up[0].set_by_id) == (ann.id, client.id, None)
    assert follow_up[0].rule_id is not None
    assert timedelta(hours=1, minutes=55) < follow_up[0].due_at - utcnow() <= timedelta(hours=2)


def test_a_rule_task_is_added_to_the_callers_transaction_without_checks(office):
    ann = office["ann"]
    task = tasks.create_task_in_transaction(title="x" * 400, due_at=in_hours(1), assignee_id=ann.id, rule_id=7,
                                            client_id=office["zed_client"].id)
    db.session.rollback()  # the caller's transaction fails: the task goes with it
    assert db.session.scalar(db.select(db.func.count(Task.id))) == 0
    task = tasks.create_task_in_transaction(title="x" * 400, due_at=in_hours(1), assignee_id=ann.id, rule_id=7)
    db.session.commit()
    assert len(task.title) == tasks.MAX_TITLE and task.set_by_id is None and task.rule_id == 7
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.object_type == "tasks"))
    assert (event.action, event.actor_id) == ("task_created", None)

"""Date rules (birthday, contract renewal, deferred payment due): they fire once per date, from
`flask worker` once a company-local day and from `flask automation run-dates --date`."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.clock import local_date
from portal.extensions import db
from portal.models import Order, OutboxEvent, PaymentTerms
from portal.services.automation.engine import run_date_rules
from portal.services.messaging.worker import Worker

from ...factories import make_client
from .test_automation_events import make_rule, runs_of, tasks_of
from .test_manager_orders import confirmed, office  # noqa: F401

SMS = [{"type": "send_sms", "text": "Happy birthday, {client_name}!"}]


def test_a_birthday_fires_once_per_date_and_again_next_year(office):
    rule = make_rule(office.boss, "birthday", {"days_before": 0}, actions=SMS)
    ahead = make_rule(office.boss, "birthday", {"days_before": 2})
    office.client.birthday = date(1980, 5, 17)
    other = make_client(manager=office.manager, birthday=date(1990, 5, 18))
    db.session.commit()
    assert run_date_rules(date(2027, 5, 17)) == 1  # the client's birthday
    assert run_date_rules(date(2027, 5, 17)) == 0  # the same day again: nothing more
    assert run_date_rules(date(2027, 5, 15)) == 1  # two days ahead of it
    assert run_date_rules(date(2027, 5, 16)) == 1  # two days ahead of the other's
    assert run_date_rules(date(2028, 5, 17)) == 1  # next year: greeted again
    assert [(r.object_id, r.occurrence) for r in runs_of(rule)] == [(office.client.id, "2027-05-17"),
                                                                   (office.client.id, "2028-05-17")]
    assert [(r.object_id, r.occurrence) for r in runs_of(ahead)] == [(office.client.id, "2027-05-15"),
                                                                    (other.id, "2027-05-16")]
    texts = list(db.session.scalars(db.select(OutboxEvent.payload).where(OutboxEvent.key.like("sms:rule:%"))))
    assert [t["text"] for t in texts] == [f"Happy birthday, {office.client.name}!"] * 2


def test_born_on_29_february_is_greeted_on_the_28th_in_other_years(office):
    rule = make_rule(office.boss, "birthday", {"days_before": 0}, actions=SMS)
    office.client.birthday = date(1992, 2, 29)
    db.session.commit()
    assert run_date_rules(date(2027, 2, 28)) == 1
    assert run_date_rules(date(2028, 2, 28)) == 0 and run_date_rules(date(2028, 2, 29)) == 1
    assert [r.occurrence for r in runs_of(rule)] == ["2027-02-28", "2028-02-29"]


def test_contract_renewal_and_payment_due_ahead_of_their_dates(office):
    renewal = make_rule(office.boss, "contract_renewal", {"days_before": 30})
    due = make_rule(office.boss, "payment_due", {"days_before": 3}, actions=[
        {"type": "create_task", "title": "Remind {client_name}: {order_number} due {due_date}", "due_in": 0,
         "due_unit": "hours"}])
    order = confirmed(office, payment_terms=PaymentTerms.DEFERRED)
    order = db.session.get(Order, order.id)
    assert order.due_date == local_date() + timedelta(days=14)
    office.client.contract_renewal_on = order.due_date + timedelta(days=27)  # 30 days before = 3 before due
    db.session.commit()
    day = order.due_date - timedelta(days=3)
    assert run_date_rules(day - timedelta(days=1)) == 0
    assert run_date_rules(day) == 2
    assert run_date_rules(day) == 0
    [task] = tasks_of(due)
    assert task.order_id == order.id and task.title.startswith(f"Remind {office.client.name}: {order.number} due ")
    assert [r.object_type for r in runs_of(renewal)] == ["clients"]


def test_the_worker_runs_the_date_rules_once_a_day(office):
    rule = make_rule(office.boss, "contract_renewal", {"days_before": 0})
    today = local_date()
    office.client.contract_renewal_on = today
    db.session.commit()
    worker = Worker(idle_seconds=0)
    worker.run_once()
    assert worker.dates_done_on == today and len(runs_of(rule)) == 1
    assert worker.run_date_rules(today) is None  # already done in this process today
    assert Worker(idle_seconds=0).run_date_rules(today) == 0  # another worker: the unique key says done
    assert len(tasks_of(rule)) == 1


def test_cli_runs_a_given_day_and_lists_the_rules(office, runner):
    rule = make_rule(office.boss, "contract_renewal", {"days_before": 0}, name="Renewals")
    office.client.contract_renewal_on = date(2027, 1, 15)
    db.session.commit()
    result = runner.invoke(args=["automation", "run-dates", "--date", "2027-01-15"])
    assert result.exit_code == 0 and result.output.strip() == "2027-01-15: 1 rule runs"
    assert runner.invoke(args=["automation", "run-dates", "--date", "2027-01-15"]).output.strip() \
        == "2027-01-15: 0 rule runs"
    assert runner.invoke(args=["automation", "run-dates", "--date", "15.01.2027"]).exit_code == 2
    listing = runner.invoke(args=["automation", "rules"]).output
    assert listing.strip() == (f"#{rule.id} {office.boss.email} active contract_renewal 'Renewals' "
                               "runs 1 done, 0 with errors")


# --- two workers at once on PostgreSQL ------------------------------------------------------------

from ..ledger.test_concurrency_postgres import pg_app, pg_database  # noqa: E402,F401


@pytest.mark.postgres
def test_two_workers_running_the_same_day_at_once_make_each_run_once(pg_app):
    """Two `flask worker`s reach the new day together: the unique key of rule_runs lets one of them
    run each (rule, client, date); the other's insert waits, fails in its SAVEPOINT and adds nothing."""
    import threading

    from portal.models import RuleRun, Task
    from portal.services.automation import rules
    from portal.services.automation.rules import RuleSpec

    from ...factories import make_staff
    day = date(2027, 3, 10)
    with pg_app.app_context():
        boss = make_staff("supervisor")
        manager = make_staff("manager", supervisor=boss)
        for _ in range(8):
            make_client(manager=manager, contract_renewal_on=day)
        rules.create_rule(boss, RuleSpec("Renewals", "contract_renewal", {"days_before": 0}, {}, [
            {"type": "create_task", "title": "Renew {client_name}", "due_in": 1, "due_unit": "days"}]))
    barrier, made, failures = threading.Barrier(2), [], []

    def worker() -> None:
        with pg_app.app_context():
            try:
                barrier.wait(timeout=30)
                made.append(run_date_rules(day))
            except Exception as exc:  # noqa: BLE001 - reported below
                failures.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    with pg_app.app_context():
        assert failures == [] and sum(made) == 8
        assert db.session.scalar(db.select(db.func.count(RuleRun.id))) == 8
        assert db.session.scalar(db.select(db.func.count(Task.id))) == 8

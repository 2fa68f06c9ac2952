"""flask import opencart: customers and reward points from a real OpenCart database on MariaDB (or its
CSV exports) into the portal's clients and bonus ledger."""
from __future__ import annotations

import csv

import pytest
import sqlalchemy as sa

from portal import ledger
from portal.extensions import db
from portal.models import (
    Client,
    ClientEmail,
    LedgerEntry,
    LedgerOperation,
    OpencartCustomer,
    OpencartImport,
    OperationKind,
)

from ...factories import make_client

OLGA = "Смирнова Ольга Павловна"   # a client the portal has already, with the phone +7 916 123-45-67

CUSTOMERS = [
    (1, "Иван", "Петров", "Ivan.Petrov@Mail.ru", "8 (903) 111-22-33"),
    (2, "Иван", "Петров", " ivan.petrov@mail.RU", "+7 903 111 22 33"),     # the same e-mail, other case
    (3, "Ольга", "Смирнова", "olga.smirnova@yandex.ru", "8-916-123-45-67"),  # the portal's Olga, by phone
    (4, "Анна", "Кузнецова", "anna.k@example.com", "+7(926)555-44-33"),    # no reward rows
    (5, "Сергій", "Шевченко", "serhiy@ukr.net", ""),                        # no phone
    (6, "Пётр", "Ёлкин", "not-an-email", "12345"),                          # neither is usable
]

REWARDS = [
    (1, 1, 100, "Бонусные баллы за заказ #101", 101),
    (2, 2, 50, "Начисление за отзыв", 0),
    (3, 1, -30, "Оплата баллами заказа #105", 105),
    (4, 3, 200, "Бонусные баллы за заказ #102", 102),
    (5, 3, -150, "Оплата баллами заказа #110", 110),
    (6, 5, 15, "Бонусні бали за замовлення #103", 103),
    (7, 999, 10, "Покупатель удалён из магазина", 0),                       # no such customer: skipped
    (8, 6, 1, "Бонусные баллы за заказ #104", 104),
    (9, 6, -5, "Списание сверх остатка", 0),                                # more than the balance
]

# Available bonus in kopecks at one point = 1 ruble.
EXPECTED = {"Иван Петров": 12000, OLGA: 5000, "Анна Кузнецова": 0, "Сергій Шевченко": 1500, "Пётр Ёлкин": 0}


def fill(shop, prefix=None):
    for row in CUSTOMERS:
        shop.add_customer(*row, prefix=prefix)
    for reward_id, customer_id, points, description, order_id in REWARDS:
        shop.add_reward(reward_id, customer_id, points, description, order_id, prefix=prefix)


@pytest.fixture
def olga(app):
    with app.app_context():
        return make_client(name=OLGA, phone="+79161234567").id


def balances(app) -> dict[str, int]:
    with app.app_context():
        result = {}
        for client in db.session.scalars(sa.select(Client).order_by(Client.id)):
            account = ledger.find_client_account(client.id)
            result[client.name] = account.available if account else 0
        return result


def import_operations(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(LedgerOperation)
                                 .where(LedgerOperation.kind == OperationKind.IMPORT))


def ledger_rows(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(sa.select(sa.func.count()).select_from(LedgerOperation)),
                db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)))


def run(runner, *args):
    return runner.invoke(args=["import", "opencart", *args])


def verify_ok(runner):
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output


def write_csv(path, header, rows, delimiter=";"):
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def export_csv(shop, tmp_path):
    """The two tables exported as phpMyAdmin does (all columns, a header line, `;`, a BOM)."""
    files = []
    for table in ("customer", "customer_reward"):
        result = shop.execute(f"SELECT * FROM `{shop.prefix}{table}` ORDER BY 1")
        files.append(write_csv(tmp_path / f"{table}.csv", list(result.keys()),
                               [[("" if v is None else str(v)) for v in row] for row in result]))
    return files


def test_first_import_links_and_creates_clients_with_exact_balances(app, runner, shop, olga):
    fill(shop)
    result = run(runner, "--url", shop.url)
    assert result.exit_code == 0, result.output
    assert "customers read:    6" in result.output
    assert "clients created:   4" in result.output
    assert "linked by e-mail:  1" in result.output
    assert "linked by phone:   1" in result.output
    assert "rows imported:     8" in result.output
    assert "rows skipped:      1" in result.output
    assert "points imported:   181 = 181.00" in result.output
    assert "not covered:       4.00" in result.output
    assert "mismatches:        0" in result.output
    assert balances(app) == EXPECTED
    with app.app_context():
        links = dict(db.session.execute(sa.select(OpencartCustomer.customer_id, OpencartCustomer.client_id)).all())
        how = dict(db.session.execute(sa.select(OpencartCustomer.customer_id, OpencartCustomer.matched_by)).all())
        assert links[1] == links[2] and how[2] == "email" and how[1] == "created"
        assert links[3] == olga and how[3] == "phone"
        ivan = db.session.get(Client, links[1])
        assert ivan.name == "Иван Петров"
        assert [p.number for p in ivan.phones] == ["+79031112233"]
        assert [e.address for e in ivan.emails] == ["Ivan.Petrov@mail.ru"]
        assert db.session.get(Client, olga).name == OLGA            # an existing client is not changed
        serhiy, pyotr = db.session.get(Client, links[5]), db.session.get(Client, links[6])
        assert serhiy.phones == [] and [e.address for e in serhiy.emails] == ["serhiy@ukr.net"]
        assert pyotr.phones == [] and pyotr.emails == []
        operation = db.session.scalar(sa.select(LedgerOperation).where(LedgerOperation.key == "opencart:shop:reward:1"))
        assert operation.amount == 10000 and operation.client_id == links[1]
        assert operation.reason == "OpenCart reward 1 of 2023-05-01 12:00:00, order 101: Бонусные баллы за заказ #101"
        # The spend beyond the balance is recorded in full and moves only what there was.
        spent = db.session.scalar(sa.select(LedgerOperation).where(LedgerOperation.key == "opencart:shop:reward:9"))
        assert spent.amount == -500
        assert db.session.scalar(sa.select(sa.func.sum(LedgerEntry.amount))
                                 .where(LedgerEntry.operation_id == spent.id)) == 100
        assert ledger.bonus_of(links[5]).available == 1500          # available at once, nothing pending
        state = db.session.get(OpencartImport, "shop")
        assert (state.last_customer_id, state.last_reward_id, state.point_value) == (6, 9, "1")
    verify_ok(runner)


def test_a_second_run_imports_nothing(app, runner, shop, olga):
    fill(shop)
    assert run(runner, "--url", shop.url).exit_code == 0
    before = ledger_rows(app), balances(app)
    result = run(runner, "--url", shop.url)
    assert result.exit_code == 0, result.output
    assert "customers read:    0" in result.output
    assert "rows imported:     0" in result.output
    assert "mismatches:        0" in result.output
    assert (ledger_rows(app), balances(app)) == before
    verify_ok(runner)


def test_rows_added_in_the_shop_are_the_only_ones_imported(app, runner, shop, olga):
    fill(shop)
    assert run(runner, "--url", shop.url).exit_code == 0
    shop.add_customer(7, "Мария", "Иванова", "maria@mail.ru", "+7 (999) 000-11-22")
    shop.add_reward(10, 7, 40, "Бонусные баллы за заказ #120", 120)
    shop.add_reward(11, 1, 5, "Бонусные баллы за заказ #121", 121)
    imported = import_operations(app)
    result = run(runner, "--url", shop.url)
    assert result.exit_code == 0, result.output
    assert "customers read:    1" in result.output
    assert "clients created:   1" in result.output
    assert "rows imported:     2" in result.output
    assert import_operations(app) == imported + 2
    assert balances(app) == {**EXPECTED, "Иван Петров": 12500, "Мария Иванова": 4000}
    verify_ok(runner)


def test_a_row_deleted_in_the_shop_is_reported_and_nothing_changes(app, runner, shop, olga):
    fill(shop)
    assert run(runner, "--url", shop.url).exit_code == 0
    shop.execute(f"DELETE FROM `{shop.prefix}customer_reward` WHERE customer_reward_id = 1")
    before = ledger_rows(app), balances(app)
    with app.app_context():
        ivan = db.session.scalar(sa.select(OpencartCustomer.client_id).where(OpencartCustomer.customer_id == 1))

    result = run(runner, "--url", shop.url)
    assert result.exit_code == 0, result.output
    assert "rows imported:     0" in result.output
    assert (f"mismatch: client {ivan} (customer 1, 2): shop 20.00 in 2 rows, portal 120.00 in 3 rows"
            in result.output)
    assert "mismatches:        1" in result.output

    check = run(runner, "--url", shop.url, "--reconcile-only")
    assert check.exit_code == 1
    assert "1 mismatches" in check.output
    assert (ledger_rows(app), balances(app)) == before
    verify_ok(runner)


def test_another_table_prefix(app, runner, shop, olga):
    shop.create_tables("shop2_")
    fill(shop, prefix="shop2_")
    missing = run(runner, "--url", shop.url, "--prefix", "nope_")
    assert missing.exit_code == 2 and "cannot read the shop's tables" in missing.output
    result = run(runner, "--url", shop.url, "--prefix", "shop2_")
    assert result.exit_code == 0, result.output
    assert "rows imported:     8" in result.output
    assert balances(app) == EXPECTED
    assert run(runner, "--url", shop.url, "--prefix", "x`; DROP TABLE y").exit_code == 2


def test_point_value_converts_exactly_and_stays_the_same_on_a_rerun(app, runner, shop, olga):
    fill(shop)
    result = run(runner, "--url", shop.url, "--point-value", "0.5")
    assert result.exit_code == 0, result.output
    assert "points imported:   181 = 90.50" in result.output
    assert "not covered:       2.00" in result.output
    assert balances(app) == {"Иван Петров": 6000, OLGA: 2500, "Анна Кузнецова": 0, "Сергій Шевченко": 750,
                             "Пётр Ёлкин": 0}
    refused = run(runner, "--url", shop.url, "--point-value", "1")
    assert refused.exit_code == 2
    assert "was imported with point value 0.5" in refused.output
    shop.add_reward(10, 4, 3)
    again = run(runner, "--url", shop.url)            # the stored value applies
    assert again.exit_code == 0 and "rows imported:     1" in again.output
    assert balances(app)["Анна Кузнецова"] == 150
    verify_ok(runner)


def test_fractional_kopecks_round_half_away_from_zero_per_row(app, runner, shop):
    shop.add_customer(1, "Иван", "Петров", "ivan@mail.ru", "+79031112233")
    for reward_id, points in ((1, 3), (2, 1), (3, -1), (4, 1)):
        shop.add_reward(reward_id, 1, points)
    result = run(runner, "--url", shop.url, "--point-value", "0.005")
    assert result.exit_code == 0, result.output
    # 3 x 0.5 = 1.5 -> 2; +0.5 -> 1; -0.5 -> -1; +0.5 -> 1
    assert balances(app) == {"Иван Петров": 3}
    assert run(runner, "--url", shop.url, "--reconcile-only").exit_code == 0


def test_csv_exports_give_the_same_result(app, runner, shop, olga, tmp_path):
    fill(shop)
    customers, rewards = export_csv(shop, tmp_path)
    result = run(runner, "--customers", customers, "--rewards", rewards)
    assert result.exit_code == 0, result.output
    assert "rows imported:     8" in result.output and "rows skipped:      1" in result.output
    assert balances(app) == EXPECTED
    verify_ok(runner)
    # The database of the same shop is the same source: nothing more comes in.
    before = ledger_rows(app)
    again = run(runner, "--url", shop.url)
    assert again.exit_code == 0 and "rows imported:     0" in again.output and "mismatches:        0" in again.output
    assert ledger_rows(app) == before


def test_a_failure_mid_batch_leaves_nothing_of_that_batch(app, runner, olga, tmp_path):
    customers = write_csv(tmp_path / "customer.csv", ["customer_id", "firstname", "lastname", "email", "telephone"],
                          CUSTOMERS, delimiter=",")
    header = ["customer_reward_id", "customer_id", "points", "description", "order_id", "date_added"]
    rows = [[r, c, p, d, o, "2023-05-01 12:00:00"] for r, c, p, d, o in REWARDS]
    rows[4][2] = "1O0"            # row 5, the second of the second batch of three: not a number
    rewards = write_csv(tmp_path / "customer_reward.csv", header, rows, delimiter=",")

    result = run(runner, "--customers", customers, "--rewards", rewards, "--batch-size", "3")
    assert result.exit_code == 2
    assert "reward row line 6: points '1O0' is not a number" in result.output
    with app.app_context():
        keys = set(db.session.scalars(sa.select(LedgerOperation.key).where(LedgerOperation.kind == OperationKind.IMPORT)))
        assert keys == {f"opencart:shop:reward:{n}" for n in (1, 2, 3)}     # row 4 was written, then rolled back
        assert db.session.get(OpencartImport, "shop").last_reward_id == 3
    verify_ok(runner)

    rows[4][2] = "-150"
    write_csv(tmp_path / "customer_reward.csv", header, rows, delimiter=",")
    result = run(runner, "--customers", customers, "--rewards", rewards, "--batch-size", "3")
    assert result.exit_code == 0, result.output
    assert "rows imported:     5" in result.output
    assert balances(app) == EXPECTED
    verify_ok(runner)


def test_bad_input_is_refused_before_anything_is_written(app, runner, tmp_path):
    assert run(runner).exit_code == 2                                     # neither --url nor files
    assert "missing column(s) telephone" in run(
        runner, "--customers", write_csv(tmp_path / "c.csv", ["customer_id", "firstname", "lastname", "email"], []),
        "--rewards", write_csv(tmp_path / "r.csv", ["customer_reward_id", "customer_id", "points"], [])).output
    assert "not a MySQL/MariaDB URL" in run(runner, "--url", "postgresql://x@127.0.0.1/db").output
    assert "positive number" in run(
        runner, "--customers", write_csv(tmp_path / "c2.csv", ["customer_id", "firstname", "lastname", "email",
                                                                 "telephone"], []),
        "--rewards", write_csv(tmp_path / "r2.csv", ["customer_reward_id", "customer_id", "points"], []),
        "--point-value", "-1").output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OpencartImport)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ClientEmail)) == 0

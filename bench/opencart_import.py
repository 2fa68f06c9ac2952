#!/usr/bin/env python
"""OpenCart import at scale: `--rows` reward rows (default 1 000 000) of `--customers` customers
(default a tenth of the rows) from a MariaDB shop into a fresh PostgreSQL portal.

1. Creates the MariaDB database `portal_bench_oc` (dropped first) with OpenCart 3.0's `oc_customer`
   and `oc_customer_reward` tables and fills them set-based in SQL from MariaDB's sequence engine
   (`seq_1_to_N`): Cyrillic names, e-mails, phones in three notations; reward rows spread over the
   customers, every tenth a spend of 1-5 points, the others awards of 1-100 points.
2. Creates the PostgreSQL database (default `portal_bench_opencart`, dropped first), migrates it
   with the project's migrations (create_app + flask_migrate.upgrade).
3. Runs `portal.integrations.opencart.importer.import_all` as `flask import opencart` does, with the
   shop's database read through a server-side cursor, and prints customers/s, rows/s, the peak
   RSS (`ru_maxrss`) and the RSS sampled every 0.2 s during the reward pass (its growth from the
   start of that pass is what "memory stays flat" means), then checks the totals against the shop.

    .venv/bin/python bench/opencart_import.py --rows 100000
    .venv/bin/python bench/opencart_import.py                  # a million rows
    .venv/bin/python bench/opencart_import.py --rows 20000 --tracemalloc --verify

--tracemalloc also reports Python's own peak allocation (slower); --verify runs `ledger.verify()`
afterwards. Not collected by pytest. Both databases are left in place.
"""
from __future__ import annotations

import argparse
import platform
import resource
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHOP_SERVER = "mysql+pymysql://root@127.0.0.1:3306/"
SHOP_DATABASE = "portal_bench_oc"
PORTAL_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench_opencart"


def log(message: str = "") -> None:
    print(message, flush=True)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2 ** 20


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Sampler(threading.Thread):
    """The process's resident memory every `interval` seconds."""

    def __init__(self, interval: float = 0.2):
        super().__init__(daemon=True)
        self.interval, self.samples, self.running = interval, [], True

    def run(self):
        while self.running:
            self.samples.append((time.perf_counter(), rss_mb()))
            time.sleep(self.interval)

    def stop(self):
        self.running = False
        self.join()


def make_shop(rows: int, customers: int) -> str:
    from tests.integration.opencart.shop import CUSTOMER_DDL, REWARD_DDL
    admin = sa.create_engine(SHOP_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{SHOP_DATABASE}`"))
        conn.execute(sa.text(f"CREATE DATABASE `{SHOP_DATABASE}` CHARACTER SET utf8mb4"))
    admin.dispose()
    url = sa.make_url(SHOP_SERVER).set(database=SHOP_DATABASE).render_as_string(hide_password=False)
    engine = sa.create_engine(url + "?charset=utf8mb4", isolation_level="AUTOCOMMIT")
    started = time.perf_counter()
    with engine.connect() as conn:
        conn.execute(sa.text(CUSTOMER_DDL.format(prefix="oc_")))
        conn.execute(sa.text(REWARD_DDL.format(prefix="oc_")))
        conn.execute(sa.text(f"""
            INSERT INTO oc_customer (customer_id, customer_group_id, store_id, language_id, firstname, lastname,
                email, telephone, fax, password, salt, custom_field, ip, status, safe, token, code, date_added)
            SELECT seq, 1, 0, 1,
                   ELT(1 + seq % 5, 'Иван', 'Ольга', 'Сергій', 'Анна', 'Пётр'),
                   CONCAT(ELT(1 + seq % 4, 'Петров', 'Смирнова', 'Шевченко', 'Ёлкин'), '-', seq),
                   CONCAT(IF(seq % 2, 'Customer.', 'customer.'), seq, '@example.com'),
                   CASE seq % 3 WHEN 0 THEN CONCAT('8 (916) ', LPAD(seq, 7, '0'))
                                WHEN 1 THEN CONCAT('+7 916 ', LPAD(seq, 7, '0'))
                                ELSE CONCAT('8-916-', LPAD(seq, 7, '0')) END,
                   '', 'x', 'salt', '', '127.0.0.1', 1, 0, '', '',
                   '2022-01-01 00:00:00' + INTERVAL (seq % 1000) DAY
            FROM seq_1_to_{customers}"""))
        conn.execute(sa.text(f"""
            INSERT INTO oc_customer_reward (customer_reward_id, customer_id, order_id, description, points,
                date_added)
            SELECT seq, 1 + (seq * 7919) % {customers}, seq,
                   IF(seq % 10 = 0, CONCAT('Оплата баллами заказа #', seq), CONCAT('Бонусные баллы за заказ #', seq)),
                   IF(seq % 10 = 0, -(1 + seq % 5), 1 + seq % 100),
                   '2022-01-01 00:00:00' + INTERVAL (seq DIV 1000) MINUTE
            FROM seq_1_to_{rows}"""))
    engine.dispose()
    log(f"shop: {customers} customers, {rows} reward rows generated in {time.perf_counter() - started:.1f} s")
    return url


def make_portal(url: str):
    sys.path.insert(0, str(ROOT / "bench"))
    from report_speed import create_database, make_app, migrate
    create_database(sa.make_url(url))
    app = make_app(url)
    migrate(app)
    return app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int)
    parser.add_argument("--database-url", default=PORTAL_URL)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--verify", action="store_true")
    args = parser.parse_args()
    customers = args.customers or max(1, args.rows // 10)
    log(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}")

    shop_url = make_shop(args.rows, customers)
    app = make_portal(args.database_url)

    from portal import ledger
    from portal.extensions import db
    from portal.integrations.opencart import importer
    from portal.integrations.opencart.sources import DatabaseSource

    if args.tracemalloc:
        import tracemalloc
        tracemalloc.start()
    sampler = Sampler()
    marks: dict[str, float] = {}
    done = [0]
    next_report = [args.rows // 10]

    def rewards_start(total: int) -> None:
        marks["rewards"] = time.perf_counter()
        marks["rss_rewards_start"] = rss_mb()
        log(f"customers pass: {time.perf_counter() - marks['start']:.1f} s, RSS {marks['rss_rewards_start']:.0f} MB;"
            f" {total} reward rows to import")

    def progress(n: int) -> None:
        done[0] += n
        if done[0] >= next_report[0]:
            elapsed = time.perf_counter() - marks["rewards"]
            log(f"  {done[0]:>9} rows  {done[0] / elapsed:7.0f} rows/s  RSS {rss_mb():.0f} MB")
            next_report[0] += args.rows // 10

    with app.app_context():
        source = DatabaseSource(shop_url)
        sampler.start()
        marks["start"] = time.perf_counter()
        summary = importer.import_all(source, batch_size=args.batch_size, on_rewards_total=rewards_start,
                                      on_progress=progress, reconcile_after=False)
        marks["end"] = time.perf_counter()
        mismatches = importer.reconcile(source)
        marks["reconciled"] = time.perf_counter()
        sampler.stop()
        source.close()
        expected_amount = int(sa.create_engine(shop_url).connect().execute(
            sa.text("SELECT SUM(points) * 100 FROM oc_customer_reward")).scalar_one())
        verified = ledger.verify().summary() if args.verify else "not run (--verify)"
        db.session.rollback()

    customers_s = marks["rewards"] - marks["start"]
    rewards_s = marks["end"] - marks["rewards"]
    during = [rss for at, rss in sampler.samples if marks["rewards"] <= at <= marks["end"]]
    log("")
    log(f"customers: {summary.customers_read} read, {summary.clients_created} clients created, "
        f"{summary.linked_by_email} linked by e-mail, {summary.linked_by_phone} by phone "
        f"in {customers_s:.1f} s ({summary.customers_read / customers_s:.0f} customers/s)")
    log(f"reward rows: {summary.rows_imported} imported, {summary.rows_skipped} skipped in {rewards_s:.1f} s "
        f"= {summary.rows_imported / rewards_s:.0f} rows/s (batches of {args.batch_size})")
    log(f"amount imported {summary.amount_imported}, shop sum x 100 = {expected_amount}: "
        f"{'OK' if summary.amount_imported == expected_amount else 'DIFFERENT'}; "
        f"not covered {summary.not_covered}")
    log(f"reconciliation: {len(mismatches)} mismatches in {marks['reconciled'] - marks['end']:.1f} s")
    log(f"memory: peak RSS (ru_maxrss) {maxrss_mb():.0f} MB; during the reward pass RSS "
        f"{min(during):.0f}-{max(during):.0f} MB (start {marks['rss_rewards_start']:.0f} MB, "
        f"growth {max(during) - marks['rss_rewards_start']:+.0f} MB over {len(during)} samples)")
    if args.tracemalloc:
        import tracemalloc
        current, peak = tracemalloc.get_traced_memory()
        log(f"tracemalloc: peak {peak / 2 ** 20:.1f} MB, at the end {current / 2 ** 20:.1f} MB")
    log(f"ledger verify: {verified}")
    return 0 if summary.amount_imported == expected_amount and not mismatches else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Sales throughput: paid shop sales through the sales service against the same row writes in plain SQL.

Builds a fresh database from the migrations (a temporary SQLite file by default, or a fresh
PostgreSQL database created on the given server and dropped afterwards), makes a shop with stock,
five products and a client (5 % discount) with bonus, then

1. places N sales of 5 lines with the client spending bonus through
   `portal.services.sales.sales.place_paid_order` (one transaction and a fresh session per sale, as a
   till request does), and prints sales per second;
2. does the same row writes with plain SQL on the driver's own connection (per sale, in one
   transaction: the order and its number, 5 lines, the payment, 5 stock updates, the redemption
   and 5 accruals with their ledger operations, entries, balance updates, lot and lot move),
   with the figures computed once beforehand, and prints its rate and the ratio.

It prints how many statements of each kind the service issues for one sale next to the plain SQL
writes, and checks the ledger (`portal.ledger.verify`) after both runs.

    .venv/bin/python bench/sales_throughput.py                      # SQLite, 300 sales
    .venv/bin/python bench/sales_throughput.py --sales 1000
    .venv/bin/python bench/sales_throughput.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

With a PostgreSQL URL the database named in it is only used to connect: the benchmark creates
`portal_bench_<random>` on that server and drops it at the end. Not collected by pytest.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("SECRET_KEY", "bench-sales-throughput")  # no key file written for a throwaway run

import sqlalchemy as sa  # noqa: E402

LINES = [  # sku, price, discountable
    ("BENCH-DRILL", 1_234_56, True),
    ("BENCH-VALVE", 99_99, False),
    ("BENCH-PIPE", 333_33, True),
    ("BENCH-NUT", 10_00, True),
    ("BENCH-SAW", 4_567_89, True),
]
DISCOUNT_BP = 500
BONUS_PER_SALE = 10_00


# --------------------------------------------------------------------------------------- database

def fresh_database(url: str | None) -> tuple[str, callable]:
    """(SQLAlchemy URL of a fresh, empty database, cleanup function)."""
    if not url:
        folder = tempfile.mkdtemp(prefix="portal-bench-")
        path = Path(folder) / "bench.sqlite3"

        def cleanup():
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            Path(folder).rmdir()
        return "sqlite:///" + str(path), cleanup
    parsed = sa.make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise SystemExit("--database-url must be a PostgreSQL URL (SQLite is the default)")
    name = f"portal_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(parsed.set(drivername="postgresql+psycopg", database="postgres"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def cleanup():
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return parsed.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False), cleanup


def make_app(url: str):
    from portal import create_app
    return create_app({
        "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {}, "SMS_BACKEND": "console",
        "PORTAL_COUNTRY": "RU", "PORTAL_CURRENCY": "RUB", "BABEL_DEFAULT_LOCALE": "en",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    })


def build_world(n: int) -> dict:
    """A shop with enough stock for both runs, five products, a client with enough bonus."""
    from portal import ledger
    from portal.extensions import db
    from portal.models import Client, ClientKind, ClientPhone, Product, Stock
    from portal.services.staff import locations, staff

    shop = locations.create_location(None, locations.LocationInput(code="BENCH", name="Bench shop", kind="shop"))
    products = []
    for sku, price, discountable in LINES:
        product = Product(sku=sku, name=sku.title(), price=price, discountable=discountable)
        db.session.add(product)
        db.session.flush()
        db.session.add(Stock(product_id=product.id, location_id=shop.id, quantity=2 * n + 20))
        products.append(product)
    client = Client(kind=ClientKind.PRIVATE_PERSON, name="Bench Buyer", discount_bp=DISCOUNT_BP)
    client.phones.append(ClientPhone(number="+79160000001"))
    db.session.add(client)
    db.session.commit()
    boss, _ = staff.create_staff(None, staff.StaffInput(email="boss@bench.example", name="Bench Boss",
                                                        role="supervisor"), password="bench-password-1")
    ledger.adjust(boss, client.id, (2 * n + 10) * BONUS_PER_SALE, "benchmark bonus", "bench:gift")
    db.session.commit()
    return {"shop_id": shop.id, "product_ids": [p.id for p in products], "client_id": client.id}


# ------------------------------------------------------------------------------------- statements

_VERB = re.compile(r"^\s*(INSERT INTO|UPDATE|DELETE FROM|SELECT|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)"
                   r"\s*(\"?\w+\"?)?", re.I)
_FROM = re.compile(r"\bFROM\s+\"?(\w+)\"?", re.I)


def classify(statement: str) -> tuple[str, str]:
    match = _VERB.match(statement)
    if not match:
        return statement.split(None, 1)[0].upper() if statement.strip() else "?", ""
    verb = match.group(1).upper()
    if verb == "SELECT":
        table = _FROM.search(statement)
        return "SELECT", table.group(1) if table else ""
    if "SAVEPOINT" in verb:
        return verb, ""
    return verb.split()[0], (match.group(2) or "").strip('"')


class StatementCounter:
    def __init__(self, engine):
        self.engine, self.counts, self.on = engine, Counter(), False
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, _params, _context, _many):
        if self.on:
            self.counts[classify(statement)] += 1

    def close(self):
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)


# --------------------------------------------------------------------------------------- the runs

def run_service(world: dict, n: int) -> float:
    """N sales through place_paid_order; returns the elapsed seconds."""
    from portal.extensions import db
    from portal.models import Channel, PaymentMethod
    from portal.services.sales import sales

    lines = [sales.SaleLine(qty=1, product_id=pid) for pid in world["product_ids"]]
    started = time.perf_counter()
    for _ in range(n):
        sales.place_paid_order(sales.Sale(
            channel=Channel.SHOP, lines=lines, location_id=world["shop_id"], client_id=world["client_id"],
            bonus_to_redeem=BONUS_PER_SALE, default_method=PaymentMethod.CARD))
        db.session.remove()  # a fresh session per sale, as per request
    return time.perf_counter() - started


def plain_figures():
    """The money of one sale, from the same pricing rules the service uses (computed once)."""
    from portal.ledger.settings import Programme
    from portal.services.sales.pricing import price_lines
    rules = Programme()
    return price_lines([(price, 1, discountable) for _sku, price, discountable in LINES], discount_bp=DISCOUNT_BP,
                       bonus=BONUS_PER_SALE, max_redeem_share_bp=rules.max_redeem_share_bp,
                       accrual_rate_bp=rules.accrual_rate_bp), rules


def run_plain_sql(world: dict, n: int) -> tuple[float, Counter]:
    """The same row writes with the driver's own cursor; returns (elapsed seconds, writes of one sale)."""
    from portal.extensions import db
    from portal.models import BonusLot, LedgerAccount, LotStatus, SystemAccount

    pricing, rules = plain_figures()
    client_account = db.session.scalar(sa.select(LedgerAccount.id).where(LedgerAccount.client_id == world["client_id"]))
    issued, redeemed = (db.session.scalar(sa.select(LedgerAccount.id).where(LedgerAccount.system_code == code))
                        for code in (SystemAccount.ISSUED, SystemAccount.REDEEMED))
    gift_lot = db.session.scalar(sa.select(BonusLot.id).where(BonusLot.account_id == client_account,
                                                             BonusLot.status == LotStatus.AVAILABLE))
    products = [(pid, sku) for pid, (sku, _price, _d) in zip(world["product_ids"], LINES)]
    db.session.remove()

    sqlite = db.engine.dialect.name == "sqlite"

    def q(sql: str) -> str:  # psycopg's %(name)s -> sqlite3's :name
        return re.sub(r"%\((\w+)\)s", r":\1", sql) if sqlite else sql

    def moment(value: datetime):  # both columns store naive UTC; SQLAlchemy's SQLite text format
        naive = value.astimezone(UTC).replace(tzinfo=None)
        return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else naive

    sql = {name: q(text) for name, text in {
        "order": "INSERT INTO orders (key, channel, status, client_id, location_id, created_at, paid_at, subtotal, "
                 "discount, bonus_redeemed, paid, accrual) VALUES (%(key)s, 'shop', 'completed', %(client)s, "
                 "%(shop)s, %(now)s, %(now)s, %(subtotal)s, %(discount)s, %(bonus)s, %(paid)s, %(accrual)s) "
                 "RETURNING id",
        "number": "UPDATE orders SET number = %(number)s WHERE id = %(id)s",
        "line": "INSERT INTO order_lines (order_id, line_no, product_id, sku, name, qty, price, discount, bonus, paid, "
                "accrual, returned_qty, returnable, warranty_months) VALUES (%(order)s, %(no)s, %(product)s, %(sku)s, "
                "%(name)s, 1, %(price)s, %(discount)s, %(bonus)s, %(paid)s, %(accrual)s, 0, %(yes)s, 0)",
        "payment": "INSERT INTO payments (order_id, method, amount, tendered) VALUES (%(order)s, 'card', %(amount)s, "
                   "%(amount)s)",
        "stock": "UPDATE stock SET quantity = quantity - 1 WHERE product_id = %(product)s AND location_id = %(shop)s "
                 "AND quantity >= 1",
        "operation": "INSERT INTO ledger_operations (key, kind, client_id, order_id, amount, shortfall, reason, "
                     "created_at) VALUES (%(key)s, %(kind)s, %(client)s, %(order)s, %(amount)s, 0, '', %(now)s) "
                     "RETURNING id",
        "debit_client": "UPDATE ledger_accounts SET available = available - %(amount)s, entries_count = "
                        "entries_count + 1 WHERE id = %(id)s AND available >= %(amount)s",
        "credit_available": "UPDATE ledger_accounts SET available = available + %(amount)s, entries_count = "
                            "entries_count + 1 WHERE id = %(id)s",
        "debit_system": "UPDATE ledger_accounts SET available = available - %(amount)s, entries_count = "
                        "entries_count + 1 WHERE id = %(id)s",
        "credit_pending": "UPDATE ledger_accounts SET pending = pending + %(amount)s, entries_count = "
                          "entries_count + 1 WHERE id = %(id)s",
        "entry": "INSERT INTO ledger_entries (operation_id, from_account_id, from_bucket, to_account_id, to_bucket, "
                 "amount, created_at) VALUES (%(op)s, %(src)s, %(src_bucket)s, %(dst)s, %(dst_bucket)s, %(amount)s, "
                 "%(now)s)",
        "take_lot": "UPDATE bonus_lots SET remaining = remaining - %(amount)s WHERE id = %(id)s AND remaining >= "
                    "%(amount)s",
        "lot_move": "INSERT INTO bonus_lot_moves (lot_id, operation_id, amount) VALUES (%(lot)s, %(op)s, %(amount)s)",
        "lot": "INSERT INTO bonus_lots (account_id, operation_id, status, amount, remaining, available_at, expires_at, "
               "expiry_days) VALUES (%(account)s, %(op)s, 'pending', %(amount)s, %(amount)s, %(at)s, NULL, %(days)s)",
    }.items()}
    writes = Counter()

    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()

        def run(name, params, count=True):
            cur.execute(sql[name], params)
            if count and first_sale[0]:
                first, table = sql[name].split(None, 3)[0].upper(), re.search(
                    r"(?:INTO|UPDATE)\s+(\w+)", sql[name]).group(1)
                writes[(first, table)] += 1

        first_sale = [True]  # the writes of the first sale are counted
        started = time.perf_counter()
        for i in range(n):
            now = datetime.now(UTC)
            at = moment(now)
            if sqlite:
                cur.execute("BEGIN")
            run("order", {"key": f"bench:plain:{i}", "client": world["client_id"], "shop": world["shop_id"],
                          "now": at, "subtotal": pricing.subtotal, "discount": pricing.discount,
                          "bonus": pricing.bonus, "paid": pricing.paid, "accrual": pricing.accrual})
            order_id = cur.fetchone()[0]
            run("number", {"number": f"P-{order_id:06d}", "id": order_id})
            for no, ((pid, sku), line) in enumerate(zip(products, pricing.lines), start=1):
                run("line", {"order": order_id, "no": no, "product": pid, "sku": sku, "name": sku.title(),
                             "price": line.price, "discount": line.discount, "bonus": line.bonus, "paid": line.paid,
                             "accrual": line.accrual, "yes": True})
            run("payment", {"order": order_id, "amount": pricing.paid})
            for pid, _sku in products:
                run("stock", {"product": pid, "shop": world["shop_id"]})
                if cur.rowcount != 1:
                    raise RuntimeError("out of stock in the plain SQL run")
            # the redemption: one operation, one entry, two balances, one lot taken from
            run("operation", {"key": f"redemption:plain:{order_id}", "kind": "redemption",
                              "client": world["client_id"], "order": order_id, "amount": pricing.bonus, "now": at})
            op = cur.fetchone()[0]
            run("debit_client", {"amount": pricing.bonus, "id": client_account})
            run("credit_available", {"amount": pricing.bonus, "id": redeemed})
            run("entry", {"op": op, "src": client_account, "src_bucket": "available", "dst": redeemed,
                          "dst_bucket": "available", "amount": pricing.bonus, "now": at})
            run("take_lot", {"amount": pricing.bonus, "id": gift_lot})
            run("lot_move", {"lot": gift_lot, "op": op, "amount": -pricing.bonus})
            # an accrual per line: operation, entry, two balances, a pending lot
            for no, line in enumerate(pricing.lines, start=1):
                run("operation", {"key": f"accrual:plain:{order_id}:line:{no}", "kind": "accrual",
                                  "client": world["client_id"], "order": order_id, "amount": line.accrual, "now": at})
                op = cur.fetchone()[0]
                run("debit_system", {"amount": line.accrual, "id": issued})
                run("credit_pending", {"amount": line.accrual, "id": client_account})
                run("entry", {"op": op, "src": issued, "src_bucket": "available", "dst": client_account,
                              "dst_bucket": "pending", "amount": line.accrual, "now": at})
                run("lot", {"account": client_account, "op": op, "amount": line.accrual,
                            "at": moment(now + timedelta(days=rules.hold_days)), "days": rules.expiry_days})
            if sqlite:
                cur.execute("COMMIT")
            else:
                raw.commit()
            first_sale[0] = False
        elapsed = time.perf_counter() - started
        cur.close()
    finally:
        raw.close()
    return elapsed, writes


# ------------------------------------------------------------------------------------------- main

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sales", type=int, default=300, help="sales per run (default 300)")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server URL (a fresh database is created on it and dropped); "
                             "default: a temporary SQLite file")
    args = parser.parse_args(argv)
    n = max(1, args.sales)

    url, cleanup = fresh_database(args.database_url)
    app = make_app(url)
    try:
        with app.app_context():
            from flask_migrate import upgrade

            from portal import ledger
            from portal.extensions import db
            from portal.models import Channel, PaymentMethod
            from portal.services.sales import sales

            upgrade()
            world = build_world(n)
            engine = db.engine
            print(f"engine: {engine.dialect.name} {'.'.join(map(str, engine.dialect.server_version_info or ()))}"
                  f"  ({sa.make_url(url).render_as_string(hide_password=True)})")
            print(f"sales per run: {n}, 5 lines each, client with a {DISCOUNT_BP / 100:g} % discount spending "
                  f"{BONUS_PER_SALE / 100:.2f} of bonus per sale, paid by card")

            # Two sales outside the timing: the first creates the system accounts, the second shows
            # the statements of a sale in the steady state.
            counter = StatementCounter(engine)
            for warm_up in range(2):
                counter.on = warm_up == 1
                sales.place_paid_order(sales.Sale(
                    channel=Channel.SHOP, lines=[sales.SaleLine(qty=1, product_id=pid) for pid in world["product_ids"]],
                    location_id=world["shop_id"], client_id=world["client_id"], bonus_to_redeem=BONUS_PER_SALE,
                    default_method=PaymentMethod.CARD))
                db.session.remove()
            counter.on = False
            counter.close()

            service_seconds = run_service(world, n)
            plain_seconds, plain_writes = run_plain_sql(world, n)

            verification = ledger.verify()
            db.session.remove()

        service_rate, plain_rate = n / service_seconds, n / plain_seconds
        service_writes = Counter({k: v for k, v in counter.counts.items() if k[0] in ("INSERT", "UPDATE", "DELETE")})
        reads = sum(v for k, v in counter.counts.items() if k[0] == "SELECT")
        savepoints = sum(v for k, v in counter.counts.items() if "SAVEPOINT" in k[0])
        print()
        print("statements for one sale        service   plain SQL")
        if engine.dialect.name == "postgresql":
            print("  (on PostgreSQL SQLAlchemy sends the 5 order lines as one multi-row INSERT)")
        for key in sorted(set(service_writes) | set(plain_writes), key=lambda k: (k[1], k[0])):
            print(f"  {key[0]:<7} {key[1]:<22} {service_writes.get(key, 0):>5} {plain_writes.get(key, 0):>11}")
        print(f"  {'writes':<30} {sum(service_writes.values()):>5} {sum(plain_writes.values()):>11}")
        print(f"  {'SELECT':<30} {reads:>5} {0:>11}")
        print(f"  {'SAVEPOINT / RELEASE':<30} {savepoints:>5} {0:>11}")
        print()
        print(f"service (place_paid_order): {n} sales in {service_seconds:.2f} s = {service_rate:,.1f} sales/s "
              f"({1000 * service_seconds / n:.2f} ms per sale)")
        print(f"plain SQL, same row writes: {n} sales in {plain_seconds:.2f} s = {plain_rate:,.1f} sales/s "
              f"({1000 * plain_seconds / n:.2f} ms per sale)")
        print(f"ratio: the service runs at {100 * service_rate / plain_rate:.0f} % of plain SQL "
              f"(plain SQL is {plain_rate / service_rate:.1f}x faster)")
        print(f"ledger verify after both runs: {'ok' if verification.ok else 'FAILED'}")
        return 0 if verification.ok else 1
    finally:
        with app.app_context():
            from portal.extensions import db
            db.session.remove()
            db.engine.dispose()
        cleanup()


if __name__ == "__main__":
    raise SystemExit(main())

"""Crash safety: gunicorn workers killed with SIGKILL in the middle of sales, redemptions and returns.

gunicorn (3 sync workers) serves the portal on PostgreSQL. It runs with --preload, so a killed
worker is replaced by a fork of the loaded app within milliseconds (twenty kills fit the time
budget); bench/served.py drops every inherited pooled connection in `post_fork`, so each worker has
its own connections and they die with it. Eight web-shop threads send orders over HTTP
(anonymous, clients without bonus, two clients whose small bonus is contended by every thread,
clients with plenty of bonus) and returns of their earlier orders, each POST under its own
Idempotency-Key. Meanwhile a killer sends SIGKILL to a random serving worker twenty times, at
random moments paced by the traffic (one to three answers, then a random pause), so a slow machine
still has requests in flight at every kill; the master starts new workers. A request whose connection dies is sent again,
with the same key and body, until it gets an answer, as a real shop does. Afterwards:

- no 5xx was ever answered, and at least five requests were cut by a kill (the kills hit traffic);
- `flask ledger verify` and `flask statistics verify` pass;
- no order or return is half-written (lines, totals, payments, refunds, ledger operations, stock);
- every acknowledged order and return is in the database with the acknowledged amounts, and
  nothing is in the database that was not acknowledged;
- replaying every request with its key answers the same (same status, same id) and creates nothing.

The workload keeps every refusal permanent, so a replay of a refused request must be refused
again: the contended clients' orders are never returned (their available bonus only goes down;
accruals stay pending for the hold period), stock is ample and returns never ask for more than is
left (each thread returns only its own orders, one unit at a time).

Database: the suite's own when it runs on PostgreSQL, else a fresh one (TEST_POSTGRES_URL, default
the local server), as in tests/integration/ledger/test_concurrency_postgres.py.
"""
from __future__ import annotations

import http.client
import json
import os
import random
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal import create_app, ledger
from portal.extensions import db
from portal.services.staff import api_keys

from ...conftest import TEST_CONFIG, empty_all_tables
from ...factories import make_client, make_location, make_product, make_staff
from ...postgres import postgres_database

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
import served  # noqa: E402  (bench/served.py: the gunicorn harness shared with bench/till_load.py)

from portal.services.clients import bonus as bonus_service

pytestmark = pytest.mark.postgres

WORKERS = 3
THREADS = 8
KILLS = 20
CONTENDED_BONUS = 300_00        # each contended client: two redemptions of 150.00, then refusals
CONTENDED_REDEEM = 150_00
RICH_BONUS = 1_000_000_00
RICH_REDEEM = 100_00
STOCK = 100_000
PRODUCTS = {"DRILL": 1_500_00, "SAW": 800_00, "GLUE": 250_00, "VALVE": 99_99}
COUNTED = ("orders", "order_lines", "payments", "returns", "return_lines", "refunds", "ledger_operations",
           "ledger_entries", "bonus_lots", "bonus_lot_moves", "api_idempotent_responses", "outbox_events")


@pytest.fixture(scope="module")
def pg_url(migrated):
    """The suite's database when it is PostgreSQL (emptied before and after); else a fresh one."""
    yield from postgres_database(migrated, "portal_crash")


@pytest.fixture
def world(pg_url):
    """The shop's data, made through the factories and services: products, clients with bonus, a key."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": pg_url})
    with app.app_context():
        empty_all_tables()
        warehouse = make_location("warehouse", code="MAIN", is_main=True)
        for sku, price in PRODUCTS.items():
            make_product(sku, price, stock={warehouse: STOCK}, discountable=sku != "VALVE")
        boss = make_staff("supervisor")
        contended = [make_client(name=f"Contended {i}") for i in range(2)]
        rich = [make_client(name=f"Rich {i}", discount_bp=500 * i) for i in range(3)]
        plain = [make_client(name=f"Plain {i}") for i in range(2)]
        for client in contended:
            bonus_service.adjust(boss, client.id, CONTENDED_BONUS, "opening balance", f"opening:{client.id}")
        for client in rich:
            bonus_service.adjust(boss, client.id, RICH_BONUS, "opening balance", f"opening:{client.id}")
        db.session.commit()
        _, key = api_keys.create_key("crash-test shop")
        data = {"app": app, "url": pg_url, "key": key, "contended": [c.id for c in contended],
                "rich": [c.id for c in rich], "plain": [c.id for c in plain]}
    yield data
    with app.app_context():
        db.session.rollback()
        empty_all_tables()
        db.engine.dispose()


# ------------------------------------------------------------------------------------ the web shop

@dataclass
class Sent:
    """One POST as the shop sent it, and the answer it finally got."""
    path: str
    key: str
    body: dict
    kind: str                      # "order" | "return"
    status: int | None = None
    answer: dict | None = None
    attempts: int = 0
    broken: int = 0                # attempts whose connection died (a worker killed under it)


@dataclass
class Shop:
    base_port: int
    api_key: str
    sent: list[Sent] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    answered: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, method: str, path: str, body: dict | None = None, key: str | None = None,
             retry: bool = True) -> tuple[int, dict, int, int]:
        """Send until an HTTP answer comes back; returns (status, json, attempts, broken attempts)."""
        headers = {"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key
        data = json.dumps(body) if body is not None else None
        attempts = broken = 0
        deadline = time.monotonic() + 60
        while True:
            attempts += 1
            conn = http.client.HTTPConnection("127.0.0.1", self.base_port, timeout=30)
            try:
                conn.request(method, "/api/v1" + path, body=data, headers=headers)
                response = conn.getresponse()
                status, raw = response.status, response.read()
            except (OSError, http.client.HTTPException):
                broken += 1
                if not retry or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)  # every worker may be down for a moment: the master is starting new ones
                continue
            finally:
                conn.close()
            if status >= 500:
                with self.lock:
                    self.server_errors.append(f"{method} {path} key={key}: {status} {raw[:300]!r}")
                if retry and time.monotonic() < deadline:
                    continue  # a shop retries a 5xx too, with the same key
            return status, json.loads(raw), attempts, broken

    def post(self, kind: str, path: str, body: dict) -> Sent:
        sent = Sent(path=path, key=f"crash-{uuid.uuid4().hex}", body=body, kind=kind)
        sent.status, sent.answer, sent.attempts, sent.broken = self.call("POST", path, body, sent.key)
        with self.lock:
            self.sent.append(sent)
            self.answered += 1
        return sent


def till_thread(shop: Shop, world: dict, seed: int, stop: threading.Event) -> None:
    """One web-shop worker: random orders, and returns of its own earlier orders, until told to stop."""
    rng = random.Random(seed)
    mine: list[dict] = []  # acknowledged orders of this thread that may be returned
    n = 0
    while not stop.is_set():
        n += 1
        roll = rng.random()
        returnable = [o for o in mine if any(li["qty"] > li["returned_qty"] for li in o["lines"])]
        if roll < 0.2 and returnable:
            order = rng.choice(returnable)
            line = rng.choice([li for li in order["lines"] if li["qty"] > li["returned_qty"]])
            sent = shop.post("return", f"/orders/{order['id']}/returns",
                             {"lines": [{"sku": line["sku"], "qty": 1}], "reason": "crash test"})
            assert sent.status == 201, (sent.status, sent.answer)
            line["returned_qty"] += 1
            continue
        lines = [{"sku": sku, "qty": rng.randint(1, 3)}
                 for sku in rng.sample(sorted(PRODUCTS), rng.randint(1, 3))]
        client_id, bonus = None, "0.00"
        if roll < 0.45:
            client_id, bonus = rng.choice(world["contended"]), f"{CONTENDED_REDEEM / 100:.2f}"
        elif roll < 0.65:
            client_id, bonus = rng.choice(world["rich"]), f"{RICH_REDEEM / 100:.2f}"
        elif roll < 0.8:
            client_id = rng.choice(world["plain"] + world["rich"])
        if bonus != "0.00" and not any(li["sku"] == "DRILL" for li in lines):
            lines.append({"sku": "DRILL", "qty": 1})  # the bonus stays within 30 % of the order
        body = {"external_id": f"web-{seed}-{n}", "client_id": client_id, "lines": lines,
                "bonus_to_redeem": bonus, "payment_method": rng.choice(["online", "card"])}
        sent = shop.post("order", "/orders", body)
        if client_id in world["contended"] and sent.status == 409:
            assert sent.answer["error"] == "insufficient_bonus", sent.answer
            continue
        assert sent.status == 201, (sent.status, sent.answer)
        if client_id not in world["contended"]:
            mine.append(json.loads(json.dumps(sent.answer)))


def killer(server: served.Gunicorn, shop: Shop, rng: random.Random, done: threading.Event, log: list) -> None:
    """SIGKILL a random serving worker KILLS times, at random moments in the traffic: after one to
    three more answers, a random pause, and while at least two workers serve (so a slow machine
    still gets traffic between kills, and a worker still loading the app is never the one killed)."""
    try:
        for _ in range(KILLS):
            target = shop.answered + rng.randint(1, 3)
            deadline = time.monotonic() + 30
            while shop.answered < target and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.3))
            while len(server.ready_pids()) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            log.append(server.kill_worker(rng))
    finally:
        done.set()


# ---------------------------------------------------------------------------------------- checks

def _counts() -> dict[str, int]:
    counts = {name: db.session.scalar(sa.select(sa.func.count()).select_from(db.metadata.tables[name]))
              for name in COUNTED}
    counts["stock"] = db.session.scalar(sa.text("SELECT sum(quantity) FROM stock"))
    return counts


def _rows(sql: str, **params) -> list:
    return list(db.session.execute(sa.text(sql), params))


def check_nothing_half_written() -> None:
    """Every order and return is whole: the invariants a crash in the middle would break."""
    # Orders: lines, totals = sums of lines, payments = money paid, a number.
    bad = _rows("""
        SELECT o.id FROM orders o LEFT JOIN (
            SELECT order_id, count(*) n, sum(price * qty) subtotal, sum(discount) discount, sum(bonus) bonus,
                   sum(paid) paid, sum(accrual) accrual FROM order_lines GROUP BY order_id) l ON l.order_id = o.id
        LEFT JOIN (SELECT order_id, sum(amount) amount FROM payments GROUP BY order_id) p ON p.order_id = o.id
        WHERE l.n IS NULL OR o.subtotal <> l.subtotal OR o.discount <> l.discount OR o.bonus_redeemed <> l.bonus
           OR o.paid <> l.paid OR o.accrual <> l.accrual OR o.received <> o.paid
           OR coalesce(p.amount, 0) <> o.paid OR o.number IS NULL""")
    assert not bad, f"orders not whole: {bad}"
    # The bonus spent and every line's accrual are in the ledger, with the same amounts.
    bad = _rows("""
        SELECT o.id FROM orders o LEFT JOIN ledger_operations r
          ON r.key = 'redemption:order:' || o.id AND r.kind = 'redemption'
        WHERE (o.bonus_redeemed > 0) <> (r.id IS NOT NULL) OR (r.id IS NOT NULL AND r.amount <> o.bonus_redeemed)""")
    assert not bad, f"orders whose redemption is missing or wrong: {bad}"
    bad = _rows("""
        SELECT l.order_id, l.line_no FROM order_lines l JOIN orders o ON o.id = l.order_id
        LEFT JOIN ledger_operations a ON a.key = 'accrual:order:' || l.order_id || ':line:' || l.line_no
        WHERE (l.accrual > 0) <> (a.id IS NOT NULL) OR (a.id IS NOT NULL AND a.amount <> l.accrual)
           OR (o.client_id IS NULL AND l.accrual <> 0)""")
    assert not bad, f"lines whose accrual is missing or wrong: {bad}"
    # Every ledger operation of an order belongs to an order that exists (no orphan from a rolled-back sale).
    assert not _rows("""SELECT id FROM ledger_operations WHERE order_id IS NOT NULL
                        AND order_id NOT IN (SELECT id FROM orders)""")
    # Returns: lines, refunds = money given back, returned quantities, bonus given back and accrual reversed.
    bad = _rows("""
        SELECT r.id FROM returns r LEFT JOIN (
            SELECT return_id, count(*) n, sum(refund) refund, sum(bonus_restored) bonus,
                   sum(accrual_reversed) accrual FROM return_lines GROUP BY return_id) l ON l.return_id = r.id
        LEFT JOIN (SELECT return_id, sum(amount) amount, sum(withheld) withheld FROM refunds GROUP BY return_id) f
          ON f.return_id = r.id
        LEFT JOIN ledger_operations b ON b.key = 'return:' || r.id || ':' || 'bonus'
        LEFT JOIN (SELECT return_id, sum(amount) amount FROM ledger_operations WHERE kind = 'accrual_reversal'
                   GROUP BY return_id) v ON v.return_id = r.id
        WHERE l.n IS NULL OR r.refund_total + r.withheld <> l.refund OR r.bonus_restored <> l.bonus
           OR r.accrual_reversed <> l.accrual OR coalesce(f.amount, 0) <> r.refund_total
           OR coalesce(f.withheld, 0) <> r.withheld
           OR (r.bonus_restored > 0) <> (b.id IS NOT NULL) OR (b.id IS NOT NULL AND b.amount <> r.bonus_restored)
           OR coalesce(v.amount, 0) <> r.accrual_reversed""")
    assert not bad, f"returns not whole: {bad}"
    bad = _rows("""
        SELECT l.id FROM order_lines l LEFT JOIN (
            SELECT order_line_id, sum(qty) qty FROM return_lines GROUP BY order_line_id) r ON r.order_line_id = l.id
        WHERE l.returned_qty <> coalesce(r.qty, 0)""")
    assert not bad, f"returned quantities that disagree with the returns: {bad}"
    bad = _rows("""
        SELECT o.id FROM orders o JOIN order_lines l ON l.order_id = o.id GROUP BY o.id, o.status
        HAVING o.status <> CASE WHEN sum(l.returned_qty) = 0 THEN 'paid'
                                WHEN sum(l.returned_qty) = sum(l.qty) THEN 'returned'
                                ELSE 'partially_returned' END""")
    assert not bad, f"orders whose status disagrees with their returns: {bad}"
    # Stock moved exactly as the lines say: what was sold, less what came back.
    bad = _rows("""
        SELECT p.sku FROM products p JOIN stock s ON s.product_id = p.id
        LEFT JOIN (SELECT product_id, sum(qty) qty, sum(returned_qty) back FROM order_lines GROUP BY product_id) l
          ON l.product_id = p.id
        WHERE s.quantity <> :stock - coalesce(l.qty, 0) + coalesce(l.back, 0)""", stock=STOCK)
    assert not bad, f"stock that disagrees with the lines: {bad}"


def check_acknowledged(sent: list[Sent], world: dict) -> None:
    """Everything acknowledged is there with the acknowledged amounts; nothing else is."""
    acked_orders = {s.answer["id"]: s.answer for s in sent if s.kind == "order" and s.status == 201}
    acked_returns = {s.answer["id"]: s.answer for s in sent if s.kind == "return" and s.status == 201}
    orders = {row.id: row for row in _rows("SELECT id, key, external_id, bonus_redeemed, paid, accrual FROM orders")}
    assert set(orders) == set(acked_orders), (
        f"orders never acknowledged: {sorted(set(orders) - set(acked_orders))}; "
        f"acknowledged but missing: {sorted(set(acked_orders) - set(orders))}")
    money = lambda text: int(text.replace(".", ""))  # noqa: E731 - "150.00" -> 15000
    for order_id, answer in acked_orders.items():
        row = orders[order_id]
        assert (row.external_id, row.bonus_redeemed, row.paid, row.accrual) == (
            answer["external_id"], money(answer["bonus_redeemed"]), money(answer["paid"]), money(answer["accrual"]))
    by_key = {s.key: s for s in sent}
    for row in orders.values():  # each order was placed under the key of the request acknowledged with it
        assert by_key[row.key.split(":", 2)[2]].answer["id"] == row.id
    returns = {row.id: row for row in _rows("SELECT id, order_id, refund_total, withheld, bonus_restored FROM returns")}
    assert set(returns) == set(acked_returns)
    for return_id, answer in acked_returns.items():
        row = returns[return_id]
        assert (row.order_id, row.refund_total, row.withheld, row.bonus_restored) == (
            answer["order_id"], money(answer["refund"]["total"]), money(answer["withheld"]),
            money(answer["bonus_restored"]))
    # The contended clients spent exactly what was acknowledged, never more than they had.
    for client_id in world["contended"]:
        spent = sum(money(a["bonus_redeemed"]) for a in acked_orders.values() if a["client_id"] == client_id)
        assert ledger.bonus_of(client_id).available == CONTENDED_BONUS - spent >= 0


def replay(shop: Shop, sent: list[Sent]) -> list[str]:
    """Send every recorded request again with its key; returns the differences from the first answers."""
    def again(s: Sent) -> str | None:
        status, answer, _attempts, _broken = shop.call("POST", s.path, s.body, s.key)
        if status != s.status:
            return f"{s.key}: {s.status} first, {status} on replay ({answer})"
        if status == 201 and answer["id"] != s.answer["id"]:
            return f"{s.key}: id {s.answer['id']} first, {answer['id']} on replay"
        if status != 201 and answer.get("error") != s.answer.get("error"):
            return f"{s.key}: {s.answer} first, {answer} on replay"
        return None

    with ThreadPoolExecutor(4) as pool:
        return [d for d in pool.map(again, sent) if d]


# ------------------------------------------------------------------------------------------ test

def test_sigkilled_workers_lose_nothing_and_replays_create_nothing(world):
    env = served.server_env(world["url"], PASSWORD_HASH_METHOD="pbkdf2:sha256:1000")
    # The printed seed replays the same choices of requests and victims (CRASH_TEST_SEED=N); the
    # moments of the kills still depend on the machine's timing.
    seed = int(os.environ.get("CRASH_TEST_SEED", "0")) or random.randrange(1, 10 ** 6)
    server = served.Gunicorn(env, workers=WORKERS, preload=True)
    server.start()
    try:
        shop = Shop(server.port, world["key"])
        stop, killed_all = threading.Event(), threading.Event()
        kills: list = []
        errors: list = []

        def guarded(i):
            try:
                till_thread(shop, world, seed * 100 + i, stop)
            except BaseException as exc:  # noqa: BLE001 - reported by the test below
                errors.append(exc)
                stop.set()

        threads = [threading.Thread(target=guarded, args=(i,)) for i in range(THREADS)]
        for t in threads:
            t.start()
        murderer = threading.Thread(target=killer, args=(server, shop, random.Random(seed), killed_all, kills))
        murderer.start()
        killed_all.wait(timeout=120)
        after = shop.answered + THREADS  # some traffic after the last kill: the new workers serve it
        deadline = time.monotonic() + 30
        while shop.answered < after and not stop.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        stop.set()
        for t in threads + [murderer]:
            t.join(timeout=90)
        assert not any(t.is_alive() for t in threads + [murderer]), "a shop thread is stuck"
        assert not errors, f"seed {seed}: {errors[0]!r}"
        assert len([pid for pid in kills if pid]) == KILLS, kills
        sent = list(shop.sent)
        orders = [s for s in sent if s.kind == "order"]
        broken = sum(s.broken for s in sent)
        summary = (f"seed {seed}: {len(sent)} requests ({len(orders)} orders, {len(sent) - len(orders)} returns, "
                   f"{sum(s.status == 409 for s in orders)} refused), {broken} cut by {KILLS} kills, "
                   f"{sum(s.attempts for s in sent)} attempts")
        print("\n" + summary)
        assert broken >= 5, f"only {broken} requests were cut by a kill: the kills missed the traffic; {summary}"
        assert not shop.server_errors, (shop.server_errors[:5], server.tracebacks()[:3])
        assert len(orders) >= 30 and any(s.kind == "return" for s in sent), summary
        assert any(s.status == 409 for s in orders), f"the contended bonus was never exhausted; {summary}"

        with world["app"].app_context():
            check_nothing_half_written()
            check_acknowledged(sent, world)
            before = _counts()
            db.session.rollback()
        runner = world["app"].test_cli_runner()  # the CLI on an app bound to the same database
        for args, verdict in ((["ledger", "verify"], "ledger OK"), (["statistics", "verify"], "daily sums OK")):
            result = runner.invoke(args=args)
            assert result.exit_code == 0 and verdict in result.output, (args, result.output)

        server.wait_ready(30)
        differences = replay(shop, sent)
        assert not differences, differences[:5]
        assert not shop.server_errors, (shop.server_errors[:5], server.tracebacks()[:3])
        with world["app"].app_context():
            assert _counts() == before
            db.session.rollback()
    finally:
        server.stop()
        server.cleanup()

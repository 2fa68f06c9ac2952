"""How many till sales per second does the portal serve, and how fast does each step answer?

gunicorn (4 sync workers, bench/served.py) on PostgreSQL, CSRF on as in
production; 16, then 64 simulated tills (threads), each one cashier of the shop with its own cookie
jar, doing the full sale flow over HTTP through the till's real routes for `--seconds` each:

    login once (GET /login for the CSRF token, POST /login), open the shift if it is closed,
    GET /cashier/sale; then again and again:
        scan 1–4 products by barcode        POST /cashier/cart/scan     (htmx: HX-Request: true)
        attach a client by phone            POST /cashier/cart/client   (htmx)
        pay in cash or by card              POST /cashier/checkout      (htmx; answers HX-Redirect)
        show the receipt                    GET  /cashier/receipt/<id>

Prints per request type the count, throughput, p50/p95/p99 latency; sales per second; the error
count (any status other than 2xx/3xx, a connection error, a till message of the error kind, a
checkout that did not place a sale) and the first few errors; the machine (nproc, PostgreSQL).

    .venv/bin/python bench/till_load.py                      # builds portal_bench_load, 60 s per step
    .venv/bin/python bench/till_load.py --seconds 10 --tills 4,16 --keep

The database (`--database-url`, default postgresql://postgres@127.0.0.1:5432/portal_bench_load) is
dropped and built again from the migrations unless `--keep` is given and it exists already.
pytest does not collect this script.
"""
from __future__ import annotations

import argparse
import html
import http.cookiejar
import os
import random
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import served  # noqa: E402
import sqlalchemy as sa  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/portal_bench_load"
PASSWORD = "bench-till-2026"
PRODUCTS = 60
CLIENTS = 300
STOCK = 10_000_000
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
TILL_ERROR = re.compile(r'class="flash flash-error"[^>]*>([^<]*)<')


# ------------------------------------------------------------------------------------- the data

def build(url: str, tills: int, keep: bool) -> dict:
    """The shop: a cashier per till, products with barcodes and stock, clients with phones."""
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db
    from portal.models import Barcode, Client, ClientKind, ClientPhone, Location, Product, Role, User
    from portal.services.sales import stock
    from portal.services.staff import locations as location_service
    from portal.services.staff import staff as staff_service

    sa_url = sa.make_url(served.server_env(url)["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1))
    admin = sa.create_engine(sa_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": sa_url.database})
        if exists and not keep:
            conn.execute(sa.text(f'DROP DATABASE "{sa_url.database}" WITH (FORCE)'))
        if not exists or not keep:
            conn.execute(sa.text(f'CREATE DATABASE "{sa_url.database}"'))
    admin.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": sa_url.render_as_string(hide_password=False)})
    with app.app_context():
        upgrade()
        shop = db.session.scalar(sa.select(Location).where(Location.code == "BENCH1"))
        if shop is None:
            location_service.create_location(None, location_service.LocationInput(
                code="MAIN", name="Main warehouse", kind="warehouse", is_main=True))
            shop = location_service.create_location(None, location_service.LocationInput(
                code="BENCH1", name="Bench shop", kind="shop"))
        have = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.role == Role.CASHIER))
        for n in range(have + 1, tills + 1):
            staff_service.create_staff(None, staff_service.StaffInput(
                email=f"till{n}@bench.portal", name=f"Till {n}", role="cashier", shop_id=shop.id), password=PASSWORD)
        if not db.session.scalar(sa.select(sa.func.count()).select_from(Product)):
            rng = random.Random(7)
            for n in range(1, PRODUCTS + 1):
                product = Product(sku=f"B-{n:04d}", name=f"Bench product {n}", price=rng.randrange(1_00, 5_000_00),
                                  discountable=n % 5 != 0, warranty_months=12 if n % 3 == 0 else 0)
                product.barcodes.append(Barcode(code=f"460{n:010d}"))
                db.session.add(product)
                db.session.flush()
                stock.set_level(product.id, shop.id, STOCK)
            for n in range(1, CLIENTS + 1):
                client = Client(kind=ClientKind.PRIVATE_PERSON, name=f"Bench client {n}",
                                discount_bp=500 if n % 4 == 0 else 0)
                client.phones.append(ClientPhone(number=f"+7925{n:07d}"))
                db.session.add(client)
            db.session.commit()
        data = {
            "barcodes": list(db.session.scalars(sa.select(Barcode.code).order_by(Barcode.id))),
            "phones": list(db.session.scalars(sa.select(ClientPhone.number).order_by(ClientPhone.id))),
            "cashiers": list(db.session.scalars(sa.select(User.email).where(User.role == Role.CASHIER)
                                                .order_by(User.id)))[:tills],
            "postgres": db.session.scalar(sa.text("SHOW server_version")),
        }
        db.engine.dispose()
    return data


# -------------------------------------------------------------------------------------- a till

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx is an answer to measure, not to follow


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.error_count = 0
        self.sales = 0

    def record(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latency[kind].append(seconds)

    def error(self, text: str) -> None:
        with self.lock:
            self.error_count += 1
            if len(self.errors) < 10:
                self.errors.append(text)


class TillError(Exception):
    pass


class Till:
    """One tablet: its own cookies, one cashier, the sale flow in a loop."""

    def __init__(self, base: str, email: str, data: dict, stats: Stats, seed: int):
        self.base, self.email, self.data, self.stats = base, email, data, stats
        self.rng = random.Random(seed)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect())
        self.csrf = ""

    def request(self, kind: str, method: str, path: str, form: dict | None = None, htmx: bool = False):
        body = urllib.parse.urlencode({"csrf_token": self.csrf, **form}).encode() if form is not None else None
        headers = {"HX-Request": "true", "X-CSRFToken": self.csrf} if htmx else {}
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
        started = time.perf_counter()
        try:
            with self.opener.open(req, timeout=60) as response:
                status, headers_out, text = response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as exc:  # 3xx (not followed) and 4xx/5xx come here
            status, headers_out, text = exc.code, exc.headers, exc.read().decode(errors="replace")
        except OSError as exc:
            self.stats.error(f"{kind} {method} {path}: {type(exc).__name__}: {exc}")
            raise TillError from exc
        self.stats.record(kind, time.perf_counter() - started)
        if not 200 <= status < 400:
            self.stats.error(f"{kind} {method} {path}: HTTP {status} {text[:200]!r}")
            raise TillError
        refused = TILL_ERROR.search(text)
        if refused:
            self.stats.error(f"{kind} {method} {path}: the till says {html.unescape(refused.group(1)).strip()!r}")
            raise TillError
        return status, headers_out, text

    def sign_in(self) -> None:
        _status, _h, page = self.request("login page", "GET", "/login")
        self.csrf = CSRF_INPUT.search(page).group(1)
        status, headers, _ = self.request("login", "POST", "/login", {"email": self.email, "password": PASSWORD})
        if status != 302 or "/cashier" not in headers.get("Location", ""):
            self.stats.error(f"login of {self.email}: {status} to {headers.get('Location')}")
            raise TillError
        status, headers, page = self.request("cashier home", "GET", "/cashier/")
        if status == 200:  # the shift is closed: open it with an empty float
            self.csrf = CSRF_META.search(page).group(1)
            self.request("open shift", "POST", "/cashier/shift/open", {"opening_float": "0"})
        _status, _h, page = self.request("sale page", "GET", "/cashier/sale")
        self.csrf = CSRF_META.search(page).group(1)
        self.request("clear cart", "POST", "/cashier/cart/clear", {}, htmx=True)  # a cart left by an earlier run

    def sell(self) -> None:
        for code in self.rng.sample(self.data["barcodes"], self.rng.randint(1, 4)):
            self.request("scan", "POST", "/cashier/cart/scan", {"code": code}, htmx=True)
        _s, _h, panel = self.request("attach client", "POST", "/cashier/cart/client",
                                     {"query": self.rng.choice(self.data["phones"])}, htmx=True)
        version = VERSION.search(panel).group(1)
        _s, headers, panel = self.request("pay", "POST", "/cashier/checkout",
                                          {"version": version, "mode": self.rng.choice(["cash", "card"])}, htmx=True)
        target = headers.get("HX-Redirect")
        if not target:
            self.stats.error(f"pay: no sale placed: {panel[:200]!r}")
            raise TillError
        self.request("receipt", "GET", urllib.parse.urlsplit(target).path)
        with self.stats.lock:
            self.stats.sales += 1

    def run(self, until: float) -> None:
        try:
            self.sign_in()
            while time.monotonic() < until:
                try:
                    self.sell()
                except TillError:
                    self.request("clear cart", "POST", "/cashier/cart/clear", {}, htmx=True)  # the next sale starts clean
        except (TillError, AttributeError) as exc:  # AttributeError: a page without the token it must have
            if isinstance(exc, AttributeError):
                self.stats.error(f"{self.email}: {exc}")


# ------------------------------------------------------------------------------------- reporting

def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def report(tills: int, seconds: float, stats: Stats) -> None:
    print(f"\n{tills} tills, {seconds:.0f} s: {stats.sales} sales = {stats.sales / seconds:.1f} sales/s, "
          f"errors {stats.error_count}")
    print("| request | count | req/s | p50 ms | p95 ms | p99 ms |\n|---|---:|---:|---:|---:|---:|")
    order = ["login page", "login", "cashier home", "open shift", "sale page", "clear cart", "scan", "attach client",
             "pay", "receipt"]
    for kind in sorted(stats.latency, key=lambda k: order.index(k) if k in order else 99):
        values = stats.latency[kind]
        print(f"| {kind} | {len(values)} | {len(values) / seconds:.1f} | {percentile(values, 50) * 1000:.0f} | "
              f"{percentile(values, 95) * 1000:.0f} | {percentile(values, 99) * 1000:.0f} |")
    for text in stats.errors[:5]:
        print("  error:", text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--tills", default="16,64", help="comma-separated numbers of concurrent tills")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="reuse the database when it exists")
    args = parser.parse_args()
    steps = [int(n) for n in args.tills.split(",")]
    data = build(args.database_url, max(steps), args.keep)
    print(f"machine: {os.cpu_count()} CPUs (nproc), load average {os.getloadavg()[0]:.1f}, "
          f"PostgreSQL {data['postgres']}, gunicorn {args.workers} sync workers, Python {sys.version.split()[0]}")
    env = served.server_env(args.database_url, PORTAL_DEFAULT_LOCALE="en")
    env.pop("PASSWORD_HASH_METHOD", None)  # production's argon2id
    errors = 0
    with served.Gunicorn(env, workers=args.workers, timeout=120) as server:
        for tills in steps:
            stats = Stats()
            started = time.monotonic()
            until = started + args.seconds
            threads = [threading.Thread(target=Till(server.url, email, data, stats, seed=i).run, args=(until,))
                       for i, email in enumerate(data["cashiers"][:tills])]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            report(tills, time.monotonic() - started, stats)
            errors += stats.error_count
        tracebacks = server.tracebacks()
    server.cleanup()
    if tracebacks:
        print(f"\n{len(tracebacks)} server tracebacks; the first:\n{tracebacks[0]}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

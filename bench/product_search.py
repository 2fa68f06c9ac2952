#!/usr/bin/env python
"""Does product search answer within 50 ms on 50 000 products? (issue 17, point 2)

Builds a database from the migrations (a temporary SQLite file by default, or the database named
by --database-url, which should be fresh and empty), fills it with --products products (default
50 000) named as a plumbing, heating and shoe shop names them (Cyrillic words, Latin brands,
sizes; one in ten with a shared Артикул, every one with a barcode, stock at one shop), then times
`catalog.find_products` — what the till, the manager's order editor and the catalogue call — for
typical queries, each --runs times (default 30), and prints the median and the 95th percentile in
milliseconds with the number of results.

    .venv/bin/python bench/product_search.py
    createdb -h 127.0.0.1 -U postgres portal_bench_search
    .venv/bin/python bench/product_search.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench_search

Not collected by pytest.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("SECRET_KEY", "bench-product-search")

KINDS = ["Кран шаровой", "Смеситель для кухни", "Радиатор биметаллический", "Котёл газовый настенный",
         "Фитинг пресс угол", "Труба полипропиленовая", "Насос циркуляционный", "Бойлер косвенного нагрева",
         "Ботфорты женские", "Кроссовки мужские", "Фильтр магистральный", "Клапан обратный",
         "Манометр радиальный", "Термостат комнатный", "Коллектор распределительный", "Счётчик воды"]
BRANDS = ["VALTEC", "Bugatti", "Grohe", "Rifar", "Baxi", "Vaillant", "Wilo", "Grundfos", "Oventrop",
          "Danfoss", "Rehau", "Hansgrohe", "Navien", "Bosch", "Zota", "Ecco", "Salamander"]
SIZES = ['1/2"', '3/4"', '1"', "20 мм", "25 мм", "32 мм", "24 кВт", "8 секций", "10 секций", "38", "39", "40"]

QUERIES = [
    ("one common word", "кран"),
    ("three words in the name's order", "кран шаровой valtec"),
    ("three words in any order", "valtec 1/2 кран"),
    ("an exact SKU", None),  # filled from the data
    ("the start of a SKU", None),
    ("a barcode", None),
    ("a word in the wrong layout (rhfy = кран)", "rhfy ифчш"),
    ("nothing matches", "несуществующий товар"),
]


def log(message: str) -> None:
    print(message, flush=True)


def build_app(url: str):
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SMS_BACKEND": "file"})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return app


def fill(count: int, seed: int = 15) -> tuple[str, str, int]:
    """Products, barcodes and the shop's stock; returns (a SKU, a barcode, the shop's id)."""
    from portal import bulk
    from portal.extensions import db
    from portal.models import Barcode, Product, Stock
    from portal.services.staff import locations

    rng = random.Random(seed)
    shop = locations.create_location(None, locations.LocationInput(code="SH1", name="Shop", kind="shop"))
    products = []
    for n in range(count):
        kind, brand, size = rng.choice(KINDS), rng.choice(BRANDS), rng.choice(SIZES)
        prefix = brand[:2].upper()
        article = f"{prefix}-{n // 10:05d}" if n % 10 == 0 else None
        products.append({"sku": f"{prefix}-{n:06d}", "name": f"{kind} {brand} {size} арт.{rng.randint(100, 999)}",
                         "price": rng.randint(100, 100_000) * 100, "active": True, "returnable": True,
                         "discountable": True, "warranty_months": 0, "article": article})
    bulk.insert(Product.__table__, products)
    ids = dict(db.session.execute(db.select(Product.sku, Product.id)).all())
    bulk.insert(Barcode.__table__, [{"product_id": ids[p["sku"]], "code": f"46{n:011d}"}
                                    for n, p in enumerate(products)])
    bulk.insert(Stock.__table__, [{"product_id": pid, "location_id": shop.id, "quantity": rng.randint(0, 20)}
                                  for pid in ids.values()])
    db.session.commit()
    middle = products[count // 2]
    return middle["sku"], f"46{count // 2:011d}", shop.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/search.sqlite3"
        app = build_app(url)
        with app.app_context():
            from portal.extensions import db
            from portal.services.sales import catalog

            started = time.perf_counter()
            sku, barcode, shop_id = fill(args.products)
            if db.engine.dialect.name == "postgresql":
                db.session.execute(db.text("ANALYZE products"))
                db.session.commit()
            log(f"{args.products:,} products written in {time.perf_counter() - started:.1f} s; "
                f"{db.engine.dialect.name}, {args.runs} runs per query, limit 12 as the till asks")
            queries = dict(QUERIES)
            queries["an exact SKU"] = sku
            queries["the start of a SKU"] = sku[:-2]
            queries["a barcode"] = barcode
            worst = 0.0
            for label, text in queries.items():
                times, found = [], 0
                for _ in range(args.runs):
                    db.session.expunge_all()
                    began = time.perf_counter()
                    found = len(catalog.find_products(text, shop_id, 12))
                    times.append((time.perf_counter() - began) * 1000)
                    db.session.rollback()
                times.sort()
                p95 = times[max(0, int(len(times) * 0.95) - 1)]
                worst = max(worst, p95)
                log(f"  {label:45} {text!r:28} median {statistics.median(times):6.1f} ms, "
                    f"p95 {p95:6.1f} ms, {found} results")
            log(f"slowest p95: {worst:.1f} ms (target 50 ms)")
            db.engine.dispose()


if __name__ == "__main__":
    main()

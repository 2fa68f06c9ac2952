#!/usr/bin/env python
"""The 1C catalogue exchange at scale (issue 15, point 7): does a catalogue of `--offers` offers
(default 50 000) import in steps that each answer 1C within ONEC_STEP_SECONDS, at ≥ 2 000
offers per second overall?

1. Writes a CommerceML 2.07 package in the shape 1C:Розница exports (see
   tests/fixtures/onec/real/README.md): `import.xml` with a classifier of 40 groups and
   `offers / 5` products (four in five sold by size, a fifth plain; every 25th product shares its
   Артикул with the one before, every 40th has none; VAT 20 %, 10 % or none), and `offers.xml`
   with two price types, three warehouses (one the portal does not know) and one offer per size
   (`product#characteristic`, five sizes) or per plain product, each with its stock per
   warehouse — `--offers` offers in all.
2. Builds a fresh database (default: a temporary SQLite file; `--database-url` for PostgreSQL —
   give it an empty database) from the migrations, with the two locations the warehouses map to.
3. Drives the exchange over HTTP exactly as 1C does (checkauth, init, file in parts, then
   `mode=import` until `success`) for import.xml and then offers.xml, timing every step.
4. Prints, per file: steps, the slowest step against ONEC_STEP_SECONDS, items/s and items per CPU
   second (the process's own time: what the rate is when the machine has nothing else to do);
   offers/s overall; and checks that every offer arrived (products, variants and the summary's counts).

    .venv/bin/python bench/onec_catalog.py                       # 50 000 offers on SQLite
    .venv/bin/python bench/onec_catalog.py --offers 5000         # a quick look
    createdb -h 127.0.0.1 -U postgres portal_bench_onec
    .venv/bin/python bench/onec_catalog.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench_onec

Not collected by pytest.
"""
from __future__ import annotations

import argparse
import base64
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NS = 'xmlns="urn:1C.ru:commerceml_2" xmlns:xs="http://www.w3.org/2001/XMLSchema" ' \
     'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
CATALOG = "a3f1c2d0-6b2e-11e9-80d3-00155d0a1b02"
WAREHOUSES = [("d7e10001-5a2c-11e9-80d1-00155d0a1b02", "Основной склад"),
              ("d7e10002-5a2c-11e9-80d1-00155d0a1b02", "Магазин на Садовой"),
              ("d7e10003-5a2c-11e9-80d1-00155d0a1b02", "Склад некондиции")]
RETAIL, WHOLESALE = "e58b0001-5a2c-11e9-80d1-00155d0a1b02", "e58b0002-5a2c-11e9-80d1-00155d0a1b02"
SIZES = ["37", "38", "39", "40", "41"]
LOGIN, PASSWORD = "bench-1c", "bench-password"


def log(message: str = "") -> None:
    print(message, flush=True)


def product_id(n: int) -> str:
    return f"{n:08x}-6b4c-11e9-80d3-00155d0a1b02"


def size_id(n: int, s: int) -> str:
    return f"{n:04x}{s:04x}-7e11-11e9-80d5-00155d0a1b02"


def group_id(g: int) -> str:
    return f"3c7e{g:04x}-5a2b-11e9-80d1-00155d0a1b02"


def article(n: int) -> str | None:
    if n % 40 == 0:
        return None
    return f"АР-{(n - 1 if n % 25 == 0 else n):06d}"


def sized(n: int) -> bool:
    return n % 5 != 0


def plan(offers: int) -> list[int]:
    """Product numbers whose offers add up to `offers` (five per sized product, one per plain)."""
    numbers, total, n = [], 0, 0
    while total < offers:
        n += 1
        count = len(SIZES) if sized(n) else 1
        if total + count > offers:
            count = 1
            while sized(n):
                n += 1
        numbers.append(n)
        total += count
    return numbers


def write_import(path: Path, numbers: list[int]) -> None:
    vat = ["20", "20", "20", "10", "Без налога"]
    with path.open("w", encoding="utf-8") as f:
        f.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация {NS} ВерсияСхемы="2.07" '
                f'ДатаФормирования="2026-12-07T10:00:00">\n\t<Классификатор>\n\t\t<Ид>{CATALOG}</Ид>\n'
                f'\t\t<Наименование>Классификатор (Основной каталог товаров)</Наименование>\n\t\t<Группы>\n')
        for g in range(1, 41):
            f.write(f"\t\t\t<Группа><Ид>{group_id(g)}</Ид><Наименование>Группа {g}</Наименование></Группа>\n")
        f.write(f'\t\t</Группы>\n\t</Классификатор>\n\t<Каталог СодержитТолькоИзменения="false">\n'
                f'\t\t<Ид>{CATALOG}</Ид>\n\t\t<ИдКлассификатора>{CATALOG}</ИдКлассификатора>\n'
                f'\t\t<Наименование>Основной каталог товаров</Наименование>\n\t\t<Товары>\n')
        for n in numbers:
            sku = article(n)
            unit = '<БазоваяЕдиница Код="715" НаименованиеПолное="Пара (2 шт.)" МеждународноеСокращение="NPR">' \
                   'пар</БазоваяЕдиница>' if sized(n) else \
                   '<БазоваяЕдиница Код="796" НаименованиеПолное="Штука" МеждународноеСокращение="PCE">шт</БазоваяЕдиница>'
            f.write(f"\t\t\t<Товар>\n\t\t\t\t<Ид>{product_id(n)}</Ид>\n"
                    + (f"\t\t\t\t<Артикул>{sku}</Артикул>\n" if sku else "")
                    + f"\t\t\t\t<Наименование>Товар № {n} {'обувь' if sized(n) else 'аксессуар'}</Наименование>\n"
                    f"\t\t\t\t{unit}\n\t\t\t\t<Группы><Ид>{group_id(n % 40 + 1)}</Ид></Группы>\n\t\t\t\t<Описание/>\n"
                    f"\t\t\t\t<СтавкиНалогов><СтавкаНалога><Наименование>НДС</Наименование>"
                    f"<Ставка>{vat[n % 5]}</Ставка></СтавкаНалога></СтавкиНалогов>\n"
                    f"\t\t\t\t<ЗначенияРеквизитов><ЗначениеРеквизита><Наименование>ВидНоменклатуры</Наименование>"
                    f"<Значение>Товар</Значение></ЗначениеРеквизита></ЗначенияРеквизитов>\n\t\t\t</Товар>\n")
        f.write("\t\t</Товары>\n\t</Каталог>\n</КоммерческаяИнформация>\n")


def _offer(f, onec_id: str, name: str, sku: str | None, n: int, k: int) -> None:
    retail = 1000 + (n * 37 + k) % 9000
    stocks = [(n + k) % 7, (n * 3 + k) % 4, (n + 2 * k) % 9 == 0]
    f.write(f"\t\t\t<Предложение>\n\t\t\t\t<Ид>{onec_id}</Ид>\n"
            + (f"\t\t\t\t<Артикул>{sku}</Артикул>\n" if sku else "")
            + f"\t\t\t\t<Наименование>{name}</Наименование>\n"
            f'\t\t\t\t<БазоваяЕдиница Код="715" НаименованиеПолное="Пара (2 шт.)"/>\n\t\t\t\t<Цены>\n'
            f"\t\t\t\t\t<Цена><Представление> {retail} руб. за пар</Представление><ИдТипаЦены>{RETAIL}</ИдТипаЦены>"
            f"<ЦенаЗаЕдиницу>{retail}</ЦенаЗаЕдиницу><Валюта>руб</Валюта><Единица>пар</Единица>"
            f"<Коэффициент>1</Коэффициент></Цена>\n"
            f"\t\t\t\t\t<Цена><Представление> {retail * 4 // 5} руб. за пар</Представление><ИдТипаЦены>{WHOLESALE}"
            f"</ИдТипаЦены><ЦенаЗаЕдиницу>{retail * 4 // 5}</ЦенаЗаЕдиницу><Валюта>руб</Валюта>"
            f"<Единица>пар</Единица><Коэффициент>1</Коэффициент></Цена>\n\t\t\t\t</Цены>\n"
            f"\t\t\t\t<Количество>{sum(int(x) for x in stocks)}</Количество>\n")
    for (warehouse, _name), quantity in zip(WAREHOUSES, stocks):
        f.write(f'\t\t\t\t<Склад ИдСклада="{warehouse}" КоличествоНаСкладе="{int(quantity)}"/>\n')
    f.write("\t\t\t</Предложение>\n")


def write_offers(path: Path, numbers: list[int]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as f:
        f.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация {NS} ВерсияСхемы="2.07" '
                f'ДатаФормирования="2026-12-07T10:00:00">\n'
                f'\t<ПакетПредложений СодержитТолькоИзменения="false">\n\t\t<Ид>{CATALOG}#</Ид>\n'
                f"\t\t<ИдКаталога>{CATALOG}</ИдКаталога>\n\t\t<ИдКлассификатора>{CATALOG}</ИдКлассификатора>\n"
                f"\t\t<ТипыЦен>\n")
        for type_id, name in ((RETAIL, "Розничная"), (WHOLESALE, "Оптовая")):
            f.write(f"\t\t\t<ТипЦены><Ид>{type_id}</Ид><Наименование>{name}</Наименование><Валюта>руб</Валюта>"
                    f"<Налог><Наименование>НДС</Наименование><УчтеноВСумме>true</УчтеноВСумме></Налог></ТипЦены>\n")
        f.write("\t\t</ТипыЦен>\n\t\t<Склады>\n")
        for warehouse, name in WAREHOUSES:
            f.write(f"\t\t\t<Склад><Ид>{warehouse}</Ид><Наименование>{name}</Наименование></Склад>\n")
        f.write("\t\t</Склады>\n\t\t<Предложения>\n")
        for n in numbers:
            name = f"Товар № {n} {'обувь' if sized(n) else 'аксессуар'}"
            if sized(n):
                for k, size in enumerate(SIZES, start=1):
                    _offer(f, f"{product_id(n)}#{size_id(n, k)}", f"{name} ({size})", article(n), n, k)
                    count += 1
            else:
                _offer(f, product_id(n), name, article(n), n, 0)
                count += 1
        f.write("\t\t</Предложения>\n\t</ПакетПредложений>\n</КоммерческаяИнформация>\n")
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offers", type=int, default=50_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--step-seconds", type=float, default=20.0, help="ONEC_STEP_SECONDS")
    parser.add_argument("--step-items", type=int, default=20000, help="ONEC_STEP_ITEMS (the portal's default)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-onec-"))
    url = args.database_url or f"sqlite:///{work / 'portal.sqlite3'}"
    numbers = plan(args.offers)
    started = time.perf_counter()
    write_import(work / "import.xml", numbers)
    offers = write_offers(work / "offers.xml", numbers)
    log(f"package: {len(numbers)} products, {offers} offers; import.xml {os.path.getsize(work / 'import.xml') >> 20} MB, "
        f"offers.xml {os.path.getsize(work / 'offers.xml') >> 20} MB, written in {time.perf_counter() - started:.1f} s")

    os.environ["DATABASE_URL"] = url
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db
    from portal.models import Product
    from portal.services.staff import locations

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ONEC_LOGIN": LOGIN, "ONEC_PASSWORD": PASSWORD,
                      "ONEC_PRICE_TYPE": "Розничная", "ONEC_STEP_SECONDS": args.step_seconds,
                      "ONEC_STEP_ITEMS": args.step_items, "ONEC_FILE_LIMIT": 8 * 2 ** 20, "ONEC_ZIP": False})
    app.instance_path = str(work / "instance")
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        locations.create_location(None, locations.LocationInput(code="MAIN", name="Основной склад", kind="warehouse",
                                                                is_main=True))
        locations.create_location(None, locations.LocationInput(code="SAD", name="Магазин на Садовой", kind="shop"))
    http = app.test_client(use_cookies=False)
    auth = {"Authorization": "Basic " + base64.b64encode(f"{LOGIN}:{PASSWORD}".encode()).decode()}
    answer = http.get("/exchange", query_string={"type": "catalog", "mode": "checkauth"}, headers=auth)
    _status, cookie_name, cookie_value = answer.get_data(as_text=True).split("\n")[:3]
    headers = {"Cookie": f"{cookie_name}={cookie_value}"}
    http.get("/exchange", query_string={"type": "catalog", "mode": "init"}, headers=headers)

    log(f"Python {platform.python_version()}, {url.split(':')[0]}, ONEC_STEP_SECONDS={args.step_seconds}, "
        f"ONEC_STEP_ITEMS={args.step_items}")
    total_seconds = total_cpu = 0.0
    for filename, items in (("import.xml", len(numbers) + 1), ("offers.xml", offers)):
        data = (work / filename).read_bytes()
        limit = 8 * 2 ** 20
        for i in range(0, len(data), limit):
            http.post("/exchange", query_string={"type": "catalog", "mode": "file", "filename": filename},
                      headers=headers, data=data[i:i + limit], content_type="application/octet-stream")
        steps, slowest, began, cpu = 0, 0.0, time.perf_counter(), time.process_time()
        while True:
            t = time.perf_counter()
            reply = http.get("/exchange", query_string={"type": "catalog", "mode": "import", "filename": filename},
                             headers=headers).get_data(as_text=True).split("\n")
            slowest = max(slowest, time.perf_counter() - t)
            steps += 1
            if reply[0] != "progress":
                break
        seconds = time.perf_counter() - began
        cpu = time.process_time() - cpu
        total_seconds += seconds if filename == "offers.xml" else 0
        total_cpu += cpu if filename == "offers.xml" else 0
        log(f"{filename}: {reply[0]} — {reply[1] if len(reply) > 1 else ''}")
        log(f"  {steps} steps, slowest {slowest:.2f} s (limit {args.step_seconds:g} s), {seconds:.1f} s, "
            f"{items / seconds:,.0f} items/s; CPU {cpu:.1f} s, {items / cpu:,.0f} items per CPU second")
        if reply[0] != "success":
            sys.exit(1)
    with app.app_context():
        variants = db.session.scalar(db.select(db.func.count(Product.id)).where(Product.parent_id.is_not(None)))
        plain = db.session.scalar(db.select(db.func.count(Product.id)).where(Product.parent_id.is_(None)))
    log(f"offers: {offers / total_seconds:,.0f} offers/s overall (target ≥ 2 000), {offers / total_cpu:,.0f} per CPU "
        f"second (the rate on a machine with nothing else to do); products {plain}, "
        f"variants {variants}, sellable offers {variants + sum(1 for n in numbers if not sized(n))} of {offers}")


if __name__ == "__main__":
    main()

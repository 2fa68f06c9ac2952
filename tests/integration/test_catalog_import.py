"""flask catalog import: products by SKU from a CSV file, row by row, bad rows reported by line."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.integrations.catalog_csv import writing
from portal.integrations.catalog_csv.writing import CatalogFileError, import_catalog
from portal.models import Barcode, Product, Section, Stock

from ..factories import make_location, make_product

HEADER = "sku;name;section;price;barcode;returnable;discountable;warranty_months;stock:MAIN;stock:sh1;stock:SH2"

# Semicolons, comma decimals, CRLF and a BOM, as Excel in a Russian locale writes them.
# The comment on each line is its line number in the file.
MAIN_LINES = [
    HEADER,                                                                                              # 1
    "KT-100;Котёл газовый настенный 24 кВт;ОТОПЛЕНИЕ / Котлы / Газовые;45 990,00;"
    "4601234567893|4601234567886;да;нет;24;5;1;",                                                        # 2
    'RAD-500;"Радиатор биметаллический; 10 секций";Отопление / Радиаторы;7450,5;'
    "4600000000017 4600000000024;yes;YES;12;40;;3",                                                      # 3
    "",                                                                                                  # 4
    "PIPE-20;Труба PPR 20 мм;Водоснабжение / Трубы;89,90;;1;0;;1 000;200;0",                             # 5
    "BAD-PRICE;Кран шаровой;Водоснабжение;12,345;;;;;;;",                                                # 6
    "BAD-NEG;Кран шаровой;Водоснабжение;-5;;;;;;;",                                                      # 7
    "NONAME;;Водоснабжение;10;;;;;;;",                                                                   # 8
    "BAD-STOCK;Фитинг;Водоснабжение;10;;;;;-3;;",                                                        # 9
    "BAD-WAR;Фитинг;Водоснабжение;10;;;;1,5;;;",                                                         # 10
    "BAD-BOOL;Фитинг;Водоснабжение;10;;может;;;;;",                                                      # 11
    "DUP-BC;Котёл-клон;Новый раздел / Не должен появиться;100;4601234567893;;;;;;",                      # 12
    "RAD-500;Радиатор (повтор);Отопление / Радиаторы;1;;;;;;;",                                          # 13
    "OLD-1;Насос циркуляционный;Отопление / Насосы;3 200,00;2000000000022|2000000000039;;нет;36;;0;4",   # 14
    'MIX-1;"Смеситель',                                                                                  # 15
    'для кухни";Водоснабжение / Смесители;2 499;2000000000046;так;ні;60;;;',                             # 16
    "SHORT;Короткая строка;Водоснабжение;10",                                                            # 17
    ";;;;;;;;;;",                                                                                        # 18
    "old-2;Бойлер косвенного нагрева;отопление / бойлеры;19 999,99;;ні;так;;2;;",                        # 19
    "NEW-BC;Насос запасной;Отопление / Насосы;1500;2000000000015;;;;;;",                                 # 20
    "MULTI;;Отопление;abc;;;;;;;1.5",                                                                    # 21
]

MAIN_REJECTED = [
    (6, 'price "12,345": not an amount with at most two decimals'),
    (7, 'price "-5": amount is negative'),
    (8, "name is empty"),
    (9, 'stock:MAIN "-3": negative'),
    (10, 'warranty_months "1,5": not a whole number'),
    (11, 'returnable "может": not yes/no'),
    (12, "barcode 4601234567893 already belongs to SKU KT-100"),
    (13, "sku RAD-500 already appeared on line 3"),
    (17, "the row has 4 cells but the header has 11 (a separator inside an unquoted value?)"),
    (21, 'name is empty; price "abc": not an amount with at most two decimals; stock:SH2 "1.5": not a whole number'),
]

# sku: (name, section path, price, returnable, discountable, warranty, barcodes, {location: qty})
MAIN_EXPECTED = {
    "KT-100": ("Котёл газовый настенный 24 кВт", "Отопление / Котлы / Газовые", 45_990_00, True, False, 24,
               ["4601234567893", "4601234567886"], {"MAIN": 5, "SH1": 1}),
    "RAD-500": ("Радиатор биметаллический; 10 секций", "Отопление / Радиаторы", 7_450_50, True, True, 12,
                ["4600000000017", "4600000000024"], {"MAIN": 40, "SH2": 3}),
    "PIPE-20": ("Труба PPR 20 мм", "Водоснабжение / Трубы", 89_90, True, False, 0, [],
                {"MAIN": 1000, "SH1": 200, "SH2": 0}),
    # existing: returnable kept (empty cell), MAIN kept (empty cell), barcode ...015 dropped
    "OLD-1": ("Насос циркуляционный", "Отопление / Насосы", 3_200_00, False, False, 36,
              ["2000000000022", "2000000000039"], {"MAIN": 7, "SH1": 0, "SH2": 4}),
    "MIX-1": ("Смеситель для кухни", "Водоснабжение / Смесители", 2_499_00, True, False, 60, ["2000000000046"], {}),
    # existing, matched by "old-2"; keeps its spelling of the SKU
    "OLD-2": ("Бойлер косвенного нагрева", "Отопление / бойлеры", 19_999_99, False, True, 0, [], {"MAIN": 2}),
    # takes the barcode OLD-1 gave up on line 14
    "NEW-BC": ("Насос запасной", "Отопление / Насосы", 1_500_00, True, True, 0, ["2000000000015"], {}),
}

MAIN_SECTIONS = {"Отопление", "Отопление / Котлы", "Отопление / Котлы / Газовые", "Отопление / Радиаторы",
                 "Отопление / Насосы", "Отопление / бойлеры", "Водоснабжение", "Водоснабжение / Трубы",
                 "Водоснабжение / Смесители"}


def write(path, lines, *, bom=False, newline="\r\n", encoding="utf-8"):
    path.write_bytes((("\ufeff" if bom else "") + newline.join(lines) + newline).encode(encoding))
    return path


@pytest.fixture
def existing(ctx):
    """Locations MAIN, SH1, SH2; a root section; OLD-1 (stock, two barcodes, not returnable) and OLD-2."""
    main, sh1, sh2 = make_location("warehouse", code="MAIN"), make_location(code="SH1"), make_location(code="SH2")
    db.session.add(Section(name="Отопление"))
    old1 = make_product("OLD-1", 100_00, stock={main: 7, sh1: 2}, returnable=False)
    old1.barcodes = [Barcode(code="2000000000015"), Barcode(code="2000000000022")]
    make_product("OLD-2", 500_00)
    db.session.commit()
    return {"MAIN": main.id, "SH1": sh1.id, "SH2": sh2.id}


def catalogue_state() -> dict:
    db.session.expire_all()
    state = {}
    for product in db.session.scalars(sa.select(Product).order_by(Product.sku)):
        stock = {s.location.code: s.quantity for s in product.stock}
        state[product.sku] = (product.name, product.section.path if product.section else None, product.price,
                              product.returnable, product.discountable, product.warranty_months,
                              [b.code for b in product.barcodes], stock)
    return state


def section_paths() -> set[str]:
    return {s.path for s in db.session.scalars(sa.select(Section))}


def counts() -> tuple[int, int, int, int]:
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model))
                 for model in (Product, Section, Barcode, Stock))


def test_realistic_file(existing, tmp_path):
    path = write(tmp_path / "каталог.csv", MAIN_LINES, bom=True)
    result = import_catalog(path)
    assert (result.created, result.updated, result.rejected) == (5, 2, MAIN_REJECTED)
    assert result.summary() == "created 5, updated 2, rejected 10"
    assert catalogue_state() == MAIN_EXPECTED
    assert section_paths() == MAIN_SECTIONS


def test_reimport_updates_instead_of_duplicating(existing, tmp_path):
    path = write(tmp_path / "catalog.csv", MAIN_LINES, bom=True)
    import_catalog(path)
    before = counts()
    result = import_catalog(path)
    assert (result.created, result.updated, result.rejected) == (0, 7, MAIN_REJECTED)
    assert counts() == before == (7, 9, 8, 11)
    assert catalogue_state() == MAIN_EXPECTED

    # The same catalogue later, from another program: commas, dot decimals, LF, no BOM, other columns order.
    result = import_catalog(write(tmp_path / "update.csv", [
        "SKU,Price,Name,Section,Barcode,Returnable,Discountable,Warranty_Months,stock:SH2",
        'kt-100,46500.00,"Котёл газовый, настенный",Отопление / Котлы / Газовые,,FALSE,true,36,2',
        "PIPE-20,95.5,Труба PPR 20 мм,водоснабжение / трубы,4600000000031,,,,",
        "NEW-1,10,Новинка,Новое / Подраздел,,,,,7",
    ], newline="\n"))
    assert (result.created, result.updated, result.rejected) == (1, 2, [])
    state = catalogue_state()
    assert state["KT-100"] == ("Котёл газовый, настенный", "Отопление / Котлы / Газовые", 46_500_00, False, True,
                               36, ["4601234567893", "4601234567886"], {"MAIN": 5, "SH1": 1, "SH2": 2})
    assert state["PIPE-20"] == ("Труба PPR 20 мм", "Водоснабжение / Трубы", 95_50, True, False, 0,
                                ["4600000000031"], {"MAIN": 1000, "SH1": 200, "SH2": 0})
    assert state["NEW-1"] == ("Новинка", "Новое / Подраздел", 10_00, True, True, 0, [], {"SH2": 7})
    assert section_paths() == MAIN_SECTIONS | {"Новое", "Новое / Подраздел"}
    assert len(state) == 8


def test_cli_imports_and_reports(existing, app, runner, tmp_path):
    path = write(tmp_path / "catalog.csv", MAIN_LINES, bom=True)
    result = runner.invoke(args=["catalog", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "\n".join(["created 5, updated 2, rejected 10"]
                                      + [f"line {line}: {reason}" for line, reason in MAIN_REJECTED]) + "\n"
    assert "Importing catalog.csv" in result.stderr
    assert catalogue_state() == MAIN_EXPECTED

    result = runner.invoke(args=["catalog", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("created 0, updated 7, rejected 10\n")


UNREADABLE = {
    "missing": (None, "no such file"),
    "not UTF-8": (lambda p: write(p, MAIN_LINES, encoding="cp1251"),
                  'the file is not UTF-8 text (byte 0xCA on line 2); save it as "CSV UTF-8"'),
    "empty": (lambda p: p.write_bytes(b""), "the file is empty or its first line (the header) is blank"),
    "BOM only": (lambda p: p.write_bytes(b"\xef\xbb\xbf\r\n"), "the header) is blank"),
    "no header": (lambda p: write(p, MAIN_LINES[1:3]), "invalid header: missing column(s): sku, name, section"),
    "missing column": (lambda p: write(p, ["sku;name;section;price;barcode;returnable;warranty_months",
                                           "A;B;;1;;;"]),
                       "invalid header: missing column(s): discountable"),
    "unknown column": (lambda p: write(p, [HEADER + ";colour", "A;B;;1;;;;;;;;"]),
                       "invalid header: unknown column 'colour'"),
    "unknown location": (lambda p: write(p, [HEADER + ";stock:NOPE;stock:sh9", "A;B;;1;;;;;;;;1;2"]),
                         "invalid header: unknown location code(s) in stock columns: NOPE, SH9"),
    "directory": (lambda p: p.mkdir(), "it is a directory, not a file"),
    "unclosed quote": (lambda p: write(p, MAIN_LINES[:3] + ['X;"Кран;Сад;1;;;;;;;'] + MAIN_LINES[5:]),
                       "line 4: not valid CSV ("),
}


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_cli_refuses_unreadable_files(case, existing, app, runner, tmp_path):
    make, message = UNREADABLE[case]
    path = tmp_path / "catalog.csv"
    if make:
        make(path)
    before = counts()
    result = runner.invoke(args=["catalog", "import", str(path)])
    assert result.exit_code == 1, result.output
    assert f"Error: cannot import {path}: " in result.stderr
    assert message in result.stderr
    assert result.stdout == ""
    with app.app_context():
        assert counts() == before


def test_header_only_imports_nothing(existing, runner, tmp_path):
    result = runner.invoke(args=["catalog", "import", str(write(tmp_path / "c.csv", [HEADER]))])
    assert result.exit_code == 0, result.output
    assert result.stdout == "created 0, updated 0, rejected 0\n"


def test_file_objects_and_progress(existing):
    text = "\ufeff" + "\n".join([HEADER, "A;Первый;;1;;;;;1;;", "B;;;1;;;;;;;", "C;Третий;;1;;;;;;;"]) + "\n"
    calls = []
    result = import_catalog(io.BytesIO(text.encode()), progress=lambda done, total: calls.append((done, total)))
    assert (result.created, result.updated, result.rejected) == (2, 0, [(3, "name is empty")])
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]
    result = import_catalog(io.StringIO(text))
    assert (result.created, result.updated, len(result.rejected)) == (0, 2, 1)
    with pytest.raises(CatalogFileError, match="not UTF-8"):
        import_catalog(io.BytesIO(b"sku\xff"))


def test_a_row_the_database_refuses_is_rolled_back_alone(existing, monkeypatch):
    """Each row has its own savepoint: a refusal from the database undoes that row only, in any batch."""
    real = writing.stock.set_level

    def clashing(product_id, location_id, qty):
        real(product_id, location_id, qty)
        if qty == 13:  # a second row for the same (product, location): the unique constraint refuses it
            db.session.execute(sa.insert(Stock.__table__).values(
                product_id=product_id, location_id=location_id, quantity=qty))

    monkeypatch.setattr(writing.stock, "set_level", clashing)
    lines = [HEADER]
    for n in range(1, 8):
        lines.append(f"P-{n};Товар {n};Раздел {n} / Подраздел;{n};{n:013d};;;;{13 if n in (2, 5) else n};;")
    result = import_catalog(io.StringIO("\n".join(lines)), batch_size=2)
    assert result.created == 5 and result.updated == 0
    assert [line for line, _ in result.rejected] == [3, 6]
    assert all(reason.startswith("the database refused the row: ") for _, reason in result.rejected)
    state = catalogue_state()
    assert sorted(state) == ["OLD-1", "OLD-2", "P-1", "P-3", "P-4", "P-6", "P-7"]
    assert state["P-7"] == ("Товар 7", "Раздел 7 / Подраздел", 7_00, True, True, 0, ["0000000000007"], {"MAIN": 7})
    assert not {"Раздел 2", "Раздел 5"} & section_paths()
    assert db.session.scalar(sa.select(sa.func.count(Barcode.id)).where(
        Barcode.code.in_(["0000000000002", "0000000000005"]))) == 0


def test_sections_created_by_a_rejected_row_are_not_reused(existing):
    """A section made inside a row that is then refused goes with it; the next row makes its own."""
    result = import_catalog(io.StringIO("\n".join([
        HEADER,
        "A;Первый;Сад / Грили;1;2000000000022;;;;;;",   # barcode of OLD-1: refused after the sections were made
        "B;Второй;сад / грили;1;;;;;;;",
    ])))
    assert result.rejected == [(2, "barcode 2000000000022 already belongs to SKU OLD-1")]
    assert catalogue_state()["B"][1] == "сад / грили"


def test_sku_that_matches_two_products_by_case_is_rejected(existing):
    make_product("ab-1", 1)
    make_product("AB-1", 1)
    result = import_catalog(io.StringIO("\n".join([HEADER, "Ab-1;X;;1;;;;;;;"])))
    assert result.rejected == [(2, "sku matches several products differing only in case: ab-1, AB-1")]
    result = import_catalog(io.StringIO("\n".join([HEADER, "ab-1;Y;;2;;;;;;;"])))  # an exact match wins
    assert (result.created, result.updated, result.rejected) == (0, 1, [])
    assert catalogue_state()["ab-1"][0] == "Y" and catalogue_state()["AB-1"][0] == "Product AB-1"


def test_an_optional_vat_column_sets_each_products_rate_and_an_empty_cell_keeps_it(existing, tmp_path):
    old2 = db.session.scalar(db.select(Product).where(Product.sku == "OLD-2"))
    old2.vat_rate = "10"
    db.session.commit()
    path = write(tmp_path / "vat.csv", [
        "sku;name;section;price;barcode;returnable;discountable;warranty_months;VAT",
        "NEW-20;Дрель;;100,00;;;;0;НДС 20%",
        "NEW-NO;Сертификат;;50,00;;;;0;без НДС",
        "NEW-DEF;Гвоздь;;1,00;;;;0;",
        "OLD-2;Old two;;500,00;;;;0;",
        "OLD-1;Old one;;100,00;;;;0;20.5",
    ])
    result = import_catalog(path)
    assert (result.created, result.updated) == (3, 1)
    assert result.rejected == [(6, 'vat "20.5": not a VAT rate (a whole percentage such as 20, or none)')]
    rates = dict(db.session.execute(db.select(Product.sku, Product.vat_rate)).all())
    assert rates == {"NEW-20": "20", "NEW-NO": "none", "NEW-DEF": None, "OLD-2": "10", "OLD-1": None}

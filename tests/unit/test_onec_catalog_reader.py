"""The streaming reader of 1C's catalogue files and the exchange's file names, without a database."""
from __future__ import annotations

from pathlib import Path

import pytest

from portal.integrations.onec import catalog_reader
from portal.integrations.onec.catalog_reader import (
    Card,
    CatalogXmlError,
    Groups,
    OfferItem,
    PackageKind,
    PriceTypes,
    Warehouse,
    Warehouses,
)
from portal.integrations.onec.protocol import ExchangeError, safe_filename

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "onec"


def items(name: str) -> list:
    return list(catalog_reader.read_items(FIXTURES / name))


def test_import_xml_gives_the_package_kind_the_groups_tree_and_the_cards_in_order():
    found = items("import.xml")
    assert [type(i).__name__ for i in found] == ["Groups", "PackageKind", "Card", "Card", "Card", "Card", "Card"]
    groups = found[0]
    assert isinstance(groups, Groups)
    assert [(g.name, g.parent_id[-1:] if g.parent_id else None) for g in groups.groups] == [
        ("Отопление", None), ("Котлы газовые", "1"), ("Радиаторы", "1"), ("Биметаллические", "3"), ("Сантехника", None)]
    assert found[1] == PackageKind("catalog", False)
    boiler = found[2]
    assert boiler == Card(onec_id="b2000000-0000-0000-0000-000000000001", sku="КГ-24",
                          name="Котёл газовый настенный «Тепло» 24 кВт", barcode="4607001234567",
                          group_id="a1000000-0000-0000-0000-000000000002", deleted=False, vat="20", unit="шт")
    assert found[5].deleted is True and found[6].sku == ""


def test_offers_xml_gives_price_types_before_the_offers_with_prices_and_quantities():
    found = items("offers.xml")
    assert found[0] == PackageKind("offers", False)
    types = found[1]
    assert isinstance(types, PriceTypes)
    assert [(t.name, t.currency) for t in types.types] == [("Розничная", "руб"), ("Оптовая", "RUB")]
    assert found[2] == Warehouses([Warehouse("d4000000-0000-0000-0000-000000000001", "Основной склад"),
                                   Warehouse("d4000000-0000-0000-0000-000000000002", "Склад «Север»")])
    boiler, radiator, mixer, variant = found[3:]
    assert isinstance(boiler, OfferItem)
    assert boiler.prices == {"c3000000-0000-0000-0000-000000000001": "45990.50",
                             "c3000000-0000-0000-0000-000000000002": "41000"}
    assert boiler.quantity == "12"  # Склад 7 + 5
    assert boiler.stores == {"d4000000-0000-0000-0000-000000000001": "7", "d4000000-0000-0000-0000-000000000002": "5"}
    assert radiator.stores is None  # only a total
    assert radiator.quantity == "30.000" and radiator.prices["c3000000-0000-0000-0000-000000000001"] == "8 749,99"
    assert mixer.quantity == "-2"
    assert "#" in variant.onec_id


def test_a_windows_1251_file_reads_as_its_declaration_says():
    found = items("offers_cp1251.xml")
    assert found[0] == PackageKind("offers", True)
    assert found[1].types[1].name == "Оптовая"
    assert found[2].prices["c3000000-0000-0000-0000-000000000002"] == "7650.10"


def test_a_broken_file_is_named_with_line_and_column():
    with pytest.raises(CatalogXmlError, match=r"bad.xml is not well-formed XML \(line 22, column 28\)"):
        catalog_reader.check_well_formed(FIXTURES / "bad.xml")
    catalog_reader.check_well_formed(FIXTURES / "import.xml")


def test_another_root_element_is_refused(tmp_path):
    path = tmp_path / "x.xml"
    path.write_text("<?xml version='1.0'?><Каталог/>", encoding="utf-8")
    with pytest.raises(CatalogXmlError, match="root element is Каталог"):
        catalog_reader.check_well_formed(path)


def test_memory_stays_flat_elements_are_dropped_once_read(tmp_path):
    """A catalogue of 20 000 products: the tree held while reading stays a few elements deep."""
    path = tmp_path / "big.xml"
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?><КоммерческаяИнформация><Каталог><Товары>')
        for n in range(20_000):
            out.write(f"<Товар><Ид>id-{n}</Ид><Артикул>A-{n}</Артикул><Наименование>Товар {n}</Наименование>"
                      "<Описание>" + "x" * 200 + "</Описание></Товар>")
        out.write("</Товары></Каталог></КоммерческаяИнформация>")
    import tracemalloc
    tracemalloc.start()
    count = sum(1 for item in catalog_reader.read_items(path) if isinstance(item, Card))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 20_000
    assert peak < 2_000_000  # the file is over 6 MB


@pytest.mark.parametrize("name, kept", [("import.xml", "import.xml"), ("offers0_1.xml", "offers0_1.xml"),
                                        ("import_files/ab/abcd.jpg", None), ("exchange.zip", "exchange.zip"),
                                        ("import\\..\\x", ExchangeError), ("../x.xml", ExchangeError),
                                        ("", ExchangeError), ("/abs.xml", ExchangeError), ("a/b.xml", ExchangeError)])
def test_file_names_are_reduced_to_a_safe_name_or_refused(name, kept):
    if kept is ExchangeError:
        with pytest.raises(ExchangeError):
            safe_filename(name)
    else:
        assert safe_filename(name) == kept


def test_the_vat_rate_of_each_card_as_1c_writes_it():
    """tests/fixtures/onec/real/import.xml: 18 % ×4, 20 % ×20, 10 % ×1, «Без налога» ×2, «Без НДС» ×1, none ×2."""
    from collections import Counter
    from pathlib import Path

    from portal.integrations.onec import catalog_reader
    from portal.services.sales import vat

    path = Path(__file__).resolve().parents[1] / "fixtures" / "onec" / "real" / "import.xml"
    cards = [item for item in catalog_reader.read_items(path) if isinstance(item, catalog_reader.Card)]
    assert Counter(card.vat for card in cards) == {"20": 20, "18": 4, "Без налога": 2, "10": 1, "Без НДС": 1, "": 2}
    assert Counter(vat.parse_rate(card.vat) for card in cards if card.vat) == {"20": 20, "18": 4, "none": 3, "10": 1}
    by_id = {card.onec_id: card.vat for card in cards}
    assert by_id["8f1a0115-6b4c-11e9-80d3-00155d0a1b02"] == "Без НДС"       # P21
    assert by_id["8f1a0105-6b4c-11e9-80d3-00155d0a1b02"] == ""              # P05: no СтавкиНалогов


@pytest.mark.parametrize("name", ["real/import.xml", "real/offers.xml", "real/offers_cp1251.xml"])
def test_reading_on_from_a_resume_point_gives_exactly_the_rest(name):
    """A step that stops after N units records where they end; the next reads only what follows."""
    path = FIXTURES / name
    readers: list = []
    whole = list(catalog_reader.read_items(path, reader=readers))
    units = [i for i in whole if isinstance(i, (Card, OfferItem, Groups))]
    for n in (2, 7, len(units) - 1):
        point = catalog_reader.resume_point(readers[0], n, units[n - 1])
        assert point is not None and point.at < path.stat().st_size
        rest = list(catalog_reader.read_items(path, skip=n, resume=point))
        assert sum(1 for i in rest if i is catalog_reader.SKIPPED) == n
        assert [i for i in rest if isinstance(i, (Card, OfferItem))] == units[n:]

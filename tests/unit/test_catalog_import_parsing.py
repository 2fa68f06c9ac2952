"""Catalogue import: the parsing helpers, without a database."""
from __future__ import annotations

import pytest

from portal.integrations.catalog_csv.parsing import (
    CatalogFileError,
    RowError,
    clean_name,
    clean_sku,
    decode_text,
    parse_barcodes,
    parse_bool,
    parse_header,
    parse_price,
    parse_row,
    parse_section_path,
    parse_whole,
    read_records,
    sniff_delimiter,
)

HEADER = "sku,name,section,price,barcode,returnable,discountable,warranty_months"


@pytest.mark.parametrize("text", ["yes", "YES", " Yes ", "y", "true", "True", "1", "да", "ДА", "так", "Так"])
def test_true_words(text):
    assert parse_bool(text) is True


@pytest.mark.parametrize("text", ["no", "No", "n", "false", "FALSE", "0", "нет", "Нет", "ні", "НІ"])
def test_false_words(text):
    assert parse_bool(text) is False


@pytest.mark.parametrize("text", ["", "  "])
def test_empty_bool_is_none(text):
    assert parse_bool(text) is None


@pytest.mark.parametrize("text", ["может", "2", "yess", "-", "+", "ok"])
def test_other_bool_words_are_refused(text):
    with pytest.raises(RowError, match="not yes/no"):
        parse_bool(text)


@pytest.mark.parametrize("text, minor", [
    ("1234.50", 123450), ("1234,50", 123450), ("1234,5", 123450), ("0", 0), ("0,01", 1),
    (" 45 990,00 ", 4599000), ("7\u00a0450.5", 745050), ("12", 1200),
])
def test_prices(text, minor):
    assert parse_price(text) == minor


@pytest.mark.parametrize("text, reason", [
    ("", "empty"), ("-5", "negative"), ("12,345", "at most two decimals"), ("1.234,50", "at most two decimals"),
    ("1e3", "at most two decimals"), ("abc", "at most two decimals"), ("10000000000000", "at most two decimals"),
])
def test_bad_prices(text, reason):
    with pytest.raises(RowError, match=reason):
        parse_price(text)


@pytest.mark.parametrize("text, value", [("0", 0), ("24", 24), (" 1 000 ", 1000), ("1\u00a0000", 1000), ("", None),
                                         ("  ", None), ("007", 7)])
def test_whole_numbers(text, value):
    assert parse_whole(text, 10_000) == value


@pytest.mark.parametrize("text, reason", [
    ("-1", "negative"), ("-2.5", "negative"), ("2.5", "not a whole number"), ("1,5", "not a whole number"),
    ("3 шт", "not a whole number"), ("+3", "not a whole number"), ("10001", "more than 10000"),
])
def test_bad_whole_numbers(text, reason):
    with pytest.raises(RowError, match=reason):
        parse_whole(text, 10_000)


@pytest.mark.parametrize("text, path", [
    ("Heating / Boilers", ["Heating", "Boilers"]),
    ("  Отопление   /   Котлы  /  Газовые ", ["Отопление", "Котлы", "Газовые"]),
    ("Heating /Boilers", ["Heating", "Boilers"]),
    ("Heating/ Boilers", ["Heating", "Boilers"]),
    ('Трубы 1/2"', ['Трубы 1/2"']),
    ("Heating/Boilers", ["Heating/Boilers"]),
    ("Single", ["Single"]),
    ("", None),
    ("   ", None),
])
def test_section_paths(text, path):
    assert parse_section_path(text) == path


@pytest.mark.parametrize("text", ["Heating / / Boilers", "/ Heating", "Heating /", "Heating/", " / "])
def test_section_paths_with_an_empty_level(text):
    with pytest.raises(RowError, match="empty"):
        parse_section_path(text)


def test_section_level_length():
    assert parse_section_path("A / " + "x" * 200) == ["A", "x" * 200]
    with pytest.raises(RowError, match="longer than 200"):
        parse_section_path("A / " + "x" * 201)


@pytest.mark.parametrize("text, codes", [
    ("4601234567893", ["4601234567893"]),
    ("4601234567893|4601234567886", ["4601234567893", "4601234567886"]),
    (" 4601234567893 | 4601234567886  2000000000015 ", ["4601234567893", "4601234567886", "2000000000015"]),
    ("111|111 222", ["111", "222"]),
    ("ABC-12.x", ["ABC-12.x"]),
    ("", None),
    (" | ", None),
])
def test_barcodes(text, codes):
    assert parse_barcodes(text) == codes


@pytest.mark.parametrize("text, reason", [("46012345678\u00e9", "printable ASCII"), ("нет", "printable ASCII"),
                                          ("1" * 65, "longer than 64"), ("4,60123E+12", "scientific notation"),
                                          ("4.6012345678E+12|111", "scientific notation")])
def test_bad_barcodes(text, reason):
    with pytest.raises(RowError, match=reason):
        parse_barcodes(text)


def test_sku_and_name():
    assert clean_sku("  KT-100 ") == "KT-100"
    assert clean_name("  Котёл\n газовый   24 кВт ") == "Котёл газовый 24 кВт"
    for bad, reason in [("", "sku is empty"), ("   ", "sku is empty"), ("x" * 65, "longer than 64"),
                        ("A\tB", "line break or tab")]:
        with pytest.raises(RowError, match=reason):
            clean_sku(bad)
    with pytest.raises(RowError, match="name is empty"):
        clean_name(" \n ")
    with pytest.raises(RowError, match="longer than 300"):
        clean_name("я" * 301)


@pytest.mark.parametrize("line, delimiter", [
    (HEADER, ","), (HEADER.replace(",", ";"), ";"), (HEADER.replace(",", ";") + ";stock:A,B", ";"), ("sku", ","),
])
def test_sniff_delimiter(line, delimiter):
    assert sniff_delimiter(line) == delimiter


def test_decode_text():
    assert decode_text("\ufeffsku,имя".encode()) == "sku,имя"
    assert decode_text("sku,имя".encode()) == "sku,имя"
    with pytest.raises(CatalogFileError, match=r"not UTF-8 text \(byte 0xCA on line 2\)"):
        decode_text("sku\nКотёл".encode("cp1251"))


def test_header_in_any_order_with_stock_columns():
    header = parse_header([" Price", "SKU", "name", "stock:main", "section", "barcode", "Stock: sh-1 ",
                           "returnable", "discountable", "warranty_months"])
    assert header.columns["price"] == 0 and header.columns["sku"] == 1
    assert header.stock == {"MAIN": 3, "SH-1": 6}
    assert header.width == 10


@pytest.mark.parametrize("cells, message", [
    (["sku", "name", "price"], "missing column(s): section, barcode, returnable, discountable, warranty_months"),
    (HEADER.split(",") + ["sku"], "column sku appears twice"),
    (HEADER.split(",") + ["stock:A", "STOCK:a"], "column stock:A appears twice"),
    (HEADER.split(",") + ["colour"], "unknown column 'colour'"),
    (HEADER.split(",") + ["stock:"], "names no location"),
    (HEADER.split(",") + [""], "column 9 has no name"),
    ([HEADER.replace(",", ";")], "missing column(s): sku, name"),
])
def test_bad_headers(cells, message):
    with pytest.raises(CatalogFileError) as caught:
        parse_header(cells)
    assert message in str(caught.value)
    assert str(caught.value).startswith("invalid header: ")


def test_parse_row():
    header = parse_header(HEADER.split(",") + ["stock:A", "stock:B"])
    row = parse_row(header, ["KT-1", "Котёл", "Отопление / Котлы", "45 990,5", "111|222", "да", "ні", "", "5", ""])
    assert (row.sku, row.name, row.section, row.price, row.barcodes) == (
        "KT-1", "Котёл", ["Отопление", "Котлы"], 4599050, ["111", "222"])
    assert (row.returnable, row.discountable, row.warranty_months, row.stock) == (True, False, 0, {"A": 5})
    row = parse_row(header, ["KT-1", "Котёл", "", "1", "", "", "", "12", "", "0"])
    assert (row.section, row.barcodes, row.returnable, row.discountable) == (None, None, None, None)
    assert (row.warranty_months, row.stock) == (12, {"B": 0})


def test_parse_row_reports_every_problem():
    header = parse_header(HEADER.split(",") + ["stock:A"])
    with pytest.raises(RowError) as caught:
        parse_row(header, ["", "", "A / / B", "-1", "x|нет", "может", "yes", "1.5", "-2"])
    assert str(caught.value) == (
        'sku is empty; name is empty; section "A / / B": a level of the path is empty; '
        'price "-1": amount is negative; barcode "x|нет": code нет is not printable ASCII; '
        'returnable "может": not yes/no; warranty_months "1.5": not a whole number; stock:A "-2": negative')
    with pytest.raises(RowError, match="the row has 3 cells but the header has 9"):
        parse_row(header, ["a", "b", "c"])


def test_read_records_line_numbers():
    text = (
        HEADER.replace(",", ";") + "\r\n"
        "A;Первый;;1;;;;;\r\n"
        "\r\n"
        'B;"Многострочное\r\nназвание; с точкой с запятой";;2;;;;;\r\n'
        ";;;;;;;;\r\n"
        "C;Третий;;3;;;;;\r\n")
    header, records = read_records(text)
    assert header.columns["sku"] == 0
    assert [(line, cells[0]) for line, cells in records] == [(2, "A"), (4, "B"), (7, "C")]
    assert records[1][1][1] == "Многострочное\r\nназвание; с точкой с запятой"


@pytest.mark.parametrize("text", ["", "\n" + HEADER, "   \r\n" + HEADER])
def test_read_records_needs_a_header_on_the_first_line(text):
    with pytest.raises(CatalogFileError, match="header"):
        read_records(text)


def test_quotes_inside_values():
    text = HEADER + '\nA,Труба 1/2",,1,,,,\nB,"Кран ""Aqua"", латунь",,1,,,,\n'
    assert [cells[1] for _, cells in read_records(text)[1]] == ['Труба 1/2"', 'Кран "Aqua", латунь']


@pytest.mark.parametrize("body, line, problem", [
    ('A,x,,1,,,,\nB,"unclosed,,1,,,,\nC,y,,1,,,,\nD,z,,1,,,,\n', 3, "unexpected end of data"),
    ('A,x,,1,,,,\nB,"Aqua" кран,,1,,,,\n', 3, "',' expected after '\"'"),
])
def test_stray_quotes_make_the_file_unreadable(body, line, problem):
    with pytest.raises(CatalogFileError) as caught:
        read_records(HEADER + "\n" + body)
    assert str(caught.value).startswith(f"line {line}: not valid CSV ({problem}); quote a value")


def test_nul_character_rejects_the_row():
    header = parse_header(HEADER.split(","))
    with pytest.raises(RowError, match="the row contains a NUL character"):
        parse_row(header, ["A", "x\x00y", "", "1", "", "", "", ""])

"""Reading a catalogue file (CSV): the header, each row's cells checked and turned into values.
No database here; `writing.py` applies the rows. `flask catalog import FILE.csv` creates or updates
products by SKU.

The file
--------
* UTF-8, with or without a BOM. Any other encoding (e.g. Windows-1251 from an old Excel) makes the
  file unreadable: save it as "CSV UTF-8".
* Comma- or semicolon-separated; the separator is whichever of the two occurs more often in the
  header line (the first line). Values holding the separator are quoted the usual CSV way.
* The header names, in any order, exactly these columns (case-insensitive)::

      sku,name,section,price,barcode,returnable,discountable,warranty_months

  plus, optionally, `vat`, and any number of `stock:<LOCATION_CODE>` columns, one per location (code
  case-insensitive).
  A header that lacks one of the eight, repeats a column, has a column of another name, or names
  a location that does not exist makes the whole file unreadable (`CatalogFileError`); nothing is
  imported.
* Quoting is strict: a stray or unclosed quote (`"Aqua" tap` unquoted, or a missing closing
  quote that would swallow every line after it) makes the file unreadable, naming the line.
* Line numbers are physical lines of the file, the header being line 1. A record with a quoted
  line break is reported by the line it starts on. Blank lines, and lines of empty cells only
  (Excel writes those), are skipped.

A row
-----
* `sku` — required, trimmed, at most 64 characters. It is matched against the existing products
  case-insensitively (the till looks SKUs up that way too, so `ab-1` and `AB-1` must not become
  two products); an update keeps the SKU as it is spelt in the database.
* `name` — required; runs of spaces and line breaks become one space; at most 300 characters.
* `section` — a path like `Heating / Boilers`: the parts are separated by a `/` with a space on
  at least one side (so `Pipes 1/2"` stays one name) and trimmed. Existing sections are matched
  per level case-insensitively; missing ones are created with the file's spelling. Empty cell:
  a new product gets no section, an existing one keeps its section.
* `price` — major units with at most two decimals, `.` or `,` as the decimal mark, spaces as
  thousand separators allowed (`money.parse_amount`); negative or more decimals rejects the row.
  Zero is allowed.
* `barcode` — one or more codes separated by `|` and/or spaces, each printable ASCII of at most
  64 characters; repeats within the cell are dropped. A code like `4,60123E+12` (what Excel
  makes of a long number in a General column) rejects the row rather than become a wrong
  barcode. A non-empty cell *replaces* the product's barcodes; an empty cell leaves them as they
  are. A code that belongs to another product rejects the row (rows apply in file order, so a
  code moved from product A to product B needs A's row, releasing it, before B's).
* `returnable`, `discountable` — yes/no, true/false, 1/0, y/n, да/нет, так/ні, any case. Empty
  cell: a new product gets yes (the model default), an existing one keeps its value.
* `warranty_months` — a whole number 0…1200; empty means 0 (also on update).
* `vat` (optional column) — the product's VAT rate: a whole percentage (`20`, `20 %`, `НДС 10%`) or
  `none` / `без НДС` / `без ПДВ`; empty leaves the rate as it is (a new product then takes
  PORTAL_VAT_RATE).
* `stock:<CODE>` — a whole number 0…2147483647 *sets* the quantity at that location (it is a
  count, like 1C's offers, not a movement); empty leaves the quantity as it is (a new product then
  simply has no stock row there).
* Whole numbers may carry spaces as thousand separators; `-1` and `2.5` reject the row.
* A row whose cell count differs from the header's is rejected (usually an unquoted separator).
* Every problem of a row is reported, joined by "; ", with the English reason.
* A SKU that occurs again later in the file rejects the later row ("already on line N"), whatever
  became of the first: the file is ambiguous there and "last one wins" would hide the mistake.
* The `active` flag is not touched: an import does not revive a product taken off sale.
* "updated" counts every row that matched an existing product, whether or not a value changed.
"""
from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from portal.errors import DomainError
from portal.money import MoneyError, parse_amount, to_minor
from portal.services.sales import vat
from portal.text import squash

REQUIRED_COLUMNS = ("sku", "name", "section", "price", "barcode", "returnable", "discountable", "warranty_months")
# Optional: `vat`, the product's VAT rate ("20", "10", "0", "none"/"без НДС"; empty keeps it as it is).
OPTIONAL_COLUMNS = ("vat",)
STOCK_PREFIX = "stock:"
BATCH_SIZE = 500

MAX_SKU = 64
MAX_NAME = 300
MAX_SECTION_NAME = 200
MAX_BARCODE = 64
MAX_WARRANTY_MONTHS = 1200
MAX_QUANTITY = 2_147_483_647  # the INTEGER column

TRUE_WORDS = frozenset({"yes", "y", "true", "1", "да", "так"})
FALSE_WORDS = frozenset({"no", "n", "false", "0", "нет", "ні"})

_SECTION_SEPARATOR = re.compile(r"\s+/\s*|\s*/\s+")
_BARCODE_SEPARATOR = re.compile(r"[|\s]+")
_BARCODE_TEXT = re.compile(r"^[!-{}~]+$")  # printable ASCII without space and "|"
_WHOLE_NUMBER = re.compile(r"^[0-9]+$")
_SCIENTIFIC = re.compile(r"^[0-9]+([.,][0-9]+)?[eE][+-]?[0-9]+$")  # what Excel makes of a long number


class CatalogFileError(DomainError):
    """The file cannot be imported at all: missing, not UTF-8, or a wrong header."""

    code = "catalog_file_unreadable"


class RowError(ValueError):
    """A cell (or the row) is wrong; the message is the English reason."""


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        return f"created {self.created}, updated {self.updated}, rejected {len(self.rejected)}"


@dataclass
class Header:
    """Where each column is: `columns` maps the eight names to indexes, `stock` location codes."""

    columns: dict[str, int]
    stock: dict[str, int]
    width: int


@dataclass
class RowData:
    sku: str
    name: str
    section: list[str] | None
    price: int
    barcodes: list[str] | None
    returnable: bool | None
    discountable: bool | None
    warranty_months: int
    stock: dict[str, int]
    vat: str | None = None  # the rate code; None: the file says nothing (no column, or an empty cell)


# ---------------------------------------------------------------- parsing helpers (no database)


def decode_text(data: bytes) -> str:
    """UTF-8 with or without BOM, or CatalogFileError naming the first bad byte's line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise CatalogFileError(
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02X} on line {line}); "
            "save it as \"CSV UTF-8\"") from None


def sniff_delimiter(header_line: str) -> str:
    """';' when the header line has more semicolons than commas, else ','."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def parse_header(cells: list[str]) -> Header:
    """Column positions from the header cells, or CatalogFileError. Location codes come upper-case."""
    columns: dict[str, int] = {}
    stock: dict[str, int] = {}
    problems: list[str] = []
    for index, raw in enumerate(cells):
        name = raw.strip()
        key = name.lower()
        if not name:
            problems.append(f"column {index + 1} has no name")
        elif key.startswith(STOCK_PREFIX):
            code = name[len(STOCK_PREFIX):].strip().upper()
            if not code:
                problems.append(f"column {index + 1} ({name!r}) names no location")
            elif code in stock:
                problems.append(f"column stock:{code} appears twice")
            else:
                stock[code] = index
        elif key in REQUIRED_COLUMNS or key in OPTIONAL_COLUMNS:
            if key in columns:
                problems.append(f"column {key} appears twice")
            else:
                columns[key] = index
        else:
            problems.append(f"unknown column {name!r}")
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        problems.insert(0, "missing column(s): " + ", ".join(missing))
    if problems:
        raise CatalogFileError("invalid header: " + "; ".join(problems))
    return Header(columns=columns, stock=stock, width=len(cells))


def parse_bool(text: str) -> bool | None:
    """yes/no, true/false, 1/0, y/n, да/нет, так/ні in any case; None for an empty cell."""
    word = text.strip().casefold()
    if not word:
        return None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise RowError("not yes/no")


def parse_price(text: str) -> int:
    """Minor units from "1234.50" / "1234,5" / "1 234,50"."""
    if not text.strip():
        raise RowError("empty")
    try:
        return to_minor(parse_amount(text))
    except MoneyError as exc:
        raise RowError(str(exc)) from None


def parse_whole(text: str, maximum: int) -> int | None:
    """A non-negative whole number (spaces as thousand separators allowed); None when empty."""
    compact = text.strip().replace("\u00a0", "").replace(" ", "")
    if not compact:
        return None
    if compact.startswith("-") and _WHOLE_NUMBER.match(compact[1:].replace(",", "").replace(".", "")):
        raise RowError("negative")
    if not _WHOLE_NUMBER.match(compact):
        raise RowError("not a whole number")
    value = int(compact)
    if value > maximum:
        raise RowError(f"more than {maximum}")
    return value


def parse_section_path(text: str) -> list[str] | None:
    """['Heating', 'Boilers'] from 'Heating / Boilers'; None for an empty cell."""
    text = squash(text)
    if not text:
        return None
    parts = [part.strip() for part in _SECTION_SEPARATOR.split(text)]
    if any(not part or part == "/" for part in parts) or text.startswith("/") or text.endswith("/"):
        raise RowError("a level of the path is empty")
    for part in parts:
        if len(part) > MAX_SECTION_NAME:
            raise RowError(f"a level is longer than {MAX_SECTION_NAME} characters")
    return parts


def parse_barcodes(text: str) -> list[str] | None:
    """Codes separated by '|' and/or spaces, without repeats, in order; None for an empty cell."""
    codes: list[str] = []
    for code in _BARCODE_SEPARATOR.split(text.strip()):
        if not code:
            continue
        if len(code) > MAX_BARCODE:
            raise RowError(f"code {code} is longer than {MAX_BARCODE} characters")
        if not _BARCODE_TEXT.match(code):
            raise RowError(f"code {code} is not printable ASCII")
        if _SCIENTIFIC.match(code):
            raise RowError(f"code {code} is a number in scientific notation (format the column as text in Excel)")
        if code not in codes:
            codes.append(code)
    return codes or None


def clean_sku(text: str) -> str:
    sku = text.strip()
    if not sku:
        raise RowError("sku is empty")
    if len(sku) > MAX_SKU:
        raise RowError(f"sku is longer than {MAX_SKU} characters")
    if any(ch in sku for ch in "\r\n\t"):
        raise RowError("sku contains a line break or tab")
    return sku


def clean_name(text: str) -> str:
    name = squash(text)
    if not name:
        raise RowError("name is empty")
    if len(name) > MAX_NAME:
        raise RowError(f"name is longer than {MAX_NAME} characters")
    return name


def _cell_problem(column: str, value: str, exc: RowError) -> str:
    value = value.strip()
    return f'{column} "{value}": {exc}' if value else f"{column} is empty"


def parse_vat(text: str) -> str | None:
    """A VAT rate code ("20", "none" ...) from a `vat` cell; None for an empty cell."""
    if not text.strip():
        return None
    try:
        return vat.parse_rate(text)
    except vat.VatRateError:
        raise RowError("not a VAT rate (a whole percentage such as 20, or none)") from None


def parse_row(header: Header, cells: list[str]) -> RowData:
    """The row's values, or RowError with every problem of the row joined by '; '."""
    if len(cells) != header.width:
        raise RowError(f"the row has {len(cells)} cells but the header has {header.width} "
                       "(a separator inside an unquoted value?)")
    if any("\x00" in c for c in cells):
        raise RowError("the row contains a NUL character")
    cell = {name: cells[index] for name, index in header.columns.items()}
    problems: list[str] = []
    values: dict = {}

    def take(key: str, column: str, parse: Callable[[str], object]) -> None:
        try:
            values[key] = parse(cell[column])
        except RowError as exc:
            problems.append(_cell_problem(column, cell[column], exc))

    for key, parse in (("sku", clean_sku), ("name", clean_name)):
        try:
            values[key] = parse(cell[key])
        except RowError as exc:
            problems.append(str(exc))
    take("section", "section", parse_section_path)
    take("price", "price", parse_price)
    take("barcodes", "barcode", parse_barcodes)
    take("returnable", "returnable", parse_bool)
    take("discountable", "discountable", parse_bool)
    take("warranty_months", "warranty_months", lambda t: parse_whole(t, MAX_WARRANTY_MONTHS) or 0)
    if "vat" in cell:
        take("vat", "vat", parse_vat)
    stock: dict[str, int] = {}
    for code, index in header.stock.items():
        try:
            qty = parse_whole(cells[index], MAX_QUANTITY)
        except RowError as exc:
            problems.append(_cell_problem(f"stock:{code}", cells[index], exc))
            continue
        if qty is not None:
            stock[code] = qty
    if problems:
        raise RowError("; ".join(problems))
    return RowData(stock=stock, **values)


def read_records(text: str) -> tuple[Header, list[tuple[int, list[str]]]]:
    """Header and (line number, cells) of every non-blank data record, or CatalogFileError."""
    first_line = text.split("\n", 1)[0].rstrip("\r")
    if not first_line.strip():
        raise CatalogFileError("the file is empty or its first line (the header) is blank")
    # strict: a stray or unclosed quote is an error, not a record that silently swallows the
    # lines after it.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first_line), strict=True)
    records: list[tuple[int, list[str]]] = []
    header: Header | None = None
    last_line = 0
    try:
        for cells in reader:
            start, last_line = last_line + 1, reader.line_num
            if header is None:
                header = parse_header(cells)
            elif any(c.strip() for c in cells):
                records.append((start, cells))
    except csv.Error as exc:
        raise CatalogFileError(f"line {last_line + 1}: not valid CSV ({exc}); "
                               "quote a value that holds quotes, the separator or a line break, "
                               'doubling its quotes ("")') from None
    assert header is not None
    return header, records


def read_source(path_or_file: str | os.PathLike | IO) -> str:
    if isinstance(path_or_file, (str, os.PathLike)):
        try:
            data = Path(path_or_file).read_bytes()
        except FileNotFoundError:
            raise CatalogFileError("no such file") from None
        except IsADirectoryError:
            raise CatalogFileError("it is a directory, not a file") from None
        except OSError as exc:
            raise CatalogFileError(f"cannot read the file ({exc.strerror or exc})") from None
    else:
        data = path_or_file.read()
    if isinstance(data, bytes):
        return decode_text(data)
    return data.removeprefix("\ufeff")



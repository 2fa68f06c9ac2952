"""Writing a catalogue file's rows (read by `parsing.py`) into the catalogue.

Transactions
------------
Each row is written in its own SAVEPOINT, so a row the database refuses (e.g. a barcode taken by
a concurrent writer) is rolled back alone and reported; the import commits every 500 rows and
at the end. Batches keep write locks short (on SQLite a long import would otherwise block
every till for its whole duration) and memory flat. An unexpected error (say, the database going
away) rolls back the current batch and propagates; earlier batches stay. Re-running the same file
is harmless: it updates by SKU and sets, rather than adds, stock.

The rows are written with prebuilt Core statements on the session's connection (the ORM unit of
work made a 5 000-row file four times slower); ORM objects loaded before the import are stale
until its commit expires them.

Stock is set by `stock.set_level` (the one module that writes stock), in the import's
transaction. Setting a level overwrites what sales took between the count
and the import; that is what a stock count means.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import IO

import sqlalchemy as sa
from sqlalchemy.exc import DataError, IntegrityError

from portal.extensions import db
from portal.integrations.catalog_csv.parsing import (
    BATCH_SIZE,
    CatalogFileError,
    Header,
    ImportResult,
    RowData,
    RowError,
    parse_row,
    read_records,
    read_source,
)
from portal.models import AuditEvent, Barcode, Location, Product, Section
from portal.services.sales import stock
from portal.services.transactions import one_transaction
from portal.text import squash

_products = Product.__table__
_barcodes = Barcode.__table__
# Built once: a row runs these thousands of times, and building a statement costs more than running it.
_TAKEN_BARCODES = (sa.select(_barcodes.c.code, _products.c.sku)
                   .join(_products, _products.c.id == _barcodes.c.product_id)
                   .where(_barcodes.c.code.in_(sa.bindparam("codes", expanding=True)),
                          _barcodes.c.product_id != sa.bindparam("p_id"))
                   .order_by(_barcodes.c.code))
_PRODUCT_BARCODES = (sa.select(_barcodes.c.id, _barcodes.c.code)
                     .where(_barcodes.c.product_id == sa.bindparam("p_id")).order_by(_barcodes.c.id))
_DELETE_BARCODES = sa.delete(_barcodes).where(_barcodes.c.id.in_(sa.bindparam("ids", expanding=True)))
_INSERT_BARCODE = sa.insert(_barcodes)
_INSERT_PRODUCT = sa.insert(_products)
# SET takes the keys of the parameters given, so one statement serves every combination of columns.
_UPDATE_PRODUCT = sa.update(_products).where(_products.c.id == sa.bindparam("p_id"))
_AUDITED = ("name", "price", "warranty_months", "section_id", "returnable", "discountable", "vat_rate")
_PRODUCT_STATE = (sa.select(*(_products.c[name] for name in _AUDITED))
                  .where(_products.c.id == sa.bindparam("p_id")))
# A created product, and every changed field (the price above all) of an updated one, is audited
# in the row's savepoint, with no actor and the source "import".
_INSERT_AUDIT = sa.insert(AuditEvent.__table__)


def _audit(conn, action: str, product_id: int, before: dict | None, after: dict) -> None:
    conn.execute(_INSERT_AUDIT, {"actor_id": None, "action": f"import:{action}", "object_type": _products.name,
                                 "object_id": product_id, "before": before, "after": after})


class _Catalogue:
    """What the import keeps in memory: sections and SKUs, with changes held until a row succeeds."""

    def __init__(self) -> None:
        self.sections: dict[tuple[int | None, str], int] = {}
        for section_id, parent_id, name in db.session.execute(
                sa.select(Section.id, Section.parent_id, Section.name).order_by(Section.id)):
            self.sections.setdefault((parent_id, _key(name)), section_id)
        self.skus: dict[str, list[tuple[int, str]]] = {}
        for product_id, sku in db.session.execute(sa.select(Product.id, Product.sku).order_by(Product.id)):
            self.skus.setdefault(sku.lower(), []).append((product_id, sku))
        self._new_sections: dict[tuple[int | None, str], int] = {}
        self._new_skus: list[tuple[int, str]] = []

    def find_product_id(self, sku: str) -> int | None:
        matches = self.skus.get(sku.lower(), [])
        exact = [pid for pid, known in matches if known == sku]
        if exact:
            return exact[0]
        if len(matches) > 1:
            raise RowError("sku matches several products differing only in case: "
                           + ", ".join(known for _, known in matches))
        return matches[0][0] if matches else None

    def section_id(self, path: list[str]) -> int:
        parent_id: int | None = None
        for name in path:
            key = (parent_id, _key(name))
            found = self.sections.get(key) or self._new_sections.get(key)
            if found is None:
                found = db.session.connection().execute(
                    sa.insert(Section.__table__).values(name=name, parent_id=parent_id)).inserted_primary_key[0]
                self._new_sections[key] = found
            parent_id = found
        return parent_id

    def added_product(self, product_id: int, sku: str) -> None:
        self._new_skus.append((product_id, sku))

    def keep(self) -> None:
        self.sections.update(self._new_sections)
        for product_id, sku in self._new_skus:
            self.skus.setdefault(sku.lower(), []).append((product_id, sku))
        self.forget()

    def forget(self) -> None:
        self._new_sections, self._new_skus = {}, []


def _key(name: str) -> str:
    return squash(name).casefold()


def _apply(row: RowData, catalogue: _Catalogue, locations: dict[str, int]) -> bool:
    """Write one row in the current savepoint; True when it created a product."""
    conn = db.session.connection()
    product_id = catalogue.find_product_id(row.sku)
    if row.barcodes:
        taken = conn.execute(_TAKEN_BARCODES, {"codes": row.barcodes, "p_id": product_id or 0}).all()
        if taken:
            raise RowError("; ".join(f"barcode {code} already belongs to SKU {sku}" for code, sku in taken))
    values = {"name": row.name, "price": row.price, "warranty_months": row.warranty_months}
    if row.section:
        values["section_id"] = catalogue.section_id(row.section)
    if row.returnable is not None:
        values["returnable"] = row.returnable
    if row.discountable is not None:
        values["discountable"] = row.discountable
    if row.vat is not None:
        values["vat_rate"] = row.vat
    created = product_id is None
    if created:
        values = {"returnable": True, "discountable": True, "active": True, "section_id": None, **values}
        product_id = conn.execute(_INSERT_PRODUCT, {"sku": row.sku, **values}).inserted_primary_key[0]
        catalogue.added_product(product_id, row.sku)
        _audit(conn, "product_created", product_id, None, {"sku": row.sku, **values})
        if row.barcodes:
            conn.execute(_INSERT_BARCODE, [{"product_id": product_id, "code": code} for code in row.barcodes])
    else:
        old = conn.execute(_PRODUCT_STATE, {"p_id": product_id}).one()._asdict()
        conn.execute(_UPDATE_PRODUCT, {"p_id": product_id, **values})
        changed = [key for key, value in values.items() if old[key] != value]
        if changed:
            _audit(conn, "product_updated", product_id, {k: old[k] for k in changed},
                   {k: values[k] for k in changed})
        if row.barcodes is not None:
            have = {code: barcode_id for barcode_id, code in conn.execute(_PRODUCT_BARCODES, {"p_id": product_id})}
            gone = [barcode_id for code, barcode_id in have.items() if code not in row.barcodes]
            if gone:
                conn.execute(_DELETE_BARCODES, {"ids": gone})
            new = [{"product_id": product_id, "code": code} for code in row.barcodes if code not in have]
            if new:
                conn.execute(_INSERT_BARCODE, new)
    for code, qty in row.stock.items():
        stock.set_level(product_id, locations[code], qty)
    return created


def _database_reason(exc: Exception) -> str:
    detail = str(getattr(exc, "orig", exc)).strip().splitlines()
    return "the database refused the row: " + (detail[0] if detail else type(exc).__name__)


def import_catalog(path_or_file: str | os.PathLike | IO, *,
                   progress: Callable[[int, int], None] | None = None,
                   batch_size: int = BATCH_SIZE) -> ImportResult:
    """Import a catalogue CSV (see the module docstring); `progress(done, total)` after each record.

    Raises CatalogFileError, before writing anything, when the file cannot be imported at all.
    """
    header, records = read_records(read_source(path_or_file))
    result = ImportResult()
    first_seen: dict[str, int] = {}
    total = len(records)
    locations = dict(db.session.execute(
        sa.select(Location.code, Location.id).where(Location.code.in_(list(header.stock)))).all())
    unknown = [code for code in header.stock if code not in locations]
    if unknown:
        raise CatalogFileError("invalid header: unknown location code(s) in stock columns: " + ", ".join(unknown))
    catalogue = _Catalogue()
    if progress:
        progress(0, total)
    for start in range(0, total, batch_size):
        batch = records[start:start + batch_size]
        first_try = True

        def run(batch=batch, start=start) -> ImportResult:
            nonlocal catalogue, first_try
            if not first_try:  # run again after the database was busy: what it cached was rolled back
                catalogue = _Catalogue()
            first_try = False
            part = ImportResult()
            for done, (line_no, cells) in enumerate(batch, start=start + 1):
                try:
                    reason = _import_record(header, cells, line_no, catalogue, locations, first_seen, part)
                except (IntegrityError, DataError) as exc:
                    catalogue.forget()
                    reason = _database_reason(exc)
                if reason:
                    part.rejected.append((line_no, reason))
                if progress:
                    progress(done, total)
            return part

        part = one_transaction(run)
        result.created += part.created
        result.updated += part.updated
        result.rejected.extend(part.rejected)
    return result


def _import_record(header: Header, cells: list[str], line_no: int, catalogue: _Catalogue,
                   locations: dict[str, int], first_seen: dict[str, int], result: ImportResult) -> str | None:
    """Import one record; the reason when it is rejected, else None."""
    problems: list[str] = []
    sku_cell = cells[header.columns["sku"]].strip() if len(cells) > header.columns["sku"] else ""
    if sku_cell:
        earlier = first_seen.setdefault(sku_cell.lower(), line_no)
        if earlier != line_no:
            problems.append(f"sku {sku_cell} already appeared on line {earlier}")
    try:
        row = parse_row(header, cells)
    except RowError as exc:
        problems.append(str(exc))
    if problems:
        return "; ".join(problems)
    try:
        with db.session.begin_nested():
            created = _apply(row, catalogue, locations)
    except RowError as exc:
        catalogue.forget()
        return str(exc)
    catalogue.keep()
    if created:
        result.created += 1
    else:
        result.updated += 1
    return None

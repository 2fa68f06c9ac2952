"""Offers applied a batch at a time (issue 15, point 7: 50 000 offers at ≥ 2 000 a second).

The same rules as integrations/onec/catalog.py (`upsert_variant`, `set_price`, `set_stock`), but
for a few hundred offers with a handful of statements: one read of the products and parents the
batch names, of their barcodes and stock; then inserts, updates and audit events written with
executemany. An offer that cannot be taken (no product, a size whose product did not come, a
barcode of another product) is decided before anything is written and comes back refused; the
others are applied. Works in the caller's transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from portal import bulk
from portal.extensions import db
from portal.integrations.catalog_csv.parsing import MAX_QUANTITY, RowError, parse_barcodes
from portal.integrations.onec import identity
from portal.integrations.onec.catalog import _INHERITED, MAX_ONEC_ID, insert_products
from portal.integrations.onec.refusals import ItemRefused
from portal.models import Barcode, Product
from portal.services import audit
from portal.services.sales import stock
from portal.text import squash

BATCH = 500
_PARENT_COLUMNS = (Product.id, Product.onec_id, Product.name, Product.sku, Product.parent_id, Product.price,
                   Product.active, Product.returnable, Product.discountable, Product.warranty_months,
                   Product.section_id, Product.vat_rate, Product.unit, Product.article)
_VARIANT_COLUMNS = (Product.id, Product.onec_id, Product.name, Product.sku, Product.parent_id, Product.price,
                    Product.active, Product.variant, Product.section_id, Product.vat_rate, Product.unit,
                    Product.article)


@dataclass
class OfferChange:
    """One offer as the exchange read it: price in minor units (None: keep), stock per location."""
    onec_id: str
    name: str
    barcode: str = ""
    characteristics: list[str] = field(default_factory=list)
    deleted: bool = False
    price: int | None = None
    levels: dict[int, int] = field(default_factory=dict)


@dataclass
class BatchResult:
    applied: int = 0
    variants_created: int = 0
    refused: list[ItemRefused] = field(default_factory=list)


def _audit_card(row, **override) -> dict:
    card = {"sku": row.sku, "name": row.name, "active": row.active, "section_id": row.section_id,
            "onec_id": row.onec_id, "price": row.price, "vat_rate": row.vat_rate, "unit": row.unit,
            "article": row.article, "variant": row.variant}
    card.update(override)
    return card


def apply_offers(changes: list[OfferChange], seen_at: datetime) -> BatchResult:
    result = BatchResult()
    ids = [c.onec_id for c in changes if c.onec_id and len(c.onec_id) <= MAX_ONEC_ID]
    existing = {r.onec_id: r for r in db.session.execute(sa.select(*_VARIANT_COLUMNS)
                                                           .where(Product.onec_id.in_(ids)))}
    parent_keys = {i.split("#", 1)[0] for i in ids if "#" in i}
    parents = {r.onec_id: r for r in db.session.execute(sa.select(*_PARENT_COLUMNS)
                                                          .where(Product.onec_id.in_(parent_keys)))}
    barcodes_of: dict[int, set[str]] = {}
    known_ids = [r.id for r in parents.values()] + [r.id for r in existing.values()]
    for product_id, code in db.session.execute(sa.select(Barcode.product_id, Barcode.code)
                                               .where(Barcode.product_id.in_(known_ids))):
        barcodes_of.setdefault(product_id, set()).add(code)

    new_rows: list[dict] = []      # variants to insert
    new_barcodes: list[tuple[str, str]] = []  # (variant onec_id, code)
    updates: list[tuple[object, dict]] = []   # (existing row, changed values)
    accepted: list[OfferChange] = []
    wanted_codes: dict[str, str] = {}  # barcode -> the offer that wants it
    dropped: list[tuple[int, str]] = []  # barcodes a variant no longer has in 1C
    for change in changes:
        try:
            plan = _plan(change, existing, parents, barcodes_of, seen_at)
        except ItemRefused as refusal:
            result.refused.append(refusal)
            continue
        kind, payload, codes, drop = plan
        clash = next((code for code in codes if code in wanted_codes), None)
        if clash:
            result.refused.append(ItemRefused("barcode_taken", what=f"{change.onec_id} «{squash(change.name)}»",
                                              barcode=clash, sku=wanted_codes[clash]))
            continue
        for code in codes:
            wanted_codes[code] = change.onec_id
            new_barcodes.append((change.onec_id, code))
        dropped += [(existing[change.onec_id].id, code) for code in drop]
        if kind == "new":
            new_rows.append(payload)
        elif payload:
            updates.append((existing[change.onec_id], payload))
        accepted.append(change)

    # Barcodes other products hold already refuse their offers before anything is written.
    taken = dict(db.session.execute(sa.select(Barcode.code, Product.sku).join(Product, Product.id == Barcode.product_id)
                                    .where(Barcode.code.in_(list(wanted_codes)))).all()) if wanted_codes else {}
    if taken:
        refused_ids = {onec_id for onec_id, code in new_barcodes if code in taken}
        for onec_id, code in new_barcodes:
            if code in taken:
                change = next(c for c in accepted if c.onec_id == onec_id)
                result.refused.append(ItemRefused("barcode_taken", what=f"{onec_id} «{squash(change.name)}»",
                                                  barcode=code, sku=taken[code]))
        accepted = [c for c in accepted if c.onec_id not in refused_ids]
        new_rows = [r for r in new_rows if r["onec_id"] not in refused_ids]
        updates = [(row, values) for row, values in updates if row.onec_id not in refused_ids]
        new_barcodes = [(i, code) for i, code in new_barcodes if i not in refused_ids]
        dropped = [(pid, code) for pid, code in dropped if pid not in {existing[i].id for i in refused_ids
                                                                          if i in existing}]

    identity.give_skus(new_rows)
    ids_by_onec = {r.onec_id: r.id for r in existing.values()}
    if new_rows:
        ids_by_onec.update(insert_products(new_rows))
        audit.record_many("product_created", Product.__tablename__, [
            (ids_by_onec[r["onec_id"]], None, {k: r[k] for k in ("sku", "name", "active", "section_id", "onec_id",
                                                                  "price", "vat_rate", "unit", "article", "variant")})
            for r in new_rows], source="1c")
        result.variants_created = len(new_rows)
    if updates:
        _update_variants(updates)
    if dropped:
        table = Barcode.__table__
        db.session.execute(sa.delete(table).where(table.c.product_id == sa.bindparam("p"),
                                                  table.c.code == sa.bindparam("c")),
                           [{"p": pid, "c": code} for pid, code in dropped])
    if new_barcodes:
        bulk.insert(Barcode.__table__, [{"product_id": ids_by_onec[i], "code": code}
                                                 for i, code in new_barcodes])
    old_price = {r.onec_id: r.price for r in existing.values()}
    _set_prices([(ids_by_onec[c.onec_id], old_price[c.onec_id], c.price) for c in accepted
                 if c.onec_id in old_price and c.price is not None and c.price != old_price[c.onec_id]])
    stock.set_levels([(ids_by_onec[c.onec_id], location_id, quantity) for c in accepted
                      for location_id, quantity in c.levels.items()])
    seen = [{"product_id": ids_by_onec[c.onec_id]} for c in accepted if c.onec_id in existing and "#" in c.onec_id]
    if seen:
        db.session.execute(sa.update(Product.__table__).where(Product.__table__.c.id == sa.bindparam("product_id"))
                           .values(onec_seen_at=seen_at), seen)
    result.applied = len(accepted)
    return result


def _plan(change: OfferChange, existing: dict, parents: dict, barcodes_of: dict, seen_at: datetime):
    """("new", row to insert, barcodes to add, []) or ("update", changed values, barcodes to add,
    barcodes to drop); ItemRefused."""
    onec_id, shown = change.onec_id, squash(change.name)
    if not onec_id:
        raise ItemRefused("empty_id")
    if len(onec_id) > MAX_ONEC_ID:
        raise ItemRefused("long_id", id=onec_id[:MAX_ONEC_ID] + "…", limit=MAX_ONEC_ID)
    for quantity in change.levels.values():
        if not 0 <= quantity <= MAX_QUANTITY:
            raise ItemRefused("quantity_out_of_range", id=onec_id, name=shown, quantity=quantity)
    row = existing.get(onec_id)
    if "#" not in onec_id:
        if row is None:
            raise ItemRefused("no_product", id=onec_id, name=shown)
        return "update", {}, [], []
    parent_key = onec_id.split("#", 1)[0]
    parent = parents.get(parent_key)
    if parent is None:
        raise ItemRefused("no_parent", id=onec_id, name=shown, parent=parent_key)
    if parent.parent_id is not None:
        raise ItemRefused("variant_of_variant", id=onec_id, name=shown, parent=parent_key)
    try:
        codes = parse_barcodes(change.barcode) or [] if change.barcode.strip() else []
    except RowError as exc:
        raise ItemRefused("bad_card", id=onec_id, name=shown, reason=str(exc)) from None
    mine = barcodes_of.get(row.id, set()) if row is not None else set()
    given = [c for c in codes if c not in barcodes_of.get(parent.id, set())]
    drop = sorted(mine - set(given)) if given else []  # no barcode in the offer: the variant keeps its own
    codes = [c for c in given if c not in mine]
    label = identity.variant_label(shown, parent.name, change.characteristics)
    name = shown[:300] if shown else f"{parent.name} ({label})"[:300]
    inherited = {key: getattr(parent, key) for key in _INHERITED}
    active = bool(parent.active) and not change.deleted
    if row is None:
        return "new", {"onec_id": onec_id, "parent_id": parent.id, "variant": label, "name": name,
                       "sku": f"{parent.sku}/{identity.variant_tail(label)}",
                       "price": change.price if change.price is not None else parent.price,
                       "returnable": parent.returnable, "discountable": parent.discountable,
                       "warranty_months": parent.warranty_months, "active": active, "onec_seen_at": seen_at,
                       **inherited}, codes, []
    values = {k: v for k, v in {"name": name, "variant": label, "active": active, "parent_id": parent.id,
                                **inherited}.items() if getattr(row, k) != v}
    if "variant" in values:
        values["sku"] = (parent.sku, label)  # worked out against the other SKUs when written
    return "update", values, codes, drop


def _update_variants(updates: list[tuple[object, dict]]) -> None:
    changes = []
    for row, values in updates:
        if "sku" in values:
            parent_sku, label = values["sku"]
            values["sku"] = identity.variant_sku(parent_sku, label, row.id)
        db.session.execute(sa.update(Product).where(Product.id == row.id).values(**values))
        before = _audit_card(row)
        changes.append((row.id, {k: before[k] for k in values}, dict(values)))
    audit.record_many("product_updated", Product.__tablename__, changes, source="1c")


def _set_prices(changes: list[tuple[int, int, int]]) -> None:
    """(product id, old price, new price) each: the prices and their audit events."""
    if not changes:
        return
    table = Product.__table__
    db.session.execute(sa.update(table).where(table.c.id == sa.bindparam("product_id"))
                       .values(price=sa.bindparam("new_price")),
                       [{"product_id": pid, "new_price": new} for pid, _old, new in changes])
    audit.record_many("product_price_changed", Product.__tablename__,
                      [(pid, {"price": old}, {"price": new}) for pid, old, new in changes], source="1c")

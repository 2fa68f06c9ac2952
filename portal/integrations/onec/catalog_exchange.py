"""`type=catalog&mode=import`: one uploaded file applied in steps, each step one transaction.

The first call checks that the whole file is well-formed before anything is written (a broken
file answers `failure` with the line and column, and nothing of it is imported). Then each call
applies units (the classifier, a product, an offer) for at most ONEC_STEP_SECONDS (it stops
taking units at three quarters of it) or ONEC_STEP_ITEMS units, commits them with the position
reached, and answers `progress`; the next call skips the units already applied (re-reading the
file as a stream without building them) and goes on. The last
step answers `success`. A repeated call after that answers `success` again and changes nothing.

* One unit 1C sends wrong (a barcode of another product, a price that is not a number, a size
  whose product did not come) is rolled back alone (a savepoint), counted as rejected with its
  reason (integrations/onec/refusals.py: a code and its values, shown translated on the admin's
  1C page), and the import goes on. The answer to 1C counts the rejected and the rounded items.
* A full catalogue (Каталог without СодержитТолькоИзменения="true"), once applied, takes off sale
  the products with a 1C Ид it did not carry; a full offers package the variants it did not
  carry (integrations/onec/catalog.deactivate_missing); a changes-only package touches only what
  it carries.
* Prices come from the price type ONEC_PRICE_TYPE (its Ид or Наименование in ТипыЦен); unset,
  the package must have exactly one price type. A price type in another currency than
  PORTAL_CURRENCY is refused. Prices are rounded half-up to the minor unit; Коэффициент is
  ignored (the portal sells by the base unit). An offer without a price of that type keeps the
  price it had (a new variant: its product's).
* Stock: per 1C warehouse through the mapping to locations (integrations/onec/warehouses.py);
  an offer without per-warehouse figures (the older shape) sets the location ONEC_WAREHOUSE,
  else the main warehouse, from its Количество. A negative quantity (1C allows it) counts as 0; a
  fractional one (kilograms, metres) is kept as its whole units and the rest is said
  ("fraction_rounded").
* A characteristic offer ("product Ид#characteristic Ид") is a variant of its product, made when
  it first comes; its product must have come in import.xml. Offers are applied a batch at a time
  (integrations/onec/offers.py); should a batch fail in the database, its offers are tried one by
  one so that only the one at fault is refused ("not_saved").
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.integrations.onec import catalog as onec_catalog
from portal.integrations.onec import catalog_reader, offers, warehouses
from portal.integrations.onec.catalog import ProductCard
from portal.integrations.onec.catalog_reader import (
    Card,
    CatalogXmlError,
    Groups,
    OfferItem,
    PackageKind,
    PriceTypes,
    Warehouses,
)
from portal.integrations.onec.offers import BatchResult, OfferChange
from portal.integrations.onec.protocol import ExchangeError, stored_file
from portal.integrations.onec.refusals import ItemRefused
from portal.models import Location, OnecImport, utcnow
from portal.money import to_minor
from portal.services.transactions import one_transaction, operation

MAX_REJECTS_KEPT = 100
CURRENCY_WORDS = {"руб": "RUB", "руб.": "RUB", "643": "RUB", "rur": "RUB", "грн": "UAH", "грн.": "UAH", "980": "UAH"}


@dataclass
class StepResult:
    state: str  # "progress", "success", "failure"
    message: str


def _import_row(session_id: int, filename: str, now: datetime) -> OnecImport:
    row = db.session.scalar(db.select(OnecImport).where(OnecImport.session_id == session_id,
                                                         OnecImport.filename == filename))
    if row is None:
        row = OnecImport(session_id=session_id, filename=filename, status="in_progress", position=0,
                         counts={}, message="", started_at=now, updated_at=now)
        db.session.add(row)
        db.session.flush()
    return row


@operation
def forget_session_imports(session_id: int) -> None:
    """`init` again in the same session: its files go, and so does the progress made on them."""
    db.session.execute(db.delete(OnecImport).where(OnecImport.session_id == session_id))


@operation
def _fail(row_id: int, message: str) -> StepResult:
    row = db.session.get(OnecImport, row_id)
    row.status, row.message, row.updated_at = "failed", message[:1000], utcnow()
    return StepResult("failure", message)


def import_step(session_id: int, filename: str, now: datetime | None = None) -> StepResult:
    """Run one step of importing the session's uploaded file `filename`."""
    started = time.monotonic()
    now = now or utcnow()
    path = stored_file(session_id, filename)
    row = one_transaction(lambda: _import_row(session_id, path.name, now))
    if row.status == "done":
        return StepResult("success", row.message)
    if row.status == "failed":
        return StepResult("failure", row.message)
    if not row.counts.get("checked"):
        try:
            catalog_reader.check_well_formed(path)
        except CatalogXmlError as exc:
            return _fail(row.id, str(exc))
    row_id = row.id
    try:  # one step is one transaction: the items it applied and where the next step starts
        return one_transaction(lambda: _run(db.session.get(OnecImport, row_id), path, now, started))
    except (CatalogXmlError, ExchangeError) as exc:
        return _fail(row_id, str(exc))


class _Step:
    def __init__(self, row: OnecImport, started: float):
        config = current_app.config
        self.row = row
        self.counts = {"checked": True, "created": 0, "updated": 0, "variants": 0, "offers": 0, "rejected": 0,
                       "rounded": 0, "deactivated": 0, "rejects": [], "unmapped": {}, **row.counts}
        # Units are taken while three quarters of the step's time are left for the last batch and
        # the commit, so that the answer reaches 1C within ONEC_STEP_SECONDS of its request.
        self.deadline = started + 0.75 * float(config.get("ONEC_STEP_SECONDS", 20))
        self.budget = int(config.get("ONEC_STEP_ITEMS", 20000))
        self.price_type: str | None = None
        self.location_id: int | None = None
        self.location_looked_up = False
        self.package: PackageKind | None = None
        self.by_warehouse = False  # the package declares Склады: stock goes per warehouse
        self.mapping: dict[str, int | None] = warehouses.mapping()
        self.place_names: dict[int, str] = dict(db.session.execute(db.select(Location.id, Location.name)).all())

    def reject(self, refusal: ItemRefused, counter: str = "rejected") -> None:
        self.counts[counter] += 1
        if len(self.counts["rejects"]) < MAX_REJECTS_KEPT:
            self.counts["rejects"] = [*self.counts["rejects"], refusal.entry()]

    def unmapped(self, warehouse_id: str, quantity: Decimal) -> None:
        totals = dict(self.counts["unmapped"])
        totals[warehouse_id] = str(Decimal(totals.get(warehouse_id, "0")) + quantity)
        self.counts["unmapped"] = totals

    def out_of_budget(self, done_now: int) -> bool:
        return done_now >= self.budget or time.monotonic() > self.deadline


def _run(row: OnecImport, path, now: datetime, started: float) -> StepResult:
    step = _Step(row, started)
    unit = 0
    done_now = 0
    pending: list = []  # cards or offers read and not yet applied
    saved = row.counts.get("resume")
    resume = catalog_reader.Resume(**saved) if saved and saved.get("units") == row.position else None
    readers: list = []
    last = None  # the last unit applied (it knows where it ends in the file)
    for item in catalog_reader.read_items(path, skip=row.position, resume=resume, reader=readers):
        if isinstance(item, PackageKind):
            step.package = item
            continue
        if isinstance(item, PriceTypes):
            step.price_type = _choose_price_type(item)
            continue
        if isinstance(item, Warehouses):
            _note_warehouses(step, item, now)
            continue
        unit += 1
        if unit <= row.position:
            continue
        if step.out_of_budget(done_now):
            _apply_batch(step, pending)
            row.position = unit - 1
            point = catalog_reader.resume_point(readers[0], row.position, last)
            step.counts["resume"] = point.__dict__ if point is not None else None
            _save(row, step, "in_progress", "")
            return StepResult("progress", f"{path.name}: {row.position} items applied")
        done_now += 1
        last = item
        if isinstance(item, (OfferItem, Card)):  # products and offers go a batch at a time
            if pending and type(pending[0]) is not type(item):
                _apply_batch(step, pending)
                pending = []
            pending.append(item)
            if len(pending) >= offers.BATCH:
                _apply_batch(step, pending)
                pending = []
            continue
        _apply_batch(step, pending)
        pending = []
        _apply_unit(step, item)
    _apply_batch(step, pending)
    if step.package is None:
        raise CatalogXmlError(f"{path.name} holds neither a Каталог nor a ПакетПредложений")
    if not step.package.changes_only:
        step.counts["deactivated"] = onec_catalog.deactivate_missing(row.started_at,
                                                                     variants=step.package.kind == "offers")
    if step.package.kind == "offers" and step.by_warehouse:
        warehouses.record_unmapped({k: Decimal(v) for k, v in step.counts["unmapped"].items()})
    row.position = unit
    c = step.counts
    summary = (f"{path.name}: created {c['created']}, updated {c['updated']}, variants {c['variants']}, "
               f"offers {c['offers']}, rejected {c['rejected']}, rounded {c['rounded']}, "
               f"taken off sale {c['deactivated']}")
    _save(row, step, "done", summary)
    return StepResult("success", summary)


def _save(row: OnecImport, step: _Step, status: str, message: str) -> None:
    row.counts = dict(step.counts)
    row.status, row.message, row.updated_at = status, message[:1000], utcnow()


def _apply_unit(step: _Step, item: Groups) -> None:
    savepoint = db.session.begin_nested()
    try:
        for group in item.groups:
            onec_catalog.upsert_section(group.onec_id, group.name, group.parent_id)
        savepoint.commit()
    except ItemRefused as exc:
        savepoint.rollback()
        step.reject(exc)


def _apply_batch(step: _Step, items: list) -> None:
    if items and isinstance(items[0], Card):
        _apply_cards(step, items)
    elif items:
        _apply_offers(step, items)


def _one_by_one(apply, changes: list, refuse):
    """A batch the database refused as a whole (what its checks could not foresee): each item alone,
    in a savepoint, so that only the one at fault is refused. Returns the results."""
    results = []
    for change in changes:
        savepoint = db.session.begin_nested()
        try:
            results.append(apply([change]))
            savepoint.commit()
        except SQLAlchemyError as exc:
            savepoint.rollback()
            results.append(refuse(change, type(getattr(exc, "orig", exc)).__name__))
    return results


def _in_savepoint(apply, changes: list, refuse) -> list:
    savepoint = db.session.begin_nested()
    try:
        result = apply(changes)
        savepoint.commit()
        return [result]
    except SQLAlchemyError:
        savepoint.rollback()
        return _one_by_one(apply, changes, refuse)


def _apply_cards(step: _Step, items: list[Card]) -> None:
    cards = [ProductCard(c.onec_id, c.sku, c.name, c.barcode, c.group_id, c.deleted, c.vat, c.unit, c.code)
             for c in items]
    for result in _in_savepoint(
            lambda batch: onec_catalog.upsert_products(batch, step.row.started_at), cards,
            lambda card, reason: onec_catalog.CardsResult(refused=[ItemRefused(
                "not_saved", id=card.onec_id, name=card.name, reason=reason)])):
        for refusal in result.refused:
            step.reject(refusal)
        step.counts["created"] += result.created
        step.counts["updated"] += result.updated


def _note_warehouses(step: _Step, item: Warehouses, now: datetime) -> None:
    step.by_warehouse = True
    if item.warehouses:
        warehouses.note([(w.onec_id, w.name) for w in item.warehouses], now)
    step.mapping = warehouses.mapping()


def _apply_offers(step: _Step, items: list[OfferItem]) -> None:
    """Offers read, a batch of them: each one's price and stock worked out (or refused), then all
    applied together (integrations/onec/offers.py)."""
    if not items:
        return
    changes = []
    for offer in items:
        try:
            price = _price(offer, offer.prices[step.price_type]) \
                if step.price_type is not None and step.price_type in offer.prices else None
            changes.append(OfferChange(offer.onec_id.strip(), offer.name, offer.barcode, offer.characteristics,
                                       offer.deleted, price, _levels(step, offer)))
        except ItemRefused as exc:
            step.reject(exc)
    for result in _in_savepoint(
            lambda batch: offers.apply_offers(batch, step.row.started_at), changes,
            lambda change, reason: BatchResult(refused=[ItemRefused(
                "not_saved", id=change.onec_id, name=change.name, reason=reason)])):
        for refusal in result.refused:
            step.reject(refusal)
        step.counts["offers"] += result.applied
        step.counts["variants"] += result.variants_created


def _levels(step: _Step, offer: OfferItem) -> dict[int, int]:
    """The whole units the offer puts at each location."""
    if offer.stores is None:  # no per-warehouse figures: the total lies at the default location
        if offer.quantity is None:
            return {}
        return {_location(step): _whole(step, offer, _quantity(offer, offer.quantity), _location(step))}
    exact: dict[int, Decimal] = {loc: Decimal(0) for loc in set(step.mapping.values()) if loc is not None}
    for warehouse_id, text in (offer.stores or {}).items():
        if warehouse_id not in step.mapping:  # named by an offer, not among the package's Склады
            warehouses.note([(warehouse_id, "")], step.row.started_at)
            step.mapping[warehouse_id] = warehouses.mapping().get(warehouse_id)
        location_id = step.mapping[warehouse_id]
        quantity = _quantity(offer, text)
        if location_id is None:
            step.unmapped(warehouse_id, max(quantity, Decimal(0)))
        else:
            exact[location_id] = exact.get(location_id, Decimal(0)) + quantity
    return {loc: _whole(step, offer, quantity, loc) for loc, quantity in exact.items()}


def _whole(step: _Step, offer: OfferItem, quantity: Decimal, location_id: int) -> int:
    if quantity <= 0:
        return 0
    whole = quantity.to_integral_value(rounding=ROUND_FLOOR)
    if whole != quantity:
        place = step.place_names.get(location_id) or db.session.scalar(
            db.select(Location.name).where(Location.id == location_id)) or ""
        step.reject(ItemRefused("fraction_rounded", id=offer.onec_id, name=offer.name, quantity=quantity,
                                unit=offer.unit, place=place, kept=whole), counter="rounded")
    return int(whole)


def _number(text: str) -> Decimal:
    value = Decimal(text.replace(",", ".").replace(" ", "").replace("\u00a0", ""))
    if not value.is_finite():
        raise InvalidOperation
    return value


def _price(offer: OfferItem, text: str) -> int:
    try:
        value = _number(text)
    except InvalidOperation:
        raise ItemRefused("bad_price", id=offer.onec_id, name=offer.name, price=text) from None
    if value < 0:
        raise ItemRefused("bad_price", id=offer.onec_id, name=offer.name, price=text)
    return to_minor(value)


def _quantity(offer: OfferItem, text: str) -> Decimal:
    try:
        return _number(text)
    except InvalidOperation:
        raise ItemRefused("bad_quantity", id=offer.onec_id, name=offer.name, quantity=text) from None


def _location(step: _Step) -> int:
    if not step.location_looked_up:
        code = current_app.config.get("ONEC_WAREHOUSE", "")
        query = db.select(Location.id).where(Location.code == code) if code else \
            db.select(Location.id).where(Location.is_main.is_(True), Location.active.is_(True))
        step.location_id = db.session.scalar(query)
        step.location_looked_up = True
    if step.location_id is None:
        raise ExchangeError("stock cannot be set: there is no main warehouse (or the location ONEC_WAREHOUSE)")
    return step.location_id


def _choose_price_type(item: PriceTypes) -> str | None:
    wanted = (current_app.config.get("ONEC_PRICE_TYPE") or "").strip()
    known = ", ".join(f"{t.name} ({t.onec_id})" for t in item.types) or "none"
    if wanted:
        found = [t for t in item.types if wanted in (t.onec_id, t.name)]
        if not found:
            raise ExchangeError(f"the price type {wanted!r} (ONEC_PRICE_TYPE) is not in the package; it has: {known}")
        chosen = found[0]
    elif len(item.types) == 1:
        chosen = item.types[0]
    elif not item.types:
        return None
    else:
        raise ExchangeError(f"the package has several price types; set ONEC_PRICE_TYPE to one of: {known}")
    currency = chosen.currency.strip()
    code = CURRENCY_WORDS.get(currency.lower(), currency.upper())
    portal = current_app.config.get("PORTAL_CURRENCY", "RUB")
    if currency and len(code) == 3 and code.isalpha() and code != portal:
        raise ExchangeError(f"the price type {chosen.name!r} is in {currency}, the portal counts in {portal}")
    return chosen.onec_id

"""`type=catalog&mode=import`: one uploaded file applied in steps, each step one transaction.

The first call checks that the whole file is well-formed before anything is written (a broken
file answers `failure` with the line and column, and nothing of it is imported). Then each call
applies units (the classifier, a product, an offer) for at most ONEC_STEP_SECONDS or
ONEC_STEP_ITEMS units, commits them with the position reached, and answers `progress`; the next
call skips the units already applied (re-reading the file as a stream) and goes on. The last
step answers `success`. A repeated call after that answers `success` again and changes nothing.

* One unit 1C sends wrong (an empty Артикул on a new product, a barcode of another product, a
  price that is not a number) is rolled back alone (a savepoint), counted as rejected with its
  reason in the import's log (`onec_imports.counts`), and the import goes on.
* A full catalogue (Каталог without СодержитТолькоИзменения="true"), once applied, takes off sale
  the products with a 1C Ид it did not carry (services/onec_catalog.deactivate_missing); a
  changes-only package touches only what it carries.
* Prices come from the price type ONEC_PRICE_TYPE (its Ид or Наименование in ТипыЦен); unset,
  the package must have exactly one price type. A price type in another currency than
  PORTAL_CURRENCY is refused. Prices are rounded half-up to the minor unit; Коэффициент is
  ignored (the portal sells by the base unit).
* Stock goes to the location ONEC_WAREHOUSE (a location code), else the main warehouse; the
  quantity is the sum of the offer's Склад / Остатки quantities when given, else Количество.
  A negative quantity (1C allows it) counts as 0; a fractional one is refused.
* Offers for a characteristic ("product Ид#characteristic Ид") are matched to a product with
  exactly that Ид only: the portal has no product variants, so others are rejected by name.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask import current_app

from portal.extensions import db
from portal.integrations.onec import catalog as onec_catalog
from portal.integrations.onec import catalog_reader
from portal.integrations.onec.catalog import ItemRefused, ProductCard
from portal.integrations.onec.catalog_reader import Card, CatalogXmlError, Groups, OfferItem, PackageKind, PriceTypes
from portal.integrations.onec.protocol import ExchangeError, stored_file
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
        return one_transaction(lambda: _run(db.session.get(OnecImport, row_id), path, now))
    except (CatalogXmlError, ExchangeError, ItemRefused) as exc:
        return _fail(row_id, str(exc))


class _Step:
    def __init__(self, row: OnecImport):
        config = current_app.config
        self.row = row
        self.counts = {"checked": True, "created": 0, "updated": 0, "offers": 0, "rejected": 0, "deactivated": 0,
                       "rejects": [], **row.counts}
        self.deadline = time.monotonic() + float(config.get("ONEC_STEP_SECONDS", 20))
        self.budget = int(config.get("ONEC_STEP_ITEMS", 2000))
        self.price_type: str | None = None
        self.location_id: int | None = None
        self.location_looked_up = False
        self.package: PackageKind | None = None

    def reject(self, reason: str) -> None:
        self.counts["rejected"] += 1
        if len(self.counts["rejects"]) < MAX_REJECTS_KEPT:
            self.counts["rejects"] = [*self.counts["rejects"], reason]

    def out_of_budget(self, done_now: int) -> bool:
        return done_now >= self.budget or time.monotonic() > self.deadline


def _run(row: OnecImport, path, now: datetime) -> StepResult:
    step = _Step(row)
    unit = 0
    done_now = 0
    for item in catalog_reader.read_items(path):
        if isinstance(item, PackageKind):
            step.package = item
            continue
        if isinstance(item, PriceTypes):
            step.price_type = _choose_price_type(item)
            continue
        unit += 1
        if unit <= row.position:
            continue
        if step.out_of_budget(done_now):
            row.position = unit - 1
            _save(row, step, "in_progress", "")
            return StepResult("progress", f"{path.name}: {row.position} items applied")
        _apply_unit(step, item)
        done_now += 1
    if step.package is None:
        raise CatalogXmlError(f"{path.name} holds neither a Каталог nor a ПакетПредложений")
    if step.package.kind == "catalog" and not step.package.changes_only:
        step.counts["deactivated"] = onec_catalog.deactivate_missing(row.started_at)
    row.position = unit
    c = step.counts
    summary = (f"{path.name}: created {c['created']}, updated {c['updated']}, offers {c['offers']}, "
               f"rejected {c['rejected']}, taken off sale {c['deactivated']}")
    _save(row, step, "done", summary)
    return StepResult("success", summary)


def _save(row: OnecImport, step: _Step, status: str, message: str) -> None:
    row.counts = dict(step.counts)
    row.status, row.message, row.updated_at = status, message[:1000], utcnow()


def _apply_unit(step: _Step, item) -> None:
    savepoint = db.session.begin_nested()
    try:
        if isinstance(item, Groups):
            for group in item.groups:
                onec_catalog.upsert_section(group.onec_id, group.name, group.parent_id)
        elif isinstance(item, Card):
            _, created = onec_catalog.upsert_product(
                ProductCard(item.onec_id, item.sku, item.name, item.barcode, item.group_id, item.deleted, item.vat),
                step.row.started_at)
            step.counts["created" if created else "updated"] += 1
        elif isinstance(item, OfferItem):
            _apply_offer(step, item)
            step.counts["offers"] += 1
        savepoint.commit()
    except ItemRefused as exc:
        savepoint.rollback()
        step.reject(str(exc))


def _apply_offer(step: _Step, offer: OfferItem) -> None:
    product_id = onec_catalog.product_for_offer(offer.onec_id)
    if product_id is None:
        if "#" in offer.onec_id:
            raise ItemRefused(f"offer {offer.onec_id}: characteristics (product variants) are not kept by the portal")
        raise ItemRefused(f"offer {offer.onec_id}: no product with this 1C Ид (import.xml first)")
    price = None
    if step.price_type is not None and step.price_type in offer.prices:
        price = _price(offer.onec_id, offer.prices[step.price_type])
    quantity = _quantity(offer.onec_id, offer.quantity) if offer.quantity is not None else None
    onec_catalog.apply_offer(product_id, price, quantity, _location(step) if quantity is not None else None)


def _price(onec_id: str, text: str) -> int:
    try:
        value = Decimal(text.replace(",", ".").replace(" ", "").replace("\u00a0", ""))
    except InvalidOperation:
        raise ItemRefused(f"offer {onec_id}: price {text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise ItemRefused(f"offer {onec_id}: price {text!r} is not a price")
    return to_minor(value)


def _quantity(onec_id: str, text: str) -> int:
    try:
        value = Decimal(text.replace(",", ".").replace(" ", "").replace("\u00a0", ""))
    except InvalidOperation:
        raise ItemRefused(f"offer {onec_id}: quantity {text!r} is not a number") from None
    if not value.is_finite() or value != value.to_integral_value():
        raise ItemRefused(f"offer {onec_id}: quantity {text} is not a whole number")
    return max(int(value), 0)


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

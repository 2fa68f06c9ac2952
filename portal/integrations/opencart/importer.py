"""Bringing an OpenCart shop's customers and reward points into the portal.

A run has three passes over one *source* (a name for the shop, `shop` unless told; the state and the
idempotency keys belong to it, so the shop's database and its CSV exports are the same source):

1. The highest reward id is noted first, so every reward row this run takes has its customer in the
   shop already when the customers are read.
2. **Customers** after the last one linked, in batches: each becomes linked to the client with the
   same e-mail (any case), else the same phone (any notation, as E.164), else to a new private-person
   client (name, phone if valid, e-mail if valid). The link is kept in `opencart_customers`.
3. **Reward rows** after the last one imported, up to the id of step 1, in batches: each becomes one
   imported ledger operation (`ledger.import_bonus_many`, a batch at a time) under the key `opencart:<source>:reward:<customer_reward_id>`, its points
   converted as `points.py` says. Positive rows are available bonus at once; a negative row (points
   spent in the shop) takes from the client's available bonus, never below zero: what the balance
   cannot cover is reported as *not covered* (the ledger records the row's full amount, moves what
   there is). Rows of a customer the shop no longer has are skipped and counted.

Each batch (customers or reward rows) is one transaction together with the state row that says how
far the import got, so a failure leaves the previous batches in and nothing of the failed one, and a
re-run continues from there. The imported bonus starts its life (expiry) at the moment of the
import: a lot dated with an old OpenCart date would expire at once. The OpenCart date, order and
description are kept in the operation's reason.

**Reconciliation** (read-only) compares, per client, the sum and the number of the shop's reward rows
up to the last imported id with the import operations the portal holds for that source, and lists
the clients where they differ (rows deleted or changed in the shop).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice

from portal import ledger
from portal.extensions import db
from portal.integrations.opencart import clients as imported_clients
from portal.integrations.opencart.points import PointsError, parse_point_value, parse_points, points_to_minor
from portal.integrations.opencart.sources import Customer, Reward, SourceError
from portal.models import LedgerOperation, OpencartCustomer, OpencartImport, OperationKind, utcnow
from portal.services.transactions import one_transaction

DEFAULT_SOURCE = "shop"
BATCH_SIZE = 1000


class ImportRefused(SourceError):
    """The run cannot start as asked (a different point value than the source was imported with …)."""


def reward_key(source: str, reward_id: int) -> str:
    return f"opencart:{source}:reward:{reward_id}"


@dataclass
class Mismatch:
    client_id: int
    customer_ids: list[int]
    shop_amount: int
    shop_rows: int
    portal_amount: int
    portal_rows: int


@dataclass
class Summary:
    source: str
    point_value: Decimal
    customers_read: int = 0
    clients_created: int = 0
    linked_by_email: int = 0
    linked_by_phone: int = 0
    rows_imported: int = 0
    rows_skipped: int = 0
    points_imported: Decimal = Decimal(0)
    amount_imported: int = 0
    not_covered: int = 0
    last_reward_id: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    def add(self, other: dict) -> None:
        for name, value in other.items():
            setattr(self, name, getattr(self, name) + value)


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def prepare(source_name: str, point_value: str | Decimal | None) -> Decimal:
    """The point value of this run: the one given, or the one the source was imported with; a
    different one than before is refused (the rows already in would not add up with the new ones)."""
    source_name = (source_name or "").strip()
    if not source_name or len(source_name) > 100 or ":" in source_name:
        raise ImportRefused("the source name must be 1 to 100 characters without ':'")
    try:
        given = parse_point_value(point_value) if point_value not in (None, "") else None
    except PointsError as exc:
        raise ImportRefused(str(exc)) from None
    state = db.session.get(OpencartImport, source_name)
    if state is not None:
        kept = Decimal(state.point_value)
        if given is not None and given != kept:
            raise ImportRefused(f"source {source_name!r} was imported with point value {kept}; "
                                f"a re-run must use the same (--point-value {kept})")
        db.session.rollback()
        return kept
    value = given if given is not None else Decimal(1)

    def create():
        db.session.add(OpencartImport(source=source_name, point_value=str(value), last_customer_id=0,
                                      last_reward_id=0, updated_at=utcnow()))
    one_transaction(create)
    return value


def import_all(source, *, source_name: str = DEFAULT_SOURCE, point_value: str | Decimal | None = None,
               country: str = "RU", batch_size: int = BATCH_SIZE,
               on_rewards_total: Callable[[int], None] | None = None,
               on_progress: Callable[[int], None] | None = None, reconcile_after: bool = True) -> Summary:
    """Run the passes described above and return what they did (see the module's docstring)."""
    value = prepare(source_name, point_value)
    summary = Summary(source=source_name, point_value=value)
    upto = source.max_reward_id()
    state = db.session.get(OpencartImport, source_name)
    after_customer, after_reward = state.last_customer_id, state.last_reward_id
    db.session.rollback()

    for batch in _batches(source.customers(after_customer), batch_size):
        summary.add(one_transaction(lambda batch=batch: _link_customers(source_name, batch, country)))
        summary.customers_read += len(batch)

    if on_rewards_total is not None:
        on_rewards_total(source.count_rewards(after_reward, upto) if upto > after_reward else 0)
    at = utcnow()
    for batch in _batches(source.rewards(after_reward, upto), batch_size):
        summary.add(one_transaction(lambda batch=batch: _import_rewards(source_name, batch, value, at)))
        if on_progress is not None:
            on_progress(len(batch))
    summary.last_reward_id = db.session.get(OpencartImport, source_name).last_reward_id
    db.session.rollback()
    if reconcile_after:
        summary.mismatches = reconcile(source, source_name=source_name)
    return summary


def _customer_name(customer: Customer) -> str:
    name = " ".join(f"{customer.firstname} {customer.lastname}".split())
    return name or customer.email.strip() or f"OpenCart customer {customer.customer_id}"


def _link_customers(source_name: str, customers: list[Customer], country: str) -> dict:
    """One batch of customers, inside the caller's transaction. Returns the counts."""
    counts = {"clients_created": 0, "linked_by_email": 0, "linked_by_phone": 0}
    linked = set(db.session.scalars(db.select(OpencartCustomer.customer_id).where(
        OpencartCustomer.source == source_name,
        OpencartCustomer.customer_id.in_([c.customer_id for c in customers]))))
    emails = {c.customer_id: imported_clients.email_key(c.email) for c in customers}
    phones = {c.customer_id: imported_clients.phone_key(c.telephone, country) for c in customers}
    # An e-mail or a phone maps to a client id, or to a client created earlier in this batch.
    by_email: dict = imported_clients.clients_by_email(emails.values())
    by_phone: dict = imported_clients.clients_by_phone(phones.values())
    for customer in customers:
        if customer.customer_id in linked:
            continue
        email, phone = emails[customer.customer_id], phones[customer.customer_id]
        if email and email in by_email:
            client, how = by_email[email], "email"
            counts["linked_by_email"] += 1
        elif phone and phone in by_phone:
            client, how = by_phone[phone], "phone"
            counts["linked_by_phone"] += 1
        else:
            client, how = imported_clients.new_imported_client(_customer_name(customer), customer.email, phone), \
                "created"
            counts["clients_created"] += 1
            if phone:
                by_phone[phone] = client
        if email:
            by_email.setdefault(email, client)
        link = OpencartCustomer(source=source_name, customer_id=customer.customer_id, matched_by=how,
                                created_at=utcnow())
        if isinstance(client, int):
            link.client_id = client
        else:
            link.client = client
        db.session.add(link)
    state = db.session.get(OpencartImport, source_name, with_for_update=True)
    state.last_customer_id = max(state.last_customer_id, customers[-1].customer_id)
    state.updated_at = utcnow()
    db.session.flush()
    return counts


def _import_rewards(source_name: str, rewards: list[Reward], point_value: Decimal, at) -> dict:
    """One batch of reward rows, inside the caller's transaction. Returns the counts."""
    counts = {"rows_imported": 0, "rows_skipped": 0, "points_imported": Decimal(0), "amount_imported": 0,
              "not_covered": 0}
    state = db.session.get(OpencartImport, source_name, with_for_update=True)
    clients = dict(db.session.execute(db.select(OpencartCustomer.customer_id, OpencartCustomer.client_id).where(
        OpencartCustomer.source == source_name,
        OpencartCustomer.customer_id.in_({r.customer_id for r in rewards}))).all())
    items, figures = [], []
    for reward in rewards:
        if reward.reward_id <= state.last_reward_id:
            continue
        client_id = clients.get(reward.customer_id)
        if client_id is None:
            counts["rows_skipped"] += 1
            continue
        try:
            points = parse_points(reward.points)
            amount = points_to_minor(points, point_value)
        except PointsError as exc:
            where = f"line {reward.line}" if reward.line else f"customer_reward_id {reward.reward_id}"
            raise SourceError(f"reward row {where}: {exc}") from None
        reason = f"OpenCart reward {reward.reward_id}"
        if reward.date_added:
            reason += f" of {reward.date_added}"
        if reward.order_id:
            reason += f", order {reward.order_id}"
        if reward.description:
            reason += f": {reward.description}"
        items.append(ledger.ImportItem(client_id, amount, reward_key(source_name, reward.reward_id), reason))
        figures.append(points)
    for item, points, result in zip(items, figures, ledger.import_bonus_many(items, at=at)):
        if not result.created:
            continue          # imported before under its key: nothing changes
        counts["rows_imported"] += 1
        counts["points_imported"] += points
        counts["amount_imported"] += item.amount
        if item.amount < 0:
            counts["not_covered"] += -item.amount - result.moved
    state.last_reward_id = max(state.last_reward_id, rewards[-1].reward_id)
    state.updated_at = utcnow()
    db.session.flush()
    return counts


def reconcile(source, *, source_name: str = DEFAULT_SOURCE) -> list[Mismatch]:
    """Clients whose reward rows in the shop (up to the last imported id) and import operations in
    the portal differ in sum or in number. Reads only; changes nothing."""
    state = db.session.get(OpencartImport, source_name)
    if state is None:
        return []
    point_value, upto = Decimal(state.point_value), state.last_reward_id
    customers = dict(db.session.execute(db.select(OpencartCustomer.customer_id, OpencartCustomer.client_id)
                                        .where(OpencartCustomer.source == source_name)).all())
    shop: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for customer_id, points, rows in source.reward_totals(upto):
        client_id = customers.get(customer_id)
        if client_id is None:
            continue   # skipped on import: the shop has no such customer
        try:
            shop[client_id][0] += points_to_minor(points, point_value) * rows
        except PointsError as exc:
            raise SourceError(f"reward rows of customer {customer_id}: {exc}") from None
        shop[client_id][1] += rows
    portal = {client_id: (int(amount or 0), int(rows)) for client_id, amount, rows in db.session.execute(
        db.select(LedgerOperation.client_id, db.func.sum(LedgerOperation.amount), db.func.count())
        .where(LedgerOperation.kind == OperationKind.IMPORT,
               LedgerOperation.key.startswith(f"opencart:{source_name}:reward:", autoescape=True))
        .group_by(LedgerOperation.client_id))}
    db.session.rollback()
    mismatches = []
    for client_id in sorted(set(shop) | set(portal)):
        shop_amount, shop_rows = shop.get(client_id, (0, 0))
        portal_amount, portal_rows = portal.get(client_id, (0, 0))
        if (shop_amount, shop_rows) != (portal_amount, portal_rows):
            mismatches.append(Mismatch(client_id, [], shop_amount, shop_rows, portal_amount, portal_rows))
    if mismatches:
        of_client = defaultdict(list)
        for customer_id, client_id in customers.items():
            of_client[client_id].append(customer_id)
        for mismatch in mismatches:
            mismatch.customer_ids = sorted(of_client[mismatch.client_id])
    return mismatches

"""The single writer of the statistics' daily sums (`models/statistics.py`).

Each sum table is filled from its source rows by one SQL statement per source (`SOURCES`), used
four ways, so there is one definition of what a table holds:

- `record_order(order_id)`: the sales service, when an order is paid (its sale and its lines);
- `record_return(return_id)`: the returns service, for a return (its value and its lines);
- `record_entry(entry_id)`: the ledger's `transfer`, for every entry it writes;
- `move_client(client_id, old, new)`: when a client's responsible manager changes (an ORM hook,
  whatever service changed it), the client's sums move from the old manager to the new one;

and `rebuild()` / `differences()` for `flask statistics rebuild` / `verify` (and migration 0008).
Every call runs in the caller's transaction and never commits.

Days are local days of the company's time zone (PORTAL_TIMEZONE): PostgreSQL converts with
`AT TIME ZONE`, SQLite with a function registered on each connection. Changing the zone of a
running portal needs `flask statistics rebuild`.

Concurrency (PostgreSQL): a writer takes a KEY SHARE lock on the client's row before it reads the
client's manager, and a reassignment takes the row for UPDATE before it moves the sums, so a
sale and a reassignment of the same client never pass each other.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import Client

DEFAULT_ZONE = "Europe/Moscow"


# --- local days in SQL ---------------------------------------------------------------------------

@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _sqlite_moment(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def sqlite_local_day(value, zone: str) -> str | None:
    moment = _sqlite_moment(value)
    return None if moment is None else moment.astimezone(_zone(zone)).date().isoformat()


def sqlite_local_month(value, zone: str) -> str | None:
    moment = _sqlite_moment(value)
    return None if moment is None else moment.astimezone(_zone(zone)).date().replace(day=1).isoformat()


@sa.event.listens_for(sa.engine.Engine, "connect")
def _register_sqlite_functions(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("portal_local_day", 2, sqlite_local_day, deterministic=True)
        dbapi_connection.create_function("portal_local_month", 2, sqlite_local_month, deterministic=True)


def _local(dialect: str, grain: str, column: str) -> str:
    if dialect == "postgresql":
        local = f"(({column}) AT TIME ZONE 'UTC') AT TIME ZONE :tz"
        return f"CAST({local} AS DATE)" if grain == "day" else f"CAST(date_trunc('month', {local}) AS DATE)"
    return f"portal_local_{grain}({column}, :tz)"


def zone_name() -> str:
    if has_app_context():
        return current_app.config.get("BABEL_DEFAULT_TIMEZONE") or DEFAULT_ZONE
    return DEFAULT_ZONE


# --- what each table holds -----------------------------------------------------------------------

MANAGER = "coalesce(c.manager_id, 0)"

@dataclass(frozen=True)
class Source:
    """One SELECT producing rows of `table`: keys then values, `{moment}` the local day (or month)
    of `{column}`, `{manager}` whose figure the client is, `{where}` which rows are taken."""

    table: str
    keys: tuple[str, ...]
    values: tuple[str, ...]
    grain: str        # "day" or "month"
    column: str       # the moment that decides the day
    select: str
    # which rows: for one order / return / entry, or one client's
    by: dict

    def sql(self, dialect: str, which: str, manager: str = MANAGER) -> str:
        return self.select.format(moment=_local(dialect, self.grain, self.column), manager=manager,
                                  where=self.by[which])


_SALES = ("orders", "sales", "returned")
_GOODS = ("sold", "returned", "sales", "returns")
_BONUS = ("accrued", "released", "redeemed", "expired", "adjusted")

_ORDER_BY = {"all": "1 = 1", "order": "o.id = :order_id", "client": "o.client_id = :client_id"}
_RETURN_BY = {"all": "1 = 1", "return": "r.id = :return_id", "client": "o.client_id = :client_id"}

SALES_SOLD = Source("stat_sales_days", ("day", "client_id", "created_by_id"), ("manager_id",) + _SALES, "day",
                    "o.paid_at", """
SELECT {moment} AS day, coalesce(o.client_id, 0) AS client_id, coalesce(o.created_by_id, 0) AS created_by_id,
       {manager} AS manager_id, count(*) AS orders, sum(o.subtotal - o.discount) AS sales, 0 AS returned
FROM orders o LEFT JOIN clients c ON c.id = o.client_id
WHERE o.paid_at IS NOT NULL AND {where}
GROUP BY 1, 2, 3, 4""", _ORDER_BY)

SALES_RETURNED = Source("stat_sales_days", SALES_SOLD.keys, SALES_SOLD.values, "day", "r.created_at", """
SELECT {moment} AS day, coalesce(o.client_id, 0) AS client_id, coalesce(o.created_by_id, 0) AS created_by_id,
       {manager} AS manager_id, 0 AS orders, 0 AS sales,
       sum(r.refund_total + r.withheld + r.bonus_restored) AS returned
FROM returns r JOIN orders o ON o.id = r.order_id LEFT JOIN clients c ON c.id = o.client_id
WHERE {where}
GROUP BY 1, 2, 3, 4""", _RETURN_BY)


# Goods sums have no per-person figures, only whose team sees them (placed by a team member, or
# for a client of the team): an order a manager placed for their own client is seen exactly where
# the client's manager is seen, so it is kept as placed by nobody (0), and a month's rows are per
# product and manager rather than per product, placer and manager.
PLACED = "CASE WHEN o.created_by_id = {manager} THEN 0 ELSE coalesce(o.created_by_id, 0) END"


def _goods_sources(table: str, grain: str) -> tuple[Source, Source]:
    keys = (grain, "product_id", "created_by_id", "manager_id")
    sold = Source(table, keys, _GOODS, grain, "o.paid_at", f"""
SELECT {{moment}} AS {grain}, l.product_id AS product_id, {PLACED} AS created_by_id,
       {{manager}} AS manager_id, sum(l.qty) AS sold, 0 AS returned, sum(l.price * l.qty - l.discount) AS sales,
       0 AS returns
FROM order_lines l JOIN orders o ON o.id = l.order_id LEFT JOIN clients c ON c.id = o.client_id
WHERE o.paid_at IS NOT NULL AND {{where}}
GROUP BY 1, 2, 3, 4""", _ORDER_BY)
    returned = Source(table, keys, _GOODS, grain, "r.created_at", f"""
SELECT {{moment}} AS {grain}, l.product_id AS product_id, {PLACED} AS created_by_id,
       {{manager}} AS manager_id, 0 AS sold, sum(rl.qty) AS returned, 0 AS sales,
       sum(rl.refund + rl.bonus_restored) AS returns
FROM return_lines rl JOIN returns r ON r.id = rl.return_id JOIN order_lines l ON l.id = rl.order_line_id
JOIN orders o ON o.id = l.order_id LEFT JOIN clients c ON c.id = o.client_id
WHERE {{where}}
GROUP BY 1, 2, 3, 4""", _RETURN_BY)
    return sold, returned


GOODS_DAY_SOLD, GOODS_DAY_RETURNED = _goods_sources("stat_goods_days", "day")
GOODS_MONTH_SOLD, GOODS_MONTH_RETURNED = _goods_sources("stat_goods_months", "month")

# A movement is told by the system account on the other side of the entry (SPEC §5 accounts):
# issued — accruals and their reversals; redeemed — redemptions and restorations; expired;
# adjustments and imported; none (a client's own pending → available) — a release.
BONUS = Source("stat_bonus_days", ("day", "manager_id"), _BONUS, "day", "x.created_at", """
SELECT {moment} AS day, {manager} AS manager_id,
       sum(CASE WHEN x.other = 'issued' THEN x.signed ELSE 0 END) AS accrued,
       sum(CASE WHEN x.other IS NULL THEN x.amount ELSE 0 END) AS released,
       -sum(CASE WHEN x.other = 'redeemed' THEN x.signed ELSE 0 END) AS redeemed,
       -sum(CASE WHEN x.other = 'expired' THEN x.signed ELSE 0 END) AS expired,
       sum(CASE WHEN x.other IN ('adjustments', 'imported') THEN x.signed ELSE 0 END) AS adjusted
FROM (SELECT e.created_at AS created_at, e.amount AS amount, coalesce(fa.system_code, ta.system_code) AS other,
             coalesce(ta.client_id, fa.client_id) AS client_id,
             (CASE WHEN ta.client_id IS NOT NULL THEN e.amount ELSE 0 END)
             - (CASE WHEN fa.client_id IS NOT NULL THEN e.amount ELSE 0 END) AS signed
      FROM ledger_entries e JOIN ledger_accounts fa ON fa.id = e.from_account_id
      JOIN ledger_accounts ta ON ta.id = e.to_account_id
      WHERE {where}) x
JOIN clients c ON c.id = x.client_id
GROUP BY 1, 2""", {
    "all": "1 = 1", "entry": "e.id = :entry_id", "operations": "e.operation_id IN :operation_ids",
    "client": "(e.from_account_id IN (SELECT id FROM ledger_accounts WHERE client_id = :client_id) "
              "OR e.to_account_id IN (SELECT id FROM ledger_accounts WHERE client_id = :client_id))"})

SOURCES = (SALES_SOLD, SALES_RETURNED, GOODS_DAY_SOLD, GOODS_DAY_RETURNED, GOODS_MONTH_SOLD, GOODS_MONTH_RETURNED,
           BONUS)
TABLES = ("stat_sales_days", "stat_goods_days", "stat_goods_months", "stat_bonus_days")
ON_ORDER = (SALES_SOLD, GOODS_DAY_SOLD, GOODS_MONTH_SOLD)
ON_RETURN = (SALES_RETURNED, GOODS_DAY_RETURNED, GOODS_MONTH_RETURNED)


def _add(conn, source: Source, which: str, params: dict, *, sign: int = 1, manager: str = MANAGER) -> None:
    """Add the source's rows (times `sign`) to its table: new keys inserted, existing ones summed."""
    dialect = conn.dialect.name
    added = [v for v in source.values if v != "manager_id"]
    outer = ", ".join([*source.keys, *(["manager_id"] if "manager_id" in source.values else []),
                       *(f"{sign} * s.{v}" for v in added)])
    columns = ", ".join([*source.keys, *(["manager_id"] if "manager_id" in source.values else []), *added])
    updates = [f"{v} = {source.table}.{v} + excluded.{v}" for v in added]
    if "manager_id" in source.values:
        updates.append("manager_id = excluded.manager_id")
    # Rows go in key order (the day first): two writers summing into the same rows lock them in
    # one order, so they wait for each other instead of deadlocking; and a rebuild writes the rows
    # in day order, as the writers do over time, so a period's rows stay together.
    order = " ORDER BY " + ", ".join(str(n) for n in range(1, len(source.keys) + 1))
    statement = (f"INSERT INTO {source.table} ({columns}) SELECT {outer} FROM ({source.sql(dialect, which, manager)}) s "
                 f"WHERE 1 = 1{order} ON CONFLICT ({', '.join(source.keys)}) DO UPDATE SET {', '.join(updates)}")
    text = sa.text(statement)
    if "operation_ids" in params:
        text = text.bindparams(sa.bindparam("operation_ids", expanding=True))
    conn.execute(text, {"tz": zone_name(), **params})


def _hold_client(conn, client_id: int | None) -> None:
    if client_id and conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT 1 FROM clients WHERE id = :c FOR KEY SHARE"), {"c": client_id})


def _session_connection():
    return db.session.connection()


def record_order(order_id: int, client_id: int | None) -> None:
    """An order has just been paid (flushed): add its sale and its lines."""
    conn = _session_connection()
    _hold_client(conn, client_id)
    for source in ON_ORDER:
        _add(conn, source, "order", {"order_id": order_id})


def record_return(return_id: int, client_id: int | None) -> None:
    """A return has just been made (flushed, with its lines)."""
    conn = _session_connection()
    _hold_client(conn, client_id)
    for source in ON_RETURN:
        _add(conn, source, "return", {"return_id": return_id})


def record_entry(entry_id: int, client_id: int | None) -> None:
    """The ledger has just written an entry touching `client_id`'s account (flushed)."""
    if client_id is None:
        return
    conn = _session_connection()
    _hold_client(conn, client_id)
    _add(conn, BONUS, "entry", {"entry_id": entry_id})


def record_operations(operation_ids: list[int], client_ids: list[int]) -> None:
    """The ledger has just written the entries of these operations in bulk (`ledger.bulk`)."""
    if not operation_ids:
        return
    conn = _session_connection()
    if conn.dialect.name == "postgresql" and client_ids:
        conn.execute(sa.text("SELECT 1 FROM clients WHERE id IN :ids ORDER BY id FOR KEY SHARE")
                     .bindparams(sa.bindparam("ids", expanding=True)), {"ids": sorted(set(client_ids))})
    _add(conn, BONUS, "operations", {"operation_ids": list(operation_ids)})


def move_client(conn, client_id: int, old_manager: int | None, new_manager: int | None) -> None:
    """The client's responsible manager changed from `old_manager` to `new_manager` (both may be
    None): move every sum of the client's to the new one."""
    old, new = old_manager or 0, new_manager or 0
    if old == new:
        return
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT 1 FROM clients WHERE id = :c FOR UPDATE"), {"c": client_id})
    conn.execute(sa.text("UPDATE stat_sales_days SET manager_id = :new WHERE client_id = :c"),
                 {"new": new, "c": client_id})
    for source in (GOODS_DAY_SOLD, GOODS_DAY_RETURNED, GOODS_MONTH_SOLD, GOODS_MONTH_RETURNED, BONUS):
        _add(conn, source, "client", {"client_id": client_id}, sign=-1, manager=str(int(old)))
        _add(conn, source, "client", {"client_id": client_id}, sign=1, manager=str(int(new)))


# --- rebuild and verify --------------------------------------------------------------------------

def rebuild(conn) -> dict[str, int]:
    """Empty the sum tables and fill them again from the orders, returns and ledger; rows per table."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SET LOCAL work_mem = '256MB'"))  # a few big aggregations, once
    for table in TABLES:
        conn.execute(sa.text(f"DELETE FROM {table}"))
    for source in SOURCES:
        _add(conn, source, "all", {})
    return {table: int(conn.scalar(sa.text(f"SELECT count(*) FROM {table}"))) for table in TABLES}


def _nonzero(values) -> str:
    return " OR ".join(f"{v} <> 0" for v in values)


def differences(conn) -> dict[str, int]:
    """Per table, how many of its rows (all-zero rows aside) differ from a fresh computation."""
    dialect = conn.dialect.name
    found = {}
    for table in TABLES:
        sources = [s for s in SOURCES if s.table == table]
        keys = sources[0].keys
        values = [v for v in sources[0].values if v != "manager_id"]
        key_cols = list(keys) + (["manager_id"] if "manager_id" in sources[0].values else [])
        union = " UNION ALL ".join(f"SELECT * FROM ({s.sql(dialect, 'all')}) u{i}" for i, s in enumerate(sources))
        fresh = (f"SELECT {', '.join(key_cols)}, {', '.join(f'sum({v}) AS {v}' for v in values)} "
                 f"FROM ({union}) f GROUP BY {', '.join(key_cols)} HAVING {_nonzero(f'sum({v})' for v in values)}")
        kept = f"SELECT {', '.join(key_cols)}, {', '.join(values)} FROM {table} WHERE {_nonzero(values)}"
        count = conn.scalar(sa.text(
            f"SELECT count(*) FROM (SELECT * FROM ({fresh}) a EXCEPT SELECT * FROM ({kept}) b) d1"), {"tz": zone_name()})
        count += conn.scalar(sa.text(
            f"SELECT count(*) FROM (SELECT * FROM ({kept}) b EXCEPT SELECT * FROM ({fresh}) a) d2"), {"tz": zone_name()})
        found[table] = int(count)
    return found


# --- the reassignment hook -----------------------------------------------------------------------

def _after_flush(session, _flush_context) -> None:
    for obj in session.dirty:
        if not isinstance(obj, Client):
            continue
        history = sa.inspect(obj).attrs.manager_id.history
        if history.deleted and history.added:  # (the old value is loaded: active_history)
            move_client(session.connection(), obj.id, history.deleted[0], history.added[0])


def install() -> None:
    """Listen for flushes that change a client's responsible manager (once per process)."""
    if not sa.event.contains(Session, "after_flush", _after_flush):
        sa.event.listen(Session, "after_flush", _after_flush)

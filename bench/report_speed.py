#!/usr/bin/env python
"""Statistics reports (SPEC §7) on a million orders: each report against one hand-written SQL query.

Creates a PostgreSQL database (default `portal_bench_stats` on 127.0.0.1:5432), builds the schema
with the project's migrations, fills it with set-based SQL (INSERT … SELECT FROM generate_series,
`random()` after `setseed`, so a run with the same options and `--end` makes the same data):

- 1 supervisor, 50 managers in the team, 4 cashiers; 1 warehouse and 2 shops;
- 2 000 products in 40 catalogue sections (8 top sections, 32 subsections), stock, barcodes;
- 100 000 clients (legal entities, sole proprietors, private persons) spread over the managers,
  created over the three years before `--end`, with phones;
- `--orders` orders (default 1 000 000) over the two years before `--end` by the channels manager,
  web and shop, mostly paid or completed, some draft, awaiting, confirmed (deferred ones owe money,
  some overdue) or cancelled; 1 to 7 lines each (4 on average), each line holding
  `price * qty - discount = bonus + paid`, the order's sums equal to its lines';
- payments, some returns (return lines and refunds) within the return window;
- the bonus ledger as the sales service writes it: an accrual per line (issued → client pending,
  a pending lot), its release after 14 days (pending → available), redemptions on later orders
  (available → redeemed, taken from the lots), accrual reversals of returns, expiry of what is
  left a year after release (available → expired); balances materialised on the accounts.
  `portal.ledger.verify()` checks it after generation.

Then, for each report of `portal.services.statistics.REPORTS`, over the last full year of data
(as the supervisor), it times the report function (one untimed run, then the best of three) and
one hand-written SQL query computing the same figures (written here, independent of the service
code), prints both, their ratio, and whether the figures agree (MISMATCH when they do not).

    .venv/bin/python bench/report_speed.py                       # generate 1 000 000 orders, then time
    .venv/bin/python bench/report_speed.py --keep                # reuse the generated database
    .venv/bin/python bench/report_speed.py --orders 100000 --database-url \\
        postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench_stats_small

Without --keep an existing database of that name is dropped and generated again (about 11 minutes
for a million orders on the 2-vCPU machine of bench/README.md); with --keep, migrations added since
are applied to it first. Other options: --end (last day of the data, default yesterday), --seed,
--generate-only, --report KEY (repeatable), --days (the timed period, default 365), --explain
(EXPLAIN (ANALYZE, BUFFERS) of each report's slowest statement and of each hand-written query; by
default only reports over --threshold ms get theirs), --set NAME=VALUE (a PostgreSQL setting for the
timed connections). Exits 1 on a mismatch. The database is left in place at the end. Not collected
by pytest.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench_stats"
PASSWORD = "bench-password-1"
MANAGERS = 50
CASHIERS = 4
CLIENTS = 100_000
PRODUCTS = 2_000
DAYS = 730            # orders cover this many days before the end
CLIENT_DAYS = 1095    # clients are created over this many days before the end
ROUNDS = 3            # timed runs per figure, the best is kept

# Tables filled in bulk: their secondary indexes and unique constraints are dropped before the
# load and built again after it (the same definitions, read from the catalogue), which is several
# times faster than maintaining them row by row. Primary keys stay.
BULK_TABLES = ("orders", "order_lines", "payments", "returns", "return_lines", "refunds",
               "ledger_operations", "ledger_entries", "bonus_lots", "bonus_lot_moves", "ledger_accounts",
               "clients", "client_phones")


def log(message: str = "") -> None:
    print(message, flush=True)


# ------------------------------------------------------------------------------------- database

def server_url(url: sa.URL) -> sa.URL:
    return url.set(drivername="postgresql+psycopg", database="postgres")


def database_exists(url: sa.URL) -> bool:
    admin = sa.create_engine(server_url(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}) == 1
    finally:
        admin.dispose()


def create_database(url: sa.URL) -> None:
    admin = sa.create_engine(server_url(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    finally:
        admin.dispose()


def make_app(url: str):
    from portal import create_app
    return create_app({
        "SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SMS_BACKEND": "console",
        "PORTAL_COUNTRY": "RU", "PORTAL_CURRENCY": "RUB", "BABEL_DEFAULT_LOCALE": "en",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    })


def migrate(app) -> tuple[str | None, str | None]:
    """Upgrade to the newest migration; (revision before, revision after)."""
    from flask_migrate import upgrade

    from portal.extensions import db

    def revision():
        with db.engine.connect() as conn:
            try:
                return conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
            except sa.exc.ProgrammingError:
                return None

    with app.app_context():
        before = revision()
        upgrade()
        after = revision()
        db.engine.dispose()
    return before, after


# ----------------------------------------------------------------------------------- generation

# Each step is one or more statements run on one connection (temporary tables live in it), in
# autocommit mode. Values are formatted in with str.format: they are numbers and timestamps made
# by this script. Timestamps are naive UTC, as the portal stores them.
STEPS: list[tuple[str, str]] = [
    ("places and staff", """
INSERT INTO locations (id, code, name, kind, address, phone, is_main, active) VALUES
  (1, 'WH', 'Main warehouse', 'warehouse', 'Bench street 1', '', true, true),
  (2, 'SHOP1', 'Shop one', 'shop', 'Bench street 2', '', false, true),
  (3, 'SHOP2', 'Shop two', 'shop', 'Bench street 3', '', false, true);
INSERT INTO users (id, email, name, phone, role, supervisor_id, shop_id, hired_on, active, locale, password_hash,
                   session_version, failed_logins, created_at)
SELECT 1, 'supervisor@bench.portal', 'Bench Supervisor', '+79000000001', 'supervisor', NULL::int, NULL::int,
       DATE '2015-01-01', true, 'en'::text, {hash}, 1, 0, TIMESTAMP '{clients_start}' - INTERVAL '30 days'
UNION ALL
SELECT 1 + g, 'manager' || g || '@bench.portal', 'Manager ' || lpad(g::text, 2, '0'), '+7900000' || lpad((100 + g)::text, 4, '0'),
       'manager', 1, NULL::int, DATE '2015-01-01' + g * 40, true, 'en', {hash}, 1, 0,
       TIMESTAMP '{clients_start}' - INTERVAL '30 days'
FROM generate_series(1, {managers}) g
UNION ALL
SELECT {cashier0} + g - 1, 'cashier' || g || '@bench.portal', 'Cashier ' || g, '', 'cashier', NULL, 2 + (g - 1) / 2,
       DATE '2020-01-01', true, 'en', {hash}, 1, 0, TIMESTAMP '{clients_start}' - INTERVAL '30 days'
FROM generate_series(1, {cashiers}) g;
INSERT INTO bonus_settings (id, accrual_rate_bp, hold_days, max_redeem_share_bp, expiry_days, changed_by_id, changed_at)
VALUES (1, 500, 14, 3000, 365, 1, TIMESTAMP '{clients_start}' - INTERVAL '30 days');
"""),
    ("catalogue", """
INSERT INTO sections (id, parent_id, name)
SELECT g, NULL, (ARRAY['Pumps', 'Boilers', 'Pipes', 'Valves', 'Radiators', 'Tools', 'Fittings', 'Electrical'])[g]
FROM generate_series(1, 8) g
UNION ALL
SELECT 8 + g, 1 + (g - 1) % 8, 'Subsection ' || g FROM generate_series(1, 32) g;
INSERT INTO products (id, sku, name, section_id, price, returnable, discountable, warranty_months, active)
SELECT g, 'SKU-' || lpad(g::text, 5, '0'), 'Product ' || g, 9 + (g - 1) % 32,
       (round(exp(ln(50) + random() * (ln(50000) - ln(50)))) * 100)::bigint,
       random() < 0.95, random() < 0.85, (ARRAY[0, 0, 6, 12, 24])[1 + floor(random() * 5)::int], true
FROM generate_series(1, {products}) g;
INSERT INTO barcodes (product_id, code) SELECT g, '460' || lpad(g::text, 10, '0') FROM generate_series(1, {products}) g;
INSERT INTO stock (product_id, location_id, quantity)
SELECT p, l, floor(random() * 500)::int FROM generate_series(1, {products}) p, generate_series(1, 3) l;
"""),
    ("clients", """
INSERT INTO clients (id, kind, name, tax_id, card_number, discount_bp, credit_limit, deferral_days, manager_id,
                     status, created_by_id, created_at)
SELECT g, kind,
       CASE kind WHEN 'legal_entity' THEN 'LLC Bench ' || g WHEN 'sole_proprietor' THEN 'SP Bench ' || g
                 ELSE 'Person ' || g END,
       CASE kind WHEN 'legal_entity' THEN lpad(g::text, 10, '7') WHEN 'sole_proprietor' THEN lpad(g::text, 12, '5') END,
       CASE WHEN kind = 'private_person' THEN 'C' || lpad(g::text, 9, '0') END,
       CASE WHEN status <> 'active' THEN 0
            WHEN kind = 'legal_entity' THEN (ARRAY[0, 300, 500, 700, 1000])[1 + floor(r_terms * 5)::int]
            WHEN kind = 'sole_proprietor' THEN (ARRAY[0, 300, 500])[1 + floor(r_terms * 3)::int]
            WHEN r_terms < 0.3 THEN 300 ELSE 0 END,
       CASE WHEN status = 'active' AND kind <> 'private_person' AND r_credit < 0.6
            THEN (1 + floor(r_credit / 0.6 * 20)::int) * 5000000 ELSE 0 END,
       CASE WHEN status = 'active' AND kind <> 'private_person' AND r_credit < 0.6
            THEN (ARRAY[7, 14, 30, 45])[1 + floor(r_terms * 4)::int] ELSE 0 END,
       manager_id, status, coalesce(manager_id, 1), created_at
FROM (
  SELECT g, kind, r_terms, r_credit, manager_id, created_at,
         CASE WHEN created_at > TIMESTAMP '{end}' - INTERVAL '30 days' AND r_status < 0.2 THEN 'pending'
              WHEN created_at > TIMESTAMP '{end}' - INTERVAL '90 days' AND r_status < 0.23 THEN 'rejected'
              ELSE 'active' END AS status
  FROM (
    SELECT g,
           CASE WHEN r_kind < 0.3 THEN 'legal_entity' WHEN r_kind < 0.45 THEN 'sole_proprietor'
                ELSE 'private_person' END AS kind,
           r_terms, r_credit, r_status,
           CASE WHEN r_manager < 0.02 THEN NULL
                ELSE 2 + floor({managers} * power((r_manager - 0.02) / 0.98, 1.3))::int END AS manager_id,
           TIMESTAMP '{clients_start}' + (TIMESTAMP '{end}' - TIMESTAMP '{clients_start}') * ((g - 1 + r_time) / {clients})
             AS created_at
    FROM (SELECT g, random() AS r_kind, random() AS r_terms, random() AS r_credit, random() AS r_status,
                 random() AS r_manager, random() AS r_time
          FROM generate_series(1, {clients}) g) r
  ) k
) s;
INSERT INTO client_phones (client_id, number) SELECT g, '+7916' || lpad(g::text, 7, '0') FROM generate_series(1, {clients}) g;
"""),
    ("orders (staging)", """
CREATE TEMP TABLE g_raw AS
SELECT n, (1 + floor({clients} * power(random(), 1.6)))::int AS cg,
       random() AS r_channel, random() AS r_status, random() AS r_time, random() AS r_anon, random() AS r_age,
       random() AS r_terms, random() AS r_confirm, random() AS r_pay, random() AS r_received, random() AS r_redeem,
       random() AS r_return, random() AS r_return_at, random() AS r_return_qty, random() AS r_method,
       (1 + floor(random() * 7))::int AS n_lines
FROM generate_series(1, {orders}) n;

CREATE TEMP TABLE g_o1 AS
SELECT r.*, c.kind, c.status AS c_status, c.manager_id, c.credit_limit, c.deferral_days, c.discount_bp,
       greatest(c.created_at, TIMESTAMP '{start}') + (TIMESTAMP '{end}' - greatest(c.created_at, TIMESTAMP '{start}')) * r.r_time
         AS created_at,
       CASE WHEN c.status = 'rejected' THEN 'shop'
            WHEN c.kind = 'legal_entity' THEN CASE WHEN r.r_channel < 0.85 THEN 'manager' WHEN r.r_channel < 0.95 THEN 'web' ELSE 'shop' END
            WHEN c.kind = 'sole_proprietor' THEN CASE WHEN r.r_channel < 0.6 THEN 'manager' WHEN r.r_channel < 0.85 THEN 'web' ELSE 'shop' END
            ELSE CASE WHEN r.r_channel < 0.2 THEN 'manager' WHEN r.r_channel < 0.55 THEN 'web' ELSE 'shop' END
       END AS channel
FROM g_raw r JOIN clients c ON c.id = r.cg;

CREATE TEMP TABLE g_o2 AS
SELECT o.*,
       CASE WHEN o.channel = 'shop' AND (o.c_status = 'rejected' OR o.r_anon < 0.2) THEN NULL ELSE o.cg END AS client_id,
       CASE WHEN o.channel = 'manager' AND o.credit_limit > 0 AND o.c_status = 'active' AND o.r_terms < 0.6 THEN 'deferred'
            WHEN o.channel = 'manager' THEN 'prepaid' END AS payment_terms,
       TIMESTAMP '{end}' - o.created_at AS age,
       CASE WHEN o.channel = 'shop' THEN 'completed'
            WHEN o.channel = 'web' THEN CASE WHEN o.r_status < 0.6 THEN 'paid' ELSE 'completed' END
            WHEN o.r_status < 0.02 THEN 'draft'
            WHEN o.r_status < 0.03 THEN 'awaiting_approval'
            WHEN o.r_status < 0.06 THEN 'awaiting_confirmation'
            WHEN o.r_status < 0.12 THEN 'confirmed'
            WHEN o.r_status < 0.17 THEN 'cancelled'
            WHEN o.r_status < 0.45 THEN 'paid'
            ELSE 'completed' END AS s0
FROM g_o1 o;

-- Orders age: an old draft was cancelled long ago, an old confirmed order was paid (but some
-- deferred ones never were: overdue debt), an old prepaid one that never got its money was cancelled.
CREATE TEMP TABLE g_o AS
SELECT q2.*,
       CASE WHEN status NOT IN ('paid', 'completed') THEN NULL
            WHEN channel = 'manager' THEN least(confirmed_at + INTERVAL '1 day' * r_pay *
                                                CASE WHEN payment_terms = 'deferred' THEN deferral_days ELSE 3 END,
                                                TIMESTAMP '{end}' - INTERVAL '1 second')
            ELSE created_at END AS paid_at
FROM (
SELECT row_number() OVER (ORDER BY created_at, n)::int AS id, q.*,
       CASE WHEN channel = 'manager' AND status IN ('confirmed', 'paid', 'completed')
            THEN least(created_at + INTERVAL '2 days' * r_confirm, TIMESTAMP '{end}' - INTERVAL '1 second') END AS confirmed_at
FROM (
  SELECT o.*,
         CASE WHEN s0 IN ('draft', 'awaiting_approval', 'awaiting_confirmation') AND age > INTERVAL '45 days' THEN 'cancelled'
              WHEN s0 = 'confirmed' AND payment_terms = 'prepaid' AND age > INTERVAL '30 days' THEN 'cancelled'
              WHEN s0 = 'confirmed' AND payment_terms = 'deferred' AND age > deferral_days * INTERVAL '1 day' + INTERVAL '30 days'
                   AND r_age >= 0.1 THEN 'completed'
              ELSE s0 END AS status,
         CASE WHEN channel = 'manager' THEN CASE WHEN r_anon < 0.8 THEN 1 ELSE 2 + n % 2 END
              WHEN channel = 'web' THEN 1 ELSE 2 + n % 2 END AS location_id
  FROM g_o2 o
) q
) q2;
ALTER TABLE g_o ADD PRIMARY KEY (id);
DROP TABLE g_raw, g_o1, g_o2;
"""),
    ("order lines (staging)", """
CREATE TEMP TABLE g_l0 AS
SELECT o.id AS order_id, s.line_no, (1 + floor({products} * power(random(), 2)))::int AS product_id, random() AS r_qty
FROM g_o o CROSS JOIN LATERAL generate_series(1, o.n_lines) AS s(line_no);

CREATE TEMP TABLE g_l1 AS
SELECT l.order_id, l.line_no, l.product_id, p.sku, p.name, p.price, p.returnable, p.warranty_months,
       CASE WHEN l.r_qty < 0.7 THEN 1 WHEN l.r_qty < 0.85 THEN 2 WHEN l.r_qty < 0.95 THEN 3
            ELSE 4 + floor((l.r_qty - 0.95) * 139.99)::int END AS qty,
       CASE WHEN p.discountable AND o.client_id IS NOT NULL THEN o.discount_bp ELSE 0 END AS discount_bp
FROM g_l0 l JOIN products p ON p.id = l.product_id JOIN g_o o ON o.id = l.order_id;

CREATE TEMP TABLE g_l AS
SELECT l.*, (l.price * l.qty * l.discount_bp + 5000) / 10000 AS discount
FROM g_l1 l;
DROP TABLE g_l0, g_l1;
ALTER TABLE g_l ADD COLUMN total bigint;
UPDATE g_l SET total = price * qty - discount;
ALTER TABLE g_l ADD PRIMARY KEY (order_id, line_no);
"""),
    ("bonus spent, returns (staging)", """
CREATE TEMP TABLE g_t AS
SELECT order_id, sum(price * qty)::bigint AS subtotal, sum(discount)::bigint AS discount, sum(total)::bigint AS total
FROM g_l GROUP BY order_id;
ALTER TABLE g_t ADD PRIMARY KEY (order_id);

-- A client's paid orders in order of payment. An even one may spend (with probability one half)
-- the accrual of the odd one just before it, if that is released and not expired yet, within
-- the 30 % cap; odd orders never spend, so nothing depends on its own past.
CREATE TEMP TABLE g_chain AS
SELECT o.id, o.client_id, o.paid_at, o.spend_at, t.total, o.r_redeem, o.r_return, o.r_return_at, o.r_return_qty, o.n_lines,
       row_number() OVER w AS rn, lag(o.id) OVER w AS prev_id, lag(o.paid_at) OVER w AS prev_paid_at,
       lag(t.total) OVER w AS prev_total
FROM (SELECT id, client_id, r_redeem, r_return, r_return_at, r_return_qty, n_lines, paid_at,
             CASE WHEN channel = 'manager' THEN confirmed_at ELSE created_at END AS spend_at
      FROM g_o WHERE client_id IS NOT NULL AND status IN ('paid', 'completed')) o
JOIN g_t t ON t.order_id = o.id
WINDOW w AS (PARTITION BY o.client_id ORDER BY o.paid_at, o.id);

CREATE TEMP TABLE g_spend AS
SELECT id, prev_id, client_id, spend_at, least(prev_total * 500 / 10000, total * 3000 / 10000) AS bonus
FROM g_chain
WHERE rn % 2 = 0 AND r_redeem < 0.5 AND spend_at >= prev_paid_at + INTERVAL '14 days'
  AND spend_at < prev_paid_at + INTERVAL '379 days' AND least(prev_total * 500 / 10000, total * 3000 / 10000) > 0;
ALTER TABLE g_spend ADD PRIMARY KEY (id);

-- Returns: some even orders that spent nothing (their accrual lots are never spent by others),
-- line 1 if returnable, within 10 days of payment (the accrual is still pending).
CREATE TEMP TABLE g_r AS
SELECT row_number() OVER (ORDER BY r.ret_at, r.order_id)::int AS id, r.*
FROM (
  SELECT c.id AS order_id, c.client_id, c.paid_at + INTERVAL '1 day' * (1 + 9 * c.r_return_at) AS ret_at,
         CASE WHEN l.qty >= 2 AND c.r_return_qty < 0.3 THEN 1 ELSE l.qty END AS qty,
         c.n_lines = 1 AND NOT (l.qty >= 2 AND c.r_return_qty < 0.3) AS whole_order
  FROM g_chain c JOIN g_l l ON l.order_id = c.id AND l.line_no = 1
  WHERE c.rn % 2 = 0 AND c.r_return < 0.04 AND l.returnable AND NOT EXISTS (SELECT 1 FROM g_spend s WHERE s.id = c.id)
    AND c.paid_at + INTERVAL '1 day' * (1 + 9 * c.r_return_at) < TIMESTAMP '{end}'
) r;
ALTER TABLE g_r ADD PRIMARY KEY (id);
CREATE UNIQUE INDEX ON g_r (order_id);
"""),
    ("money of lines and orders (staging)", """
-- Bonus over the lines in proportion to their totals, accrual (5 % of the money, rounded down)
-- over the lines in proportion to their money: cumulative floors, so the parts add up exactly.
CREATE TEMP TABLE g_lb AS
SELECT l.*, coalesce(s.bonus, 0) * cum / t.total - coalesce(s.bonus, 0) * (cum - l.total) / t.total AS bonus
FROM (SELECT l.*, sum(l.total) OVER (PARTITION BY l.order_id ORDER BY l.line_no)::bigint AS cum FROM g_l l) l
JOIN g_t t ON t.order_id = l.order_id
LEFT JOIN g_spend s ON s.id = l.order_id;
DROP TABLE g_l;

CREATE TEMP TABLE g_op_paid AS
SELECT c.id AS order_id, c.paid_at, c.client_id, t.total - coalesce(s.bonus, 0) AS paid,
       (t.total - coalesce(s.bonus, 0)) * 500 / 10000 AS accrual
FROM g_chain c JOIN g_t t ON t.order_id = c.id LEFT JOIN g_spend s ON s.id = c.id;
ALTER TABLE g_op_paid ADD PRIMARY KEY (order_id);

CREATE TEMP TABLE g_lm AS
SELECT l.order_id, l.line_no, l.product_id, l.sku, l.name, l.qty, l.price, l.discount, l.discount_bp, l.bonus,
       l.total - l.bonus AS paid, l.returnable, l.warranty_months,
       CASE WHEN p.accrual > 0
            THEN p.accrual * l.cum_paid / p.paid - p.accrual * (l.cum_paid - (l.total - l.bonus)) / p.paid ELSE 0 END AS accrual,
       coalesce(r.qty, 0) AS returned_qty
FROM (SELECT l.*, sum(l.total - l.bonus) OVER (PARTITION BY l.order_id ORDER BY l.line_no)::bigint AS cum_paid FROM g_lb l) l
LEFT JOIN g_op_paid p ON p.order_id = l.order_id
LEFT JOIN g_r r ON r.order_id = l.order_id AND l.line_no = 1;
DROP TABLE g_lb;
ALTER TABLE g_lm ADD PRIMARY KEY (order_id, line_no);
"""),
    ("orders", """
INSERT INTO orders (id, number, external_id, key, channel, status, client_id, location_id, created_by_id, shift_id,
                    created_at, paid_at, subtotal, discount, bonus_redeemed, paid, accrual, received, payment_terms,
                    due_date, confirmed_at, cancelled_at, delivery_method, delivery_address, delivery_date, comment,
                    decision_comment)
SELECT o.id,
       CASE o.channel WHEN 'manager' THEN 'M' WHEN 'web' THEN 'W' ELSE 'S' END || '-' || lpad(o.id::text, 7, '0'),
       CASE WHEN o.channel = 'web' THEN 'web-' || o.id END, NULL, o.channel,
       CASE WHEN r.order_id IS NULL THEN o.status WHEN r.whole_order THEN 'returned' ELSE 'partially_returned' END,
       o.client_id, o.location_id,
       CASE o.channel WHEN 'manager' THEN coalesce(o.manager_id, 2 + o.n % {managers})
                      WHEN 'shop' THEN {cashier0} + (o.location_id - 2) * 2 + (o.n / 2) % 2 END,
       NULL, o.created_at, o.paid_at, t.subtotal, t.discount, coalesce(s.bonus, 0), t.total - coalesce(s.bonus, 0),
       coalesce(p.accrual, 0),
       CASE WHEN c.id IS NOT NULL OR (o.status IN ('paid', 'completed')) THEN t.total - coalesce(s.bonus, 0)
            WHEN o.status = 'confirmed' AND o.payment_terms = 'deferred' AND o.r_received < 0.3
            THEN floor((t.total - coalesce(s.bonus, 0)) * 0.9 * o.r_received / 0.3)::bigint
            ELSE 0 END,
       o.payment_terms,
       CASE WHEN o.payment_terms = 'deferred' AND o.confirmed_at IS NOT NULL
            THEN (o.confirmed_at AT TIME ZONE 'UTC' AT TIME ZONE '{tz}')::date + o.deferral_days END,
       o.confirmed_at,
       CASE WHEN o.status = 'cancelled' THEN least(o.created_at + INTERVAL '3 days' * o.r_pay, TIMESTAMP '{end}' - INTERVAL '1 second') END,
       CASE WHEN o.channel = 'manager' THEN CASE WHEN o.location_id <> 1 THEN 'pickup'
                                                 ELSE (ARRAY['courier', 'carrier', 'pickup'])[1 + o.n % 3] END END,
       CASE WHEN o.channel = 'manager' AND o.location_id = 1 THEN 'Client street ' || o.cg ELSE '' END,
       NULL, '', ''
FROM g_o o JOIN g_t t ON t.order_id = o.id
LEFT JOIN g_chain c ON c.id = o.id
LEFT JOIN g_spend s ON s.id = o.id
LEFT JOIN g_op_paid p ON p.order_id = o.id
LEFT JOIN g_r r ON r.order_id = o.id
ORDER BY o.id;
"""),
    ("order lines", """
INSERT INTO order_lines (id, order_id, line_no, product_id, sku, name, qty, price, discount, discount_bp, bonus, paid,
                         accrual, returned_qty, returnable, warranty_months)
SELECT row_number() OVER (ORDER BY order_id, line_no), order_id, line_no, product_id, sku, name, qty, price, discount,
       discount_bp, bonus, paid, accrual, returned_qty, returnable, warranty_months
FROM g_lm ORDER BY order_id, line_no;
"""),
    ("payments, returns, refunds", """
-- Paid orders (anonymous shop sales too) by one method; deferred confirmed orders with part of the money.
CREATE TEMP TABLE g_method AS
SELECT o.id, CASE WHEN o.channel = 'web' THEN 'online'
                  WHEN o.channel = 'shop' THEN CASE WHEN o.r_method < 0.6 THEN 'card' ELSE 'cash' END
                  WHEN o.kind <> 'private_person' THEN 'bank_transfer'
                  WHEN o.r_method < 0.5 THEN 'card' ELSE 'cash' END AS method
FROM g_o o;
ALTER TABLE g_method ADD PRIMARY KEY (id);
INSERT INTO payments (order_id, method, amount, tendered)
SELECT o.id, m.method, o.received, o.received FROM orders o JOIN g_method m ON m.id = o.id
WHERE o.received > 0 ORDER BY o.id;
INSERT INTO returns (id, order_id, key, created_at, created_by_id, location_id, shift_id, reason, refund_total, withheld,
                     bonus_restored, accrual_reversed)
SELECT r.id, r.order_id, 'bench:return:' || r.id, r.ret_at, o.created_by_id, o.location_id, NULL, 'Changed their mind',
       l.paid * r.qty / l.qty, 0, 0, l.accrual * r.qty / l.qty
FROM g_r r JOIN orders o ON o.id = r.order_id JOIN g_lm l ON l.order_id = r.order_id AND l.line_no = 1
ORDER BY r.id;
INSERT INTO return_lines (return_id, order_line_id, qty, refund, bonus_restored, accrual_reversed)
SELECT r.id, ol.id, r.qty, rt.refund_total, 0, rt.accrual_reversed
FROM g_r r JOIN returns rt ON rt.id = r.id JOIN order_lines ol ON ol.order_id = r.order_id AND ol.line_no = 1
ORDER BY r.id;
INSERT INTO refunds (return_id, method, amount, withheld)
SELECT r.id, m.method, rt.refund_total, 0 FROM g_r r JOIN returns rt ON rt.id = r.id JOIN g_method m ON m.id = r.order_id
ORDER BY r.id;
"""),
    ("bonus ledger (staging)", """
-- One lot per accrued line, numbered in order of payment.
CREATE TEMP TABLE g_lot AS
SELECT row_number() OVER (ORDER BY p.paid_at, l.order_id, l.line_no)::int AS id, l.order_id, l.line_no, p.client_id,
       p.paid_at, p.paid_at + INTERVAL '14 days' AS available_at, l.accrual AS amount
FROM g_lm l JOIN g_op_paid p ON p.order_id = l.order_id
WHERE l.accrual > 0;
ALTER TABLE g_lot ADD PRIMARY KEY (id);
CREATE UNIQUE INDEX ON g_lot (order_id, line_no);

-- Taken back by a return (before release), taken by the next order's redemption (after release),
-- lines in order: cumulative amounts.
CREATE TEMP TABLE g_take AS
SELECT t.lot_id, t.spender_id, t.spend_at, least(t.amount, greatest(0, t.bonus - (t.cum - t.amount))) AS amount
FROM (SELECT lot.id AS lot_id, lot.amount, s.id AS spender_id, s.spend_at, s.bonus,
             sum(lot.amount) OVER (PARTITION BY lot.order_id ORDER BY lot.line_no)::bigint AS cum
      FROM g_spend s JOIN g_lot lot ON lot.order_id = s.prev_id) t
WHERE least(t.amount, greatest(0, t.bonus - (t.cum - t.amount))) > 0;
CREATE UNIQUE INDEX ON g_take (lot_id);

CREATE TEMP TABLE g_lot2 AS
SELECT lot.*, coalesce(rv.amount, 0) AS reversed, coalesce(tk.amount, 0) AS taken, rv.return_id, rv.ret_at,
       lot.available_at <= TIMESTAMP '{end}' AND lot.amount - coalesce(rv.amount, 0) > 0 AS released,
       lot.available_at + INTERVAL '365 days' AS expiry_at
FROM g_lot lot
LEFT JOIN (SELECT r.order_id, r.id AS return_id, r.ret_at, rt.accrual_reversed AS amount
           FROM g_r r JOIN returns rt ON rt.id = r.id WHERE rt.accrual_reversed > 0) rv
       ON rv.order_id = lot.order_id AND lot.line_no = 1
LEFT JOIN g_take tk ON tk.lot_id = lot.id;
ALTER TABLE g_lot2 ADD COLUMN expired boolean;
UPDATE g_lot2 SET expired = released AND expiry_at <= TIMESTAMP '{end}' AND amount - reversed - taken > 0;
ALTER TABLE g_lot2 ADD PRIMARY KEY (id);
DROP TABLE g_lot;

-- Every operation with its one entry. Accounts: 1 issued, 2 redeemed, 3 expired, 4 adjustments,
-- 5 imported; a client's account is 5 + client id.
CREATE TEMP TABLE g_op0 (kind text, rank int, created_at timestamp, client_id int, order_id int, return_id int,
                         lot_id int, amount bigint, src int, src_bucket text, dst int, dst_bucket text);
INSERT INTO g_op0
SELECT 'accrual', 4, paid_at, client_id, order_id, NULL, id, amount, 1, 'available', 5 + client_id, 'pending' FROM g_lot2
UNION ALL
SELECT 'accrual_reversal', 5, ret_at, client_id, order_id, return_id, id, reversed, 5 + client_id, 'pending', 1, 'available'
FROM g_lot2 WHERE reversed > 0
UNION ALL
SELECT 'release', 1, available_at, client_id, order_id, NULL, id, amount - reversed, 5 + client_id, 'pending',
       5 + client_id, 'available' FROM g_lot2 WHERE released
UNION ALL
SELECT 'expiry', 2, expiry_at, client_id, NULL, NULL, id, amount - reversed - taken, 5 + client_id, 'available', 3, 'available'
FROM g_lot2 WHERE expired
UNION ALL
SELECT 'redemption', 3, spend_at, client_id, id, NULL, NULL, bonus, 5 + client_id, 'available', 2, 'available' FROM g_spend;

CREATE TEMP TABLE g_op AS
SELECT row_number() OVER (ORDER BY created_at, rank, coalesce(lot_id, 0), coalesce(order_id, 0))::int AS id, g_op0.*
FROM g_op0;
DROP TABLE g_op0;
ALTER TABLE g_op ADD PRIMARY KEY (id);

-- Lot moves: a return's reversal, a redemption's takes, an expiry's write-off.
CREATE TEMP TABLE g_mv AS
SELECT row_number() OVER (ORDER BY m.operation_id, m.lot_id)::int AS id, m.*
FROM (SELECT op.id AS operation_id, op.lot_id, -op.amount AS amount FROM g_op op
      WHERE op.kind IN ('accrual_reversal', 'expiry')
      UNION ALL
      SELECT op.id, tk.lot_id, -tk.amount FROM g_take tk JOIN g_op op ON op.kind = 'redemption' AND op.order_id = tk.spender_id
     ) m;
"""),
    ("bonus ledger", """
INSERT INTO ledger_accounts (id, client_id, system_code, pending, available, entries_count)
SELECT b.account_id, CASE WHEN b.account_id > 5 THEN b.account_id - 5 END,
       CASE b.account_id WHEN 1 THEN 'issued' WHEN 2 THEN 'redeemed' WHEN 3 THEN 'expired' WHEN 4 THEN 'adjustments'
                         WHEN 5 THEN 'imported' END,
       b.pending, b.available, b.entries
FROM (SELECT account_id, sum(CASE WHEN bucket = 'pending' THEN amount ELSE 0 END) AS pending,
             sum(CASE WHEN bucket = 'available' THEN amount ELSE 0 END) AS available, sum(entries) AS entries
      FROM (SELECT dst AS account_id, dst_bucket AS bucket, amount, 1 AS entries FROM g_op
            UNION ALL SELECT src, src_bucket, -amount, 1 FROM g_op
            UNION ALL SELECT g, 'available', 0, 0 FROM generate_series(1, 5) g) e
      GROUP BY account_id) b
ORDER BY b.account_id;
INSERT INTO ledger_operations (id, key, kind, client_id, order_id, return_id, amount, shortfall, actor_id, reason, created_at)
SELECT op.id,
       CASE op.kind WHEN 'accrual' THEN 'accrual:order:' || op.order_id || ':line:' || lot.line_no
                    WHEN 'release' THEN 'release:lot:' || op.lot_id
                    WHEN 'redemption' THEN 'redemption:order:' || op.order_id
                    WHEN 'accrual_reversal' THEN 'return:' || op.return_id || ':line:1:accrual'
                    ELSE 'expiry:lot:' || op.lot_id || ':after:' || coalesce(lm.last_move, 0) END,
       op.kind, op.client_id, op.order_id, op.return_id, op.amount, 0, NULL, '', op.created_at
FROM g_op op LEFT JOIN g_lot2 lot ON lot.id = op.lot_id
LEFT JOIN (SELECT mv.lot_id, max(mv.id) AS last_move FROM g_mv mv JOIN g_op o ON o.id = mv.operation_id
           WHERE o.kind <> 'expiry' GROUP BY mv.lot_id) lm ON op.kind = 'expiry' AND lm.lot_id = op.lot_id
ORDER BY op.id;
INSERT INTO ledger_entries (id, operation_id, from_account_id, from_bucket, to_account_id, to_bucket, amount, created_at)
SELECT id, id, src, src_bucket, dst, dst_bucket, amount, created_at FROM g_op ORDER BY id;
INSERT INTO bonus_lots (id, account_id, operation_id, status, amount, remaining, available_at, expires_at, expiry_days)
SELECT lot.id, 5 + lot.client_id, op.id, CASE WHEN lot.released THEN 'available' ELSE 'pending' END, lot.amount,
       CASE WHEN lot.expired THEN 0 ELSE lot.amount - lot.reversed - lot.taken END,
       lot.available_at, CASE WHEN lot.released THEN lot.expiry_at END, 365
FROM g_lot2 lot JOIN g_op op ON op.kind = 'accrual' AND op.lot_id = lot.id
ORDER BY lot.id;
INSERT INTO bonus_lot_moves (id, lot_id, operation_id, amount)
SELECT id, lot_id, operation_id, amount FROM g_mv ORDER BY id;
"""),
]

SEQUENCED = ("locations", "users", "bonus_settings", "sections", "products", "barcodes", "stock", "clients",
             "client_phones", "orders", "order_lines", "payments", "returns", "return_lines", "refunds",
             "ledger_accounts", "ledger_operations", "ledger_entries", "bonus_lots", "bonus_lot_moves")


def secondary_definitions(cur) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """(unique constraints as (table, name, definition), other indexes as (name, CREATE INDEX …)) of BULK_TABLES."""
    cur.execute("""
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
        FROM pg_constraint c WHERE c.contype = 'u' AND c.conrelid::regclass::text = ANY(%s)
        ORDER BY 1, 2""", (list(BULK_TABLES),))
    constraints = cur.fetchall()
    cur.execute("""
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid::regclass::text = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        ORDER BY 1""", (list(BULK_TABLES),))
    indexes = cur.fetchall()
    return constraints, indexes


def generate(url: sa.URL, app, orders: int, end_day: date, seed: float) -> float:
    """Fill the freshly migrated database; return the seconds it took."""
    import psycopg
    from werkzeug.security import generate_password_hash

    zone = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])
    end = datetime.combine(end_day + timedelta(days=1), dtime.min, tzinfo=zone).astimezone(UTC)
    end = end.replace(tzinfo=None)  # exclusive: the first moment after the last day
    params = {
        "orders": orders, "clients": CLIENTS, "products": PRODUCTS, "managers": MANAGERS, "cashiers": CASHIERS,
        "cashier0": 2 + MANAGERS, "tz": app.config["BABEL_DEFAULT_TIMEZONE"],
        "end": end.isoformat(sep=" "), "start": (end - timedelta(days=DAYS)).isoformat(sep=" "),
        "clients_start": (end - timedelta(days=CLIENT_DAYS)).isoformat(sep=" "),
    }
    params["hash"] = "'" + generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000").replace("'", "''") + "'"
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    started = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as conn, conn.cursor() as cur:
        # Generation only: big sorts in memory, no wait for the WAL flush, foreign-key triggers off
        # (the data is consistent by construction; the ledger is verified afterwards).
        cur.execute("SET temp_buffers = '1GB'")
        cur.execute("SET work_mem = '256MB'")
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET session_replication_role = replica")
        cur.execute("SET max_parallel_maintenance_workers = 2")
        constraints, indexes = secondary_definitions(cur)
        for table, name, _definition in constraints:
            cur.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        cur.execute("SELECT setseed(%s)", (seed,))
        for label, template in STEPS:
            t0 = time.perf_counter()
            sql = template.format(**params)
            cur.execute(sql)
            log(f"  {label:<40} {time.perf_counter() - t0:7.1f} s")
        t0 = time.perf_counter()
        for table, name, definition in constraints:
            cur.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        for _name, definition in indexes:
            cur.execute(definition)
        log(f"  {'indexes and unique constraints':<40} {time.perf_counter() - t0:7.1f} s")
        t0 = time.perf_counter()
        for table in SEQUENCED:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"coalesce((SELECT max(id) FROM \"{table}\"), 0) + 1, false)")
        cur.execute("SET session_replication_role = DEFAULT")
    t0 = time.perf_counter()
    rebuild_daily_sums(app)
    log(f"  {'daily sums (statistics rebuild)':<40} {time.perf_counter() - t0:7.1f} s")
    t0 = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("VACUUM (ANALYZE)")
        log(f"  {'VACUUM ANALYZE':<40} {time.perf_counter() - t0:7.1f} s")
    took = time.perf_counter() - started
    log(f"generated in {took:.0f} s")
    return took


def rebuild_daily_sums(app) -> None:
    """The statistics' daily sums, made from the generated rows as `flask statistics rebuild` does."""
    from portal import daily_sums
    from portal.extensions import db
    with app.app_context():
        counts = daily_sums.rebuild(db.session.connection())
        db.session.commit()
    log("    " + ", ".join(f"{table} {n:,}" for table, n in counts.items()))


def row_counts(url: sa.URL) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {table: conn.scalar(sa.text(f'SELECT count(*) FROM "{table}"'))
                    for table in ("users", "clients", "sections", "products", "orders", "order_lines", "payments",
                                  "returns", "return_lines", "refunds", "ledger_accounts", "ledger_operations",
                                  "ledger_entries", "bonus_lots", "bonus_lot_moves")}
    finally:
        engine.dispose()


def consistency(app) -> list[str]:
    """The project's ledger verification plus the sums the generator promises; a list of problems."""
    from portal import ledger
    from portal.extensions import db
    problems = []
    with app.app_context():
        check = ledger.verify()
        log(f"  {check.summary()}")
        problems += check.problems[:10]
        from portal import daily_sums
        differing = daily_sums.differences(db.session.connection())
        db.session.rollback()
        log("  daily sums differing from the rows: " + ", ".join(f"{t} {n}" for t, n in differing.items()))
        problems += [f"{t}: {n} rows differ" for t, n in differing.items() if n]
        for label, sql in (
            ("orders whose sums differ from their lines", """
                SELECT count(*) FROM orders o JOIN (
                  SELECT order_id, sum(price * qty) s, sum(discount) d, sum(bonus) b, sum(paid) p, sum(accrual) a
                  FROM order_lines GROUP BY order_id) l ON l.order_id = o.id
                WHERE (o.subtotal, o.discount, o.bonus_redeemed, o.paid, o.accrual) <> (l.s, l.d, l.b, l.p, l.a)"""),
            ("orders without lines", "SELECT count(*) FROM orders o WHERE NOT EXISTS "
                                     "(SELECT 1 FROM order_lines l WHERE l.order_id = o.id)"),
            ("orders whose redemption differs from bonus_redeemed", """
                SELECT count(*) FROM orders o FULL JOIN (SELECT order_id, amount FROM ledger_operations
                                                         WHERE kind = 'redemption') r ON r.order_id = o.id
                WHERE coalesce(r.amount, 0) <> coalesce(o.bonus_redeemed, 0)"""),
            ("orders whose accruals differ from their accrual", """
                SELECT count(*) FROM orders o JOIN (SELECT order_id, sum(amount) a FROM ledger_operations
                                                   WHERE kind = 'accrual' GROUP BY order_id) a ON a.order_id = o.id
                WHERE a.a <> o.accrual"""),
        ):
            n = db.session.scalar(sa.text(sql))
            log(f"  {label}: {n}")
            if n:
                problems.append(f"{n} {label}")
        # Foreign keys were not checked while loading (session_replication_role = replica): check
        # every single-column one of the bulk-loaded tables now.
        orphans = 0
        for child, column, parent, key in db.session.execute(sa.text("""
                SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, pa.attname
                FROM pg_constraint c
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1]
                WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND c.conrelid::regclass::text = ANY(:tables)
                ORDER BY 1, 2"""), {"tables": list(BULK_TABLES)}).all():
            n = db.session.scalar(sa.text(
                f'SELECT count(*) FROM "{child}" c WHERE c."{column}" IS NOT NULL AND NOT EXISTS '
                f'(SELECT 1 FROM "{parent}" p WHERE p."{key}" = c."{column}")'))
            if n:
                problems.append(f"{n} rows of {child}.{column} point to no {parent}")
            orphans += n
        log(f"  rows whose foreign key points nowhere: {orphans}")
        db.session.remove()
    return problems


# -------------------------------------------------------------------------- the hand-written SQL

# One query per report, written for PostgreSQL from the report's definition (its module docstring),
# not from its code. Parameters: :sup (the supervisor), :t0 / :t1 (the period's first moment and the
# moment after it, naive UTC), :start (the period's first day), :tz (the company's time zone),
# :today (the company's date today), :grain ('day' for a period of up to 31 days, 'week' up to 185,
# 'month' beyond, as SPEC §7's time-based reports group them), :team (the ids of the supervisor and the team, read by TEAM_OF
# in the same timed run).
#
# Their shape is what makes them fast: each branch of a UNION ALL is aggregated on its own (so the
# big one can run as a parallel partial aggregate) and only the few grouped rows are combined; the
# team is a bound array, whose values the planner sees (an ARRAY(subquery) hides them from its
# estimates and made it choose a serial index scan).
TEAM = "CAST(:team AS integer[])"
TEAM_OF = "SELECT array_agg(id ORDER BY id) FROM users WHERE id = :sup OR (supervisor_id = :sup AND role = 'manager')"
VISIBLE = f"(o.created_by_id = ANY({TEAM}) OR c.manager_id = ANY({TEAM}))"
PERSON = f"CASE WHEN o.created_by_id = ANY({TEAM}) THEN o.created_by_id ELSE c.manager_id END"
RETURN_VALUE = "r.refund_total + r.withheld + r.bonus_restored"
SOLD = "FROM orders o LEFT JOIN clients c ON c.id = o.client_id WHERE o.paid_at >= :t0 AND o.paid_at < :t1"
RETURNED = ("FROM returns r JOIN orders o ON o.id = r.order_id LEFT JOIN clients c ON c.id = o.client_id "
            "WHERE r.created_at >= :t0 AND r.created_at < :t1")
# the day, Monday-to-Sunday week or month (:grain, by the period's length) a moment falls in where
# the company is, the first one clipped to the period
BUCKET = "greatest(date_trunc(:grain, {0} AT TIME ZONE 'UTC' AT TIME ZONE :tz)::date, CAST(:start AS date))"

HAND_SQL: dict[str, str] = {
    # per person: paid orders and their amount, returns' value, manager orders confirmed
    "sales_by_manager": f"""
SELECT u.name, sum(f.n), sum(f.s), sum(f.r), sum(f.k)
FROM (
  SELECT {PERSON} AS person, count(*) AS n, sum(o.subtotal - o.discount) AS s, 0 AS r, 0 AS k
  {SOLD} AND {VISIBLE} GROUP BY 1
  UNION ALL
  SELECT {PERSON}, 0, 0, sum({RETURN_VALUE}), 0 {RETURNED} AND {VISIBLE} GROUP BY 1
  UNION ALL
  SELECT {PERSON}, 0, 0, 0, count(*)
  FROM orders o LEFT JOIN clients c ON c.id = o.client_id
  WHERE o.channel = 'manager' AND o.confirmed_at >= :t0 AND o.confirmed_at < :t1 AND {VISIBLE} GROUP BY 1) f
JOIN users u ON u.id = f.person GROUP BY u.id, u.name""",
    # per day/week/month (the first clipped to the period) and kind
    "new_clients": f"""
SELECT {BUCKET.format("c.created_at")}, c.kind, count(*)
FROM clients c
WHERE c.manager_id = ANY({TEAM}) AND c.status <> 'rejected' AND c.created_at >= :t0 AND c.created_at < :t1
GROUP BY 1, 2""",
    # per day/week/month: paid orders, their amount, returns' value
    "sales_by_period": f"""
SELECT bucket, sum(n), sum(s), sum(r)
FROM (
  SELECT {BUCKET.format("o.paid_at")} AS bucket, count(*) AS n, sum(o.subtotal - o.discount) AS s, 0 AS r
  {SOLD} AND {VISIBLE} GROUP BY 1
  UNION ALL
  SELECT {BUCKET.format("r.created_at")}, 0, 0, sum({RETURN_VALUE}) {RETURNED} AND {VISIBLE} GROUP BY 1) f
GROUP BY bucket""",
    # the top 50 clients by net sales, with the totals over all clients (window sums before LIMIT)
    "sales_by_client": f"""
WITH per_client AS (
  SELECT client_id, sum(n) AS n, sum(s) AS s, sum(r) AS r
  FROM (SELECT o.client_id, count(*) AS n, sum(o.subtotal - o.discount) AS s, 0 AS r
        {SOLD} AND {VISIBLE} GROUP BY 1
        UNION ALL
        SELECT o.client_id, 0, 0, sum({RETURN_VALUE}) {RETURNED} AND {VISIBLE} GROUP BY 1) f
  GROUP BY client_id)
SELECT c.name, p.n, p.s, p.r, count(*) OVER (), sum(p.n) OVER (), sum(p.s) OVER (), sum(p.r) OVER ()
FROM per_client p LEFT JOIN clients c ON c.id = p.client_id
ORDER BY p.s - p.r DESC, c.name, p.client_id LIMIT 50""",
    # managers' orders created in the period; confirmed and paid by its end
    "conversion": f"""
SELECT u.name, sum(f.n), sum(f.k), sum(f.p)
FROM (
  SELECT {PERSON} AS person, count(*) AS n, count(*) FILTER (WHERE coalesce(o.confirmed_at, o.paid_at) < :t1) AS k,
         count(*) FILTER (WHERE o.paid_at < :t1) AS p
  FROM orders o LEFT JOIN clients c ON c.id = o.client_id
  WHERE o.channel = 'manager' AND o.created_at >= :t0 AND o.created_at < :t1 AND {VISIBLE}
  GROUP BY 1) f
JOIN users u ON u.id = f.person GROUP BY u.id, u.name""",
    # per SKU, per section and in all (GROUPING SETS over the per-product sums): units sold and
    # returned, net sales
    "goods_sold": f"""
WITH per_product AS (
  SELECT product_id, sum(sold) AS sold, sum(returned) AS returned, sum(net) AS net
  FROM (SELECT l.product_id, sum(l.qty) AS sold, 0 AS returned, sum(l.price * l.qty - l.discount) AS net
        FROM order_lines l JOIN orders o ON o.id = l.order_id LEFT JOIN clients c ON c.id = o.client_id
        WHERE o.paid_at >= :t0 AND o.paid_at < :t1 AND {VISIBLE} GROUP BY 1
        UNION ALL
        SELECT l.product_id, 0, sum(rl.qty), -sum(rl.refund + rl.bonus_restored)
        FROM return_lines rl JOIN returns r ON r.id = rl.return_id JOIN order_lines l ON l.id = rl.order_line_id
        JOIN orders o ON o.id = l.order_id LEFT JOIN clients c ON c.id = o.client_id
        WHERE r.created_at >= :t0 AND r.created_at < :t1 AND {VISIBLE} GROUP BY 1) f
  GROUP BY product_id)
SELECT GROUPING(p.sku, s.id) AS level, p.sku, coalesce(up.name || ' / ', '') || s.name AS section,
       sum(f.sold), sum(f.returned), sum(f.net)
FROM per_product f JOIN products p ON p.id = f.product_id
LEFT JOIN sections s ON s.id = p.section_id LEFT JOIN sections up ON up.id = s.parent_id
GROUP BY GROUPING SETS ((p.sku), (s.id, up.name, s.name), ())""",
    # debt today of the team's clients: confirmed deferred orders not paid in full
    "client_debt": f"""
SELECT count(*), coalesce(sum(n), 0), coalesce(sum(open), 0), coalesce(sum(overdue), 0),
       coalesce(max(CAST(:today AS date) - oldest), 0)
FROM (
  SELECT o.client_id, count(*) AS n, sum(o.paid - o.received) AS open,
         sum(o.paid - o.received) FILTER (WHERE o.due_date < :today) AS overdue,
         min(o.due_date) FILTER (WHERE o.due_date < :today) AS oldest
  FROM orders o LEFT JOIN clients c ON c.id = o.client_id
  WHERE o.status = 'confirmed' AND o.payment_terms = 'deferred' AND o.paid > o.received AND {VISIBLE}
  GROUP BY o.client_id) per_client""",
    # movements of the team's clients' bonus in the period, told apart by the system account on
    # the other side of each entry (no join with the operations); the liability at the end is the
    # balances now less the movements since
    "bonus_programme": f"""
WITH moves AS (
  SELECT coalesce(fa.system_code, ta.system_code) AS other, e.created_at < :t1 AS inside,
         sum(e.amount) AS amount,
         sum(CASE WHEN ta.client_id IS NOT NULL THEN e.amount ELSE 0 END
             - CASE WHEN fa.client_id IS NOT NULL THEN e.amount ELSE 0 END) AS signed
  FROM ledger_entries e
  JOIN ledger_accounts fa ON fa.id = e.from_account_id JOIN ledger_accounts ta ON ta.id = e.to_account_id
  JOIN clients c ON c.id = coalesce(ta.client_id, fa.client_id)
  WHERE e.created_at >= :t0 AND c.manager_id = ANY({TEAM})
  GROUP BY 1, 2)
SELECT coalesce(sum(signed) FILTER (WHERE inside AND other = 'issued'), 0),
       coalesce(sum(amount) FILTER (WHERE inside AND other IS NULL), 0),
       -coalesce(sum(signed) FILTER (WHERE inside AND other = 'redeemed'), 0),
       -coalesce(sum(signed) FILTER (WHERE inside AND other = 'expired'), 0),
       coalesce(sum(signed) FILTER (WHERE inside AND other IN ('adjustments', 'imported')), 0),
       (SELECT coalesce(sum(a.pending + a.available), 0) FROM ledger_accounts a JOIN clients c ON c.id = a.client_id
        WHERE c.manager_id = ANY({TEAM}))
         - coalesce(sum(signed) FILTER (WHERE NOT inside), 0)
FROM moves""",
}


# ------------------------------------------------------------------- what the report must show

def half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator) if denominator else 0


def expected(key: str, rows: list, period) -> tuple[dict, dict]:
    """(totals the report must show, other figures it must show, keyed by what identifies them),
    from the hand-written query's rows."""
    if key == "sales_by_manager":
        n, s, r, c = (sum(int(row[i]) for row in rows) for i in (1, 2, 3, 4))
        totals = {"orders": n, "sales": s, "returns": r, "net": s - r, "average": half_up(s, n), "confirmed": c}
        return totals, {("row", row[0]): (int(row[1]), int(row[2]), int(row[3]), int(row[4])) for row in rows}
    if key == "new_clients":
        kinds = {"legal_entity": 0, "sole_proprietor": 0, "private_person": 0}
        per_month: dict = {}
        for first, kind, n in rows:
            kinds[kind] += int(n)
            per_month[first] = per_month.get(first, 0) + int(n)
        return {**kinds, "total": sum(kinds.values())}, {("row", first): n for first, n in per_month.items()}
    if key == "sales_by_period":
        n, s, r = (sum(int(row[i]) for row in rows) for i in (1, 2, 3))
        return ({"orders": n, "sales": s, "returns": r, "net": s - r},
                {("row", row[0]): (int(row[1]), int(row[2]), int(row[3])) for row in rows})
    if key == "sales_by_client":
        if not rows:
            return {"orders": 0, "sales": 0, "returns": 0, "net": 0}, {}
        _name, _n, _s, _r, clients, n, s, r = rows[0]
        totals = {"orders": int(n), "sales": int(s), "returns": int(r), "net": int(s) - int(r), "clients": int(clients)}
        return totals, {("top", i): (row[0], int(row[2]) - int(row[3])) for i, row in enumerate(rows)}
    if key == "conversion":
        created, confirmed, paid = (sum(int(row[i]) for row in rows) for i in (1, 2, 3))
        return ({"created": created, "confirmed": confirmed, "paid": paid},
                {("row", row[0]): (int(row[1]), int(row[2]), int(row[3])) for row in rows})
    if key == "goods_sold":
        total = next((row for row in rows if row[0] == 3), None)
        sold, returned, net = (int(total[i] or 0) for i in (3, 4, 5)) if total else (0, 0, 0)
        skus = sorted(((row[1], int(row[5])) for row in rows if row[0] == 1), key=lambda x: (-x[1], x[0]))
        other = {("top", i): sku for i, sku in enumerate(skus[:20])}
        other.update({("section", row[2] or "—"): int(row[5]) for row in rows if row[0] == 2})
        return {"sold": sold, "returned": returned, "net_qty": sold - returned, "net": net, "skus": len(skus)}, other
    if key == "client_debt":
        clients, n, open_, overdue, days = (int(v) for v in rows[0])
        return {"clients": clients, "orders": n, "open": open_, "overdue": overdue, "days_overdue": days}, {}
    if key == "bonus_programme":
        names = ("accrued", "released", "redeemed", "expired", "adjusted", "outstanding")
        return {k: int(v) for k, v in zip(names, rows[0])}, {}
    raise KeyError(key)


def shown(key: str, report) -> tuple[dict, dict]:
    """The same figures read from the Report, keyed alike."""
    t = dict(report.totals)
    if key == "sales_by_manager":
        totals = {k: t[k] for k in ("orders", "sales", "returns", "net", "average", "confirmed")}
        return totals, {("row", r["manager"]): (r["orders"], r["sales"], r["returns"], r["confirmed"])
                        for r in report.rows if r["orders"] or r["returns"] or r["confirmed"]}
    if key == "new_clients":
        return ({k: t[k] for k in ("legal_entity", "sole_proprietor", "private_person", "total")},
                {("row", r["first"]): r["total"] for r in report.rows if r["total"]})
    if key == "sales_by_period":
        return ({k: t[k] for k in ("orders", "sales", "returns", "net")},
                {("row", r["first"]): (r["orders"], r["sales"], r["returns"]) for r in report.rows
                 if r["orders"] or r["returns"]})
    if key == "sales_by_client":
        totals = {k: t[k] for k in ("orders", "sales", "returns", "net")}
        totals["clients"] = int("".join(ch for ch in str(t["client"]) if ch.isdigit()) or 0)
        return totals, {("top", i): (r["client"], r["net"]) for i, r in enumerate(report.rows)}
    if key == "conversion":
        return ({k: t[k] for k in ("created", "confirmed", "paid")},
                {("row", r["manager"]): (r["created"], r["confirmed"], r["paid"]) for r in report.rows if r["created"]})
    if key == "goods_sold":
        totals = {k: t[k] for k in ("sold", "returned", "net_qty", "net")}
        totals["skus"] = None  # compared through the note when there are more rows than shown
        other = {("top", i): (r["sku"], r["net"]) for i, r in enumerate(report.rows[:20])}
        if report.chart:
            other.update({("section", label): value for label, value in
                          zip(report.chart.labels, report.chart.series[0].values)})
        return totals, other
    if key == "client_debt":
        totals = {k: t[k] for k in ("orders", "open", "overdue", "days_overdue")}
        totals["clients"] = len(report.rows)
        return totals, {}
    if key == "bonus_programme":
        return {k: t[k] for k in ("accrued", "released", "redeemed", "expired", "adjusted", "outstanding")}, {}
    raise KeyError(key)


def differences(key: str, report, rows: list, period) -> list[str]:
    want_totals, want_other = expected(key, rows, period)
    got_totals, got_other = shown(key, report)
    problems = [f"total {k}: report {got_totals.get(k)!r}, SQL {v!r}" for k, v in want_totals.items()
                if got_totals.get(k) is not None and got_totals.get(k) != v]
    if key == "goods_sold":
        # the report shows the top SKUs and the chart's top sections only: compare what it shows
        want_other = {k: v for k, v in want_other.items() if k in got_other}
    for k in sorted(set(want_other) | set(got_other), key=str):
        if want_other.get(k) != got_other.get(k):
            problems.append(f"{k[0]} {k[1]}: report {got_other.get(k)!r}, SQL {want_other.get(k)!r}")
    return problems


# -------------------------------------------------------------------------------------- timing

class StatementLog:
    """The statements a report runs, with their parameters and time (for EXPLAIN of the slowest)."""

    def __init__(self, engine):
        self.engine, self.items, self.on = engine, [], False
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, _cursor, _statement, _params, _context, _many):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, _cursor, statement, params, _context, _many):
        if self.on:
            self.items.append((time.perf_counter() - conn.info.pop("bench_started"), statement, params))

    def close(self):
        sa.event.remove(self.engine, "before_cursor_execute", self._before)
        sa.event.remove(self.engine, "after_cursor_execute", self._after)


def best_of(run, rounds: int = ROUNDS) -> tuple[float, object]:
    """One untimed run, then the best of `rounds` timed runs, in ms; and the last result."""
    result = run()
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - t0)
    return best * 1000, result


def compact(statement: str, params) -> tuple[str, dict]:
    """The statement and parameters for reading: a long IN list of ids shown once, as its values."""
    import re
    lists: dict[str, list] = {}

    def shorten(match):
        names = re.findall(r"%\((\w+)\)s", match.group(0))
        values = [params[n] for n in names]
        label = f"<{len(values)} ids: {values[0]}…{values[-1]}>"
        for n in names:
            lists[n] = label
        return f"({label})"
    text = re.sub(r"\((?:%\(\w+\)s::INTEGER, ){5,}%\(\w+\)s::INTEGER\)", shorten, statement)
    return text, {k: v for k, v in params.items() if k not in lists}


def explain(statement: str, params) -> str:
    from portal.extensions import db
    conn = db.session.connection()
    lines = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params).scalars().all()
    db.session.rollback()
    return "\n".join(lines)


def machine(url: sa.URL) -> str:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            version = conn.scalar(sa.text("SHOW server_version"))
            settings = {name: conn.scalar(sa.text(f"SHOW {name}")) for name in
                        ("shared_buffers", "work_mem", "effective_cache_size", "max_parallel_workers_per_gather",
                         "jit")}
            size = conn.scalar(sa.text("SELECT pg_size_pretty(pg_database_size(current_database()))"))
    finally:
        engine.dispose()
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")))
        memory = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}) {cpu}{memory}; "
            f"{platform.system()} {platform.release()}; Python {platform.python_version()}; "
            f"load average now {load}\n"
            f"PostgreSQL {version}: " + ", ".join(f"{k} {v}" for k, v in settings.items()) +
            f"; database size {size}")


def run_reports(app, url: sa.URL, only: list[str] | None, explain_all: bool, threshold_ms: float,
                days: int = 365) -> int:
    from portal.extensions import db
    from portal.models import User
    from portal.services.statistics import REPORTS
    from portal.services.statistics.report import Period

    zone = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])
    results, slow, mismatches = [], [], 0
    with app.test_request_context("/"):
        engine = db.engine
        end_day = (db.session.scalar(sa.text("SELECT max(created_at) FROM orders")).replace(tzinfo=UTC)
                   .astimezone(zone).date())
        period = Period(end_day - timedelta(days=days - 1), end_day)
        today = datetime.now(zone).date()
        viewer = db.session.scalar(sa.select(User).where(User.email == "supervisor@bench.portal"))
        params = {
            "sup": viewer.id, "tz": app.config["BABEL_DEFAULT_TIMEZONE"], "start": period.start, "today": today,
            "grain": "day" if period.days <= 31 else "week" if period.days <= 185 else "month",
            "t0": datetime.combine(period.start, dtime.min, tzinfo=zone).astimezone(UTC).replace(tzinfo=None),
            "t1": datetime.combine(period.end + timedelta(days=1), dtime.min, tzinfo=zone)
                  .astimezone(UTC).replace(tzinfo=None),
        }
        log(f"period: {period.start} – {period.end} ({period.days} days), as {viewer.email} "
            f"(team of {db.session.scalar(sa.text('SELECT count(*) FROM users WHERE supervisor_id = :s'), {'s': viewer.id})}), "
            f"today {today}")
        db.session.rollback()
        statements = StatementLog(engine)
        for key, function in REPORTS.items():
            if only and key not in only:
                continue
            viewer = db.session.get(User, params["sup"])

            def service(compare=False, function=function, viewer=viewer):
                report = function(viewer, period, compare)
                db.session.rollback()
                return report

            statements.items.clear()
            statements.on = True
            service_ms, report = best_of(service)
            statements.on = False
            runs = ROUNDS + 1
            per_run = statements.items[-(len(statements.items) // runs):] if statements.items else []
            compare_ms, _ = best_of(lambda: service(True))
            hand = sa.text(HAND_SQL[key])

            def by_hand(hand=hand):
                team = db.session.scalar(sa.text(TEAM_OF), params)
                found = db.session.execute(hand, {**params, "team": team}).all()
                db.session.rollback()
                return found

            hand_ms, rows = best_of(by_hand)
            problems = differences(key, report, rows, period)
            mismatches += bool(problems)
            results.append((key, service_ms, compare_ms, hand_ms, len(per_run), problems))
            log(f"  {key:<17} service {service_ms:8.1f} ms ({len(per_run)} statements), with comparison "
                f"{compare_ms:8.1f} ms, hand SQL {hand_ms:8.1f} ms  "
                f"{'figures agree' if not problems else 'MISMATCH'}")
            for problem in problems[:12]:
                log(f"      MISMATCH {problem}")
            if len(problems) > 12:
                log(f"      … and {len(problems) - 12} more")
            if per_run and (explain_all or service_ms > threshold_ms):
                slowest = max(per_run, key=lambda item: item[0])
                slow.append((key, service_ms, slowest))
        statements.close()
        plans = []
        for key, service_ms, (seconds, statement, parameters) in slow:
            plans.append((key, service_ms, seconds * 1000, statement, parameters, explain(statement, parameters)))
        hand_plans = []
        if explain_all:
            for key in [r[0] for r in results]:
                conn = db.session.connection()
                compiled = sa.text("EXPLAIN (ANALYZE, BUFFERS) " + HAND_SQL[key])
                team = conn.scalar(sa.text(TEAM_OF), params)
                hand_plans.append((key, "\n".join(conn.execute(compiled, {**params, "team": team}).scalars().all())))
                db.session.rollback()
        db.session.remove()

    log("")
    log(machine(url))
    log(f"period {period.start} – {period.end}; best of {ROUNDS} after one untimed run; ratio = service / hand SQL")
    log("")
    log("| report | service ms | with comparison ms | hand SQL ms | ratio | figures |")
    log("|---|---:|---:|---:|---:|---|")
    for key, service_ms, compare_ms, hand_ms, _n, problems in results:
        verdict = "agree" if not problems else f"**MISMATCH** ({len(problems)})"
        log(f"| {key} | {service_ms:,.0f} | {compare_ms:,.0f} | {hand_ms:,.0f} | {service_ms / hand_ms:.2f} | {verdict} |")
    over = [r for r in results if r[1] > threshold_ms]
    log("")
    log(f"reports over {threshold_ms:.0f} ms: " + (", ".join(f"{r[0]} ({r[1]:,.0f} ms)" for r in over) or "none"))
    log(f"mismatches: {mismatches}")
    for key, service_ms, statement_ms, statement, parameters, plan in plans:
        log("")
        log(f"=== {key}: {service_ms:,.0f} ms; its slowest statement took {statement_ms:,.0f} ms:")
        text, rest = compact(statement, parameters)
        log(text)
        log(f"-- parameters: {rest}")
        log(plan)
    for key, plan in hand_plans:
        log("")
        log(f"=== hand SQL of {key}:")
        log(plan)
    return 1 if mismatches else 0


# ----------------------------------------------------------------------------------------- main

def main(argv=None) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("SECRET_KEY", "bench-statistics")  # no key file written for a benchmark
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL,
                        help=f"the PostgreSQL database to create (or reuse with --keep); default {DEFAULT_URL}")
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders to generate (default 1 000 000)")
    parser.add_argument("--keep", action="store_true",
                        help="reuse the database if it holds generated data: skip the generation")
    parser.add_argument("--end", type=date.fromisoformat, default=None,
                        help="last day of the generated data, YYYY-MM-DD (default: yesterday in the portal's time zone)")
    parser.add_argument("--seed", type=float, default=0.42, help="setseed() value, -1 … 1 (default 0.42)")
    parser.add_argument("--generate-only", action="store_true", help="generate and stop, time nothing")
    parser.add_argument("--report", action="append", help="time only this report (repeatable)")
    parser.add_argument("--days", type=int, default=365,
                        help="length of the timed period, ending on the last day of the data (default 365)")
    parser.add_argument("--explain", action="store_true",
                        help="print EXPLAIN (ANALYZE, BUFFERS) of every report's slowest statement and of every "
                             "hand-written query (by default only for reports over --threshold)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a PostgreSQL setting for the timed connections, e.g. --set jit=off (repeatable)")
    parser.add_argument("--threshold", type=float, default=1000.0,
                        help="a report slower than this (ms) gets its slowest statement explained (default 1000)")
    args = parser.parse_args(argv)

    url = sa.make_url(args.database_url)
    if not url.drivername.startswith("postgresql"):
        raise SystemExit("--database-url must be a PostgreSQL URL")
    url = url.set(drivername="postgresql+psycopg")
    shown = url.render_as_string(hide_password=True)

    reuse = args.keep and database_exists(url)
    if reuse:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            try:
                reuse = (conn.scalar(sa.text("SELECT count(*) FROM orders")) or 0) > 0
            except sa.exc.ProgrammingError:
                reuse = False
        engine.dispose()
    if args.keep and not reuse:
        log(f"--keep: {shown} holds no generated data, generating it")

    if not reuse:
        log(f"database {shown}: created afresh")
        create_database(url)
    app = make_app(url.render_as_string(hide_password=False))
    before, after = migrate(app)
    log(f"migrations: {before or 'empty'} -> {after}")
    if not reuse:
        end_day = args.end or datetime.now(ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])).date() - timedelta(days=1)
        log(f"generating {args.orders:,} orders up to {end_day} (seed {args.seed}) ...")
        generate(url, app, args.orders, end_day, args.seed)
    elif before != after:
        engine = sa.create_engine(url)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
        engine.dispose()
        log("new migrations applied to the kept database: ANALYZE done")

    counts = row_counts(url)
    log("rows: " + ", ".join(f"{table} {n:,}" for table, n in counts.items()))
    if not reuse:
        log("consistency:")
        problems = consistency(app)
        if problems:
            log("GENERATED DATA INCONSISTENT: " + "; ".join(problems))
            return 1
    if args.generate_only:
        return 0
    log("")
    log("timing the reports ...")
    if args.set:
        settings = [item.split("=", 1) for item in args.set]
        with app.app_context():
            from portal.extensions import db

            @sa.event.listens_for(db.engine, "connect")
            def _session_settings(dbapi_connection, _record):
                with dbapi_connection.cursor() as cur:
                    for name, value in settings:
                        cur.execute("SELECT set_config(%s, %s, false)", (name.strip(), value.strip()))
                dbapi_connection.commit()
            db.engine.dispose()
        log("session settings: " + ", ".join(f"{n}={v}" for n, v in settings))
    return run_reports(app, url, args.report, args.explain, args.threshold, args.days)


if __name__ == "__main__":
    raise SystemExit(main())

"""Many rows into one table at once, the cheapest way the database offers.

PostgreSQL: `COPY … FROM STDIN` through the session's own connection (so inside the caller's
transaction): no statement to prepare, no parameters to bind per row. Elsewhere (SQLite): one
executemany. Values go through each column's own bind processing first (UTCDateTime, JSON …), so
what is stored is exactly what an INSERT would store. Python-side column defaults are applied to
columns the rows leave out. Used where a 1C package writes thousands of rows in one step.
"""
from __future__ import annotations

import sqlalchemy as sa

from portal.extensions import db

# Below this many rows the statement is cheaper than setting COPY up.
COPY_FROM = 50


def insert(table: sa.Table, rows: list[dict]) -> None:
    if not rows:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql" or len(rows) < COPY_FROM:
        db.session.execute(sa.insert(table), rows)
        return
    given = list(rows[0])
    defaults = {c.name: c.default.arg for c in table.columns
                if c.name not in given and c.default is not None and c.default.is_scalar}
    columns = given + list(defaults)
    processors = {name: table.c[name].type._cached_bind_processor(dialect) for name in columns}
    names = ", ".join(dialect.identifier_preparer.quote(name) for name in columns)
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {dialect.identifier_preparer.format_table(table)} "
                                             f"({names}) FROM STDIN") as copy:
        for row in rows:
            values = []
            for name in columns:
                value = row[name] if name in row else defaults[name]
                processor = processors[name]
                values.append(processor(value) if processor is not None and value is not None else value)
            copy.write_row(values)

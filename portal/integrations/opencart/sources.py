"""Where OpenCart's customers and reward rows are read from: the shop's MySQL/MariaDB database, or
CSV exports of the same two tables. Both stream their rows (a server-side cursor, a file read line
by line), so memory does not grow with the number of rows.

The tables are OpenCart's own (3.x and 4.x have the same columns for what is read here):
`{prefix}customer(customer_id, firstname, lastname, email, telephone, ...)` and
`{prefix}customer_reward(customer_reward_id, customer_id, order_id, description, points, date_added)`.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError


class SourceError(Exception):
    """The shop's data cannot be read as asked: a clear message for the operator, nothing written."""


@dataclass(frozen=True)
class Customer:
    customer_id: int
    firstname: str
    lastname: str
    email: str
    telephone: str


@dataclass(frozen=True)
class Reward:
    reward_id: int
    customer_id: int
    points: object        # an int from the database, text from a CSV: converted (and checked) on import
    description: str
    date_added: str
    order_id: int = 0
    line: int | None = None   # the CSV line, for error messages


PREFIX = re.compile(r"^[A-Za-z0-9_]{0,32}$")


def _id(value, what: str, where: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise SourceError(f"{where}: {what} {value!r} is not a whole number") from None
    if number <= 0:
        raise SourceError(f"{where}: {what} {value!r} must be positive")
    return number


class DatabaseSource:
    """The shop's database, e.g. `mysql+pymysql://user:pass@host/db`, tables named with `prefix`."""

    def __init__(self, url: str, prefix: str = "oc_"):
        if not PREFIX.match(prefix or ""):
            raise SourceError(f"the table prefix {prefix!r} may hold only letters, digits and '_'")
        try:
            parsed = sa.make_url(url)
            if not parsed.drivername.startswith(("mysql", "mariadb")):
                raise SourceError(f"{parsed.drivername!r} is not a MySQL/MariaDB URL (mysql+pymysql://user:pass@host/db)")
            if "charset" not in parsed.query:
                parsed = parsed.update_query_dict({"charset": "utf8mb4"})
            self.engine = sa.create_engine(parsed, pool_pre_ping=True)
        except (ArgumentError, NoSuchModuleError) as exc:
            raise SourceError(f"cannot use the URL: {exc}") from None
        self.description = parsed.render_as_string(hide_password=True)
        self.customer_table = f"`{prefix}customer`"
        self.reward_table = f"`{prefix}customer_reward`"
        self._check()

    def _check(self) -> None:
        try:
            with self.engine.connect() as conn:
                for table in (self.customer_table, self.reward_table):
                    conn.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).all()
        except DBAPIError as exc:
            self.engine.dispose()
            raise SourceError(f"cannot read the shop's tables at {self.description}: {exc.orig}") from None

    def _stream(self, sql: str, **params) -> Iterator[sa.Row]:
        """Rows through a server-side cursor (PyMySQL's SSCursor), never all in memory."""
        with self.engine.connect() as conn:
            # Between two batches the portal writes for a while: the server must wait for us.
            conn.execute(sa.text("SET SESSION net_write_timeout = 3600"))
            result = conn.execution_options(stream_results=True, max_row_buffer=2000).execute(sa.text(sql), params)
            yield from result

    def max_reward_id(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT COALESCE(MAX(customer_reward_id), 0) FROM {self.reward_table}"))
                       .scalar_one())

    def count_rewards(self, after: int, upto: int) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.text(
                f"SELECT COUNT(*) FROM {self.reward_table} WHERE customer_reward_id > :a AND customer_reward_id <= :u"),
                {"a": after, "u": upto}).scalar_one())

    def customers(self, after: int) -> Iterator[Customer]:
        for row in self._stream(
                f"SELECT customer_id, firstname, lastname, email, telephone FROM {self.customer_table} "
                "WHERE customer_id > :after ORDER BY customer_id", after=after):
            yield Customer(int(row[0]), row[1] or "", row[2] or "", row[3] or "", row[4] or "")

    def rewards(self, after: int, upto: int) -> Iterator[Reward]:
        for row in self._stream(
                f"SELECT customer_reward_id, customer_id, order_id, description, points, date_added "
                f"FROM {self.reward_table} WHERE customer_reward_id > :after AND customer_reward_id <= :upto "
                "ORDER BY customer_reward_id", after=after, upto=upto):
            yield Reward(int(row[0]), int(row[1]), row[4], row[3] or "", str(row[5] or ""), int(row[2] or 0))

    def reward_totals(self, upto: int) -> Iterator[tuple[int, object, int]]:
        """(customer_id, points, how many rows) of every reward row up to `upto`, summed in the shop's
        database by distinct points figure, so rounding stays per row."""
        yield from ((int(c), p, int(n)) for c, p, n in self._stream(
            f"SELECT customer_id, points, COUNT(*) FROM {self.reward_table} WHERE customer_reward_id <= :upto "
            "GROUP BY customer_id, points", upto=upto))

    def close(self) -> None:
        self.engine.dispose()


CUSTOMER_COLUMNS = ("customer_id", "firstname", "lastname", "email", "telephone")
REWARD_COLUMNS = ("customer_reward_id", "customer_id", "points")


class CsvSource:
    """CSV exports of the two tables (phpMyAdmin, Adminer or `SELECT … INTO OUTFILE` with a header
    line): UTF-8 (a BOM is fine), separated by `,`, `;` or tabs, columns named as in the tables and
    in any order; other columns are ignored. Reward rows must come in ascending id order."""

    def __init__(self, customers: str | Path, rewards: str | Path):
        self.customers_path, self.rewards_path = Path(customers), Path(rewards)
        self.description = f"{self.customers_path.name} + {self.rewards_path.name}"
        self._check(self.customers_path, CUSTOMER_COLUMNS)
        self._check(self.rewards_path, REWARD_COLUMNS)

    def _check(self, path: Path, required: tuple[str, ...]) -> None:
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                header = next(self._reader(handle), None)
        except OSError as exc:
            raise SourceError(f"cannot read {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise SourceError(f"{path} is not UTF-8 text") from None
        if header is None:
            raise SourceError(f"{path} is empty: a header line is expected")
        missing = [c for c in required if c not in header]
        if missing:
            raise SourceError(f"{path}: missing column(s) {', '.join(missing)} in the header")

    @staticmethod
    def _reader(handle) -> Iterator[list[str]]:
        first = handle.readline()
        delimiter = max((",", ";", "\t"), key=first.count)
        handle.seek(0)
        for row in csv.reader(handle, delimiter=delimiter):
            yield [cell.strip() for cell in row]

    def _rows(self, path: Path) -> Iterator[tuple[int, dict[str, str]]]:
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = self._reader(handle)
                header = [h.strip().lower() for h in next(reader)]
                for number, cells in enumerate(reader, start=2):
                    if not any(cells):
                        continue
                    if len(cells) != len(header):
                        raise SourceError(f"{path.name} line {number}: {len(cells)} fields, the header has {len(header)}")
                    yield number, dict(zip(header, cells))
        except UnicodeDecodeError:
            raise SourceError(f"{path} is not UTF-8 text") from None
        except csv.Error as exc:
            raise SourceError(f"{path}: {exc}") from None

    def max_reward_id(self) -> int:
        last = 0
        for number, row in self._rows(self.rewards_path):
            last = max(last, _id(row["customer_reward_id"], "customer_reward_id", f"{self.rewards_path.name} line {number}"))
        return last

    def count_rewards(self, after: int, upto: int) -> int:
        return sum(1 for reward in self.rewards(after, upto))

    def customers(self, after: int) -> Iterator[Customer]:
        previous = 0
        for number, row in self._rows(self.customers_path):
            where = f"{self.customers_path.name} line {number}"
            customer_id = _id(row["customer_id"], "customer_id", where)
            if customer_id <= previous:
                raise SourceError(f"{where}: customers must come in ascending customer_id order")
            previous = customer_id
            if customer_id > after:
                yield Customer(customer_id, row["firstname"], row["lastname"], row["email"], row["telephone"])

    def rewards(self, after: int, upto: int) -> Iterator[Reward]:
        previous = 0
        for number, row in self._rows(self.rewards_path):
            where = f"{self.rewards_path.name} line {number}"
            reward_id = _id(row["customer_reward_id"], "customer_reward_id", where)
            if reward_id <= previous:
                raise SourceError(f"{where}: reward rows must come in ascending customer_reward_id order")
            previous = reward_id
            if after < reward_id <= upto:
                order_id = row.get("order_id") or "0"
                yield Reward(reward_id, _id(row["customer_id"], "customer_id", where), row["points"],
                             row.get("description", ""), row.get("date_added", ""),
                             int(order_id) if order_id.isdigit() else 0, number)

    def reward_totals(self, upto: int) -> Iterator[tuple[int, object, int]]:
        for reward in self.rewards(0, upto):
            yield reward.customer_id, reward.points, 1

    def close(self) -> None:
        pass

"""A real OpenCart shop database on the MariaDB server of the machine, for tests and the benchmark.

The two tables are created as OpenCart 3.0's install/opencart.sql creates them (the columns of
4.x for what the import reads are the same), with the table prefix given."""
from __future__ import annotations

import os
import uuid

import sqlalchemy as sa

MARIADB_URL = os.environ.get("TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/")

CUSTOMER_DDL = """
CREATE TABLE `{prefix}customer` (
  `customer_id` int(11) NOT NULL AUTO_INCREMENT,
  `customer_group_id` int(11) NOT NULL,
  `store_id` int(11) NOT NULL DEFAULT '0',
  `language_id` int(11) NOT NULL,
  `firstname` varchar(32) NOT NULL,
  `lastname` varchar(32) NOT NULL,
  `email` varchar(96) NOT NULL,
  `telephone` varchar(32) NOT NULL,
  `fax` varchar(32) NOT NULL,
  `password` varchar(40) NOT NULL,
  `salt` varchar(9) NOT NULL,
  `cart` text,
  `wishlist` text,
  `newsletter` tinyint(1) NOT NULL DEFAULT '0',
  `address_id` int(11) NOT NULL DEFAULT '0',
  `custom_field` text NOT NULL,
  `ip` varchar(40) NOT NULL,
  `status` tinyint(1) NOT NULL,
  `safe` tinyint(1) NOT NULL,
  `token` text NOT NULL,
  `code` varchar(40) NOT NULL,
  `date_added` datetime NOT NULL,
  PRIMARY KEY (`customer_id`)
) ENGINE=MyISAM DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
"""

REWARD_DDL = """
CREATE TABLE `{prefix}customer_reward` (
  `customer_reward_id` int(11) NOT NULL AUTO_INCREMENT,
  `customer_id` int(11) NOT NULL DEFAULT '0',
  `order_id` int(11) NOT NULL DEFAULT '0',
  `description` text NOT NULL,
  `points` int(8) NOT NULL DEFAULT '0',
  `date_added` datetime NOT NULL,
  PRIMARY KEY (`customer_reward_id`)
) ENGINE=MyISAM DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
"""


def server_reachable(url: str = MARIADB_URL) -> str | None:
    """None when the server answers, else why not."""
    try:
        engine = sa.create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
        return None
    except Exception as exc:  # any failure to connect is a reason to report
        return f"{type(exc).__name__}: {exc}"


class Shop:
    """A fresh database `portal_oc_<random>` on the server, with OpenCart's two tables."""

    def __init__(self, server_url: str = MARIADB_URL, prefix: str = "oc_"):
        self.name = f"portal_oc_{uuid.uuid4().hex[:12]}"
        self.prefix = prefix
        self.admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE `{self.name}` CHARACTER SET utf8mb4"))
        self.url = sa.make_url(server_url).set(database=self.name).render_as_string(hide_password=False)
        self.engine = sa.create_engine(self.url + "?charset=utf8mb4", isolation_level="AUTOCOMMIT")
        self.create_tables(prefix)

    def create_tables(self, prefix: str) -> None:
        with self.engine.connect() as conn:
            conn.execute(sa.text(CUSTOMER_DDL.format(prefix=prefix)))
            conn.execute(sa.text(REWARD_DDL.format(prefix=prefix)))

    def execute(self, sql: str, params=None):
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params or {})

    def add_customer(self, customer_id: int, firstname: str, lastname: str, email: str, telephone: str,
                     date_added: str = "2023-03-01 10:00:00", prefix: str | None = None) -> None:
        self.execute(
            f"INSERT INTO `{prefix or self.prefix}customer` (customer_id, customer_group_id, store_id, language_id, "
            "firstname, lastname, email, telephone, fax, password, salt, custom_field, ip, status, safe, token, "
            "code, date_added) VALUES (:id, 1, 0, 1, :f, :l, :e, :t, '', 'x', 'salt', '', '127.0.0.1', 1, 0, '', "
            "'', :d)", {"id": customer_id, "f": firstname, "l": lastname, "e": email, "t": telephone, "d": date_added})

    def add_reward(self, reward_id: int, customer_id: int, points: int, description: str = "", order_id: int = 0,
                   date_added: str = "2023-05-01 12:00:00", prefix: str | None = None) -> None:
        self.execute(
            f"INSERT INTO `{prefix or self.prefix}customer_reward` (customer_reward_id, customer_id, order_id, "
            "description, points, date_added) VALUES (:id, :c, :o, :d, :p, :at)",
            {"id": reward_id, "c": customer_id, "o": order_id, "d": description, "p": points, "at": date_added})

    def drop(self) -> None:
        self.engine.dispose()
        with self.admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{self.name}`"))
        self.admin.dispose()

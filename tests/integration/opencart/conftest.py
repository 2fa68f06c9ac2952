"""A fresh OpenCart database on the machine's MariaDB for each test (dropped after it). Without a
reachable server the tests are skipped with the reason; with PORTAL_NO_SKIPS=1 (CI) that fails."""
from __future__ import annotations

import pytest

from .shop import MARIADB_URL, Shop, server_reachable


@pytest.fixture(scope="session")
def mariadb_server():
    reason = server_reachable()
    if reason is not None:
        pytest.skip(f"MariaDB is not reachable at {MARIADB_URL} (set TEST_MARIADB_URL): {reason}")
    return MARIADB_URL


@pytest.fixture
def shop(mariadb_server):
    shop = Shop(mariadb_server)
    yield shop
    shop.drop()

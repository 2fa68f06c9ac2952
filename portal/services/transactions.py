"""Running one business operation as one transaction, again when the database says it could not:
SQLite busy, or a PostgreSQL deadlock or serialization failure."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import OperationalError

from portal.extensions import db

T = TypeVar("T")
ATTEMPTS = 5
log = logging.getLogger(__name__)
# PostgreSQL rolled the whole transaction back and says running it again can succeed:
# deadlock_detected and serialization_failure.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def _is_busy(exc: OperationalError) -> bool:
    if getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    # SQLite in WAL mode: a transaction that read an older snapshot cannot start writing after
    # another writer committed (SQLITE_BUSY_SNAPSHOT); the busy timeout does not help there.
    return "database is locked" in str(exc.orig) or "database is busy" in str(exc.orig)


def retry_when_busy(operation: Callable[[], T]) -> T:
    """Run `operation` (which commits or raises); if the database was busy or chose it as a
    deadlock victim, roll back and run it again (each retry is logged as a warning: with locks
    taken in one order a deadlock should not happen, so one in the log is worth a look).

    Safe because an operation either committed whole or left nothing behind, and because every
    operation checks its idempotency key first, so a retry after an unseen commit changes nothing.
    """
    for attempt in range(ATTEMPTS):
        try:
            return operation()
        except OperationalError as exc:
            db.session.rollback()
            if not _is_busy(exc) or attempt == ATTEMPTS - 1:
                raise
            log.warning("retrying a transaction the database refused (attempt %d): %s", attempt + 1,
                        str(exc.orig).splitlines()[0])
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def one_transaction(operation: Callable[[], T]) -> T:
    """Run `operation` as one business transaction: commit what it did, roll everything back on any
    error, and run it again whole when SQLite was busy with another writer (it re-reads everything,
    so its checks see the other's commit)."""
    def attempt() -> T:
        try:
            result = operation()
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            raise

    return retry_when_busy(attempt)

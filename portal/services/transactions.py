"""The one way a business operation runs: as one transaction, started and finished here.

    order = one_transaction(lambda: _place(sale), replay=lambda: _order_with_key(sale.key))

- Everything the operation writes commits together, or nothing does: any exception rolls it all
  back and goes on up.
- When the database could not run it (SQLite busy with another writer, a PostgreSQL deadlock victim
  or serialization failure), it is rolled back and run again whole: it re-reads everything, so its
  checks see what the other transaction committed. Each retry is logged as a warning.
- `replay` finds what a twin request with the same idempotency key already did. It is asked before
  the work and again when the work collided with the twin on a unique key, and its answer (when not
  None) is returned instead of doing the work again.
- Called while another operation is running (a service that uses another service, or the API that
  writes its remembered answer in the same transaction as the work), the inner operation just runs
  inside the outer one: only the outermost commits, retries or rolls back.

Helpers, views and the ledger never commit; nothing else in the portal calls `commit()`.
"""
from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError

from portal.extensions import db

T = TypeVar("T")
ATTEMPTS = 5
log = logging.getLogger(__name__)
# PostgreSQL rolled the whole transaction back and says running it again can succeed:
# deadlock_detected and serialization_failure.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
_RUNNING = "portal.transaction"  # key in the session's info while an operation runs
_AFTER_COMMIT = "portal.after_commit"  # what to do once the running operation has committed


def _is_busy(exc: OperationalError) -> bool:
    if getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    # SQLite in WAL mode: a transaction that read an older snapshot cannot start writing after
    # another writer committed (SQLITE_BUSY_SNAPSHOT); the busy timeout does not help there.
    return "database is locked" in str(exc.orig) or "database is busy" in str(exc.orig)


def running() -> bool:
    """An operation is running in this session (its work is not committed yet)."""
    return bool(db.session.info.get(_RUNNING))


def after_commit(action: Callable[[], object]) -> None:
    """Do `action` once the running operation has committed (at once when none runs); never if it
    rolls back. For what must not happen before the change is kept: an SMS sent right away."""
    if running():
        db.session.info.setdefault(_AFTER_COMMIT, []).append(action)
    else:
        action()


def _commit() -> None:
    db.session.commit()
    actions = db.session.info.pop(_AFTER_COMMIT, [])
    db.session.info.pop(_RUNNING, None)
    for action in actions:
        action()


def one_transaction(operation: Callable[[], T], *, replay: Callable[[], T | None] | None = None) -> T:
    """Run `operation` as one business transaction (see the module's text)."""
    if running():
        if replay is not None:
            found = replay()
            if found is not None:
                return found
        return operation()
    for attempt in range(ATTEMPTS):
        db.session.info[_RUNNING] = True
        try:
            try:
                if replay is not None:
                    found = replay()
                    if found is not None:
                        _commit()  # ends the reading transaction
                        return found
                result = operation()
                _commit()
                return result
            except IntegrityError:
                db.session.rollback()
                db.session.info.pop(_AFTER_COMMIT, None)
                if replay is not None:  # a twin request with the same key did it a moment ago
                    found = replay()
                    if found is not None:
                        _commit()
                        return found
                raise
            except BaseException:
                db.session.rollback()
                db.session.info.pop(_AFTER_COMMIT, None)
                raise
        except OperationalError as exc:
            if not _is_busy(exc) or attempt == ATTEMPTS - 1:
                raise
            log.warning("retrying a transaction the database refused (attempt %d): %s", attempt + 1,
                        str(exc.orig).splitlines()[0])
            time.sleep(0.05 * (attempt + 1))
        finally:
            db.session.info.pop(_RUNNING, None)
            db.session.info.pop(_AFTER_COMMIT, None)
    raise AssertionError("unreachable")


def read_only(reading: Callable[[], T]) -> T:
    """Run a reading that must not leave a transaction open behind it (before calling another
    system, for instance): it ends with a rollback, so nothing it touched can be written."""
    if running():
        return reading()
    try:
        return reading()
    finally:
        db.session.rollback()


def operation(function: Callable[..., T]) -> Callable[..., T]:
    """Decorator: every call of `function` is one business operation (`one_transaction`)."""
    @functools.wraps(function)
    def run(*args, **kwargs) -> T:
        return one_transaction(lambda: function(*args, **kwargs))

    return run

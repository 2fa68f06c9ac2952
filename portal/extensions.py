"""Extensions are created here without an app and bound in create_app()."""
import math
import time

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData, event

# Deterministic constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
htmx = Htmx()
# Storage, on/off and key prefix come from the app's RATELIMIT_* settings (config.py). The key is
# the client's address: request.remote_addr, which PORTAL_PROXY_FIX makes the forwarded one.
limiter = Limiter(key_func=get_remote_address)


def init_limiter(app) -> None:
    """Bind the limiter to `app`. The limiter is one object per process and Flask-Limiter keeps
    some state of the first app it served (the key prefix, "storage is down"); an app made later
    (tests make many) starts from its own settings."""
    limiter._storage_dead = False
    limiter.init_app(app)
    limiter._key_prefix = app.config.get("RATELIMIT_KEY_PREFIX", "")


def retry_after() -> int:
    """Seconds until the limit this request broke lets it through again (for Retry-After)."""

    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.window[0] - time.time()))


def configure_sqlite(engine) -> None:
    """Make SQLite behave like a real transactional database.

    pysqlite starts transactions late and breaks SAVEPOINT; the documented fix is to let it do
    nothing and emit BEGIN ourselves. Foreign keys are on, WAL lets readers work beside a
    writer, and a busy timeout makes a second writer wait. A transaction that read before
    another writer committed cannot write at all (SQLITE_BUSY_SNAPSHOT): the sales and returns
    services run again in that case (services/transactions.py).
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        # SQLite's own lower() knows only ASCII; searches must find "Кран" by "кран".
        dbapi_connection.create_function("lower", 1, lambda s: s.lower() if isinstance(s, str) else s,
                                         deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; no fsync per commit
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")

"""Settings from the environment.

Every setting has a default that makes the portal run with zero set-up (SQLite in the
instance folder, console SMS). Production sets DATABASE_URL, SECRET_KEY and friends.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

SUPPORTED_LOCALES = ("ru", "uk", "en")
SUPPORTED_COUNTRIES = ("RU", "UA")


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the instance folder.

    A generated key survives restarts (sessions stay valid) and is never committed.
    """
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "portal.sqlite3")
    # Heroku-style and plain postgres URLs go through psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _megabytes(name: str, default: float) -> int:
    """A size in MiB from the environment (fractions allowed), in bytes."""
    raw = os.environ.get(name)
    try:
        value = float(raw) if raw not in (None, "") else default
    except ValueError:
        raise RuntimeError(f"{name} must be a number of megabytes, not {raw!r}") from None
    if not value > 0:
        raise RuntimeError(f"{name} must be above 0, not {raw!r}")
    return int(value * 1024 * 1024)


def from_environment(instance_path: str) -> dict:
    """Build the configuration mapping from environment variables."""
    country = os.environ.get("PORTAL_COUNTRY", "RU").upper()
    if country not in SUPPORTED_COUNTRIES:
        raise RuntimeError(f"PORTAL_COUNTRY must be one of {', '.join(SUPPORTED_COUNTRIES)}, not {country!r}")
    default_locale = os.environ.get("PORTAL_DEFAULT_LOCALE", "ru")
    if default_locale not in SUPPORTED_LOCALES:
        raise RuntimeError(f"PORTAL_DEFAULT_LOCALE must be one of {', '.join(SUPPORTED_LOCALES)}")
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # The portal's own loggers (portal/logs.py): level, and `text` or `json` lines on stderr.
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "text"),
        # The largest request body read (a 413 above it, portal/body_limit.py); the 1C exchange
        # always takes parts of ONEC_FILE_LIMIT bytes, however small this is.
        "MAX_CONTENT_LENGTH": _megabytes("PORTAL_MAX_BODY_MB", 16),
        "PORTAL_CURRENCY": os.environ.get("PORTAL_CURRENCY", "RUB").upper(),
        "PORTAL_COUNTRY": country,
        "PORTAL_COMPANY_NAME": os.environ.get("PORTAL_COMPANY_NAME", "Portal"),
        # The seller's requisites printed on invoices.
        "PORTAL_COMPANY_TAX_ID": os.environ.get("PORTAL_COMPANY_TAX_ID", ""),
        "PORTAL_COMPANY_ADDRESS": os.environ.get("PORTAL_COMPANY_ADDRESS", ""),
        "PORTAL_COMPANY_PHONE": os.environ.get("PORTAL_COMPANY_PHONE", ""),
        # Bank details as free text, one line per "|", e.g. "Bank X|BIC 044525225|Account 4070...".
        "PORTAL_COMPANY_BANK": os.environ.get("PORTAL_COMPANY_BANK", ""),
        "BABEL_DEFAULT_LOCALE": default_locale,
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("PORTAL_TIMEZONE", "Europe/Moscow"),
        "SMS_BACKEND": os.environ.get("SMS_BACKEND", "console"),
        "SMS_FILE_PATH": os.environ.get("SMS_FILE_PATH", str(Path(instance_path) / "sms.log")),
        "SMS_HTTP_URL": os.environ.get("SMS_HTTP_URL", ""),
        "LOGIN_MAX_FAILURES": int(os.environ.get("LOGIN_MAX_FAILURES", "10")),
        "LOGIN_LOCK_MINUTES": int(os.environ.get("LOGIN_LOCK_MINUTES", "15")),
        # "argon2id" (argon2-cffi), or a Werkzeug method such as "pbkdf2:sha256:1000" (tests, benchmarks);
        # Argon2id's costs: passes over memory, and memory in KiB (the library's defaults: 3, 64 MiB).
        "PASSWORD_HASH_METHOD": os.environ.get("PASSWORD_HASH_METHOD", "argon2id"),
        "ARGON2_TIME_COST": int(os.environ.get("ARGON2_TIME_COST", "3")),
        "ARGON2_MEMORY_COST": int(os.environ.get("ARGON2_MEMORY_COST", "65536")),
        # A staff session with no request for longer than this ends (the visitor signs in again).
        "SESSION_IDLE_MINUTES": int(os.environ.get("SESSION_IDLE_MINUTES", "480")),
        # Rate limits (Flask-Limiter, "N per minute|hour|..."; several separated by ";"), counted per
        # client address in RATELIMIT_STORAGE_URI: memory:// is per process, production sets
        # redis://host:6379/0 so every worker and host shares the counters.
        "RATELIMIT_ENABLED": _bool(os.environ.get("RATELIMIT_ENABLED"), default=True),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "portal"),
        # Redis down: count in this process's memory meanwhile rather than refuse every sign-in.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # failed staff sign-ins per address (the account lock-out above counts per account)
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute; 100 per hour"),
        # asking for and typing client bonus-page codes, per address and per phone
        "CLIENT_CODE_RATE_LIMIT": os.environ.get("CLIENT_CODE_RATE_LIMIT", "10 per 15 minutes"),
        # a manager typing the order confirmation code the client reads out, per address and per order
        "ORDER_CODE_RATE_LIMIT": os.environ.get("ORDER_CODE_RATE_LIMIT", "20 per 10 minutes"),
        # API requests with a missing or wrong key, per address; valid keys do not count
        "API_AUTH_RATE_LIMIT": os.environ.get("API_AUTH_RATE_LIMIT", "20 per minute"),
        # number of reverse proxies in front of the portal whose X-Forwarded-For/-Proto/-Host to trust
        "PORTAL_PROXY_FIX": int(os.environ.get("PORTAL_PROXY_FIX", "0")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(os.environ.get("SESSION_COOKIE_SECURE")),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "PAGE_SIZE": 50,
        "PORTAL_BASE_URL": os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:5000"),
        "CLIENT_LINK_DAYS": int(os.environ.get("CLIENT_LINK_DAYS", "30")),
        "RECEIPT_LINK_DAYS": int(os.environ.get("RECEIPT_LINK_DAYS", "90")),
        # The most extra discount (%) an automation rule may give an order (SPEC §8).
        "AUTOMATION_MAX_DISCOUNT_PERCENT": os.environ.get("AUTOMATION_MAX_DISCOUNT_PERCENT", "5"),
        "SMS_HTTP_METHOD": os.environ.get("SMS_HTTP_METHOD", "GET"),
        # The http SMS backend (portal/integrations/sms/http.py): placeholders {phone}, {phone_digits},
        # {text}, {sender} in SMS_HTTP_URL and SMS_HTTP_BODY (POST; encoded as "form" or "json").
        "SMS_HTTP_BODY": os.environ.get("SMS_HTTP_BODY", ""),
        "SMS_HTTP_CONTENT_TYPE": os.environ.get("SMS_HTTP_CONTENT_TYPE", "form"),
        "SMS_HTTP_HEADERS": os.environ.get("SMS_HTTP_HEADERS", ""),  # "Name: value; Other: value"
        "SMS_HTTP_SUCCESS": os.environ.get("SMS_HTTP_SUCCESS", ""),  # text (or "re:" regex) a 2xx body must hold
        "SMS_HTTP_MESSAGE_ID": os.environ.get("SMS_HTTP_MESSAGE_ID", ""),  # regex of the gateway's message id
        "SMS_HTTP_TIMEOUT": float(os.environ.get("SMS_HTTP_TIMEOUT", "10")),
        "SMS_SENDER": os.environ.get("SMS_SENDER", ""),
        # Outbox delivery (portal/services/messaging/delivery.py, `flask worker`): an event is tried at
        # most OUTBOX_MAX_ATTEMPTS times, waiting base × 2^(n−1) s (at most cap, less up to jitter of
        # it) after the n-th failure; a worker's claim on an event lasts OUTBOX_CLAIM_SECONDS.
        # OUTBOX_DELIVER_INLINE: the request that queued an SMS also tries it at once after its commit.
        "OUTBOX_MAX_ATTEMPTS": int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8")),
        "OUTBOX_BACKOFF_BASE": float(os.environ.get("OUTBOX_BACKOFF_BASE", "10")),
        "OUTBOX_BACKOFF_CAP": float(os.environ.get("OUTBOX_BACKOFF_CAP", "3600")),
        "OUTBOX_BACKOFF_JITTER": float(os.environ.get("OUTBOX_BACKOFF_JITTER", "0.1")),
        "OUTBOX_CLAIM_SECONDS": float(os.environ.get("OUTBOX_CLAIM_SECONDS", "120")),
        "OUTBOX_IDLE_SECONDS": float(os.environ.get("OUTBOX_IDLE_SECONDS", "2")),
        "OUTBOX_DELIVER_INLINE": _bool(os.environ.get("OUTBOX_DELIVER_INLINE"), default=True),
        "PORTAL_RETURN_DAYS": int(os.environ.get("PORTAL_RETURN_DAYS", "14")),
        # The VAT rate of products without their own (services/sales/vat.py): "20", "10", "0", or
        # "none" (без НДС / без ПДВ: the company charges no VAT). Checked by create_app.
        "PORTAL_VAT_RATE": os.environ.get("PORTAL_VAT_RATE", "none"),
        # The 1C exchange at /exchange (portal/integrations/onec); no login set: the exchange is off.
        "ONEC_LOGIN": os.environ.get("ONEC_LOGIN", ""),
        "ONEC_PASSWORD": os.environ.get("ONEC_PASSWORD", ""),
        "ONEC_PRICE_TYPE": os.environ.get("ONEC_PRICE_TYPE", ""),
        "ONEC_ENCODING": os.environ.get("ONEC_ENCODING", "utf-8"),
        "ONEC_FILE_LIMIT": int(os.environ.get("ONEC_FILE_LIMIT", str(8 * 1024 * 1024))),
        "ONEC_ZIP": _bool(os.environ.get("ONEC_ZIP"), True),
        "ONEC_WAREHOUSE": os.environ.get("ONEC_WAREHOUSE", ""),
        "ONEC_STEP_SECONDS": float(os.environ.get("ONEC_STEP_SECONDS", "20")),
        "ONEC_STEP_ITEMS": int(os.environ.get("ONEC_STEP_ITEMS", "20000")),
        # Fiscal receipts (portal/services/fiscal): "none" (no register), "file" (each task written to
        # FISCAL_FILE_DIR for an agent, its answer read from there), "atol" (ATOL's driver v10 web server
        # at each shop's fiscal register address). Checked by create_app.
        "FISCAL_BACKEND": os.environ.get("FISCAL_BACKEND", "none").strip().lower(),
        "FISCAL_FILE_DIR": os.environ.get("FISCAL_FILE_DIR", str(Path(instance_path) / "fiscal")),
        # seconds one HTTP request to the register may take, and one attempt waits for a task's result
        "FISCAL_TIMEOUT": float(os.environ.get("FISCAL_TIMEOUT", "10")),
        "FISCAL_WAIT_SECONDS": float(os.environ.get("FISCAL_WAIT_SECONDS", "10")),
        # the receipts' taxation system (osn, usnIncome, usnIncomeOutcome, esn, patent); empty: the register's own
        "FISCAL_TAXATION_TYPE": os.environ.get("FISCAL_TAXATION_TYPE", ""),
    }

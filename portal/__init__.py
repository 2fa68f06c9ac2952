"""Portal: one Flask application for managers, supervisors, cashiers and clients."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from portal import (
    body_limit,
    daily_sums,
    health,
    i18n,
    logs,
    models,  # noqa: F401  (registers every table on the metadata)
)
from portal import config as config_module
from portal.api import bp as api_bp
from portal.cli import register_cli
from portal.extensions import babel, configure_sqlite, csrf, db, htmx, init_limiter, login_manager, migrate
from portal.ids import MAX_ID
from portal.integrations.onec.routes import bp as onec_bp
from portal.services.automation import engine as automation
from portal.services.fiscal import documents as fiscal_documents
from portal.services.fiscal import registration as fiscal_registration
from portal.services.messaging import sms
from portal.services.sales import vat
from portal.web import register_web

ROOT = Path(__file__).resolve().parent.parent


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS (directly, or through a
    trusted proxy: PORTAL_PROXY_FIX); SESSION_COOKIE_SECURE=1 makes it Secure always."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: ids are 32-bit on every engine, so a larger number in a path
    matches no route (a 404) instead of reaching the database (an error on PostgreSQL and SQLite)."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def create_app(config: dict | None = None) -> Flask:
    """Application factory. `config` overrides what the environment gives (tests use it)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.url_map.converters["int"] = IdConverter
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config_module.from_environment(app.instance_path))
    if config:
        app.config.from_mapping(config)
    try:
        app.config["PORTAL_VAT_RATE"] = vat.parse_rate(app.config["PORTAL_VAT_RATE"])
    except vat.VatRateError as exc:
        raise RuntimeError(f"PORTAL_VAT_RATE: {exc} (a whole percentage such as 20, or none)") from None
    if app.config.get("FISCAL_BACKEND", "none") not in fiscal_documents.BACKENDS:
        raise RuntimeError(f"FISCAL_BACKEND must be one of {', '.join(fiscal_documents.BACKENDS)}, "
                           f"not {app.config['FISCAL_BACKEND']!r}")
    logs.configure(app)
    body_limit.init_app(app)  # first of the before-request hooks: an oversized body goes no further
    health.init_app(app)  # GET /healthz

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    init_limiter(app)
    htmx.init_app(app)
    app.session_interface = SessionInterface()
    if app.config.get("PORTAL_PROXY_FIX"):
        hops = int(app.config["PORTAL_PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    login_manager.init_app(app)

    babel.init_app(app, locale_selector=i18n.select_locale,
                   default_translation_directories=str(Path(__file__).parent / "translations"))
    i18n.register(app)

    daily_sums.install()
    automation.subscribe()
    sms.register()
    fiscal_registration.register()
    register_web(app)
    app.register_blueprint(api_bp)
    app.register_blueprint(onec_bp)

    register_cli(app)
    health.log_started(app)
    return app

"""Languages, money and date formatting in the reader's locale."""
from __future__ import annotations

from babel.numbers import format_decimal, get_currency_symbol
from flask import current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user

from portal.config import SUPPORTED_LOCALES
from portal.money import format_plain, from_minor

LANGUAGE_NAMES = {"ru": "Русский", "uk": "Українська", "en": "English"}


def select_locale() -> str:
    """The user's saved choice, else the session's, else the browser's, else the default."""
    if not has_request_context():  # CLI commands and workers speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.path.startswith("/api/"):  # systems talk English unless they ask otherwise
        return request.accept_languages.best_match(SUPPORTED_LOCALES) or "en"
    if current_user and current_user.is_authenticated and current_user.locale in SUPPORTED_LOCALES:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in SUPPORTED_LOCALES:
        return chosen
    return request.accept_languages.best_match(SUPPORTED_LOCALES) or current_app.config["BABEL_DEFAULT_LOCALE"]


# Where the currency is at home, so its sign (₽, ₴) is used in every UI language instead of
# an ISO code glued to the number ("RUB1,234.56" is what Babel's English gives).
_HOME_LOCALE = {"RUB": "ru", "UAH": "uk"}


def currency_sign(currency: str) -> str:
    return get_currency_symbol(currency, locale=_HOME_LOCALE.get(currency, "en"))


def money(minor: int | None) -> str:
    """Minor units in the reader's number format with the currency sign: 1 234,56 ₽ / 1,234.56 ₽."""
    if minor is None:
        return ""
    number = format_decimal(from_minor(minor), format="#,##0.00", locale=str(get_locale()))
    return f"{number}\u00a0{currency_sign(current_app.config['PORTAL_CURRENCY'])}"


def percent_bp(basis_points: int | None) -> str:
    if basis_points is None:
        return ""
    whole, frac = divmod(int(basis_points), 100)
    text = f"{whole}" if frac == 0 else f"{whole}.{frac:02d}".rstrip("0")
    if str(get_locale()) != "en":
        text = text.replace(".", ",")
    return f"{text}\u00a0%"


def register(app) -> None:
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["percent_bp"] = percent_bp
    app.jinja_env.filters["plain"] = format_plain
    app.jinja_env.filters["date"] = lambda d, fmt="medium": format_date(d, fmt) if d else ""
    app.jinja_env.filters["datetime"] = lambda d, fmt="short": format_datetime(d, fmt) if d else ""
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())

"""The supervisor's forms. They parse and coerce what was typed (percentages, days, signed money)
into exact integers; the ledger's settings and operations decide what is valid."""
from __future__ import annotations

import re
import secrets

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import Length

from portal.money import MoneyError, parse_percent, parse_signed_minor

_WHOLE = re.compile(r"^[+-]?[0-9]{1,9}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class Unparsable(ValueError):
    """What was typed is not a value of the field's kind; the message says what is expected."""


def decimal_mark() -> str:
    """The decimal separator people of the reader's language type (either is accepted)."""
    return "." if str(get_locale()) == "en" else ","


def parse_days(text: str | None) -> int:
    value = (text or "").strip().replace("\u00a0", "").replace(" ", "")
    if not _WHOLE.match(value):
        raise Unparsable(_l("Enter a whole number of days."))
    return int(value)


def parse_percent_bp(text: str | None) -> int:
    """"7,5" or "7.5" (a trailing % is allowed) -> 750 basis points."""
    value = (text or "").strip().rstrip("%").strip()
    try:
        return parse_percent(value)
    except MoneyError:
        raise Unparsable(_("Enter a percentage from 0 to 100 with at most two decimals, e.g. 5 or %(example)s.",
                           example=f"7{decimal_mark()}5")) from None


def parse_signed_money(text: str | None) -> int:
    """"150,50" -> 15050, "-150,50" -> -15050 (minor units, exact: Decimal, never float)."""
    try:
        return parse_signed_minor(text or "")
    except MoneyError:
        raise Unparsable(_("Enter an amount like %(plus)s to add or %(minus)s to take away.",
                           plus=f"150{decimal_mark()}50", minus=f"-150{decimal_mark()}50")) from None


def percent_text(basis_points: int) -> str:
    """750 -> "7,5" (or "7.5" in English): how a percentage is typed back into its field."""
    whole, frac = divmod(int(basis_points), 100)
    text = f"{whole}" if frac == 0 else f"{whole}.{frac:02d}".rstrip("0")
    return text.replace(".", decimal_mark())


def new_token() -> str:
    return secrets.token_urlsafe(18)


def valid_token(token: str | None) -> bool:
    return bool(token) and bool(_TOKEN.match(token))


class BonusSettingsForm(FlaskForm):
    accrual_rate = StringField(_l("Accrual rate, percent of the money paid"), validators=[Length(max=20)],
                               render_kw={"inputmode": "decimal", "autocomplete": "off"})
    hold_days = StringField(_l("Hold days (pending before it can be spent)"), validators=[Length(max=20)],
                            render_kw={"inputmode": "numeric", "autocomplete": "off"})
    max_redeem_share = StringField(_l("Maximum share of an order paid with bonus, %"), validators=[Length(max=20)],
                                   render_kw={"inputmode": "decimal", "autocomplete": "off"})
    expiry_days = StringField(_l("Expiry days (after it becomes available)"), validators=[Length(max=20)],
                              render_kw={"inputmode": "numeric", "autocomplete": "off"})

    def parsed(self) -> dict | None:
        """The values as services/clients/bonus.change_programme takes them, or None with the field errors set."""
        values = {}
        for name, key, parse in (("accrual_rate", "accrual_rate_bp", parse_percent_bp),
                                 ("hold_days", "hold_days", parse_days),
                                 ("max_redeem_share", "max_redeem_share_bp", parse_percent_bp),
                                 ("expiry_days", "expiry_days", parse_days)):
            field = getattr(self, name)
            try:
                values[key] = parse(field.data)
            except Unparsable as exc:
                field.errors = list(field.errors) + [str(exc)]
        return None if self.errors else values


class BonusAdjustmentForm(FlaskForm):
    client_id = HiddenField()
    token = HiddenField()
    amount = StringField(_l("Amount (negative to take away)"), validators=[Length(max=30)],
                         render_kw={"autocomplete": "off"})
    reason = StringField(_l("Reason"), validators=[Length(max=500)], render_kw={"autocomplete": "off"})

    def parsed_amount(self) -> int | None:
        try:
            return parse_signed_money(self.amount.data)
        except Unparsable as exc:
            self.amount.errors = list(self.amount.errors) + [str(exc)]
            return None

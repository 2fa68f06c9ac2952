"""Phone numbers: any common notation in, E.164 out."""
from __future__ import annotations

import phonenumbers
from flask_babel import lazy_gettext as _l


class PhoneError(ValueError):
    pass


def normalize_phone(text: str, country: str) -> str:
    """'8 (916) 123-45-67' with country RU -> '+79161234567'. Raises PhoneError when invalid."""
    raw = (text or "").strip()
    if not raw:
        raise PhoneError(_l("Enter a phone number."))
    if len(raw) > 40:
        raise PhoneError(_l("This is not a valid phone number."))
    try:
        parsed = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException:
        raise PhoneError(_l("This is not a valid phone number.")) from None
    if not phonenumbers.is_valid_number(parsed):
        raise PhoneError(_l("This is not a valid phone number."))
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """'+79161234567' -> '+7 916 123-45-67' (international notation)."""
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None),
                                          phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164

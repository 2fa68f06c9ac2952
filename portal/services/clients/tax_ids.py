"""Tax identifiers with their checksums, by country and client kind.

RU: INN, 10 digits for organisations, 12 for individuals (sole proprietors and persons).
UA: EDRPOU, 8 digits for legal entities; RNOKPP, 10 digits for individuals.

The checksums are python-stdnum's (stdnum.ru.inn, stdnum.ua.edrpou, stdnum.ua.rntrc); the portal keeps
its own rules of which length fits which client kind, its cleaning of the input and its messages.
"""
from __future__ import annotations

from types import ModuleType

from flask_babel import lazy_gettext as _l
from stdnum.exceptions import InvalidChecksum
from stdnum.ru import inn
from stdnum.ua import edrpou, rntrc

from portal.models.clients import ClientKind


class TaxIdError(ValueError):
    pass


def _is_digits(text: str) -> bool:
    """ASCII digits only: str.isdigit() would also pass '７' or '²'."""
    return text.isascii() and text.isdigit()


def _body(first: str, length: int, name: str) -> str:
    if len(first) != length or not _is_digits(first):
        raise ValueError(f"{name} body must be {length} digits")
    return first


def inn_check_digits(first: str) -> str:
    """Check digits for an INN body: 9 digits -> 1 check digit, 10 digits -> 2."""
    if len(first) == 9:
        return inn.calc_company_check_digit(_body(first, 9, "INN"))
    if len(first) == 10:
        return inn.calc_personal_check_digits(_body(first, 10, "INN"))
    raise ValueError("INN body must be 9 or 10 digits")


def edrpou_check_digit(first: str) -> str:
    """Check digit for the first 7 digits of an EDRPOU code."""
    return edrpou.calc_check_digit(_body(first, 7, "EDRPOU"))


def rnokpp_check_digit(first: str) -> str:
    """Check digit for the first 9 digits of an RNOKPP (individual taxpayer number)."""
    return rntrc.calc_check_digit(_body(first, 9, "RNOKPP"))


def expected_length(country: str, kind: ClientKind) -> int:
    individual = kind is not ClientKind.LEGAL_ENTITY
    if country == "RU":
        return 12 if individual else 10
    if country == "UA":
        return 10 if individual else 8
    raise ValueError(f"unsupported country {country}")


def _stdnum_module(country: str, length: int) -> ModuleType:
    if country == "RU":
        return inn
    return edrpou if length == 8 else rntrc


def validate_tax_id(text: str, country: str, kind: ClientKind) -> str:
    """Return the cleaned tax ID or raise TaxIdError with a message for a person."""
    value = "".join((text or "").split())
    length = expected_length(country, kind)
    if not _is_digits(value) or len(value) != length:
        raise TaxIdError(_l("The tax ID must be %(n)d digits.", n=length))
    try:
        _stdnum_module(country, length).validate(value)
    except InvalidChecksum:
        raise TaxIdError(_l("The tax ID's check digit is wrong.")) from None
    return value


def complete_tax_id(body: str, country: str, kind: ClientKind) -> str:
    """Append the check digit(s) to a body of random digits (demo data and tests use it)."""
    length = expected_length(country, kind)
    if country == "RU":
        return body + inn_check_digits(body)
    if length == 8:
        return body + edrpou_check_digit(body)
    return body + rnokpp_check_digit(body)

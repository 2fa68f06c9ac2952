"""Tax identifiers with their checksums, by country and client kind.

RU: INN, 10 digits for organisations, 12 for individuals (sole proprietors and persons).
UA: EDRPOU, 8 digits for legal entities; RNOKPP, 10 digits for individuals.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.models.clients import ClientKind


class TaxIdError(ValueError):
    pass


def _weighted(digits: list[int], weights: list[int]) -> int:
    return sum(d * w for d, w in zip(digits, weights))


def inn_check_digits(first: str) -> str:
    """Check digits for an INN body: 9 digits -> 1 check digit, 10 digits -> 2."""
    d = [int(c) for c in first]
    if len(d) == 9:
        return str(_weighted(d, [2, 4, 10, 3, 5, 9, 4, 6, 8]) % 11 % 10)
    if len(d) == 10:
        c11 = _weighted(d, [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) % 11 % 10
        c12 = _weighted(d + [c11], [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) % 11 % 10
        return f"{c11}{c12}"
    raise ValueError("INN body must be 9 or 10 digits")


def edrpou_check_digit(first: str) -> str:
    """Check digit for the first 7 digits of an EDRPOU code."""
    d = [int(c) for c in first]
    if len(d) != 7:
        raise ValueError("EDRPOU body must be 7 digits")
    number = int(first)
    if number < 3_000_000 or number >= 6_000_000:
        weights, alt = [1, 2, 3, 4, 5, 6, 7], [3, 4, 5, 6, 7, 8, 9]
    else:
        weights, alt = [7, 1, 2, 3, 4, 5, 6], [9, 3, 4, 5, 6, 7, 8]
    check = _weighted(d, weights) % 11
    if check == 10:
        check = _weighted(d, alt) % 11 % 10
    return str(check)


def rnokpp_check_digit(first: str) -> str:
    """Check digit for the first 9 digits of an RNOKPP (individual taxpayer number)."""
    d = [int(c) for c in first]
    if len(d) != 9:
        raise ValueError("RNOKPP body must be 9 digits")
    return str(_weighted(d, [-1, 5, 7, 9, 4, 6, 10, 5, 7]) % 11 % 10)


def expected_length(country: str, kind: ClientKind) -> int:
    individual = kind is not ClientKind.LEGAL_ENTITY
    if country == "RU":
        return 12 if individual else 10
    if country == "UA":
        return 10 if individual else 8
    raise ValueError(f"unsupported country {country}")


def validate_tax_id(text: str, country: str, kind: ClientKind) -> str:
    """Return the cleaned tax ID or raise TaxIdError with a message for a person."""
    value = "".join((text or "").split())
    length = expected_length(country, kind)
    if not value.isdigit() or len(value) != length:
        raise TaxIdError(_l("The tax ID must be %(n)d digits.", n=length))
    if country == "RU":
        ok = inn_check_digits(value[:-1] if length == 10 else value[:-2]) == value[-(1 if length == 10 else 2):]
    elif length == 8:
        ok = edrpou_check_digit(value[:7]) == value[7]
    else:
        ok = rnokpp_check_digit(value[:9]) == value[9]
    if not ok:
        raise TaxIdError(_l("The tax ID's check digit is wrong."))
    return value


def complete_tax_id(body: str, country: str, kind: ClientKind) -> str:
    """Append the check digit(s) to a body of random digits (demo data and tests use it)."""
    length = expected_length(country, kind)
    if country == "RU":
        return body + inn_check_digits(body)
    if length == 8:
        return body + edrpou_check_digit(body)
    return body + rnokpp_check_digit(body)

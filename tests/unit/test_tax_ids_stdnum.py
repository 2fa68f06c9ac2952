"""Tax IDs on python-stdnum: real numbers, one-digit changes, and the edges where stdnum and the portal differ.

tests/unit/test_tax_ids.py holds the portal's rules (length per client kind, messages, cleaning); these tests
pin what the checksums from stdnum.ru.inn, stdnum.ua.edrpou and stdnum.ua.rntrc do at the edges.
"""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal import create_app
from portal.models.clients import ClientKind
from portal.services.clients.tax_ids import (
    TaxIdError,
    complete_tax_id,
    edrpou_check_digit,
    inn_check_digits,
    rnokpp_check_digit,
    validate_tax_id,
)

from ..conftest import TEST_CONFIG

LEGAL, SOLE, PERSON = ClientKind.LEGAL_ENTITY, ClientKind.SOLE_PROPRIETOR, ClientKind.PRIVATE_PERSON

RU_COMPANIES = ["7707083893", "7736207543", "7736050003", "7702070139", "7728168971"]  # Sberbank, Yandex, Gazprom, VTB, Alfa-Bank
RU_PERSONS = ["500100732259", "123456789047"]          # published example numbers (a person's INN is personal data)
UA_COMPANIES = ["14360570", "20077720", "40075815", "00032129"]  # PrivatBank, Naftogaz, Ukrzaliznytsia, Oschadbank
UA_PERSONS = ["1759013776", "2530414071"]              # python-stdnum's documented examples

REAL = ([(v, "RU", LEGAL) for v in RU_COMPANIES] + [(v, "RU", k) for v in RU_PERSONS for k in (SOLE, PERSON)]
        + [(v, "UA", LEGAL) for v in UA_COMPANIES] + [(v, "UA", k) for v in UA_PERSONS for k in (SOLE, PERSON)])

# EDRPOU is weaker than INN and RNOKPP: the weights depend on the first digit, and a sum of 10 is
# computed again with other weights, so a few single-digit changes keep a valid code. These are
# properties of the algorithm (the portal's old hand-written code accepted exactly the same ones).
EDRPOU_UNCAUGHT = {"14360570": {"14362570"}, "20077720": {"50077720", "20047720", "20077750"},
                   "40075815": {"70075815"}, "00032129": set()}


def _one_digit_changes(value: str) -> list[str]:
    return [value[:i] + d + value[i + 1:] for i in range(len(value)) for d in "0123456789" if d != value[i]]


@pytest.fixture
def babel_ctx():
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        yield app


@pytest.mark.parametrize("value, country, kind", REAL)
def test_real_numbers_pass(value, country, kind):
    assert validate_tax_id(value, country, kind) == value
    assert complete_tax_id(value[:-2] if len(value) == 12 else value[:-1], country, kind) == value


@pytest.mark.parametrize("value, country, kind", [r for r in REAL if r[0] not in EDRPOU_UNCAUGHT])
def test_any_one_digit_change_fails_inn_and_rnokpp(value, country, kind, babel_ctx):
    for changed in _one_digit_changes(value):
        with pytest.raises(TaxIdError) as info:
            validate_tax_id(changed, country, kind)
        assert str(info.value) == "The tax ID's check digit is wrong.", changed


@pytest.mark.parametrize("value", UA_COMPANIES)
def test_one_digit_changes_of_an_edrpou(value):
    accepted = set()
    for changed in _one_digit_changes(value):
        try:
            accepted.add(validate_tax_id(changed, "UA", LEGAL))
        except TaxIdError:
            pass
    assert accepted == EDRPOU_UNCAUGHT[value]
    # the check digit itself: every other digit there is refused
    assert not any(c[:-1] == value[:-1] for c in accepted)


@pytest.mark.parametrize("value, country, kind", [
    ("29999993", "UA", LEGAL),   # 2 999 999: weights 1..7 -> 2 + 9*27 = 245; 245 % 11 = 3
    ("30000005", "UA", LEGAL),   # 3 000 000: weights 7,1..6 -> 21 % 11 = 10; again with 9,3..8 -> 27 % 11 = 5
    ("59999994", "UA", LEGAL),   # 5 999 999: weights 7,1..6 -> 35 + 9*21 = 224; 224 % 11 = 4
    ("60000006", "UA", LEGAL),   # 6 000 000: weights 1..7 again -> 6
    ("9000000002", "UA", PERSON),  # RNOKPP weight -1: -9 % 11 = 2 (a floor modulo, not -9)
    ("0000000040", "RU", LEGAL),   # INN: 4*8 = 32; 32 % 11 = 10 -> 10 % 10 = 0
])
def test_checksum_edges(value, country, kind):
    assert validate_tax_id(value, country, kind) == value
    for d in "0123456789":
        if d != value[-1]:
            with pytest.raises(TaxIdError):
                validate_tax_id(value[:-1] + d, country, kind)


@pytest.mark.parametrize("value, country, kind", [
    ("７082650216", "UA", PERSON),   # a full-width 7: the old code read it as 7 and stored the ID
    ("610７2054", "UA", LEGAL),
    ("²707083893", "RU", LEGAL),     # a superscript 2: the old code raised a bare ValueError (a 500)
    ("50010073225٩", "RU", PERSON),  # an Arabic-Indic 9
])
def test_unicode_digits_are_not_digits(value, country, kind, babel_ctx):
    with pytest.raises(TaxIdError) as info:
        validate_tax_id(value, country, kind)
    assert str(info.value).startswith("The tax ID must be ")


def test_all_whitespace_is_stripped_not_only_spaces():
    # stdnum's compact() strips spaces only; the portal strips any whitespace before asking stdnum
    assert validate_tax_id("\u00a07707\u00a0083893\r\n", "RU", LEGAL) == "7707083893"
    assert validate_tax_id("1759\u2009013776", "UA", PERSON) == "1759013776"


def test_helpers_refuse_bodies_stdnum_would_truncate():
    # stdnum's calc_* functions zip the weights with the number, so a too-long body would not fail there
    with pytest.raises(ValueError):
        edrpou_check_digit("14360570")
    with pytest.raises(ValueError):
        rnokpp_check_digit("1759013776")
    with pytest.raises(ValueError):
        inn_check_digits("77070838930")
    with pytest.raises(ValueError):
        edrpou_check_digit("１４３６０５７")
    with pytest.raises(ValueError):
        inn_check_digits("77070838a")


@given(index=st.sampled_from(range(len(REAL))), position=st.integers(0, 11), digit=st.sampled_from("0123456789"))
def test_a_known_good_number_changed_anywhere_is_accepted_only_as_listed(index, position, digit):
    value, country, kind = REAL[index]
    position %= len(value)
    changed = value[:position] + digit + value[position + 1:]
    allowed = {value} | EDRPOU_UNCAUGHT.get(value, set())
    try:
        validate_tax_id(changed, country, kind)
        assert changed in allowed
    except TaxIdError:
        assert changed not in allowed

"""Tax IDs: RU INN (10/12 digits), UA EDRPOU (8) and RNOKPP (10), each with its checksum."""
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
    expected_length,
    inn_check_digits,
    rnokpp_check_digit,
    validate_tax_id,
)

from ..conftest import TEST_CONFIG

LEGAL, SOLE, PERSON = ClientKind.LEGAL_ENTITY, ClientKind.SOLE_PROPRIETOR, ClientKind.PRIVATE_PERSON

# Known valid numbers, and UA examples whose check digits are worked out by hand below.
VALID = [
    ("7707083893", "RU", LEGAL),        # Sberbank
    ("500100732259", "RU", SOLE),
    ("500100732259", "RU", PERSON),
    # EDRPOU 1436057x: 1 436 057 < 3 000 000 -> weights 1..7:
    # 1*1 + 4*2 + 3*3 + 6*4 + 0*5 + 5*6 + 7*7 = 121; 121 % 11 = 0 -> check digit 0
    ("14360570", "UA", LEGAL),
    # EDRPOU 1234567x: weights 1..7: 1+4+9+16+25+36+49 = 140; 140 % 11 = 8
    ("12345678", "UA", LEGAL),
    # EDRPOU 3261564x: 3 261 564 is in [3 000 000, 6 000 000) -> weights 7,1,2,3,4,5,6:
    # 21 + 2 + 12 + 3 + 20 + 30 + 24 = 112; 112 % 11 = 2
    ("32615642", "UA", LEGAL),
    # EDRPOU 0000003x: weights 1..7 give 3*7 = 21, 21 % 11 = 10 -> second pass with weights 3..9:
    # 3*9 = 27; 27 % 11 = 5
    ("00000035", "UA", LEGAL),
    # RNOKPP 123456789x: weights -1,5,7,9,4,6,10,5,7:
    # -1 + 10 + 21 + 36 + 20 + 36 + 70 + 40 + 63 = 295; 295 % 11 = 9 -> 9
    ("1234567899", "UA", PERSON),
    ("1234567899", "UA", SOLE),
    # RNOKPP 000000003x: 3*7 = 21; 21 % 11 = 10; 10 % 10 = 0
    ("0000000030", "UA", PERSON),
]


@pytest.fixture
def babel_ctx():
    """An app context for rendering translated messages; no database is touched."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        yield app


@pytest.mark.parametrize("value, country, kind", VALID)
def test_known_valid_ids(value, country, kind):
    assert validate_tax_id(value, country, kind) == value


def test_check_digit_helpers():
    assert inn_check_digits("770708389") == "3"
    assert inn_check_digits("5001007322") == "59"
    assert edrpou_check_digit("1436057") == "0"
    assert edrpou_check_digit("0000003") == "5"
    assert rnokpp_check_digit("123456789") == "9"
    with pytest.raises(ValueError):
        inn_check_digits("12345678")
    with pytest.raises(ValueError):
        edrpou_check_digit("123456")
    with pytest.raises(ValueError):
        rnokpp_check_digit("12345678")


@pytest.mark.parametrize("value, country, kind", [
    ("7707083894", "RU", LEGAL),
    ("500100732258", "RU", PERSON),
    ("500100732269", "RU", SOLE),     # first check digit wrong
    ("14360571", "UA", LEGAL),
    ("32615643", "UA", LEGAL),
    ("00000036", "UA", LEGAL),
    ("1234567893", "UA", PERSON),
])
def test_wrong_check_digit(value, country, kind):
    with pytest.raises(TaxIdError):
        validate_tax_id(value, country, kind)


@pytest.mark.parametrize("value, country, kind", [
    ("500100732259", "RU", LEGAL),     # a 12-digit INN is not a company's
    ("7707083893", "RU", PERSON),      # a 10-digit INN is not a person's
    ("7707083893", "RU", SOLE),
    ("1234567899", "UA", LEGAL),
    ("14360570", "UA", PERSON),
    ("14360570", "UA", SOLE),
    ("770708389", "RU", LEGAL),
    ("77070838930", "RU", LEGAL),
    ("", "RU", LEGAL),
    ("", "UA", PERSON),
])
def test_wrong_length_for_kind(value, country, kind):
    with pytest.raises(TaxIdError):
        validate_tax_id(value, country, kind)


@pytest.mark.parametrize("value", ["77070838-3", "770708389O", "７７０７０８３８９３", "+707083893", "7707O83893",
                                   "77.7083893"])
def test_non_digits_are_rejected(value):
    with pytest.raises(TaxIdError):
        validate_tax_id(value, "RU", LEGAL)


def test_none_is_rejected():
    with pytest.raises(TaxIdError):
        validate_tax_id(None, "RU", LEGAL)


def test_spaces_are_stripped():
    assert validate_tax_id(" 7707 083 893 ", "RU", LEGAL) == "7707083893"
    assert validate_tax_id("5001\t0073 2259\n", "RU", PERSON) == "500100732259"
    assert validate_tax_id("1436 0570", "UA", LEGAL) == "14360570"


def test_expected_lengths():
    assert [expected_length("RU", k) for k in (LEGAL, SOLE, PERSON)] == [10, 12, 12]
    assert [expected_length("UA", k) for k in (LEGAL, SOLE, PERSON)] == [8, 10, 10]
    with pytest.raises(ValueError):
        expected_length("PL", LEGAL)


def test_error_message_names_the_length(babel_ctx):
    with pytest.raises(TaxIdError) as info:
        validate_tax_id("123", "UA", LEGAL)
    assert "8" in str(info.value)
    with pytest.raises(TaxIdError) as info:
        validate_tax_id("7707083894", "RU", LEGAL)
    assert "check digit" in str(info.value)


def _body(country: str, kind: ClientKind) -> st.SearchStrategy[str]:
    length = expected_length(country, kind) - (2 if country == "RU" and kind is not LEGAL else 1)
    return st.text(alphabet="0123456789", min_size=length, max_size=length)


@pytest.mark.parametrize("country", ["RU", "UA"])
@pytest.mark.parametrize("kind", list(ClientKind))
@given(data=st.data())
def test_complete_round_trips(country, kind, data):
    body = data.draw(_body(country, kind))
    value = complete_tax_id(body, country, kind)
    assert value.startswith(body) and len(value) == expected_length(country, kind)
    assert validate_tax_id(value, country, kind) == value


@given(body=st.text(alphabet="0123456789", min_size=9, max_size=9), wrong=st.integers(1, 9))
def test_any_single_check_digit_change_is_caught_ru_legal(body, wrong):
    value = complete_tax_id(body, "RU", LEGAL)
    changed = value[:-1] + str((int(value[-1]) + wrong) % 10)
    with pytest.raises(TaxIdError):
        validate_tax_id(changed, "RU", LEGAL)

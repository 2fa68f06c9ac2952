"""Phone numbers: any common notation in, E.164 out."""
from __future__ import annotations

import pytest

from portal import create_app
from portal.phones import PhoneError, display_phone, normalize_phone

from ..conftest import TEST_CONFIG


@pytest.fixture
def babel_ctx():
    """An app context for rendering translated messages; no database is touched."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        yield app


@pytest.mark.parametrize("text, country, expected", [
    ("8 (916) 123-45-67", "RU", "+79161234567"),
    ("+7 916 123 45 67", "RU", "+79161234567"),
    ("9161234567", "RU", "+79161234567"),
    ("8-916-123-45-67", "RU", "+79161234567"),
    ("  +7(916)1234567  ", "RU", "+79161234567"),
    ("+79161234567", "RU", "+79161234567"),
    ("8 495 120-45-67", "RU", "+74951204567"),
    ("050 123 4567", "UA", "+380501234567"),
    ("+380 50 123 4567", "UA", "+380501234567"),
    ("(067) 123-45-67", "UA", "+380671234567"),
    ("+380501234567", "RU", "+380501234567"),   # an explicit country code wins over the default
])
def test_normalize(text, country, expected):
    assert normalize_phone(text, country) == expected


@pytest.mark.parametrize("text, country", [
    ("", "RU"),
    ("   ", "RU"),
    (None, "RU"),
    ("123", "RU"),
    ("abc", "RU"),
    ("+7 916 123 45 67 8", "RU"),          # one digit too many
    ("916 123 45", "RU"),                  # too short
    ("9" * 41, "RU"),                      # over the length limit
    ("050 123 4567", "RU"),                # a Ukrainian national number is not Russian
    ("+7 000 000 00 00", "RU"),
])
def test_invalid(text, country):
    with pytest.raises(PhoneError):
        normalize_phone(text, country)


def test_surrounding_blanks_do_not_count_towards_the_length_limit():
    assert normalize_phone("  +7 916 123 45 67" + " " * 30, "RU") == "+79161234567"


def test_too_long_raw_text_is_refused_before_parsing():
    with pytest.raises(PhoneError):
        normalize_phone("+7 (916) 123-45-67, ask for Ivan, evenings", "RU")


def test_error_message(babel_ctx):
    with pytest.raises(PhoneError) as info:
        normalize_phone("", "RU")
    assert str(info.value) == "Enter a phone number."
    with pytest.raises(PhoneError) as info:
        normalize_phone("123", "RU")
    assert str(info.value) == "This is not a valid phone number."


def test_display():
    assert display_phone("+79161234567") == "+7 916 123-45-67"
    assert display_phone("+380501234567") == "+380 50 123 4567"
    assert display_phone("") == ""
    assert display_phone("not a phone") == "not a phone"


def test_normalized_numbers_are_fixed_points():
    for text, country in [("8 (916) 123-45-67", "RU"), ("050 123 4567", "UA")]:
        e164 = normalize_phone(text, country)
        assert normalize_phone(e164, country) == e164
        assert normalize_phone(display_phone(e164), country) == e164

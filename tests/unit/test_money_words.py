"""Amounts in words, as written on invoices, pinned word for word in Russian, Ukrainian and English.

The expected strings are written by hand, not produced by the code under test. Ukrainian words
use the typographic apostrophe U+2019 (п’ять), as the project's Ukrainian translations do.
"""
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.money_words import amount_in_words


def rub(major: int, kopecks: int = 0) -> int:
    return major * 100 + kopecks


@pytest.mark.parametrize("minor, expected", [
    (rub(0), "Ноль рублей 00 копеек"),
    (rub(1), "Один рубль 00 копеек"),
    (rub(2), "Два рубля 00 копеек"),
    (rub(5), "Пять рублей 00 копеек"),
    (rub(11), "Одиннадцать рублей 00 копеек"),
    (rub(12), "Двенадцать рублей 00 копеек"),
    (rub(14), "Четырнадцать рублей 00 копеек"),
    (rub(21), "Двадцать один рубль 00 копеек"),
    (rub(22), "Двадцать два рубля 00 копеек"),
    (rub(25), "Двадцать пять рублей 00 копеек"),
    (rub(101), "Сто один рубль 00 копеек"),
    (rub(111), "Сто одиннадцать рублей 00 копеек"),
    (rub(112), "Сто двенадцать рублей 00 копеек"),
    (rub(1000), "Одна тысяча рублей 00 копеек"),
    (rub(1001), "Одна тысяча один рубль 00 копеек"),
    (rub(2000), "Две тысячи рублей 00 копеек"),
    (rub(5000), "Пять тысяч рублей 00 копеек"),
    (rub(11000), "Одиннадцать тысяч рублей 00 копеек"),
    (rub(21000), "Двадцать одна тысяча рублей 00 копеек"),
    (rub(22000), "Двадцать две тысячи рублей 00 копеек"),
    (rub(1_000_000), "Один миллион рублей 00 копеек"),
    (rub(2_000_000), "Два миллиона рублей 00 копеек"),
    (rub(5_000_000), "Пять миллионов рублей 00 копеек"),
    (rub(1_000_000_000), "Один миллиард рублей 00 копеек"),
    (rub(1_000_001_000), "Один миллиард одна тысяча рублей 00 копеек"),
    (rub(2_002_011, 12), "Два миллиона две тысячи одиннадцать рублей 12 копеек"),
    (rub(12_345_678, 90), "Двенадцать миллионов триста сорок пять тысяч шестьсот семьдесят восемь рублей 90 копеек"),
    (rub(1234, 56), "Одна тысяча двести тридцать четыре рубля 56 копеек"),
    (rub(5000, 2), "Пять тысяч рублей 02 копейки"),
    (rub(999_999_999_999, 99), "Девятьсот девяносто девять миллиардов девятьсот девяносто девять миллионов "
                               "девятьсот девяносто девять тысяч девятьсот девяносто девять рублей 99 копеек"),
    (rub(2_000_000_000_000), "Два триллиона рублей 00 копеек"),
    # kopecks agree with their two digits
    (rub(0, 1), "Ноль рублей 01 копейка"),
    (rub(0, 2), "Ноль рублей 02 копейки"),
    (rub(0, 5), "Ноль рублей 05 копеек"),
    (rub(0, 11), "Ноль рублей 11 копеек"),
    (rub(0, 12), "Ноль рублей 12 копеек"),
    (rub(0, 21), "Ноль рублей 21 копейка"),
    (rub(0, 22), "Ноль рублей 22 копейки"),
    (rub(0, 25), "Ноль рублей 25 копеек"),
    (rub(21, 21), "Двадцать один рубль 21 копейка"),
])
def test_russian_roubles(minor, expected):
    assert amount_in_words(minor, "RUB", "ru") == expected


@pytest.mark.parametrize("minor, expected", [
    (rub(1), "Одна гривна 00 копеек"),
    (rub(2), "Две гривны 00 копеек"),
    (rub(5), "Пять гривен 00 копеек"),
    (rub(11), "Одиннадцать гривен 00 копеек"),
    (rub(21), "Двадцать одна гривна 00 копеек"),
    (rub(2001, 1), "Две тысячи одна гривна 01 копейка"),
])
def test_russian_hryvnias_are_feminine(minor, expected):
    assert amount_in_words(minor, "UAH", "ru") == expected


@pytest.mark.parametrize("minor, expected", [
    (rub(0), "Нуль гривень 00 копійок"),
    (rub(1), "Одна гривня 00 копійок"),
    (rub(2), "Дві гривні 00 копійок"),
    (rub(5), "П’ять гривень 00 копійок"),
    (rub(11), "Одинадцять гривень 00 копійок"),
    (rub(12), "Дванадцять гривень 00 копійок"),
    (rub(14), "Чотирнадцять гривень 00 копійок"),
    (rub(21), "Двадцять одна гривня 00 копійок"),
    (rub(22), "Двадцять дві гривні 00 копійок"),
    (rub(25), "Двадцять п’ять гривень 00 копійок"),
    (rub(101), "Сто одна гривня 00 копійок"),
    (rub(111), "Сто одинадцять гривень 00 копійок"),
    (rub(1000), "Одна тисяча гривень 00 копійок"),
    (rub(1001), "Одна тисяча одна гривня 00 копійок"),
    (rub(2000), "Дві тисячі гривень 00 копійок"),
    (rub(5000), "П’ять тисяч гривень 00 копійок"),
    (rub(21000), "Двадцять одна тисяча гривень 00 копійок"),
    (rub(1_000_000), "Один мільйон гривень 00 копійок"),
    (rub(2_000_000), "Два мільйони гривень 00 копійок"),
    (rub(5_000_000), "П’ять мільйонів гривень 00 копійок"),
    (rub(1_000_000_000), "Один мільярд гривень 00 копійок"),
    (rub(2001, 1), "Дві тисячі одна гривня 01 копійка"),
    (rub(3_456_789, 99), "Три мільйони чотириста п’ятдесят шість тисяч сімсот вісімдесят дев’ять гривень 99 копійок"),
    (rub(999_999_999_999, 99), "Дев’ятсот дев’яносто дев’ять мільярдів дев’ятсот дев’яносто дев’ять мільйонів "
                               "дев’ятсот дев’яносто дев’ять тисяч дев’ятсот дев’яносто дев’ять гривень 99 копійок"),
    (rub(0, 1), "Нуль гривень 01 копійка"),
    (rub(0, 2), "Нуль гривень 02 копійки"),
    (rub(0, 5), "Нуль гривень 05 копійок"),
    (rub(0, 11), "Нуль гривень 11 копійок"),
    (rub(0, 21), "Нуль гривень 21 копійка"),
    (rub(0, 22), "Нуль гривень 22 копійки"),
])
def test_ukrainian_hryvnias(minor, expected):
    assert amount_in_words(minor, "UAH", "uk") == expected


@pytest.mark.parametrize("minor, expected", [
    (rub(1), "Один рубль 00 копійок"),
    (rub(2), "Два рублі 00 копійок"),
    (rub(5), "П’ять рублів 00 копійок"),
    (rub(22), "Двадцять два рублі 00 копійок"),
    (rub(1001, 21), "Одна тисяча один рубль 21 копійка"),
])
def test_ukrainian_roubles_are_masculine(minor, expected):
    assert amount_in_words(minor, "RUB", "uk") == expected


@pytest.mark.parametrize("minor, expected", [
    (rub(0), "Zero roubles 00 kopecks"),
    (rub(1), "One rouble 00 kopecks"),
    (rub(2), "Two roubles 00 kopecks"),
    (rub(5), "Five roubles 00 kopecks"),
    (rub(11), "Eleven roubles 00 kopecks"),
    (rub(12), "Twelve roubles 00 kopecks"),
    (rub(21), "Twenty-one roubles 00 kopecks"),
    (rub(22), "Twenty-two roubles 00 kopecks"),
    (rub(25), "Twenty-five roubles 00 kopecks"),
    (rub(40), "Forty roubles 00 kopecks"),
    (rub(101), "One hundred one roubles 00 kopecks"),
    (rub(111), "One hundred eleven roubles 00 kopecks"),
    (rub(1000), "One thousand roubles 00 kopecks"),
    (rub(1001), "One thousand one roubles 00 kopecks"),
    (rub(2000), "Two thousand roubles 00 kopecks"),
    (rub(5000), "Five thousand roubles 00 kopecks"),
    (rub(21000), "Twenty-one thousand roubles 00 kopecks"),
    (rub(1_000_000), "One million roubles 00 kopecks"),
    (rub(1_000_100), "One million one hundred roubles 00 kopecks"),
    (rub(2_000_000), "Two million roubles 00 kopecks"),
    (rub(1_000_000_000), "One billion roubles 00 kopecks"),
    (rub(1234, 56), "One thousand two hundred thirty-four roubles 56 kopecks"),
    (rub(999_999_999_999, 99), "Nine hundred ninety-nine billion nine hundred ninety-nine million "
                               "nine hundred ninety-nine thousand nine hundred ninety-nine roubles 99 kopecks"),
    (rub(0, 1), "Zero roubles 01 kopeck"),
    (rub(0, 2), "Zero roubles 02 kopecks"),
    (rub(0, 5), "Zero roubles 05 kopecks"),
    (rub(0, 11), "Zero roubles 11 kopecks"),
    (rub(0, 21), "Zero roubles 21 kopecks"),
    (rub(1, 1), "One rouble 01 kopeck"),
])
def test_english_roubles(minor, expected):
    assert amount_in_words(minor, "RUB", "en") == expected


@pytest.mark.parametrize("minor, currency, locale, expected", [
    (rub(1), "UAH", "en", "One hryvnia 00 kopecks"),
    (rub(2, 1), "UAH", "en", "Two hryvnias 01 kopeck"),
    (rub(1, 1), "USD", "en", "One dollar 01 cent"),
    (rub(2, 21), "USD", "en", "Two dollars 21 cents"),
    (rub(1), "EUR", "en", "One euro 00 cents"),
    (rub(3, 1), "EUR", "en", "Three euros 01 cent"),
    (rub(21, 1), "USD", "ru", "Двадцать один доллар 01 цент"),
    (rub(5), "EUR", "ru", "Пять евро 00 центов"),
    (rub(2, 2), "USD", "uk", "Два долари 02 центи"),
    # no nouns for this currency: the number in words, the ISO code and the hundredths
    (rub(12, 34), "GBP", "en", "Twelve GBP 34/100"),
    (rub(21), "CHF", "ru", "Двадцать один CHF 00/100"),
])
def test_other_currencies(minor, currency, locale, expected):
    assert amount_in_words(minor, currency, locale) == expected


def test_locale_and_currency_spellings_are_normalised():
    assert amount_in_words(rub(2), "rub", "ru_RU") == "Два рубля 00 копеек"
    assert amount_in_words(rub(2), "UAH", "uk-UA") == "Дві гривні 00 копійок"
    assert amount_in_words(rub(2), "USD", "EN") == "Two dollars 00 cents"


def test_largest_supported_amount():
    assert amount_in_words(10 ** 17 - 1, "RUB", "en").startswith("Nine hundred ninety-nine trillion ")
    with pytest.raises(ValueError):
        amount_in_words(10 ** 17, "RUB", "en")


@pytest.mark.parametrize("minor", [-1, -100])
def test_negative_amounts_are_refused(minor):
    with pytest.raises(ValueError):
        amount_in_words(minor, "RUB", "ru")


@pytest.mark.parametrize("minor", [1.5, 100.0, True, "100", None])
def test_only_integers_of_minor_units(minor):
    with pytest.raises(TypeError):
        amount_in_words(minor, "RUB", "ru")


@pytest.mark.parametrize("locale", ["de", "", "fr_FR"])
def test_unsupported_language_is_refused(locale):
    with pytest.raises(ValueError):
        amount_in_words(100, "RUB", locale)


def test_currency_is_required():
    with pytest.raises(ValueError):
        amount_in_words(100, "", "ru")


@given(st.integers(min_value=0, max_value=10 ** 17 - 1), st.sampled_from(["ru", "uk", "en"]),
       st.sampled_from(["RUB", "UAH", "USD", "EUR"]))
def test_shape_of_any_amount(minor, locale, currency):
    text = amount_in_words(minor, currency, locale)
    assert text[0].isupper()
    assert "  " not in text and text == text.strip()
    match = re.search(r" (\d\d) \S+$", text)
    assert match and int(match.group(1)) == minor % 100

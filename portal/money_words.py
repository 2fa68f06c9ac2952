"""An amount of money written in words, as on invoices: "Одна тысяча двести рублей 05 копеек".

The whole units are spelt out in the reader's language (Russian, Ukrainian or English) with the
currency noun agreed with the number; the minor units (kopecks, cents) are written as two
digits followed by their agreed noun. Russian and Ukrainian numerals agree in gender with what
they count: "одна тысяча", "две тысячи", "одна гривня", "две гривны", but "один рубль",
"два рубля".
"""
from __future__ import annotations

from typing import NamedTuple

MINOR_PER_MAJOR = 100
# Up to 999 999 999 999 999.99: trillions are the largest scale spelt out.
_LIMIT_MAJOR = 10 ** 15

_MASC, _FEM = "m", "f"


class _Noun(NamedTuple):
    """Forms for 1, 2-4 and 5-20 (Slavic languages); English uses `one` and `many` only."""

    one: str
    few: str
    many: str
    gender: str = _MASC


class _Currency(NamedTuple):
    major: _Noun
    minor: _Noun


# -- Russian -------------------------------------------------------------------------------------

_RU_UNITS = {
    _MASC: ("", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять"),
    _FEM: ("", "одна", "две", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять"),
}
_RU_TEENS = ("десять", "одиннадцать", "двенадцать", "тринадцать", "четырнадцать", "пятнадцать",
             "шестнадцать", "семнадцать", "восемнадцать", "девятнадцать")
_RU_TENS = ("", "", "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят",
            "восемьдесят", "девяносто")
_RU_HUNDREDS = ("", "сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот",
                "восемьсот", "девятьсот")
_RU_SCALES = (
    _Noun("тысяча", "тысячи", "тысяч", _FEM),
    _Noun("миллион", "миллиона", "миллионов"),
    _Noun("миллиард", "миллиарда", "миллиардов"),
    _Noun("триллион", "триллиона", "триллионов"),
)
_RU_KOPECK = _Noun("копейка", "копейки", "копеек", _FEM)
_RU_CENT = _Noun("цент", "цента", "центов")
_RU_CURRENCIES = {
    "RUB": _Currency(_Noun("рубль", "рубля", "рублей"), _RU_KOPECK),
    "UAH": _Currency(_Noun("гривна", "гривны", "гривен", _FEM), _RU_KOPECK),
    "USD": _Currency(_Noun("доллар", "доллара", "долларов"), _RU_CENT),
    "EUR": _Currency(_Noun("евро", "евро", "евро"), _RU_CENT),
}

# -- Ukrainian -----------------------------------------------------------------------------------

_UK_UNITS = {
    _MASC: ("", "один", "два", "три", "чотири", "п’ять", "шість", "сім", "вісім", "дев’ять"),
    _FEM: ("", "одна", "дві", "три", "чотири", "п’ять", "шість", "сім", "вісім", "дев’ять"),
}
_UK_TEENS = ("десять", "одинадцять", "дванадцять", "тринадцять", "чотирнадцять", "п’ятнадцять",
             "шістнадцять", "сімнадцять", "вісімнадцять", "дев’ятнадцять")
_UK_TENS = ("", "", "двадцять", "тридцять", "сорок", "п’ятдесят", "шістдесят", "сімдесят",
            "вісімдесят", "дев’яносто")
_UK_HUNDREDS = ("", "сто", "двісті", "триста", "чотириста", "п’ятсот", "шістсот", "сімсот",
                "вісімсот", "дев’ятсот")
_UK_SCALES = (
    _Noun("тисяча", "тисячі", "тисяч", _FEM),
    _Noun("мільйон", "мільйони", "мільйонів"),
    _Noun("мільярд", "мільярди", "мільярдів"),
    _Noun("трильйон", "трильйони", "трильйонів"),
)
_UK_KOPECK = _Noun("копійка", "копійки", "копійок", _FEM)
_UK_CENT = _Noun("цент", "центи", "центів")
_UK_CURRENCIES = {
    "UAH": _Currency(_Noun("гривня", "гривні", "гривень", _FEM), _UK_KOPECK),
    "RUB": _Currency(_Noun("рубль", "рублі", "рублів"), _UK_KOPECK),
    "USD": _Currency(_Noun("долар", "долари", "доларів"), _UK_CENT),
    "EUR": _Currency(_Noun("євро", "євро", "євро"), _UK_CENT),
}

# -- English -------------------------------------------------------------------------------------

_EN_ONES = ("", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
            "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
            "eighteen", "nineteen")
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_EN_SCALES = ("thousand", "million", "billion", "trillion")
_EN_KOPECK = _Noun("kopeck", "kopecks", "kopecks")
_EN_CENT = _Noun("cent", "cents", "cents")
_EN_CURRENCIES = {
    "RUB": _Currency(_Noun("rouble", "roubles", "roubles"), _EN_KOPECK),
    "UAH": _Currency(_Noun("hryvnia", "hryvnias", "hryvnias"), _EN_KOPECK),
    "USD": _Currency(_Noun("dollar", "dollars", "dollars"), _EN_CENT),
    "EUR": _Currency(_Noun("euro", "euros", "euros"), _EN_CENT),
}


def _slavic_form(n: int, noun: _Noun) -> str:
    """The noun form agreeing with n: 1, 21, 101 -> one; 2-4, 22-24 -> few; 0, 5-20, 25 -> many."""
    if 11 <= n % 100 <= 14:
        return noun.many
    last = n % 10
    if last == 1:
        return noun.one
    if 2 <= last <= 4:
        return noun.few
    return noun.many


def _english_form(n: int, noun: _Noun) -> str:
    return noun.one if n == 1 else noun.many


def _groups(n: int) -> list[int]:
    """Triplets of digits, least significant first: 1234567 -> [567, 234, 1]."""
    groups = []
    while n:
        n, group = divmod(n, 1000)
        groups.append(group)
    return groups


class _SlavicSpeller:
    def __init__(self, zero, units, teens, tens, hundreds, scales):
        self.zero, self.units, self.teens, self.tens = zero, units, teens, tens
        self.hundreds, self.scales = hundreds, scales

    def triplet(self, n: int, gender: str) -> list[str]:
        hundreds, rest = divmod(n, 100)
        words = [self.hundreds[hundreds]]
        if 10 <= rest <= 19:
            words.append(self.teens[rest - 10])
        else:
            tens, units = divmod(rest, 10)
            words += [self.tens[tens], self.units[gender][units]]
        return [w for w in words if w]

    def spell(self, n: int, gender: str) -> str:
        if n == 0:
            return self.zero
        words: list[str] = []
        for power, group in reversed(list(enumerate(_groups(n)))):
            if group == 0:
                continue
            if power == 0:
                words += self.triplet(group, gender)
            else:
                scale = self.scales[power - 1]
                words += self.triplet(group, scale.gender)
                words.append(_slavic_form(group, scale))
        return " ".join(words)


_RU = _SlavicSpeller("ноль", _RU_UNITS, _RU_TEENS, _RU_TENS, _RU_HUNDREDS, _RU_SCALES)
_UK = _SlavicSpeller("нуль", _UK_UNITS, _UK_TEENS, _UK_TENS, _UK_HUNDREDS, _UK_SCALES)


def _english_triplet(n: int) -> list[str]:
    hundreds, rest = divmod(n, 100)
    words = [f"{_EN_ONES[hundreds]} hundred"] if hundreds else []
    if rest >= 20:
        tens, units = divmod(rest, 10)
        words.append(f"{_EN_TENS[tens]}-{_EN_ONES[units]}" if units else _EN_TENS[tens])
    elif rest:
        words.append(_EN_ONES[rest])
    return words


def _english(n: int) -> str:
    if n == 0:
        return "zero"
    words: list[str] = []
    for power, group in reversed(list(enumerate(_groups(n)))):
        if group == 0:
            continue
        words += _english_triplet(group)
        if power:
            words.append(_EN_SCALES[power - 1])
    return " ".join(words)


_LANGUAGES = {
    "ru": (_RU_CURRENCIES, _slavic_form, lambda n, gender: _RU.spell(n, gender)),
    "uk": (_UK_CURRENCIES, _slavic_form, lambda n, gender: _UK.spell(n, gender)),
    "en": (_EN_CURRENCIES, _english_form, lambda n, gender: _english(n)),
}


def _language(locale: str) -> str:
    """"ru", "ru_RU", "uk-UA", "EN" -> the language code; anything unsupported is an error."""
    language = str(locale or "").replace("-", "_").split("_")[0].lower()
    if language not in _LANGUAGES:
        raise ValueError(f"no words for locale {locale!r}: supported are {', '.join(_LANGUAGES)}")
    return language


def amount_in_words(minor: int, currency: str, locale: str) -> str:
    """`minor` units of `currency` in words in the language of `locale`, first letter capital.

    >>> amount_in_words(123456, "RUB", "ru")
    'Одна тысяча двести тридцать четыре рубля 56 копеек'

    Currencies without their own nouns (anything but RUB, UAH, USD, EUR) get the number in words,
    the ISO code and the hundredths: "Twelve GBP 34/100". Negative amounts, amounts of
    10^15 major units or more, and anything but an int (floats, bools) are refused.
    """
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError(f"amount must be an int of minor units, not {type(minor).__name__}")
    if minor < 0:
        raise ValueError("amount in words is not defined for a negative amount")
    major, cents = divmod(minor, MINOR_PER_MAJOR)
    if major >= _LIMIT_MAJOR:
        raise ValueError("amount is too large to write in words")
    currencies, form, spell = _LANGUAGES[_language(locale)]
    code = str(currency or "").strip().upper()
    if not code:
        raise ValueError("currency is required")
    known = currencies.get(code)
    if known is None:
        text = f"{spell(major, _MASC)} {code} {cents:02d}/100"
    else:
        text = (f"{spell(major, known.major.gender)} {form(major, known.major)} "
                f"{cents:02d} {form(cents, known.minor)}")
    return text[0].upper() + text[1:]

"""How people type a product search, turned into words to match (issue 17, point 2).

"кран шаровой valtec" finds «Кран шаровой VALTEC Base 1/2"»: every word, in any order and any
case, ё read as е. Words typed in the wrong keyboard layout ("rhfy" for "кран", "ифчш" for "baxi")
are tried again in the other one when the words as typed find nothing, as shop staff switching
between Russian and Latin names expect.
"""
from __future__ import annotations

MAX_WORDS = 8
MAX_LENGTH = 100

# The Russian ЙЦУКЕН layout key by key over the US QWERTY one (the Ukrainian keys і, ї, є, ґ too).
_LATIN = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`"
_CYRILLIC = "йцукенгшщзхъфывапролджэячсмитьбюё"
_TO_CYRILLIC = str.maketrans(_LATIN, _CYRILLIC)
_TO_LATIN = str.maketrans(_CYRILLIC + "іїєґ", _LATIN + "s]'`")


def fold(text: str) -> str:
    """The form both the catalogue and the query are compared in: lower case, ё as е."""
    return text.lower().replace("ё", "е")


def words(query: str | None) -> list[str]:
    """The query's words, folded; at most MAX_WORDS of them, from its first MAX_LENGTH characters."""
    return fold((query or "").strip()[:MAX_LENGTH]).split()[:MAX_WORDS]


def other_layout(query_words: list[str]) -> list[str] | None:
    """The same keys read in the other keyboard layout, or None when that changes nothing.

    A word of Latin letters becomes Cyrillic and one of Cyrillic letters Latin; digits and signs
    stay. Only whole-alphabet words are turned, so "VUW 242/5-3" keeps its model number.
    """
    turned = []
    for word in query_words:
        letters = [ch for ch in word if ch.isalpha()]
        if letters and all("a" <= ch <= "z" for ch in letters):
            turned.append(fold(word.translate(_TO_CYRILLIC)))
        elif letters and all("а" <= ch <= "я" or ch in "ёіїєґ" for ch in letters):
            turned.append(word.translate(_TO_LATIN))
        else:
            turned.append(word)
    return turned if turned != query_words else None

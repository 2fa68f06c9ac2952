"""How a typed product search is split into words (portal/services/sales/search_words.py)."""
from portal.services.sales import search_words


def test_words_are_folded_split_and_bounded():
    assert search_words.words("  Кран ШАРОВОЙ  Valtec ") == ["кран", "шаровой", "valtec"]
    assert search_words.words("Ёлочный ёрш") == ["елочный", "ерш"]
    assert search_words.words(None) == [] and search_words.words("   ") == []
    assert search_words.words(" ".join(str(n) for n in range(20))) == [str(n) for n in range(8)]
    assert search_words.words("я" * 500) == ["я" * 100]


def test_the_other_keyboard_layout():
    assert search_words.other_layout(["rhfy", "ifhjdjq"]) == ["кран", "шаровой"]
    assert search_words.other_layout(["ифчш"]) == ["baxi"]
    assert search_words.other_layout(["b,jr"]) == ["ибок"]  # signs on Cyrillic keys turn too
    # a model number or a size keeps its digits; a word of both alphabets is left alone
    assert search_words.other_layout(["vuw", "242/5-3"]) == ["мгц", "242/5-3"]
    assert search_words.other_layout(["1/2"]) is None
    assert search_words.other_layout(["кранvalve"]) is None
    assert search_words.other_layout(["ыщдшв"]) == ["solid"]
    assert search_words.other_layout(["іфчш"]) == ["saxi"]  # Ukrainian і sits on the s key

"""The 80 mm receipt's line wrapping (reportlab's simpleSplit, and a cut for a word wider than a line)."""
from __future__ import annotations

from itertools import pairwise

import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth

from portal.documents import BOLD, REGULAR, register_fonts
from portal.documents.receipts import SIZE, TEXT, _Tape, _wrap

LONG_NAME = ("Смартфон Samsung Galaxy S24 Ultra 12/512 ГБ титановый фиолетовый с защитным стеклом, чехлом-книжкой, "
             "зарядным устройством 45 Вт и расширенной гарантией производителя на три года")
LONG_WORD = "Кабель-удлинитель-USB-3.2-Gen2x2-Type-C-папа-мама-двухметровый-экранированный-оплётка-нейлон"


@pytest.fixture(autouse=True)
def fonts():
    register_fonts()


def _fits(lines, font=REGULAR, width=TEXT):
    return all(stringWidth(line, font, SIZE) <= width for line in lines)


@pytest.mark.parametrize("font", [REGULAR, BOLD])
@pytest.mark.parametrize("width", [TEXT, TEXT - 60, 100])
def test_a_long_cyrillic_name_wraps_between_words_within_the_width(font, width):
    lines = _wrap(LONG_NAME, font, width)
    assert len(lines) > 1 and _fits(lines, font, width)
    assert " ".join(lines) == LONG_NAME  # broken at spaces only, nothing lost
    # each line is as full as it can be: the next line's first word would not fit on it
    for line, following in pairwise(lines):
        assert stringWidth(f"{line} {following.split()[0]}", font, SIZE) > width


def test_a_word_wider_than_the_line_is_cut_between_characters():
    lines = _wrap(f"{LONG_WORD} и ещё", REGULAR, TEXT)
    assert len(lines) >= 3 and _fits(lines)
    assert "".join(lines[:-1]) == LONG_WORD and lines[-1] == "и ещё"


@pytest.mark.parametrize("word", ["Х" * 80, "a." * 60, "«" + "Ш" * 40 + "»,", "‰" * 40])
def test_no_piece_of_a_cut_word_hangs_past_the_width(word):
    lines = _wrap(word, REGULAR, 60)
    assert _fits(lines, width=60) and "".join(lines) == word and all(lines)


def test_whitespace_and_empty_text():
    assert _wrap("", REGULAR, TEXT) == [""]
    assert _wrap("  \n ", REGULAR, TEXT) == [""]
    assert _wrap("  Скидка ", REGULAR, TEXT) == ["Скидка"]
    assert _wrap("причина:\nне подошёл\tразмер", REGULAR, TEXT) == ["причина: не подошёл размер"]


def test_tape_rows_keep_the_right_hand_figure_on_the_first_line():
    tape = _Tape()
    tape.text(LONG_NAME + " " + LONG_WORD, "1 234 567,89 ₽", bold=True)
    tape.text("", "0,00 ₽")
    rows = [row for row in tape.rows if row[0] == "text"]
    assert rows[0][2] == "1 234 567,89 ₽" and all(row[2] == "" for row in rows[1:-1])
    assert rows[-1][1:3] == ("", "0,00 ₽")  # a figure alone still has its row
    room = TEXT - stringWidth("1 234 567,89 ₽", BOLD, SIZE) - 4
    assert all(stringWidth(row[1], BOLD, SIZE) <= room for row in rows[:-1])

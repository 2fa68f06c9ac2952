"""The invoice PDF: exact figures, the amount in words, terms, parties, and page breaks.

The PDF's text is read with pypdf when it is installed, else with `pdftotext` (poppler-utils);
with neither, the tests that read text are skipped with that reason. Whitespace is compared
loosely (wrapped lines, non-breaking spaces), the figures exactly.
"""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date

import pytest

from portal.documents.invoices import InvoiceData, InvoiceLine, Party, render_invoice

SELLER = Party("ООО «Ромашка»", tax_id="7707083893", address="123112, г. Москва, Пресненская наб., д. 12",
               phone="+7 495 123-45-67",
               bank_lines=("ПАО Сбербанк", "БИК 044525225", "Р/с 40702810938000012345"))
BUYER = Party("ИП Петров Пётр Петрович", tax_id="500100732259", address="г. Химки, ул. Ленина, д. 1",
              phone="+7 916 000-00-00")


def line(no: int, sku: str, name: str, qty: int, price: int, discount: int = 0, bonus: int = 0) -> InvoiceLine:
    return InvoiceLine(no, sku, name, qty, price, discount, bonus, price * qty - discount - bonus)


# Three lines with known figures (minor units):
#   2 × 4 500,00 − 450,00 discount − 100,00 bonus = 8 450,00
#   3 × 899,90                                     = 2 699,70
#   10 × 35,50 − 17,75 discount                    =   337,25
# subtotal 12 054,70, discount 467,75, bonus 100,00, total 11 486,95
LINES = (
    line(1, "DR-100", "Дрель ударная", 2, 450_000, discount=45_000, bonus=10_000),
    line(2, "BT-32", "Набор бит 32 шт.", 3, 89_990),
    line(3, "SV-8", "Сверло по бетону 8×160 мм с твердосплавной напайкой для перфоратора, "
                    "хвостовик SDS-plus, упаковка по 10 штук", 10, 3_550, discount=1_775),
)


def invoice(**changes) -> InvoiceData:
    data = InvoiceData(
        number="M-000012", issued_on=date(2026, 3, 5), seller=SELLER, buyer=BUYER, lines=LINES,
        subtotal=1_205_470, discount=46_775, bonus=10_000, total=1_148_695, currency="RUB", locale="ru",
        due_date=date(2026, 3, 19), payment_terms="Отсрочка 14 дней", delivery="Курьером, 12 марта",
        comment="Звонить за час")
    return replace(data, **changes)


def render(app, data: InvoiceData, language: str) -> bytes:
    with app.test_request_context("/", headers={"Accept-Language": language}):
        return render_invoice(data)


def page_texts(pdf: bytes) -> list[str]:
    """The text of each page, whitespace collapsed to single spaces."""
    try:
        import pypdf
    except ImportError:
        pypdf = None
    if pypdf is not None:
        pages = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    elif shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True,
                             check=True).stdout.decode("utf-8")
        pages = out.split("\f")
        if pages and not pages[-1].strip():
            pages.pop()  # pdftotext ends every page, the last too, with a form feed
    else:
        pytest.skip("neither pypdf nor pdftotext (poppler-utils) is installed: the PDF's text is not checked")
    return [squeeze(page) for page in pages]


def squeeze(text: str) -> str:
    return " ".join(text.split())  # str.split() also splits on the no-break spaces of money()


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", pdf))


def test_russian_invoice_shows_the_exact_figures_words_and_parties(app):
    pdf = render(app, invoice(), "ru")
    assert pdf.startswith(b"%PDF")
    assert page_count(pdf) == 1
    text = " ".join(page_texts(pdf))
    for figure in ["12 054,70 ₽", "−467,75 ₽", "−100,00 ₽", "11 486,95 ₽",  # totals
                   "4 500,00 ₽", "450,00 ₽", "8 450,00 ₽", "899,90 ₽", "2 699,70 ₽", "35,50 ₽", "17,75 ₽",
                   "337,25 ₽"]:
        assert figure in text, figure
    assert "Одиннадцать тысяч четыреста восемьдесят шесть рублей 95 копеек" in text
    assert "К оплате 11 486,95 ₽" in text
    assert "19 марта 2026 г." in text          # pay by
    assert "5 марта 2026 г." in text           # issued on
    assert "M-000012" in text
    assert "ООО «Ромашка»" in text and "7707083893" in text and "БИК 044525225" in text
    assert "ИП Петров Пётр Петрович" in text and "500100732259" in text
    assert "Отсрочка 14 дней" in text and "Курьером, 12 марта" in text and "Звонить за час" in text
    assert "хвостовик SDS-plus" in text        # the long name is wrapped, not cut


def test_english_invoice_words_due_date_and_title(app):
    pdf = render(app, invoice(locale="en"), "en")
    assert b"/Title (Invoice M-000012 of March 5, 2026)" in pdf
    text = " ".join(page_texts(pdf))
    assert "Invoice M-000012 of March 5, 2026" in text
    for figure in ["12,054.70 ₽", "−467.75 ₽", "−100.00 ₽", "11,486.95 ₽", "8,450.00 ₽", "337.25 ₽"]:
        assert figure in text, figure
    assert "Total to pay: Eleven thousand four hundred eighty-six roubles 95 kopecks" in text
    assert "Pay by March 19, 2026" in text
    assert "Payment terms: Отсрочка 14 дней" in text
    assert "Seller" in text and "Buyer" in text and "Tax ID: 500100732259" in text


def test_words_follow_the_invoice_language_not_the_readers(app):
    text = " ".join(page_texts(render(app, invoice(locale="en"), "ru")))
    assert "Eleven thousand four hundred eighty-six roubles 95 kopecks" in text
    assert "11 486,95 ₽" in text  # figures in the reader's format


def test_prepaid_invoice_without_delivery_or_comment(app):
    pdf = render(app, invoice(locale="en", due_date=None, payment_terms="Prepaid", delivery="", comment=""), "en")
    text = " ".join(page_texts(pdf))
    assert "Payment terms: Prepaid" in text
    assert "Pay by" not in text and "Delivery:" not in text and "Comment:" not in text


def test_text_is_not_taken_for_markup(app):
    buyer = replace(BUYER, name="Smith & Sons <b>Ltd</b>")
    text = " ".join(page_texts(render(app, invoice(locale="en", buyer=buyer, comment="a < b & c"), "en")))
    assert "Smith & Sons <b>Ltd</b>" in text
    assert "Comment: a < b & c" in text


def test_a_long_invoice_breaks_into_pages_with_the_header_repeated(app):
    lines = tuple(line(i, f"A-{i:04d}", f"Product number {i} with a rather long descriptive name", 1 + i % 3,
                       12_345 + i, discount=i % 2 * 100, bonus=i % 5 * 10) for i in range(1, 121))
    subtotal = sum(item.price * item.qty for item in lines)
    discount = sum(item.discount for item in lines)
    bonus = sum(item.bonus for item in lines)
    data = invoice(locale="en", lines=lines, subtotal=subtotal, discount=discount, bonus=bonus,
                   total=subtotal - discount - bonus)
    pdf = render(app, data, "en")
    pages = page_count(pdf)
    assert pages > 1
    texts = page_texts(pdf)
    assert len(texts) == pages
    with_lines = [number for number, text in enumerate(texts, start=1) if "A-0" in text]
    assert len(with_lines) > 1
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {pages}" in text
        if number in with_lines:
            # Each heading, in whatever order the extractor reads the cells; SKU, Qty and Bonus are
            # written nowhere else.
            missing = [h for h in ("No.", "SKU", "Name", "Qty", "Price", "Discount", "Bonus", "Amount")
                       if h not in text]
            assert not missing, f"table header missing on page {number}: {missing}"
    everything = " ".join(texts)
    assert [i for i in range(1, 121) if f"A-{i:04d}" not in everything] == []
    # The totals, the words and the terms stay together on the last page.
    last = texts[-1]
    assert "Subtotal" in last and "To pay" in last and "Total to pay:" in last and "Pay by" in last


@pytest.mark.parametrize("changes", [
    {"total": 1_148_694},
    {"subtotal": 1_205_471, "total": 1_148_696},
    {"discount": 46_776, "total": 1_148_694},
    {"bonus": 0, "total": 1_158_695},
    {"lines": (replace(LINES[0], amount=845_001), *LINES[1:])},
    {"currency": "UAH"},  # the portal counts in roubles: the figures would say ₽
])
def test_figures_that_do_not_add_up_are_refused(app, changes):
    with pytest.raises(ValueError):
        render(app, invoice(**changes), "en")


def test_the_invoice_names_the_vat_its_total_includes_per_rate_or_says_without_vat(app):
    data = invoice(vat=(("20", 180_000), ("10", 5_000), ("none", 0)))
    text = squeeze(" ".join(page_texts(render(app, data, "ru"))))
    assert "в т.ч. НДС 20 % 1 800,00" in text and "в т.ч. НДС 10 % 50,00" in text and "Без НДС" in text
    uk = squeeze(" ".join(page_texts(render(app, data, "uk"))))
    assert "у т.ч. ПДВ 20 % 1 800,00" in uk and "Без ПДВ" in uk
    en = squeeze(" ".join(page_texts(render(app, invoice(vat=(("none", 0),)), "en"))))
    assert "Without VAT" in en and "incl. VAT" not in en


def test_a_quantity_shows_the_unit_the_goods_are_sold_by(app):
    boots = replace(line(1, "БТ-2231/38", "Женские ботфорты коричневые (38)", 2, 599_000), unit="пар")
    nails = replace(line(2, "ГВ-10", "Гвозди обувные, развес", 3, 12_000), unit="кг")
    pdf = render(app, invoice(lines=(boots, nails), subtotal=1_234_000, discount=0, bonus=0, total=1_234_000), "ru")
    text = squeeze(" ".join(page_texts(pdf)))
    assert "2 пар" in text and "3 кг" in text

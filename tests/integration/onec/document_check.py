"""A structural check of the orders document the portal gives 1C (`type=sale&mode=query`).

tests/conftest.py wraps `orders_document.build` so that every document any test produces passes
through `check`; tests/unit/test_onec_document_check.py shows that it catches what it claims to.

The sequences below are copied from the CommerceML 2 schema, not from the builder, so a builder
that writes an element out of place fails here. Version 2.05 (what the document declares), checked
against commerceml.xsd 2.10 — they agree on everything listed (2.10 adds Склады before Товары and
Подписанты, ПодчиненныеДокументы after ЗначенияРеквизитов, which the portal does not write):

* Документ: a sequence whose first nine elements are required;
* a document's Товар: the base type Товар followed by the document's extension;
* a document's Контрагент: Ид, Наименование, a choice of the legal-entity group
  (ОфициальноеНаименование first, required) or the person group (ПолноеНаименование first,
  required), the rest of the base type, then the extension (Роль required);
* Налог (НалогВДокументе), Скидка, СтавкаНалога, ЗначениеРеквизита, Контакт, Адрес.

Beyond the order of elements it checks what the portal promises 1C: every Товар has Ид,
Наименование, БазоваяЕдиница, СтавкиНалогов, ЦенаЗаЕдиницу, Количество, Сумма and Налоги; amounts
are major units with two decimals; ЦенаЗаЕдиницу × Количество − Скидки = Сумма; the Документ's
Сумма is the sum of its lines' Сумма and its Налоги/Налог «НДС» the sum of theirs; a line's VAT is
what its Сумма includes at its rate (to the kopeck for an order, within a kopeck for a return, whose
VAT is a share of the sale's); an order carries «Статус заказа», and «Метод оплаты» once paid; a
return carries «Номер заказа». The root is КоммерческаяИнформация with ВерсияСхемы and
ДатаФормирования, holding Документ elements and, last, the portal's own Контрагенты of approved
client changes.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import ROUND_HALF_UP, Decimal

ROOT = "КоммерческаяИнформация"

DOCUMENT = ("Ид", "Номер", "Дата", "ХозОперация", "Роль", "Валюта", "Курс", "Сумма", "Контрагенты", "Время",
            "СрокПлатежа", "Комментарий", "Налоги", "Скидки", "ДопРасходы", "Товары", "ЗначенияРеквизитов")
DOCUMENT_REQUIRED = DOCUMENT[:9]
# What the portal always writes besides the schema's required elements.
DOCUMENT_PROMISED = ("Время", "Налоги", "Товары", "ЗначенияРеквизитов")

GOOD_BASE = ("Ид", "Штрихкод", "Артикул", "Наименование", "БазоваяЕдиница", "ИдТовараУКонтрагента", "Группы",
             "Описание", "Картинка", "Страна", "ТорговаяМарка", "ВладелецТорговойМарки", "Изготовитель",
             "ЗначенияСвойств", "СтавкиНалогов", "Акцизы", "Комплектующие", "Аналоги", "ХарактеристикиТовара",
             "ЗначенияРеквизитов", "ИдКаталога", "ИдКлассификатора")
GOOD_IN_DOCUMENT = ("ЦенаЗаЕдиницу", "Количество", "Резерв", "Сумма", "Единица", "Коэффициент",
                    "ДополнительныеДанные", "СтранаПроисхождения", "ГТД", "Налоги", "Скидки", "ДопРасходы",
                    "ДополнительныеЗначенияРеквизитов")
GOOD = GOOD_BASE + GOOD_IN_DOCUMENT
GOOD_REQUIRED = ("Ид", "Наименование", "БазоваяЕдиница", "СтавкиНалогов", "ЦенаЗаЕдиницу", "Количество", "Сумма",
                 "Налоги")

LEGAL_ENTITY = ("ОфициальноеНаименование", "ЮридическийАдрес", "ИНН", "КПП", "ОсновнойВидДеятельности", "ЕГРПО",
                "ОКВЭД", "ОКДП", "ОКОПФ", "ОКФС", "ОКПО", "ДатаРегистрации", "Руководитель", "РасчетныеСчета")
PERSON = ("ПолноеНаименование", "Обращение", "Фамилия", "Имя", "Отчество", "ДатаРождения", "МестоРождения", "Пол",
          "ИНН", "КПП", "УдостоверениеЛичности", "АдресРегистрации", "Организация", "Должность")
COUNTERPARTY_TAIL = ("Комментарий", "Адрес", "Контакты", "Представители")
COUNTERPARTY_IN_DOCUMENT = ("Роль", "РасчетныйСчет", "Склад")

TAX = ("Наименование", "УчтеноВСумме", "Акциз", "Сумма", "Ставка")
DISCOUNT = ("Наименование", "Сумма", "Процент", "УчтеноВСумме", "Комментарий")
TAX_RATE = ("Наименование", "Ставка")
REQUISITE = ("Наименование", "Значение")
CONTACT = ("Тип", "Значение", "Комментарий")
CONTACT_TYPES = {"Телефон внутренний", "Телефон рабочий", "Телефон мобильный", "Телефон домашний", "Пейджер",
                 "Факс", "Почта", "ICQ", "ВебСайт"}
ADDRESS = ("Представление", "Комментарий", "АдресноеПоле")
# maxOccurs="unbounded": the items of the list elements, and three elements of the types above.
REPEATABLE = {"Документ", "Контрагент", "Товар", "Налог", "Скидка", "СтавкаНалога", "ЗначениеРеквизита", "Контакт",
              "Картинка", "Значение", "АдресноеПоле"}

AMOUNT = re.compile(r"^\d+\.\d{2}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIME = re.compile(r"^\d{2}:\d{2}:\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
CENT = Decimal("0.01")
VAT = "НДС"
NO_VAT = "Без налога"


class Problems:
    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, where: str, text: str) -> None:
        self.found.append(f"{where}: {text}")


def _sequence(elem: ET.Element, sequence: tuple[str, ...], required: tuple[str, ...], where: str,
              problems: Problems) -> None:
    """Only elements of the sequence, each at most once (unless repeatable), in its order; the
    required ones present."""
    last = -1
    seen: set[str] = set()
    for child in elem:
        tag = child.tag
        if tag not in sequence:
            problems.add(where, f"<{tag}> is not allowed here (allowed: {', '.join(sequence)})")
            continue
        index = sequence.index(tag)
        if tag in seen and tag not in REPEATABLE:
            problems.add(where, f"<{tag}> appears more than once")
        elif index < last:
            problems.add(where, f"<{tag}> comes after <{sequence[last]}>, the schema puts it before")
        seen.add(tag)
        last = max(last, index)
    for tag in required:
        if tag not in seen:
            problems.add(where, f"<{tag}> is missing")


def _text(elem: ET.Element, tag: str) -> str:
    return (elem.findtext(tag) or "").strip()


def _amount(elem: ET.Element, tag: str, where: str, problems: Problems) -> Decimal:
    text = _text(elem, tag)
    if not AMOUNT.match(text):
        problems.add(where, f"<{tag}> is {text!r}, not an amount with two decimals")
        return Decimal(0)
    return Decimal(text)


def _included(value: Decimal, rate: str) -> Decimal:
    """The VAT `value` includes at a whole-percent `rate`, half-up to the kopeck."""
    pct = Decimal(rate)
    return (value * pct / (100 + pct)).quantize(CENT, rounding=ROUND_HALF_UP)


def _requisites(elem: ET.Element, where: str, problems: Problems) -> dict[str, str]:
    found: dict[str, str] = {}
    box = elem.find("ЗначенияРеквизитов")
    if box is None:
        return found
    _sequence(box, ("ЗначениеРеквизита",), ("ЗначениеРеквизита",), f"{where}/ЗначенияРеквизитов", problems)
    for n, item in enumerate(box.findall("ЗначениеРеквизита"), start=1):
        _sequence(item, REQUISITE, REQUISITE, f"{where}/ЗначениеРеквизита[{n}]", problems)
        found[_text(item, "Наименование")] = item.findtext("Значение") or ""
    return found


def _taxes(elem: ET.Element, where: str, problems: Problems) -> tuple[Decimal, list[str]]:
    """The VAT of a Налоги box and the rates its Налог «НДС» names."""
    box = elem.find("Налоги")
    if box is None:
        return Decimal(0), []
    _sequence(box, ("Налог",), ("Налог",), f"{where}/Налоги", problems)
    total, rates = Decimal(0), []
    for n, tax in enumerate(box.findall("Налог"), start=1):
        here = f"{where}/Налоги/Налог[{n}]"
        _sequence(tax, TAX, ("Наименование", "Сумма"), here, problems)
        if _text(tax, "Наименование") != VAT:
            continue
        if _text(tax, "УчтеноВСумме") != "true":
            problems.add(here, "prices include VAT: УчтеноВСумме must be true")
        total += _amount(tax, "Сумма", here, problems)
        if tax.find("Ставка") is not None:
            rates.append(_text(tax, "Ставка"))
    return total, rates


def _address(elem: ET.Element, where: str, problems: Problems) -> None:
    for tag in ("ЮридическийАдрес", "АдресРегистрации", "Адрес"):
        found = elem.find(tag)
        if found is not None:
            _sequence(found, ADDRESS, ("Представление",), f"{where}/{tag}", problems)


def _counterparty(elem: ET.Element, where: str, problems: Problems, *, extra: tuple[str, ...] = ()) -> None:
    legal = elem.find("ОфициальноеНаименование") is not None
    group = LEGAL_ENTITY if legal else PERSON
    sequence = ("Ид", "Наименование") + group + COUNTERPARTY_TAIL + COUNTERPARTY_IN_DOCUMENT + extra
    _sequence(elem, sequence, (group[0], "Роль"), where, problems)
    _address(elem, where, problems)
    contacts = elem.find("Контакты")
    if contacts is not None:
        for n, contact in enumerate(contacts.findall("Контакт"), start=1):
            here = f"{where}/Контакты/Контакт[{n}]"
            _sequence(contact, CONTACT, ("Тип", "Значение"), here, problems)
            if _text(contact, "Тип") not in CONTACT_TYPES:
                problems.add(here, f"Тип {_text(contact, 'Тип')!r} is none of the schema's contact types")


def _good(good: ET.Element, where: str, problems: Problems, *, exact_vat: bool) -> tuple[Decimal, Decimal]:
    """Check a Товар; its Сумма and VAT."""
    _sequence(good, GOOD, GOOD_REQUIRED, where, problems)
    price = _amount(good, "ЦенаЗаЕдиницу", where, problems)
    qty_text = _text(good, "Количество")
    if not re.match(r"^\d+(\.\d+)?$", qty_text) or Decimal(qty_text) <= 0:
        problems.add(where, f"Количество {qty_text!r} is not a positive number")
        qty = Decimal(0)
    else:
        qty = Decimal(qty_text)
    value = _amount(good, "Сумма", where, problems)
    discounts = Decimal(0)
    box = good.find("Скидки")
    if box is not None:
        _sequence(box, ("Скидка",), ("Скидка",), f"{where}/Скидки", problems)
        for n, discount in enumerate(box.findall("Скидка"), start=1):
            here = f"{where}/Скидки/Скидка[{n}]"
            _sequence(discount, DISCOUNT, ("Наименование", "Сумма"), here, problems)
            if _text(discount, "УчтеноВСумме") == "true":
                discounts += _amount(discount, "Сумма", here, problems)
    if price * qty - discounts != value:
        problems.add(where, f"ЦенаЗаЕдиницу × Количество − Скидки = {price * qty - discounts}, but Сумма is {value}")
    rates = good.find("СтавкиНалогов")
    rate = None
    if rates is not None:
        _sequence(rates, ("СтавкаНалога",), ("СтавкаНалога",), f"{where}/СтавкиНалогов", problems)
        for n, item in enumerate(rates.findall("СтавкаНалога"), start=1):
            here = f"{where}/СтавкиНалогов/СтавкаНалога[{n}]"
            _sequence(item, TAX_RATE, TAX_RATE, here, problems)
            if _text(item, "Наименование") == VAT:
                rate = _text(item, "Ставка")
                if rate != NO_VAT and not rate.isdigit():
                    problems.add(here, f"Ставка {rate!r} is neither a whole percentage nor «{NO_VAT}»")
    if rate is None:
        problems.add(where, "no СтавкаНалога «НДС»")
    vat, tax_rates = _taxes(good, where, problems)
    if good.find("Налоги") is not None and not good.findall("Налоги/Налог[Наименование='НДС']"):
        problems.add(where, "Налоги has no Налог «НДС»")
    if rate is not None and any(r != rate for r in tax_rates):
        problems.add(where, f"the Налог's Ставка {tax_rates} differs from the СтавкаНалога {rate!r}")
    if rate is not None and (rate == NO_VAT or rate.isdigit()):
        expected = Decimal(0) if rate == NO_VAT else _included(value, rate)
        off = abs(vat - expected)
        if off > (0 if exact_vat else CENT):
            problems.add(where, f"VAT {vat} is not what {value} includes at {rate}: {expected}")
    return value, vat


def _document(doc: ET.Element, where: str, problems: Problems) -> None:
    _sequence(doc, DOCUMENT, DOCUMENT_REQUIRED + DOCUMENT_PROMISED, where, problems)
    if not DATE.match(_text(doc, "Дата")):
        problems.add(where, f"Дата {_text(doc, 'Дата')!r} is not YYYY-MM-DD")
    if doc.find("Время") is not None and not TIME.match(_text(doc, "Время")):
        problems.add(where, f"Время {_text(doc, 'Время')!r} is not HH:MM:SS")
    if doc.find("СрокПлатежа") is not None and not DATE.match(_text(doc, "СрокПлатежа")):
        problems.add(where, "СрокПлатежа is not YYYY-MM-DD")
    operation = _text(doc, "ХозОперация")
    if operation not in ("Заказ товара", "Возврат товара"):
        problems.add(where, f"ХозОперация {operation!r} is not one the portal writes")
    total = _amount(doc, "Сумма", where, problems)
    parties = doc.find("Контрагенты")
    if parties is not None:
        _sequence(parties, ("Контрагент",), ("Контрагент",), f"{where}/Контрагенты", problems)
        for n, party in enumerate(parties.findall("Контрагент"), start=1):
            _counterparty(party, f"{where}/Контрагенты/Контрагент[{n}]", problems)
    doc_vat, doc_rates = _taxes(doc, where, problems)
    lines_value, lines_vat = Decimal(0), Decimal(0)
    goods = doc.find("Товары")
    if goods is not None:
        _sequence(goods, ("Товар",), ("Товар",), f"{where}/Товары", problems)
        line_rates = set()
        for n, good in enumerate(goods.findall("Товар"), start=1):
            value, vat = _good(good, f"{where}/Товар[{n}]", problems, exact_vat=operation == "Заказ товара")
            lines_value += value
            lines_vat += vat
            line_rates.add(good.findtext("СтавкиНалогов/СтавкаНалога/Ставка"))
        if doc_rates and (len(line_rates) != 1 or doc_rates != [line_rates.pop()]):
            problems.add(where, f"the document's Налог names Ставка {doc_rates} but its lines have other rates")
    if total != lines_value:
        problems.add(where, f"Сумма {total} is not the sum of the lines' Сумма {lines_value}")
    if doc.find("Налоги") is not None and doc_vat != lines_vat:
        problems.add(where, f"Налоги/Налог «НДС» {doc_vat} is not the sum of the lines' VAT {lines_vat}")
    requisites = _requisites(doc, where, problems)
    if operation == "Заказ товара":
        if "Статус заказа" not in requisites:
            problems.add(where, "no requisite «Статус заказа»")
        if requisites.get("Заказ оплачен") == "true" and not requisites.get("Метод оплаты"):
            problems.add(where, "paid, but no requisite «Метод оплаты»")
    elif operation == "Возврат товара" and not requisites.get("Номер заказа"):
        problems.add(where, "a return without the requisite «Номер заказа» of its sale")


def problems_of(data: bytes) -> list[str]:
    """What is wrong with an orders document, as sentences; empty when nothing is."""
    problems = Problems()
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        return [f"not well-formed XML: {exc}"]
    if root.tag != ROOT:
        return [f"the root is <{root.tag}>, not <{ROOT}>"]
    if not root.get("ВерсияСхемы"):
        problems.add(ROOT, "no ВерсияСхемы")
    if not DATETIME.match(root.get("ДатаФормирования") or ""):
        problems.add(ROOT, f"ДатаФормирования {root.get('ДатаФормирования')!r} is not YYYY-MM-DDTHH:MM:SS")
    _sequence(root, ("Документ", "Контрагенты"), (), ROOT, problems)
    ids: set[str] = set()
    for n, doc in enumerate(root.findall("Документ"), start=1):
        where = f"Документ[{n}] {_text(doc, 'Номер')}"
        if _text(doc, "Ид") in ids:
            problems.add(where, f"Ид {_text(doc, 'Ид')} is used by another document of the file")
        ids.add(_text(doc, "Ид"))
        _document(doc, where, problems)
    cards = root.find("Контрагенты")
    if cards is not None:
        for n, card in enumerate(cards.findall("Контрагент"), start=1):
            _counterparty(card, f"Контрагенты/Контрагент[{n}]", problems, extra=("ЗначенияРеквизитов",))
    return problems.found


def check(data: bytes) -> None:
    """AssertionError listing every problem of the document, if it has any."""
    found = problems_of(data)
    assert not found, "the orders document breaks the CommerceML schema or its sums:\n" + "\n".join(found)

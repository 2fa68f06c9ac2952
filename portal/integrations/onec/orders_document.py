"""The CommerceML 2 orders document 1C pulls with `type=sale&mode=query`.

One КоммерческаяИнформация (ВерсияСхемы 2.05, ДатаФормирования) holding:

* a Документ per order (ХозОперация «Заказ товара») in its current state — every channel: a
  manager's order once confirmed (and again when paid or cancelled), a till sale and a web-shop
  order when placed (they are paid at once). Ид and Номер are the order number; the buyer under
  Контрагенты/Контрагент; Время; СрокПлатежа for a deferred payment; Комментарий; Налоги — one Налог
  «НДС», УчтеноВСумме true, Сумма = the sum of the lines' VAT (and Ставка when every line has the
  same rate); Товары/Товар lines; ЗначенияРеквизитов «Статус заказа», «Заказ оплачен», «Отменен»,
  «Дата оплаты», «Метод оплаты» (e.g. «Банковская карта, Наличные» for a mixed till payment, and
  «Бонусы» when bonus was spent) with the amount of each method of money («Оплачено наличными», «Оплачено картой», …), «Условия оплаты», «Срок
  оплаты», «Способ доставки», «Адрес доставки», «Дата доставки», «Оплачено бонусами», «Получено
  денег», «Склад» (the shop or warehouse the goods leave from).
* a Документ per return (ХозОперация «Возврат товара», Номер `<order number>-R<return id>`) with
  the lines taken back, the VAT they take back (`return_lines.vat`) and the requisites «Номер
  заказа» (the link to the sale — CommerceML 2.05 has no element for a document's basis; 2.10's
  ПодчиненныеДокументы goes the other way, inside the sale), «Возвращено деньгами», «Удержано»,
  «Возвращено бонусами», «Причина возврата», «Склад».
* approved client changes as Контрагенты/Контрагент after the documents (requisites and the
  approved terms as ЗначенияРеквизитов «Скидка, %», «Кредитный лимит», «Отсрочка, дней»). This root
  element is the portal's own: neither the 2.05 nor the 2.10 schema has counterparties at the root.

A line (Товар): Ид = the product's 1C Ид (a variant's is the offer id `product#characteristic`),
else its SKU; Артикул; Наименование; БазоваяЕдиница; СтавкиНалогов/СтавкаНалога (Наименование «НДС»,
Ставка "20", "10", "0" or «Без налога»); ЗначенияРеквизитов (ВидНоменклатуры, ТипНоменклатуры,
«Оплачено бонусами» of the line when bonus was spent); ЦенаЗаЕдиницу; Количество; Сумма = what the
line costs after the client's discount — bonus spent is a means of payment (SPEC §10), not a
discount, so Сумма = money + bonus and the line's VAT is included in it; Налоги/Налог (Наименование
«НДС», УчтеноВСумме true, Сумма = the line's VAT, Ставка); Скидки/Скидка «Скидка клиента» (Сумма,
Процент, УчтеноВСумме true). So ЦенаЗаЕдиницу × Количество − Скидки = Сумма, and the Документ's Сумма
is the sum of its lines' Сумма (an order's `total`; what is left to pay in money is Сумма −
«Оплачено бонусами»).

Element order is the xs:sequence of the CommerceML 2 schema, checked against two texts of it:
commerceml.xsd 2.10 (urn:1C.ru:commerceml_2; e.g. github.com/debrsky/berg-app, commerceml.xsd) and
classes generated from the 2.05 schema (urn:1C.ru:commerceml_205; e.g. github.com/LeylaKhb/ivlev-back,
src/main/java/ivlev/ivlevback/_1c/commerceml_205/). Both agree on every element written here:

* Документ: Ид, Номер, Дата, ХозОперация, Роль, Валюта, Курс, Сумма, Контрагенты, Время,
  СрокПлатежа, Комментарий, Налоги, Скидки, ДопРасходы, (2.10: Склады), Товары, ЗначенияРеквизитов.
* Товар of a document — the base type Товар, then the document's extension: Ид, Штрихкод,
  Артикул, Наименование, БазоваяЕдиница, ИдТовараУКонтрагента, Группы, Описание, Картинка, …,
  ЗначенияСвойств, СтавкиНалогов, Акцизы, Комплектующие, Аналоги, ХарактеристикиТовара,
  ЗначенияРеквизитов, ИдКаталога, ИдКлассификатора, ЦенаЗаЕдиницу, Количество, Сумма, Единица,
  Коэффициент, ДополнительныеДанные, СтранаПроисхождения, ГТД, Налоги, Скидки, ДопРасходы,
  ДополнительныеЗначенияРеквизитов.
* Контрагент of a document — the base type, then the extension: Ид, Наименование, then either a
  legal entity's ОфициальноеНаименование, ЮридическийАдрес, ИНН, КПП, … or a person's
  ПолноеНаименование, …, ИНН, КПП, УдостоверениеЛичности, АдресРегистрации, …; Комментарий, Адрес,
  Контакты, Представители; Роль, РасчетныйСчет, Склад. A legal entity goes as a legal entity; a sole
  proprietor, a private person and the anonymous retail buyer as persons.
* Налог in a document: Наименование, УчтеноВСумме, Акциз, Сумма, Ставка. Скидка: Наименование,
  Сумма, Процент, УчтеноВСумме, Комментарий. СтавкаНалога: Наименование, Ставка.

Налоги of a Документ holds one Налог per tax kind; a document with several VAT rates carries the
total VAT without a Ставка (the schema's Налог has one Ставка; the rate of each line is on the line). tests/integration/onec/document_check.py checks every document the tests produce
against these sequences and sums.

Amounts are major units with two decimals ("1234.50"), dates YYYY-MM-DD and times HH:MM:SS in
PORTAL_TIMEZONE. The XML declaration names the encoding the bytes are in (ONEC_ENCODING);
characters that encoding lacks become character references.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from portal.clock import local_zone
from portal.extensions import db
from portal.integrations.onec.catalog_reader import UNIT_BY_CODE
from portal.models import Client, ClientKind, Location, Order, OrderStatus, Return
from portal.money import from_minor
from portal.services.sales.vat import NONE

SCHEMA_VERSION = "2.05"

STATUS = {
    OrderStatus.DRAFT: "Черновик", OrderStatus.AWAITING_APPROVAL: "Ожидает согласования",
    OrderStatus.AWAITING_CONFIRMATION: "Ожидает подтверждения", OrderStatus.CONFIRMED: "Подтвержден",
    OrderStatus.PAID: "Оплачен", OrderStatus.COMPLETED: "Выполнен", OrderStatus.CANCELLED: "Отменен",
    OrderStatus.PARTIALLY_RETURNED: "Частично возвращен", OrderStatus.RETURNED: "Возвращен",
}
METHOD = {"cash": "Наличные", "card": "Банковская карта", "bank_transfer": "Безналичный расчет",
          "online": "Оплата на сайте"}
PAID_BY = {"cash": "Оплачено наличными", "card": "Оплачено картой", "bank_transfer": "Оплачено безналичным расчетом",
           "online": "Оплачено на сайте"}
BONUS_METHOD = "Бонусы"  # bonus spent is a means of payment (SPEC §10)
TERMS = {"prepaid": "Предоплата", "deferred": "Отсрочка платежа"}
DELIVERY = {"pickup": "Самовывоз", "courier": "Курьер", "carrier": "Транспортная компания"}
PAID_STATES = (OrderStatus.PAID, OrderStatus.COMPLETED, OrderStatus.PARTIALLY_RETURNED, OrderStatus.RETURNED)
VAT = "НДС"
NO_VAT = "Без налога"  # how 1C writes the rate of goods sold without VAT


def amount(minor: int) -> str:
    return str(from_minor(minor))


def vat_rate_text(rate: str) -> str:
    """A rate code as СтавкаНалога/Ставка: "20", "10", "0", or «Без налога» for none."""
    return NO_VAT if rate == NONE else rate


def _local(moment: datetime) -> datetime:
    return moment.astimezone(local_zone())


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs) -> ET.Element:
    elem = ET.SubElement(parent, tag, dict(attrs.items()))
    if text is not None:
        elem.text = text
    return elem


def _requisites(parent: ET.Element, pairs: list[tuple[str, str]]) -> None:
    box = _add(parent, "ЗначенияРеквизитов")
    for name, value in pairs:
        item = _add(box, "ЗначениеРеквизита")
        _add(item, "Наименование", name)
        _add(item, "Значение", value)


def _address(parent: ET.Element, tag: str, text: str) -> None:
    _add(_add(parent, tag), "Представление", text)


def _counterparty(parent: ET.Element, client: Client | None) -> ET.Element:
    """Контрагент in the schema's order: Ид, Наименование, a legal entity's or a person's requisites,
    Контакты, then the document's Роль."""
    c = _add(parent, "Контрагент")
    if client is None:
        _add(c, "Ид", "retail")
        _add(c, "Наименование", "Розничный покупатель")
        _add(c, "ПолноеНаименование", "Розничный покупатель")
        _add(c, "Роль", "Покупатель")
        return c
    _add(c, "Ид", f"client-{client.id}")
    _add(c, "Наименование", client.name)
    address = next((a.text for a in client.addresses if a.kind.value == "legal"), None) or \
        next((a.text for a in client.addresses), None)
    legal = client.kind is ClientKind.LEGAL_ENTITY
    if legal:
        _add(c, "ОфициальноеНаименование", client.name)
        if address:
            _address(c, "ЮридическийАдрес", address)
        if client.tax_id:
            _add(c, "ИНН", client.tax_id)
    else:
        _add(c, "ПолноеНаименование", client.name)
        if client.tax_id:
            _add(c, "ИНН", client.tax_id)
        if address:
            _address(c, "АдресРегистрации", address)
    phone = "Телефон рабочий" if legal else "Телефон мобильный"
    contacts = [(phone, p.number) for p in client.phones] + [("Почта", e.address) for e in client.emails]
    if contacts:
        box = _add(c, "Контакты")
        for kind, value in contacts:
            contact = _add(box, "Контакт")
            _add(contact, "Тип", kind)
            _add(contact, "Значение", value)
    _add(c, "Роль", "Покупатель")
    return c


def _product_id(line) -> str:
    return line.product.onec_id or line.sku


def _tax(parent: ET.Element, vat: int, rate: str | None) -> None:
    """Налоги/Налог «НДС» included in the sum; Ставка when there is one rate."""
    tax = _add(_add(parent, "Налоги"), "Налог")
    _add(tax, "Наименование", VAT)
    _add(tax, "УчтеноВСумме", "true")
    _add(tax, "Сумма", amount(vat))
    if rate is not None:
        _add(tax, "Ставка", vat_rate_text(rate))


def _line(parent: ET.Element, line, qty: int, value: int, discount: int, bonus: int, vat: int) -> None:
    """A Товар: `value` is what the units cost after the client's discount (bonus included, as a
    payment), `vat` the VAT it includes."""
    item = _add(parent, "Товар")
    _add(item, "Ид", _product_id(line))
    _add(item, "Артикул", line.sku)
    _add(item, "Наименование", line.name)
    unit = line.product.unit or "шт"
    code = next((c for c, name in UNIT_BY_CODE.items() if name == unit.rstrip(".").lower()), None)
    if unit == "пара":
        code = "715"
    _add(item, "БазоваяЕдиница", unit, **({"Код": code} if code else {}))
    rate = _add(_add(item, "СтавкиНалогов"), "СтавкаНалога")
    _add(rate, "Наименование", VAT)
    _add(rate, "Ставка", vat_rate_text(line.vat_rate))
    pairs = [("ВидНоменклатуры", "Товар"), ("ТипНоменклатуры", "Товар")]
    if bonus:
        pairs.append(("Оплачено бонусами", amount(bonus)))
    _requisites(item, pairs)
    _add(item, "ЦенаЗаЕдиницу", amount(line.price))
    _add(item, "Количество", str(qty))
    _add(item, "Сумма", amount(value))
    _tax(item, vat, line.vat_rate)
    if discount:
        d = _add(_add(item, "Скидки"), "Скидка")
        _add(d, "Наименование", "Скидка клиента")
        _add(d, "Сумма", amount(discount))
        if line.discount_bp:
            _add(d, "Процент", str(from_minor(line.discount_bp)))
        _add(d, "УчтеноВСумме", "true")


def _single_rate(lines) -> str | None:
    rates = {line.vat_rate for line in lines}
    return rates.pop() if len(rates) == 1 else None


def _document(root: ET.Element, number: str, moment: datetime, operation: str, total: int, currency: str,
              client: Client | None) -> ET.Element:
    """The head of a Документ up to Время, in the schema's order."""
    doc = _add(root, "Документ")
    local = _local(moment)
    _add(doc, "Ид", number)
    _add(doc, "Номер", number)
    _add(doc, "Дата", local.strftime("%Y-%m-%d"))
    _add(doc, "ХозОперация", operation)
    _add(doc, "Роль", "Продавец")
    _add(doc, "Валюта", currency)
    _add(doc, "Курс", "1")
    _add(doc, "Сумма", amount(total))
    _counterparty(_add(doc, "Контрагенты"), client)
    _add(doc, "Время", local.strftime("%H:%M:%S"))
    return doc


def _line_value(line) -> int:
    """What a line costs after the client's discount: its money and the bonus spent on it."""
    return line.paid + line.bonus


def _order(root: ET.Element, order: Order, currency: str) -> None:
    lines = list(order.lines)
    doc = _document(root, order.number, order.created_at, "Заказ товара", sum(_line_value(x) for x in lines),
                    currency, order.client)
    if order.due_date is not None:
        _add(doc, "СрокПлатежа", order.due_date.isoformat())
    if order.comment:
        _add(doc, "Комментарий", order.comment)
    _tax(doc, sum(line.vat for line in lines), _single_rate(lines))
    goods = _add(doc, "Товары")
    for line in lines:
        _line(goods, line, line.qty, _line_value(line), line.discount, line.bonus, line.vat)
    paid = order.status in PAID_STATES
    by_method: dict[str, int] = {}
    for payment in order.payments:
        by_method[payment.method.value] = by_method.get(payment.method.value, 0) + payment.amount
    methods = sorted(by_method)
    pairs = [("Статус заказа", STATUS[order.status]),
             ("Заказ оплачен", "true" if paid else "false"),
             ("Отменен", "true" if order.status is OrderStatus.CANCELLED else "false")]
    if order.paid_at is not None:
        pairs.append(("Дата оплаты", _local(order.paid_at).strftime("%Y-%m-%d %H:%M:%S")))
    names = [METHOD.get(m, m) for m in methods] + ([BONUS_METHOD] if order.bonus_redeemed else [])
    if names:
        pairs.append(("Метод оплаты", ", ".join(names)))
        pairs.extend((PAID_BY.get(m, m), amount(by_method[m])) for m in methods)
    if order.payment_terms is not None:
        pairs.append(("Условия оплаты", TERMS.get(order.payment_terms.value, order.payment_terms.value)))
    if order.due_date is not None:
        pairs.append(("Срок оплаты", order.due_date.isoformat()))
    if order.delivery_method is not None:
        pairs.append(("Способ доставки", DELIVERY.get(order.delivery_method.value, order.delivery_method.value)))
    if order.delivery_address:
        pairs.append(("Адрес доставки", order.delivery_address))
    if order.delivery_date is not None:
        pairs.append(("Дата доставки", order.delivery_date.isoformat()))
    pairs.append(("Оплачено бонусами", amount(order.bonus_redeemed)))
    pairs.append(("Получено денег", amount(order.received)))
    if order.location is not None:
        pairs.append(("Склад", order.location.code))
    _requisites(doc, pairs)


def _return(root: ET.Element, ret: Return, currency: str) -> None:
    order = ret.order
    parts = list(ret.lines)
    # The returned units at the sale's price; their value is their share of the line's money and
    # bonus, and what the discount took off them is the rest of price × qty.
    values = [part.refund + part.bonus_restored for part in parts]
    doc = _document(root, f"{order.number}-R{ret.id}", ret.created_at, "Возврат товара", sum(values), currency,
                    order.client)
    _tax(doc, sum(part.vat for part in parts), _single_rate([part.order_line for part in parts]))
    goods = _add(doc, "Товары")
    for part, value in zip(parts, values):
        line = part.order_line
        _line(goods, line, part.qty, value, line.price * part.qty - value, part.bonus_restored, part.vat)
    pairs = [("Номер заказа", order.number), ("Статус заказа", STATUS[order.status]),
             ("Возвращено деньгами", amount(ret.refund_total)), ("Удержано", amount(ret.withheld)),
             ("Возвращено бонусами", amount(ret.bonus_restored)), ("Причина возврата", ret.reason or "")]
    location = db.session.get(Location, ret.location_id) if ret.location_id is not None else order.location
    if location is not None:
        pairs.append(("Склад", location.code))
    _requisites(doc, pairs)


def _client_card(parent: ET.Element, client: Client, payload: dict) -> None:
    c = _counterparty(parent, client)
    _requisites(c, [("Скидка, %", str(from_minor(payload.get("discount_bp", client.discount_bp)))),
                    ("Кредитный лимит", amount(payload.get("credit_limit", client.credit_limit))),
                    ("Отсрочка, дней", str(payload.get("deferral_days", client.deferral_days))),
                    ("Менеджер", payload.get("manager_email") or "")])


def build(orders: list[Order], returns: list[Return], clients: list[tuple[Client, dict]], *, currency: str,
          encoding: str, now: datetime) -> bytes:
    """The document as bytes in `encoding`, its declaration naming that encoding."""
    root = ET.Element("КоммерческаяИнформация", {"ВерсияСхемы": SCHEMA_VERSION,
                                                  "ДатаФормирования": _local(now).strftime("%Y-%m-%dT%H:%M:%S")})
    for order in orders:
        _order(root, order, currency)
    for ret in returns:
        _return(root, ret, currency)
    if clients:
        box = _add(root, "Контрагенты")
        for client, payload in clients:
            _client_card(box, client, payload)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    head = f'<?xml version="1.0" encoding="{encoding}"?>\n'
    return (head + body + "\n").encode(encoding, errors="xmlcharrefreplace")

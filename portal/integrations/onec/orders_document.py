"""The CommerceML 2 orders document 1C pulls with `type=sale&mode=query`.

One КоммерческаяИнформация (ВерсияСхемы 2.05) holding:

* a Документ per order (ХозОперация «Заказ товара») in its current state: Ид and Номер are the
  order number, the buyer under Контрагенты/Контрагент (Ид `client-<id>`, Наименование, ИНН, the
  legal address, phones and e-mails), Товары/Товар lines (Ид = the product's 1C Ид, else its SKU;
  Артикул; ЦенаЗаЕдиницу; Количество; Скидки — the client's discount and the bonus spent on the
  line; Сумма = what the line costs in money), the sum, and ЗначенияРеквизитов «Статус заказа»,
  «Заказ оплачен», «Дата оплаты», «Метод оплаты», «Отменен», «Условия оплаты», «Срок оплаты»,
  «Способ доставки», «Адрес доставки», «Дата доставки», «Оплачено бонусами»;
* a Документ per return (ХозОперация «Возврат товара», Номер `<order number>-R<return id>`)
  with the lines taken back, their money share, and «Номер заказа», «Возвращено деньгами»,
  «Удержано», «Возвращено бонусами»;
* approved client changes as Контрагенты/Контрагент after the documents (requisites and the
  approved terms as ЗначенияРеквизитов «Скидка, %», «Кредитный лимит», «Отсрочка, дней»).

Amounts are major units with two decimals ("1234.50"), dates YYYY-MM-DD and times HH:MM:SS in
PORTAL_TIMEZONE. The XML declaration names the encoding the bytes are in (ONEC_ENCODING);
characters that encoding lacks become character references.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from portal.clock import local_zone
from portal.models import Client, Order, OrderStatus, Return
from portal.money import from_minor

SCHEMA_VERSION = "2.05"

STATUS = {
    OrderStatus.DRAFT: "Черновик", OrderStatus.AWAITING_APPROVAL: "Ожидает согласования",
    OrderStatus.AWAITING_CONFIRMATION: "Ожидает подтверждения", OrderStatus.CONFIRMED: "Подтвержден",
    OrderStatus.PAID: "Оплачен", OrderStatus.COMPLETED: "Выполнен", OrderStatus.CANCELLED: "Отменен",
    OrderStatus.PARTIALLY_RETURNED: "Частично возвращен", OrderStatus.RETURNED: "Возвращен",
}
METHOD = {"cash": "Наличные", "card": "Банковская карта", "bank_transfer": "Безналичный расчет",
          "online": "Оплата на сайте"}
TERMS = {"prepaid": "Предоплата", "deferred": "Отсрочка платежа"}
DELIVERY = {"pickup": "Самовывоз", "courier": "Курьер", "carrier": "Транспортная компания"}
PAID_STATES = (OrderStatus.PAID, OrderStatus.COMPLETED, OrderStatus.PARTIALLY_RETURNED, OrderStatus.RETURNED)


def amount(minor: int) -> str:
    return str(from_minor(minor))


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


def _counterparty(parent: ET.Element, client: Client | None) -> ET.Element:
    c = _add(parent, "Контрагент")
    if client is None:
        _add(c, "Ид", "retail")
        _add(c, "Наименование", "Розничный покупатель")
        _add(c, "Роль", "Покупатель")
        return c
    _add(c, "Ид", f"client-{client.id}")
    _add(c, "Наименование", client.name)
    _add(c, "ПолноеНаименование", client.name)
    _add(c, "Роль", "Покупатель")
    if client.tax_id:
        _add(c, "ИНН", client.tax_id)
    address = next((a.text for a in client.addresses if a.kind.value == "legal"), None) or \
        next((a.text for a in client.addresses), None)
    if address:
        _add(_add(c, "АдресРегистрации"), "Представление", address)
    contacts = [("Телефон", p.number) for p in client.phones] + [("Почта", e.address) for e in client.emails]
    if contacts:
        box = _add(c, "Контакты")
        for kind, value in contacts:
            contact = _add(box, "Контакт")
            _add(contact, "Тип", kind)
            _add(contact, "Значение", value)
    return c


def _product_id(line) -> str:
    return line.product.onec_id or line.sku


def _line(parent: ET.Element, line, qty: int, money: int, discount: int, bonus: int) -> None:
    item = _add(parent, "Товар")
    _add(item, "Ид", _product_id(line))
    _add(item, "Артикул", line.sku)
    _add(item, "Наименование", line.name)
    _add(item, "БазоваяЕдиница", "шт", Код="796", НаименованиеПолное="Штука", МеждународноеСокращение="PCE")
    _add(item, "ЦенаЗаЕдиницу", amount(line.price))
    _add(item, "Количество", str(qty))
    _add(item, "Сумма", amount(money))
    if discount or bonus:
        box = _add(item, "Скидки")
        for name, value in (("Скидка клиента", discount), ("Оплачено бонусами", bonus)):
            if value:
                d = _add(box, "Скидка")
                _add(d, "Наименование", name)
                _add(d, "Сумма", amount(value))
                _add(d, "УчтеноВСумме", "true")
    _requisites(item, [("ВидНоменклатуры", "Товар"), ("ТипНоменклатуры", "Товар")])


def _document_head(root: ET.Element, number: str, moment: datetime, operation: str, total: int,
                   currency: str) -> ET.Element:
    doc = _add(root, "Документ")
    local = _local(moment)
    _add(doc, "Ид", number)
    _add(doc, "Номер", number)
    _add(doc, "Дата", local.strftime("%Y-%m-%d"))
    _add(doc, "Время", local.strftime("%H:%M:%S"))
    _add(doc, "ХозОперация", operation)
    _add(doc, "Роль", "Продавец")
    _add(doc, "Валюта", currency)
    _add(doc, "Курс", "1")
    _add(doc, "Сумма", amount(total))
    return doc


def _order(root: ET.Element, order: Order, currency: str) -> None:
    doc = _document_head(root, order.number, order.created_at, "Заказ товара", order.paid, currency)
    _counterparty(_add(doc, "Контрагенты"), order.client)
    if order.comment:
        _add(doc, "Комментарий", order.comment)
    goods = _add(doc, "Товары")
    for line in order.lines:
        _line(goods, line, line.qty, line.paid, line.discount, line.bonus)
    paid = order.status in PAID_STATES
    methods = sorted({p.method.value for p in order.payments})
    pairs = [("Статус заказа", STATUS[order.status]),
             ("Заказ оплачен", "true" if paid else "false"),
             ("Отменен", "true" if order.status is OrderStatus.CANCELLED else "false")]
    if order.paid_at is not None:
        pairs.append(("Дата оплаты", _local(order.paid_at).strftime("%Y-%m-%d %H:%M:%S")))
    if methods:
        pairs.append(("Метод оплаты", ", ".join(METHOD.get(m, m) for m in methods)))
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
    gross = sum(part.refund for part in ret.lines)
    doc = _document_head(root, f"{order.number}-R{ret.id}", ret.created_at, "Возврат товара", gross, currency)
    _counterparty(_add(doc, "Контрагенты"), order.client)
    goods = _add(doc, "Товары")
    for part in ret.lines:
        line = part.order_line
        # The returned units at the sale's price; what the discount and the bonus took off them
        # is their share of the line's (price × qty − money share), so Сумма is the money share.
        taken_off = line.price * part.qty - part.refund - part.bonus_restored
        _line(goods, line, part.qty, part.refund, taken_off, part.bonus_restored)
    _requisites(doc, [("Номер заказа", order.number), ("Статус заказа", STATUS[order.status]),
                      ("Возвращено деньгами", amount(ret.refund_total)), ("Удержано", amount(ret.withheld)),
                      ("Возвращено бонусами", amount(ret.bonus_restored)),
                      ("Причина возврата", ret.reason or "")])


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

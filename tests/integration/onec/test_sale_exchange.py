"""The orders half of the 1C exchange, replayed as 1C drives it: checkauth → init → query →
success → query again → file (1C's status update), with exact amounts.

The order is test_manager_orders' STANDARD one: DRILL × 2 at 1 000.00 and PIPE × 3 at 333.33 for a
client with 5 %: lines 1 900.00 + 949.99 = 2 849.99.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from portal.extensions import db
from portal.models import ClientKind, OnecOrderQuery, Order, OrderStatus, OutboxEvent, PaymentMethod
from portal.services.clients import changes
from portal.services.clients.changes import ClientChange
from portal.services.sales import returns

from ..services.test_manager_orders import confirmed
from .conftest import fixture_bytes


def parse(answer) -> ET.Element:
    assert answer.status == 200 and answer.content_type == "application/xml"
    head = answer.body.split(b"\n", 1)[0]
    assert head == f'<?xml version="1.0" encoding="{answer.encoding}"?>'.encode()
    root = ET.fromstring(answer.body)
    assert root.tag == "КоммерческаяИнформация" and root.get("ВерсияСхемы") == "2.05"
    return root


def documents(root: ET.Element) -> dict[str, ET.Element]:
    return {d.findtext("Номер"): d for d in root.findall("Документ")}


def requisites(elem: ET.Element) -> dict[str, str]:
    return {r.findtext("Наименование"): r.findtext("Значение")
            for r in elem.findall("ЗначенияРеквизитов/ЗначениеРеквизита")}


def pending_keys() -> list[str]:
    return list(db.session.scalars(db.select(OutboxEvent.key).where(
        OutboxEvent.topic.like("1c.%"), OutboxEvent.delivered_at.is_(None)).order_by(OutboxEvent.id)))


def send_status(onec, data: bytes, filename: str = "orders-1c.xml"):
    """Upload 1C's orders file in parts of the file limit, as 1C does; the last answer."""
    return onec.upload("sale", filename, data, 2048)[-1]


def start(onec) -> None:
    assert onec.checkauth("sale").lines[0] == "success"
    assert onec.call("sale", "init").lines == ["zip=yes", "file_limit=2048"]


def test_orders_go_to_1c_and_come_back_paid_and_shipped(onec, office):
    office.products["DRILL"].onec_id = "b2000000-0000-0000-0000-0000000000d1"
    db.session.commit()
    order = confirmed(office)
    assert order.number == "M-000001"

    start(onec)
    root = parse(onec.call("sale", "query"))
    (doc,) = root.findall("Документ")
    assert [doc.findtext(t) for t in ("Ид", "Номер", "ХозОперация", "Роль", "Валюта", "Сумма")] == [
        "M-000001", "M-000001", "Заказ товара", "Продавец", "RUB", "2849.99"]
    buyer = doc.find("Контрагенты/Контрагент")
    assert [buyer.findtext(t) for t in ("Ид", "Наименование", "Роль", "ИНН")] == [
        f"client-{office.client.id}", "ООО «Ромашка»", "Покупатель", "7707083893"]
    # A legal entity: the schema's РеквизитыЮрЛица (ОфициальноеНаименование, ЮридическийАдрес, ИНН).
    assert buyer.findtext("ОфициальноеНаименование") == "ООО «Ромашка»"
    assert buyer.findtext("ЮридическийАдрес/Представление") == "Moscow, Tverskaya 1"
    assert buyer.findtext("Контакты/Контакт/Тип") == "Телефон рабочий"
    lines = [(g.findtext("Ид"), g.findtext("Артикул"), g.findtext("ЦенаЗаЕдиницу"), g.findtext("Количество"),
              g.findtext("Сумма"), [s.findtext("Сумма") for s in g.findall("Скидки/Скидка")])
             for g in doc.findall("Товары/Товар")]
    assert lines == [("b2000000-0000-0000-0000-0000000000d1", "DRILL", "1000.00", "2", "1900.00", ["100.00"]),
                     ("PIPE", "PIPE", "333.33", "3", "949.99", ["50.00"])]
    req = requisites(doc)
    assert req["Статус заказа"] == "Подтвержден" and req["Заказ оплачен"] == "false"
    assert req["Отменен"] == "false" and req["Оплачено бонусами"] == "0.00"
    assert "Дата оплаты" not in req

    # Asked again before success: the same document again; an order confirmed meanwhile joins it.
    second = confirmed(office, (("VALVE", 1),))
    again = documents(parse(onec.call("sale", "query")))
    assert sorted(again) == ["M-000001", "M-000002"]
    third = confirmed(office, (("PENNY", 5),))  # after the last query: not confirmed by this success
    assert onec.call("sale", "success").lines == ["success", "2 events confirmed"]
    assert pending_keys() == [f"1c:order:{third.id}:confirmed"]
    assert db.session.scalar(db.select(OnecOrderQuery).order_by(OnecOrderQuery.id.desc())).confirmed_at is not None

    # The next exchange gets only what is new.
    start(onec)
    assert sorted(documents(parse(onec.call("sale", "query")))) == ["M-000003"]
    onec.call("sale", "success")
    assert pending_keys() == []
    assert documents(parse(onec.call("sale", "query"))) == {}

    # 1C reports the first order paid and shipped, and an order the portal does not know.
    answer = send_status(onec, fixture_bytes("orders_from_1c.xml"))
    assert answer.lines == ["success", "M-000001: paid; completed", "M-999999: no such order in the portal, ignored"]
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status is OrderStatus.COMPLETED and order.received == 2_849_99
    assert [(p.method, p.amount) for p in order.payments] == [(PaymentMethod.BANK_TRANSFER, 2_849_99)]
    assert order.accrual > 0  # the bonus accrued as on any payment
    # Sent twice (1C repeats a file it got no answer for): nothing more happens.
    assert send_status(onec, fixture_bytes("orders_from_1c.xml")).lines[1] \
        == "M-000001: already paid; already completed"
    assert db.session.get(Order, order.id).received == 2_849_99

    # The payment itself goes back to 1C as the order's new state.
    (paid_doc,) = documents(parse(onec.call("sale", "query"))).values()
    req = requisites(paid_doc)
    assert (req["Статус заказа"], req["Заказ оплачен"], req["Метод оплаты"]) == (
        "Выполнен", "true", "Безналичный расчет")
    from portal.clock import local_zone
    assert req["Дата оплаты"] == order.paid_at.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M:%S")
    onec.call("sale", "success")
    assert second.number == "M-000002"


def test_returns_and_approved_client_changes_go_to_1c(onec, office):
    order = confirmed(office)
    start(onec)
    onec.call("sale", "query")
    onec.call("sale", "success")
    send_status(onec, fixture_bytes("orders_from_1c.xml"))  # paid and completed
    onec.call("sale", "query")
    onec.call("sale", "success")

    ret = returns.return_goods(order.id, [returns.ReturnRequest(qty=1, sku="DRILL")], key="test:return:1",
                               reason="Не подошёл")
    changes.apply_change(office.boss, office.client.id, ClientChange(
        kind=ClientKind.LEGAL_ENTITY.value, name="ООО «Ромашка»", tax_id="7707083893", discount_bp=750,
        credit_limit=20_000_00, deferral_days=30))
    root = parse(onec.call("sale", "query"))
    docs = documents(root)
    back = docs[f"M-000001-R{ret.id}"]
    assert back.findtext("ХозОперация") == "Возврат товара"
    assert back.findtext("Сумма") == "950.00"  # one of two drills: half of the line's 1 900.00
    (line,) = back.findall("Товары/Товар")
    assert [line.findtext(t) for t in ("Артикул", "Количество", "Сумма")] == ["DRILL", "1", "950.00"]
    req = requisites(back)
    assert req["Номер заказа"] == "M-000001" and req["Причина возврата"] == "Не подошёл"
    assert req["Возвращено деньгами"] == f"{ret.refund_total // 100}.{ret.refund_total % 100:02d}"
    (card,) = root.findall("Контрагенты/Контрагент")
    assert card.findtext("ИНН") == "7707083893"
    terms = requisites(card)
    assert (terms["Скидка, %"], terms["Кредитный лимит"], terms["Отсрочка, дней"]) == ("7.50", "20000.00", "30")
    onec.call("sale", "success")
    assert pending_keys() == []


def test_a_windows_1251_orders_document_declares_its_encoding(onec, onec_app, office):
    onec_app.config["ONEC_ENCODING"] = "windows-1251"
    confirmed(office)
    start(onec)
    answer = onec.call("sale", "query")
    assert answer.encoding == "windows-1251"
    assert answer.body.startswith(b'<?xml version="1.0" encoding="windows-1251"?>')
    assert "ООО «Ромашка»".encode("cp1251") in answer.body
    root = ET.fromstring(answer.body)
    assert root.find("Документ/Контрагенты/Контрагент/Наименование").text == "ООО «Ромашка»"
    assert onec.call("sale", "success").body == "success\n1 events confirmed".encode("cp1251")


def test_a_cancellation_from_1c_goes_through_the_orders_service(onec, office):
    order = confirmed(office)
    start(onec)
    cancel = fixture_bytes("orders_from_1c.xml").replace(
        "<Наименование>ПометкаУдаления</Наименование>\n\t\t\t\t<Значение>false".encode(),
        "<Наименование>ПометкаУдаления</Наименование>\n\t\t\t\t<Значение>true".encode())
    answer = send_status(onec, cancel)
    assert answer.lines[1] == "M-000001: cancelled"
    db.session.expire_all()
    assert db.session.get(Order, order.id).status is OrderStatus.CANCELLED


def test_a_broken_status_file_is_a_failure_and_changes_nothing(onec, office):
    order = confirmed(office)
    start(onec)
    answer = send_status(onec, fixture_bytes("bad.xml"))
    assert answer.lines == ["failure", "the orders file is not well-formed XML (line 22, column 28)"]
    assert db.session.get(Order, order.id).status is OrderStatus.CONFIRMED


def test_the_sale_exchange_needs_the_password_too(onec):
    assert onec.checkauth("sale", password="nope").status == 401
    assert onec.call("sale", "query").status == 401
    assert onec.call("sale", "success").status == 401


def test_a_status_file_larger_than_the_limit_comes_in_parts_and_may_be_zipped(onec, office):
    import io
    import zipfile
    order = confirmed(office)
    start(onec)
    data = fixture_bytes("orders_from_1c.xml")
    assert len(data) > 2048
    first = onec.call("sale", "file", filename="orders-1c.xml", data=data[:2048])
    assert first.lines == ["success"]  # a full part: the rest follows, nothing applied yet
    assert db.session.get(Order, order.id).status is OrderStatus.CONFIRMED
    last = onec.call("sale", "file", filename="orders-1c.xml", data=data[2048:])
    assert last.lines[1] == "M-000001: paid; completed"

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("orders-1c.xml", data)
    assert len(archive.getvalue()) < 2048
    zipped = onec.call("sale", "file", filename="orders.zip", data=archive.getvalue())
    assert zipped.lines[1] == "M-000001: already paid; already completed"
    # Newer 1C versions ask for the uploaded file to be processed: it already was.
    assert onec.call("sale", "import", filename="orders.zip").lines == ["success"]

"""Every sale goes to 1C (SPEC §6, issue 15): a till sale, a web-shop order through the API and a
manager's order (once confirmed, again when paid) each appear in the next `mode=query` document
exactly once, with the VAT of each line and exact amounts; after `success` not again; a return goes
as a return document linked to its sale with the VAT it takes back. Every document here also
passes tests/integration/onec/document_check (tests/conftest.py wraps the builder).

Amounts (PORTAL_VAT_RATE 20; prices include VAT; VAT = money after discounts × r / (100 + r),
half-up per line; bonus is a payment and does not lower it):
    till: DRILL 1 200.00 (20 %) + BOOK 2 × 110.00 (10 %) = 1 420.00; VAT 200.00 + 20.00 = 220.00;
          500.00 by card, 920.00 in cash; one BOOK back: 110.00 with 10.00 of VAT.
    web:  DRILL 1 200.00 − 5 % (60.00) = 1 140.00, 100.00 of it in bonus; VAT 190.00.
    manager (STANDARD, 5 %): DRILL 2 × 1 000.00 − 100.00 = 1 900.00 → VAT 316.67;
          PIPE 3 × 333.33 − 50.00 = 949.99 → VAT 158.33; 2 849.99 with 475.00 of VAT.
"""
from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import Order, OutboxEvent, PaymentMethod
from portal.services.clients import bonus as bonus_service
from portal.services.orders import payments
from portal.services.sales import returns, shifts, till

from ...factories import make_client, make_location, make_product, make_staff
from ..api.conftest import Api, create_key
from ..services.test_manager_orders import confirmed
from .test_sale_exchange import documents, parse, pending_keys, requisites, start


@pytest.fixture
def vat_20(ctx):
    ctx.config["PORTAL_VAT_RATE"] = "20"
    return ctx


@pytest.fixture
def desk(vat_20, onec):
    """A shop SH1 with an open shift, DRILL 1 200.00 at the company's 20 %, BOOK 110.00 at 10 %."""
    shop = make_location("shop", code="SH1")
    cashier = make_staff("cashier", shop=shop)
    drill = make_product("DRILL", 1_200_00, stock={shop: 10})
    drill.onec_id = "b2000000-0000-0000-0000-0000000000d1#c3000000-0000-0000-0000-0000000000e1"
    drill.unit = "пар"  # a size of a pair of boots, as 1C sends it
    book = make_product("BOOK", 110_00, stock={shop: 10})
    book.vat_rate = "10"
    db.session.commit()
    shifts.open_shift(cashier, 1_000_00)
    return {"shop": shop, "cashier": cashier, "drill": drill, "book": book}


def till_sale(desk, *, card: int, cash: int):
    cashier = desk["cashier"]
    till.scan(cashier, "DRILL")
    till.set_quantity(cashier, desk["book"].id, 2)
    version = till.view(cashier).cart.version
    return till.checkout(cashier, card=card, cash_tendered=cash, version=version).order, version


def goods(doc) -> list[tuple]:
    return [(g.findtext("Ид"), g.findtext("ЦенаЗаЕдиницу"), g.findtext("Количество"), g.findtext("Сумма"),
             g.findtext("СтавкиНалогов/СтавкаНалога/Ставка"), g.findtext("Налоги/Налог/Сумма"),
             g.findtext("Скидки/Скидка/Сумма"))
            for g in doc.findall("Товары/Товар")]


def vat_of(doc) -> tuple[str | None, str | None]:
    return doc.findtext("Налоги/Налог/Сумма"), doc.findtext("Налоги/Налог/Ставка")


def events_of(order_id: int) -> list[str]:
    return list(db.session.scalars(db.select(OutboxEvent.key).where(
        OutboxEvent.key.like(f"1c:order:{order_id}:%")).order_by(OutboxEvent.id)))


def test_a_till_sale_goes_to_1c_once_with_vat_payments_and_its_shop(desk, onec):
    order, version = till_sale(desk, card=500_00, cash=920_00)
    again = till.checkout(desk["cashier"], card=500_00, cash_tendered=920_00, version=version).order
    assert again.id == order.id  # the same checkout sent twice is one sale ...
    assert events_of(order.id) == [f"1c:order:{order.id}:paid"]  # ... and one event, written with it

    start(onec)
    root = parse(onec.call("sale", "query"))
    (doc,) = documents(root).values()
    assert [doc.findtext(t) for t in ("Номер", "ХозОперация", "Сумма")] == [order.number, "Заказ товара", "1420.00"]
    assert order.number.startswith("S-")
    buyer = doc.find("Контрагенты/Контрагент")
    assert [child.tag for child in buyer] == ["Ид", "Наименование", "ПолноеНаименование", "Роль"]
    assert buyer.findtext("Наименование") == "Розничный покупатель"
    assert goods(doc) == [
        ("b2000000-0000-0000-0000-0000000000d1#c3000000-0000-0000-0000-0000000000e1", "1200.00", "1", "1200.00", "20",
         "200.00", None),
        ("BOOK", "110.00", "2", "220.00", "10", "20.00", None)]
    assert vat_of(doc) == ("220.00", None)  # two rates: the total, each line keeps its rate
    units = [(g.findtext("БазоваяЕдиница"), g.find("БазоваяЕдиница").get("Код")) for g in doc.findall("Товары/Товар")]
    assert units == [("пар", "715"), ("шт", "796")]
    req = requisites(doc)
    assert (req["Статус заказа"], req["Заказ оплачен"], req["Склад"]) == ("Выполнен", "true", "SH1")
    assert req["Метод оплаты"] == "Банковская карта, Наличные"
    assert (req["Оплачено картой"], req["Оплачено наличными"], req["Оплачено бонусами"]) == (
        "500.00", "920.00", "0.00")

    # A sale made after the query waits for the next one.
    later, _ = till_sale(desk, card=0, cash=1_420_00)
    assert onec.call("sale", "success").lines == ["success", "1 events confirmed"]
    assert pending_keys() == [f"1c:order:{later.id}:paid"]
    (doc,) = documents(parse(onec.call("sale", "query"))).values()
    assert doc.findtext("Номер") == later.number and requisites(doc)["Метод оплаты"] == "Наличные"
    onec.call("sale", "success")
    assert documents(parse(onec.call("sale", "query"))) == {}


def test_a_return_goes_to_1c_as_a_return_document_with_the_vat_it_takes_back(desk, onec):
    order, _ = till_sale(desk, card=1_420_00, cash=0)
    start(onec)
    onec.call("sale", "query")
    onec.call("sale", "success")

    ret = returns.return_goods(order.id, [returns.ReturnRequest(qty=1, sku="BOOK")], key="test:1c:return",
                               reason="Не подошла")
    assert [part.vat for part in ret.lines] == [10_00]
    (doc,) = documents(parse(onec.call("sale", "query"))).values()  # the return alone: the sale went already
    assert [doc.findtext(t) for t in ("Номер", "ХозОперация", "Сумма")] == [
        f"{order.number}-R{ret.id}", "Возврат товара", "110.00"]
    assert goods(doc) == [("BOOK", "110.00", "1", "110.00", "10", "10.00", None)]
    assert vat_of(doc) == ("10.00", "10")
    req = requisites(doc)
    assert (req["Номер заказа"], req["Возвращено деньгами"], req["Склад"]) == (order.number, "110.00", "SH1")
    onec.call("sale", "success")
    assert pending_keys() == []


def test_a_web_shop_order_through_the_api_goes_to_1c_once(vat_20, onec, client, runner):
    warehouse = make_location("warehouse", code="MAIN", is_main=True)
    make_product("DRILL", 1_200_00, stock={warehouse: 10})
    buyer = make_client(name="Вера Покупатель", phone="+79161112233", discount_bp=500)
    bonus_service.adjust(make_staff("supervisor"), buyer.id, 500_00, "gift", "test:1c:web:gift")
    db.session.commit()
    api = Api(client, create_key(runner))
    body = {"external_id": "oc-1001", "client_id": buyer.id, "lines": [{"sku": "DRILL", "qty": 1}],
            "bonus_to_redeem": "100.00", "payment_method": "online"}
    first = api.post("/orders", body, key="web-1")
    assert first.status_code == 201, first.get_data(as_text=True)
    assert api.post("/orders", body, key="web-1").get_json()["id"] == first.get_json()["id"]  # a replay
    order = db.session.get(Order, first.get_json()["id"])
    assert (order.lines[0].discount, order.lines[0].bonus, order.lines[0].paid, order.lines[0].vat) == (
        60_00, 100_00, 1_040_00, 190_00)
    assert events_of(order.id) == [f"1c:order:{order.id}:paid"]

    start(onec)
    (doc,) = documents(parse(onec.call("sale", "query"))).values()
    assert [doc.findtext(t) for t in ("Номер", "Сумма")] == [order.number, "1140.00"]
    buyer_elem = doc.find("Контрагенты/Контрагент")
    assert [buyer_elem.findtext(t) for t in ("ПолноеНаименование", "Контакты/Контакт/Тип", "Роль")] == [
        "Вера Покупатель", "Телефон мобильный", "Покупатель"]
    # VAT of the money after the discount; the bonus is a payment, so Сумма keeps it.
    assert goods(doc) == [("DRILL", "1200.00", "1", "1140.00", "20", "190.00", "60.00")]
    assert doc.findtext("Товары/Товар/Скидки/Скидка/Процент") == "5.00"
    assert requisites(doc.find("Товары/Товар"))["Оплачено бонусами"] == "100.00"
    assert vat_of(doc) == ("190.00", "20")
    req = requisites(doc)
    assert (req["Метод оплаты"], req["Оплачено на сайте"], req["Оплачено бонусами"], req["Склад"]) == (
        "Оплата на сайте, Бонусы", "1040.00", "100.00", "MAIN")
    onec.call("sale", "success")
    assert documents(parse(onec.call("sale", "query"))) == {}


def test_a_manager_order_goes_to_1c_when_confirmed_and_again_when_paid(vat_20, onec, office):
    order = confirmed(office)
    assert events_of(order.id) == [f"1c:order:{order.id}:confirmed"]
    start(onec)
    (doc,) = documents(parse(onec.call("sale", "query"))).values()
    assert doc.findtext("Сумма") == "2849.99"
    assert [(g[3], g[4], g[5]) for g in goods(doc)] == [("1900.00", "20", "316.67"), ("949.99", "20", "158.33")]
    assert vat_of(doc) == ("475.00", "20")
    assert (requisites(doc)["Статус заказа"], requisites(doc)["Заказ оплачен"]) == ("Подтвержден", "false")
    onec.call("sale", "success")

    payments.record_payment(office.manager, order.id, PaymentMethod.CARD, 2_849_99, expected_outstanding=2_849_99)
    assert events_of(order.id) == [f"1c:order:{order.id}:confirmed", f"1c:order:{order.id}:paid"]
    (doc,) = documents(parse(onec.call("sale", "query"))).values()
    assert doc.findtext("Номер") == order.number and vat_of(doc) == ("475.00", "20")
    req = requisites(doc)
    assert (req["Статус заказа"], req["Заказ оплачен"], req["Метод оплаты"], req["Оплачено картой"]) == (
        "Оплачен", "true", "Банковская карта", "2849.99")
    onec.call("sale", "success")
    assert documents(parse(onec.call("sale", "query"))) == {}

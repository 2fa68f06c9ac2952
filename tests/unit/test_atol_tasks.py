"""ATOL's JSON tasks from plain values: exact roubles from minor units, written without floats."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from portal.integrations.atol import client, tasks


def test_minor_units_become_exact_roubles_and_are_written_as_their_decimal_text():
    assert [tasks.roubles(n) for n in (1, 10, 99_99, 1_234_56, 10**15 + 1)] == [
        Decimal("0.01"), Decimal("0.10"), Decimal("99.99"), Decimal("1234.56"), Decimal("10000000000000.01")]
    body = tasks.request_body("u-1", tasks.cash_task(tasks.CASH_IN, "Анна", 10**15 + 1))
    assert body.decode() == ('{"uuid": "u-1", "request": [{"type": "cashIn", "operator": {"name": "Анна"}, '
                             '"cashSum": 10000000000000.01}]}')
    assert json.loads(body, parse_float=Decimal)["request"][0]["cashSum"] == Decimal("10000000000000.01")
    with pytest.raises(TypeError):
        tasks.roubles(1.5)
    with pytest.raises(TypeError):
        tasks.dumps({"sum": 0.1})


def test_a_receipt_task_names_each_line_with_its_vat_and_payments_that_add_up():
    receipt = tasks.Receipt(tasks.SELL, "Anna", [tasks.Line("Tea", 33_33, 3, 99_99, "10", 9_09),
                                                 tasks.Line("Book", 50_00, 1, 45_00, "none", 0)],
                            [(tasks.CASH, 44_99), (tasks.ELECTRONICALLY, 100_00)], "anna@example.com", "osn")
    task = tasks.receipt_task(receipt)
    assert task["taxationType"] == "osn" and task["clientInfo"] == {"emailOrPhone": "anna@example.com"}
    assert task["items"][1] == {"type": "position", "name": "Book", "price": Decimal("50.00"), "quantity": 1,
                                "amount": Decimal("45.00"), "paymentMethod": "fullPayment",
                                "paymentObject": "commodity", "tax": {"type": "none", "sum": Decimal("0.00")}}
    assert task["total"] == Decimal("144.99")
    with pytest.raises(tasks.TaskError, match="do not add up"):
        tasks.receipt_task(tasks.Receipt(tasks.SELL, "Anna", receipt.lines, [(tasks.CASH, 1)]))
    with pytest.raises(tasks.TaskError, match="no VAT rate '18'"):
        tasks.receipt_task(tasks.Receipt(tasks.SELL, "Anna", [tasks.Line("Old", 1, 1, 1, "18", 0)],
                                         [(tasks.CASH, 1)]))
    assert [tasks.tax_type(rate) for rate in ("20", "10", "0", "none", "22")] == [
        "vat20", "vat10", "vat0", "none", "vat22"]


def test_a_result_is_read_as_the_register_wrote_it():
    done = client.parse_result({"status": "ready", "errorCode": 0, "result": {"fiscalParams": {
        "fnNumber": "9999078900000961", "fiscalDocumentNumber": 71, "fiscalDocumentSign": 1494325660,
        "fiscalReceiptNumber": 1, "shiftNumber": 12, "fiscalDocumentDateTime": "2018-03-06T13:52:00+03:00",
        "total": Decimal("390.75")}}})
    assert done.done and done.fiscal.fiscal_sign == "1494325660" and done.fiscal.total == Decimal("390.75")
    refused = client.parse_result({"status": "error", "errorCode": 44, "errorDescription": "Нет бумаги"})
    assert refused.refused and not refused.done and refused.error_code == 44
    assert not client.parse_result({"status": "inProgress"}).done


def test_the_receipts_qr_text_is_the_fns_format():
    from datetime import datetime, timedelta, timezone

    from portal.services.fiscal.registration import qr_text
    stamped = datetime(2026, 12, 8, 9, 5, 59, tzinfo=timezone(timedelta(hours=3)))  # the register's local time
    assert qr_text(stamped, Decimal("1434.5"), "9999078900000961", 102, "3000807738", 1) == (
        "t=20261208T0905&s=1434.50&fn=9999078900000961&i=102&fp=3000807738&n=1")
    assert qr_text(stamped, "99.99", "1", 1, "2", 2).endswith("&s=99.99&fn=1&i=1&fp=2&n=2")


def test_an_unknown_fiscal_backend_stops_the_start():
    from portal import create_app
    with pytest.raises(RuntimeError, match="FISCAL_BACKEND must be one of none, file, atol"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "FISCAL_BACKEND": "atoll"})

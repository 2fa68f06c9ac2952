"""The manager's overview: orders waiting for someone's action and the debt of the clients, in SQL."""
from __future__ import annotations

from datetime import timedelta

from portal.models import OrderStatus, PaymentTerms, utcnow
from portal.services.orders import payments
from portal.services.orders.order_list import orders_at_a_glance

from .test_manager_orders import confirmed, new_order, office, submitted  # noqa: F401


def test_counts_by_state_and_debt_open_and_overdue(office):
    new_order(office)                                                    # draft
    submitted(office, [("DRILL", 1)])                                   # awaiting confirmation
    submitted(office, [("DRILL", 1, 900)])                              # awaiting approval (9 % > 5 %)
    long_ago = utcnow() - timedelta(days=30)                            # due 14 days later: overdue
    late = confirmed(office, [("DRILL", 1)], payment_terms=PaymentTerms.DEFERRED, now=long_ago)
    payments.record_payment(office.manager, late.id, payments.PaymentMethod.CARD, 100_00,
                                  expected_outstanding=late.outstanding)
    fresh = confirmed(office, [("PIPE", 1)], payment_terms=PaymentTerms.DEFERRED)
    confirmed(office, [("PIPE", 1)])                                    # prepaid: waits, owes nothing

    glance = orders_at_a_glance(office.manager)
    assert glance.by_status[OrderStatus.DRAFT] == 1
    assert glance.by_status[OrderStatus.AWAITING_APPROVAL] == 1
    assert glance.by_status[OrderStatus.AWAITING_CONFIRMATION] == 1
    assert glance.by_status[OrderStatus.CONFIRMED] == 3
    assert glance.by_status[OrderStatus.PAID] == 0
    assert glance.debt_overdue == late.paid - 100_00 == 850_00      # 950.00 less the 100.00 received
    assert glance.debt_open == glance.debt_overdue + fresh.paid

    # The same figures for the supervisor of the team; nothing for another team's manager.
    assert orders_at_a_glance(office.boss).debt_open == glance.debt_open
    stranger = orders_at_a_glance(office.stranger)
    assert sum(stranger.by_status.values()) == 0 and stranger.debt_open == 0


def test_web_shop_orders_of_the_clients_are_not_waiting_for_the_manager(office):
    from portal.models import Channel
    from portal.services.sales import sales
    sales.place_paid_order(sales.Sale(channel=Channel.WEB, lines=[sales.SaleLine(qty=1, sku="DRILL")],
                                      location_id=office.warehouse.id, client_id=office.client.id))
    assert orders_at_a_glance(office.manager).by_status[OrderStatus.PAID] == 0

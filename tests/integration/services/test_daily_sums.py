"""The statistics' daily sums (portal/daily_sums.py): kept by the writers, moved with the client,
equal to a fresh computation from the rows, and made again by `flask statistics rebuild`."""
from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from portal import daily_sums
from portal.extensions import db
from portal.models import Client, User
from portal.services.clients import assignment

from .test_statistics import build_history, run, table


def _differences() -> dict:
    found = daily_sums.differences(db.session.connection())
    db.session.rollback()
    return found


def _rows(name: str) -> list[tuple]:
    return [tuple(r) for r in db.session.execute(sa.text(f"SELECT * FROM {name} ORDER BY 1, 2, 3")).all()]


def test_local_days_of_stored_moments_follow_the_zone():
    assert daily_sums.sqlite_local_day("2026-02-28 20:59:00", "Europe/Moscow") == "2026-02-28"
    assert daily_sums.sqlite_local_day("2026-02-28 21:01:00.000001", "Europe/Moscow") == "2026-03-01"
    assert daily_sums.sqlite_local_month("2026-02-28 21:01:00", "Europe/Moscow") == "2026-03-01"
    # Kyiv after the change to summer time (UTC+3): 21:30 UTC is 00:30 the next day.
    assert daily_sums.sqlite_local_day("2026-03-29 21:30:00", "Europe/Kyiv") == "2026-03-30"
    assert daily_sums.sqlite_local_day(None, "Europe/Moscow") is None


def test_the_writers_keep_the_sums_equal_to_the_rows(ctx, tmp_path):
    build_history(ctx, str(tmp_path / "sms.jsonl"))
    assert _differences() == dict.fromkeys(daily_sums.TABLES, 0)
    kept = {t: _rows(t) for t in daily_sums.TABLES}
    assert all(kept.values())
    # March's money by day, as the sales service wrote it: S2 (1 Mar, 00:01 Moscow) is March's.
    march_first = db.session.execute(sa.text(
        "SELECT sum(orders), sum(sales) FROM stat_sales_days WHERE day = :d"), {"d": date(2026, 3, 1)}).one()
    assert tuple(march_first) == (1, 1_099_99)
    daily_sums.rebuild(db.session.connection())
    db.session.commit()
    assert {t: _rows(t) for t in daily_sums.TABLES} == kept


def test_a_reassigned_client_takes_its_sums_to_the_new_manager(ctx, tmp_path):
    h = build_history(ctx, str(tmp_path / "sms.jsonl"))
    romashka = h.clients["romashka"]
    assignment.assign_manager(db.session.get(User, h.boss.id), romashka.id, h.m2.id)
    # S3, Romashka's till sale (1 249.97, 99.99 of it returned by R2), is now Nina's; M5 and M1
    # stay Mark's: he placed them.
    assert table(run("sales_by_manager", h.boss), "manager", "orders", "sales", "returns") == [
        ("Mark One", 3, 3_949_99, 1_000_00), ("Nina Two", 2, 1_349_96, 99_99)]
    assert _differences() == dict.fromkeys(daily_sums.TABLES, 0)


def test_a_client_moved_to_another_team_takes_its_bonus_and_sales_there(ctx, tmp_path):
    h = build_history(ctx, str(tmp_path / "sms.jsonl"))
    before_ours = run("bonus_programme", h.boss, compare=False).totals
    before_theirs = run("bonus_programme", h.other_boss, compare=False).totals
    client = db.session.get(Client, h.clients["romashka"].id)
    client.manager_id = h.m3.id  # whatever service does it, the flush moves the sums
    db.session.commit()
    ours = run("bonus_programme", h.boss, compare=False).totals
    theirs = run("bonus_programme", h.other_boss, compare=False).totals
    for key in ("accrued", "released", "redeemed", "expired", "adjusted", "outstanding"):
        assert ours[key] + theirs[key] == before_ours[key] + before_theirs[key], key
    assert theirs["adjusted"] == 40_00 and ours["adjusted"] == 25_00  # the OpenCart import went with it
    # Romashka's orders are now the other team's too, Petr's figures: S3 (the till sale), and M5
    # and M1, which Mark placed (he is no one in that team); beside Gamma's S6.
    assert table(run("sales_by_manager", h.other_boss), "manager", "orders", "sales", "returns") == [
        ("Petr Three", 4, 5_099_97, 99_99)]
    # Mark keeps the orders he placed.
    assert table(run("sales_by_manager", h.boss), "manager", "orders", "sales") == [
        ("Mark One", 3, 3_949_99), ("Nina Two", 1, 99_99)]
    assert _differences() == dict.fromkeys(daily_sums.TABLES, 0)


def test_flask_statistics_verify_finds_a_wrong_sum_and_rebuild_mends_it(app, tmp_path):
    with app.app_context():
        build_history(app, str(tmp_path / "sms.jsonl"))
        db.session.execute(sa.text("UPDATE stat_goods_days SET sales = sales + 1 WHERE product_id = "
                                   "(SELECT min(product_id) FROM stat_goods_days)"))
        db.session.commit()
    runner = app.test_cli_runner()
    found = runner.invoke(args=["statistics", "verify"])
    assert found.exit_code == 1
    # each changed row differs both ways (the kept one is not computed, the computed one is not kept)
    assert re.search(r"^stat_goods_days: [1-9]\d* rows differ$", found.output, re.M)
    assert "stat_sales_days: OK" in found.output and "stat_bonus_days: OK" in found.output
    rebuilt = runner.invoke(args=["statistics", "rebuild"])
    assert rebuilt.exit_code == 0 and "rebuilt: stat_sales_days" in rebuilt.output
    again = runner.invoke(args=["statistics", "verify"])
    assert again.exit_code == 0 and "daily sums OK" in again.output

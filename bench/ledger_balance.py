#!/usr/bin/env python
"""Is reading a bonus balance O(1) whatever the history length? (SPEC §5, materialised balances)

Builds a database from the migrations (a temporary SQLite file by default, or the database named
by --database-url, which should be fresh and empty), then through the real ledger writer
(`portal.ledger`, committing every ~1000 operations):

- a "long" client with --entries ledger entries (default 100 000);
- a "short" client with 10 entries;

and times, for each, many reads (default 2000, the median is reported) of

- `bonus_of(client_id)`: what every screen shows (balance row + pending tranches + expiring in 30 days);
- the balance row alone (`find_client_account(client_id)` -> available, pending).

It prints both medians, their ratio (≈1 means the read does not depend on the history) and the
entry and lot counts. `--shape` chooses how the long history is made:

- `topups` (default): one supervisor top-up (`adjust`, +) per 1000 operations and small
  redemptions (`redeem`) for the rest: many entries, few lots (one lot per top-up);
- `alternating`: `adjust(+)` / `redeem` of the same amount alternately: one lot per two entries,
  every lot spent (remaining 0) but still in the table: the history of a client who bought
  often and always spent it. Slower to build (each operation's settle looks at the lots).

    .venv/bin/python bench/ledger_balance.py
    .venv/bin/python bench/ledger_balance.py --shape alternating --entries 20000
    .venv/bin/python bench/ledger_balance.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/<fresh db>

Not collected by pytest.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("SECRET_KEY", "bench-ledger-balance")  # no key file written for a throwaway run

import sqlalchemy as sa  # noqa: E402

BATCH = 1000
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


def log(message: str) -> None:
    print(message, flush=True)


def build_app(url: str):
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SMS_BACKEND": "file",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return app


def make_people(tag: str):
    from portal.extensions import db
    from portal.models import Client, ClientKind
    from portal.services.staff import staff as staff_service

    boss, _ = staff_service.create_staff(None, staff_service.StaffInput(
        email=f"bench-boss-{tag}@example.com", name="Bench Supervisor", role="supervisor"), password="bench-password-1")
    long_client = Client(kind=ClientKind.PRIVATE_PERSON, name=f"Bench long history {tag}")
    short_client = Client(kind=ClientKind.PRIVATE_PERSON, name=f"Bench short history {tag}")
    db.session.add_all([long_client, short_client])
    db.session.commit()
    return boss.id, long_client.id, short_client.id


def entries_of(client_id: int) -> int:
    from portal import ledger
    account = ledger.find_client_account(client_id)
    return account.entries_count if account else 0


def lots_of(client_id: int) -> tuple[int, int]:
    """(all lots, lots with something left)."""
    from portal import ledger
    from portal.extensions import db
    from portal.models import BonusLot
    account = ledger.find_client_account(client_id)
    total = db.session.scalar(sa.select(sa.func.count(BonusLot.id)).where(BonusLot.account_id == account.id))
    open_ = db.session.scalar(sa.select(sa.func.count(BonusLot.id)).where(
        BonusLot.account_id == account.id, BonusLot.remaining > 0))
    return total, open_


def fill(boss_id: int, client_id: int, entries: int, shape: str, tag: str, quiet: bool = False) -> float:
    """Write operations of one entry each until the client's account has `entries` entries."""
    from portal import ledger
    from portal.extensions import db
    from portal.models import User

    started = time.perf_counter()
    now = START
    n = 0
    while entries_of(client_id) < entries:
        left = entries - entries_of(client_id)
        boss = db.session.get(User, boss_id)
        for _ in range(min(BATCH, left)):
            now += timedelta(seconds=30)
            if shape == "alternating":
                if n % 2 == 0:
                    ledger.adjust(boss, client_id, 1_00, "bench top-up", f"bench:{tag}:{client_id}:{n}", now=now)
                else:
                    ledger.redeem(client_id, 1_00, f"bench:{tag}:{client_id}:{n}", now=now)
            else:  # topups: a top-up that covers the next BATCH - 1 redemptions of 0.01
                if n % BATCH == 0:
                    ledger.adjust(boss, client_id, BATCH, "bench top-up", f"bench:{tag}:{client_id}:{n}", now=now)
                else:
                    ledger.redeem(client_id, 1, f"bench:{tag}:{client_id}:{n}", now=now)
            n += 1
        db.session.commit()
        db.session.expunge_all()
        if not quiet:
            done = entries_of(client_id)
            rate = done / (time.perf_counter() - started)
            log(f"  {done:>7} entries  ({rate:,.0f} entries/s)")
    return time.perf_counter() - started


def time_reads(client_id: int, reads: int) -> tuple[float, float, float, float]:
    """Median and 95th percentile, in µs, of bonus_of() and of the balance row alone."""
    from portal import ledger
    from portal.extensions import db

    for _ in range(50):  # warm-up
        ledger.bonus_of(client_id)
    full, row = [], []
    for _ in range(reads):
        t0 = time.perf_counter_ns()
        bonus = ledger.bonus_of(client_id)
        t1 = time.perf_counter_ns()
        account = ledger.find_client_account(client_id)
        t2 = time.perf_counter_ns()
        full.append((t1 - t0) / 1000)
        row.append((t2 - t1) / 1000)
        assert bonus.available == account.available
    db.session.rollback()

    def p95(values):
        return statistics.quantiles(values, n=20)[-1]
    return statistics.median(full), p95(full), statistics.median(row), p95(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="a fresh, empty database (default: a temporary SQLite file)")
    parser.add_argument("--entries", type=int, default=100_000, help="ledger entries of the long client")
    parser.add_argument("--reads", type=int, default=2000, help="timed reads per client")
    parser.add_argument("--shape", choices=["topups", "alternating"], default="topups")
    args = parser.parse_args()

    temp = None
    url = args.database_url
    if not url:
        temp = tempfile.mkdtemp(prefix="portal-bench-")
        url = "sqlite:///" + str(Path(temp) / "ledger-balance.sqlite3")
    shown = sa.make_url(url).render_as_string(hide_password=True)
    log(f"database: {shown}")
    try:
        app = build_app(url)
        from portal import ledger
        from portal.extensions import db
        with app.app_context():
            tag = f"{int(time.time())}"
            boss, long_id, short_id = make_people(tag)
            log(f"building the long history ({args.entries} entries, shape {args.shape}) ...")
            took = fill(boss, long_id, args.entries, args.shape, tag)
            log(f"built in {took:.1f} s")
            fill(boss, short_id, 10, args.shape, tag, quiet=True)
            check = ledger.verify()
            log(f"verify: {check.summary()}")
            counts = {name: (entries_of(cid), *lots_of(cid)) for name, cid in (("long", long_id), ("short", short_id))}
            results = {}
            for name, cid in (("long", long_id), ("short", short_id)):
                results[name] = time_reads(cid, args.reads)
            # Once more in the other order, in case the first timed loop paid for warming caches.
            for name, cid in (("short", short_id), ("long", long_id)):
                again = time_reads(cid, args.reads)
                results[name] = tuple(min(a, b) for a, b in zip(results[name], again))
            db.session.remove()
            db.engine.dispose()
        log("")
        log(f"{sa.make_url(url).get_backend_name()}: median of {args.reads} reads (best of two rounds), in µs")
        log(f"{'client':<8}{'entries':>9}{'lots':>8}{'open lots':>11}{'bonus_of':>11}{'p95':>9}"
            f"{'row only':>10}{'p95':>9}")
        for name in ("long", "short"):
            entries, lots, open_lots = counts[name]
            full, full95, row, row95 = results[name]
            log(f"{name:<8}{entries:>9}{lots:>8}{open_lots:>11}{full:>11.1f}{full95:>9.1f}{row:>10.1f}{row95:>9.1f}")
        ratio_full = results["long"][0] / results["short"][0]
        ratio_row = results["long"][2] / results["short"][2]
        log(f"ratio long/short: bonus_of {ratio_full:.2f}, balance row {ratio_row:.2f}")
        if not check.ok:
            raise SystemExit("the ledger does not verify")
    finally:
        if temp:
            for p in Path(temp).iterdir():
                p.unlink()
            Path(temp).rmdir()


if __name__ == "__main__":
    main()

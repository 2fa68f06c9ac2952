"""The bonus programme's settings. Each change is a new row; operations read the newest."""
from __future__ import annotations

from dataclasses import dataclass

from portal.extensions import db
from portal.models import BonusSettings


@dataclass(frozen=True)
class Programme:
    accrual_rate_bp: int = 500       # 5 % of money paid
    hold_days: int = 14              # pending for the return window
    max_redeem_share_bp: int = 3000  # at most 30 % of an order's total after discounts
    expiry_days: int = 365           # a released lot expires this long after it became available


def current() -> Programme:
    row = db.session.scalar(db.select(BonusSettings).order_by(BonusSettings.id.desc()).limit(1))
    if row is None:
        return Programme()
    return Programme(row.accrual_rate_bp, row.hold_days, row.max_redeem_share_bp, row.expiry_days)


def record(new: Programme, changed_by_id: int | None) -> BonusSettings:
    """Keep `new` as the programme from now on (a new row; the old ones stay as its history).
    Which values are allowed, and who may change them, is the caller's rule."""
    row = BonusSettings(changed_by_id=changed_by_id, **new.__dict__)
    db.session.add(row)
    db.session.flush()
    return row

"""The bonus programme's settings. Each change is a new row; operations read the newest."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import BonusSettings, User
from portal.services import audit
from portal.errors import ValidationError


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


def change(actor: User | None, **values) -> Programme:
    """Change some settings; the others stay. New values apply to new operations only."""
    old = current()
    new = Programme(**{**old.__dict__, **{k: v for k, v in values.items() if v is not None}})
    errors = {}
    if not 0 <= new.accrual_rate_bp <= 10000:
        errors["accrual_rate"] = _l("The accrual rate must be between 0 and 100 %.")
    if not 0 <= new.max_redeem_share_bp <= 10000:
        errors["max_redeem_share"] = _l("The redeemable share must be between 0 and 100 %.")
    if not 0 <= new.hold_days <= 3650:
        errors["hold_days"] = _l("Hold days must be between 0 and 3650.")
    if not 1 <= new.expiry_days <= 36500:
        errors["expiry_days"] = _l("Expiry days must be between 1 and 36500.")
    if errors:
        raise ValidationError(errors)
    if new == old:
        return old
    row = BonusSettings(changed_by_id=actor.id if actor else None, **new.__dict__)
    db.session.add(row)
    db.session.flush()
    changed = [key for key, value in new.__dict__.items() if old.__dict__[key] != value]
    # Without an actor (`flask bonus settings`) the action names the command line: "cli:bonus_settings_changed".
    audit.record(actor, "bonus_settings_changed", row, before={k: old.__dict__[k] for k in changed},
                 after={k: new.__dict__[k] for k in changed}, source=None if actor else (audit.current_source() or "cli"))
    db.session.commit()
    return new

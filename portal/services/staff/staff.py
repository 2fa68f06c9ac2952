"""Staff accounts: create, edit, deactivate, reset a password. Admin-only operations."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.config import SUPPORTED_LOCALES
from portal.errors import DomainError, NotFound, ValidationError
from portal.extensions import db
from portal.models import Location, LocationKind, Role, User, utcnow
from portal.phones import PhoneError, normalize_phone
from portal.services import audit
from portal.services.staff.auth import MIN_PASSWORD_LENGTH, generate_password, hash_password
from portal.services.transactions import operation
from portal.text import squash


@dataclass
class StaffInput:
    """What an admin may set on a staff account."""

    email: str
    name: str
    role: str
    phone: str = ""
    supervisor_id: int | None = None
    shop_id: int | None = None
    hired_on: date | None = None
    locale: str | None = None


def _snapshot(user: User) -> dict:
    return {
        "email": user.email, "name": user.name, "role": user.role.value, "phone": user.phone,
        "supervisor_id": user.supervisor_id, "shop_id": user.shop_id,
        "hired_on": user.hired_on.isoformat() if user.hired_on else None,
        "active": user.active, "locale": user.locale,
    }


def _clean(data: StaffInput, user_id: int | None) -> dict:
    errors: dict = {}
    values: dict = {}
    try:
        values["email"] = validate_email((data.email or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        errors["email"] = _l("Enter a valid e-mail address.")
    else:
        clash = db.session.scalar(db.select(User.id).where(User.email == values["email"]))
        if clash is not None and clash != user_id:
            errors["email"] = _l("Another staff member already uses this e-mail.")
    name = squash(data.name)
    if not name:
        errors["name"] = _l("Enter the full name.")
    elif len(name) > 200:
        errors["name"] = _l("The name is too long.")
    values["name"] = name
    try:
        role = Role(data.role)
    except ValueError:
        errors["role"] = _l("Choose a role.")
        role = None
    values["role"] = role
    values["phone"] = ""
    if data.phone and data.phone.strip():
        try:
            values["phone"] = normalize_phone(data.phone, current_app.config["PORTAL_COUNTRY"])
        except PhoneError as exc:
            errors["phone"] = str(exc)
    values["supervisor_id"] = None
    values["shop_id"] = None
    if role is Role.MANAGER:
        supervisor = db.session.get(User, data.supervisor_id) if data.supervisor_id else None
        if supervisor is None or supervisor.role is not Role.SUPERVISOR or not supervisor.active:
            errors["supervisor_id"] = _l("A manager belongs to an active supervisor's team: choose one.")
        else:
            values["supervisor_id"] = supervisor.id
    if role is Role.CASHIER:
        shop = db.session.get(Location, data.shop_id) if data.shop_id else None
        if shop is None or shop.kind is not LocationKind.SHOP or not shop.active:
            errors["shop_id"] = _l("A cashier works in a shop: choose an active one.")
        else:
            values["shop_id"] = shop.id
    values["hired_on"] = data.hired_on
    values["locale"] = data.locale if data.locale in SUPPORTED_LOCALES else None
    if errors:
        raise ValidationError(errors)
    return values


@operation
def create_staff(actor: User | None, data: StaffInput, password: str | None = None) -> tuple[User, str]:
    """Create a staff account. Returns the user and its password (generated when not given)."""
    values = _clean(data, None)
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError({"password": _l("The password must have at least %(n)d characters.",
                                              n=MIN_PASSWORD_LENGTH)})
    plain = password or generate_password()
    user = User(password_hash=hash_password(plain), **values)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "staff_created", user, after=_snapshot(user))
    audit.notify(user, "welcome", link="/")
    return user, plain


def get_staff(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_l("No such staff member."))
    return user


@operation
def update_staff(actor: User, user_id: int, data: StaffInput) -> User:
    user = get_staff(user_id)
    values = _clean(data, user.id)
    if user.id == actor.id and values["role"] is not user.role:
        raise ValidationError({"role": _l("You cannot change your own role.")})
    if user.role is Role.SUPERVISOR and values["role"] is not Role.SUPERVISOR and _active_team(user):
        raise ValidationError({"role": _l("Move this supervisor's managers to another team first.")})
    before = _snapshot(user)
    for key, value in values.items():
        setattr(user, key, value)
    audit.record(actor, "staff_updated", user, before=before, after=_snapshot(user))
    return user


def _active_team(user: User) -> list[User]:
    return [m for m in user.team if m.active]


@operation
def set_active(actor: User, user_id: int, active: bool) -> User:
    """Deactivate (every session of the user ends at once) or reactivate an account."""
    user = get_staff(user_id)
    if user.id == actor.id and not active:
        raise DomainError(_l("You cannot deactivate your own account."))
    if not active and user.role is Role.SUPERVISOR and _active_team(user):
        raise DomainError(_l("Move this supervisor's managers to another team first."))
    if user.active == active:
        return user
    before = _snapshot(user)
    user.active = active
    user.session_version += 1
    audit.record(actor, "staff_activated" if active else "staff_deactivated", user,
                 before=before, after=_snapshot(user))
    return user


@operation
def reset_password(actor: User, user_id: int) -> str:
    """Give the user a new random password and end their sessions. The plain password is
    returned once for the admin to pass on; only its hash is kept."""
    user = get_staff(user_id)
    plain = generate_password()

    def state() -> dict:  # never the password or its hash: only that it changed and what went with it
        return {"session_version": user.session_version, "failed_logins": user.failed_logins,
                "locked_until": user.locked_until.isoformat() if user.locked_until else None}
    before = state()
    user.password_hash = hash_password(plain)
    user.session_version += 1
    user.failed_logins = 0
    user.locked_until = None
    audit.record(actor, "password_reset", user, before=before, after={**state(), "password": "changed"})
    audit.notify(user, "password_reset", link="/", by=actor.name if actor else "")
    return plain


@operation
def set_locale(user: User, locale: str) -> None:
    if locale not in SUPPORTED_LOCALES:
        raise ValidationError({"locale": _l("Unknown language.")})
    user.locale = locale


def list_staff(role: str | None = None, query: str = "", include_inactive: bool = True) -> list[User]:
    stmt = db.select(User).order_by(User.role, User.name)
    if role:
        stmt = stmt.where(User.role == Role(role))
    if query:
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(db.or_(db.func.lower(User.name).like(like), User.email.like(like),
                                 User.phone.like(like)))
    if not include_inactive:
        stmt = stmt.where(User.active.is_(True))
    return list(db.session.scalars(stmt))


def supervisors() -> list[User]:
    return list(db.session.scalars(
        db.select(User).where(User.role == Role.SUPERVISOR, User.active.is_(True)).order_by(User.name)))


def find_by_email(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == (email or "").strip().lower()))


def locked_count() -> int:
    """How many accounts are locked out right now after failed sign-ins."""
    return db.session.scalar(db.select(db.func.count(User.id)).where(User.locked_until > utcnow())) or 0

"""The shop till: the cart a cashier rings up, and checkout through the sales service."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from portal import ledger
from portal.errors import DomainError, NotFound, ValidationError
from portal.extensions import db
from portal.models import Channel, Client, Order, PaymentMethod, Product, TillCart, User, utcnow
from portal.money import format_plain
from portal.services.clients import access
from portal.services.clients import clients as client_service
from portal.services.messaging import sms
from portal.services.sales import catalog, sales, shifts, stock
from portal.services.sales.pricing import Pricing, price_with_bonus
from portal.services.sales.stock import InsufficientStock
from portal.services.transactions import one_transaction


@dataclass
class CartLine:
    product: Product
    qty: int
    in_shop: int
    price_line: object  # PricedLine


@dataclass
class CartView:
    cart: TillCart
    lines: list[CartLine]
    client: Client | None
    pricing: Pricing
    available_bonus: int

    @property
    def max_bonus(self) -> int:
        return min(self.available_bonus, self.pricing.redeem_cap) if self.client else 0

    @property
    def to_pay(self) -> int:
        return self.pricing.paid

    @property
    def is_empty(self) -> bool:
        return not self.lines


def cart_of(cashier: User) -> TillCart:
    """The cashier's cart (an empty one is made the first time, in the caller's transaction)."""
    cart = db.session.scalar(db.select(TillCart).where(TillCart.cashier_id == cashier.id))
    if cart is None:
        cart = TillCart(cashier_id=cashier.id, lines=[], bonus=0, version=0)
        db.session.add(cart)
        db.session.flush()
    return cart


def _save(cart: TillCart, lines: list[dict] | None = None) -> None:
    if lines is not None:
        cart.lines = [dict(line) for line in lines]  # a new list, so the JSON column sees the change
    cart.version += 1
    cart.updated_at = utcnow()


def view(cashier: User) -> CartView:
    """The cart as the till shows it: lines with the shop's stock, the client with the bonus they
    have now (due bonus released first), prices. The bonus the cart holds follows what the client
    and the cart allow now (another till may have spent it)."""
    return one_transaction(lambda: _view(cashier))


def _view(cashier: User) -> CartView:
    cart = cart_of(cashier)
    ids = [line["product_id"] for line in cart.lines]
    products = {p.id: p for p in db.session.scalars(db.select(Product).where(Product.id.in_(ids)))} if ids else {}
    present = [line for line in cart.lines if line["product_id"] in products]
    client = db.session.get(Client, cart.client_id) if cart.client_id else None
    programme = ledger.settings.current()
    available = 0
    if client is not None:
        ledger.settle(client.id)
        available = ledger.bonus_of(client.id).available
    base = [(products[line["product_id"]].price, line["qty"], products[line["product_id"]].discountable)
            for line in present]

    def bonus_that_fits(without: Pricing) -> int:
        bonus = min(cart.bonus, available, without.redeem_cap) if client else 0
        if bonus != cart.bonus:  # the cart shrank or the client changed: the bonus follows
            cart.bonus = bonus
            _save(cart)
        return bonus

    pricing = price_with_bonus(base, discount_bp=client.discount_bp if client else 0, bonus=bonus_that_fits,
                               max_redeem_share_bp=programme.max_redeem_share_bp,
                               accrual_rate_bp=programme.accrual_rate_bp, accrues=client is not None)
    here = stock.at_location(ids, cashier.shop_id)
    lines = [CartLine(products[line["product_id"]], line["qty"], here.get(line["product_id"], 0), priced)
             for line, priced in zip(present, pricing.lines)]
    return CartView(cart, lines, client, pricing, available)


def find_by_code(shop_id: int, code: str) -> list[catalog.ProductChoice]:
    """A scanned barcode, or a typed SKU or Артикул (any case), with the shop's stock."""
    return catalog.find_by_code(code, shop_id)


def search(shop_id: int, query: str, limit: int = 12) -> list[catalog.ProductChoice]:
    """Products by name, SKU, Артикул or barcode, variants under their product; what the shop has first."""
    found = catalog.find_products(query, shop_id, limit)
    return sorted(found, key=lambda choice: choice.units_here <= 0)


def _set_qty(cashier: User, product: Product, qty: int) -> None:
    cart = cart_of(cashier)
    lines = [dict(line) for line in cart.lines]
    if qty > 0:
        here = stock.at_location([product.id], cashier.shop_id).get(product.id, 0)
        if qty > here:
            raise InsufficientStock(product.sku, qty, here, cashier.shop.name if cashier.shop else None)
    for line in lines:
        if line["product_id"] == product.id:
            line["qty"] = qty
            break
    else:
        lines.append({"product_id": product.id, "qty": qty})
    _save(cart, [line for line in lines if line["qty"] > 0])


def add(cashier: User, product_id: int, by: int = 1) -> Product:
    return one_transaction(lambda: _add(cashier, product_id, by))


def _add(cashier: User, product_id: int, by: int = 1) -> Product:
    product = db.session.get(Product, product_id)
    if product is None or not product.active:
        raise NotFound(_l("No such product."))
    catalog.refuse_product_with_variants(product, cashier.shop_id)
    current = next((line["qty"] for line in cart_of(cashier).lines if line["product_id"] == product.id), 0)
    _set_qty(cashier, product, max(current + by, 0))
    return product


def scan(cashier: User, code: str) -> Product | Client:
    """Add what the code names. A product sold by its variants, or an Артикул several products
    share, adds nothing: ChooseVariant offers the choices. A code that is no product but a
    client's card number (the barcode or QR code of the client's bonus page) attaches that client."""
    found = find_by_code(cashier.shop_id, code)
    if not found:
        card = (code or "").strip()[:20]
        client = db.session.scalar(db.select(Client).where(Client.card_number == card)) if card else None
        if client is not None:
            one_transaction(lambda: _set_client(cashier, client.id))
            return client
        raise NotFound(_l("No product with the barcode or SKU %(code)s.", code=(code or "").strip()[:64]))
    if len(found) > 1:
        raise catalog.ChooseVariant(_l("Several products have the code %(code)s: choose one.",
                                       code=(code or "").strip()[:64]), found)
    return one_transaction(lambda: _add(cashier, found[0].product.id))


def set_quantity(cashier: User, product_id: int, qty: int) -> None:
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound(_l("No such product."))
    if qty != 0 and (problem := sales.quantity_problem(qty)):  # 0 takes the line off the cart
        raise ValidationError({"qty": problem})
    if qty != 0:
        catalog.refuse_product_with_variants(product, cashier.shop_id)
    one_transaction(lambda: _set_qty(cashier, product, qty))


def attach_client(cashier: User, query: str) -> Client:
    """By loyalty card number, or by phone in any common notation."""
    query = (query or "").strip()[:40]
    client = db.session.scalar(db.select(Client).where(Client.card_number == query)) if query else None
    if client is None:
        found = client_service.find_by_phone(query, current_app.config["PORTAL_COUNTRY"])
        client = found[0] if found else None
    if client is None:
        raise NotFound(_l("No client with this phone or card number."))
    one_transaction(lambda: _set_client(cashier, client.id))
    return client


def _set_client(cashier: User, client_id: int | None) -> None:
    cart = cart_of(cashier)
    cart.client_id = client_id
    cart.bonus = 0
    _save(cart)


def detach_client(cashier: User) -> None:
    one_transaction(lambda: _set_client(cashier, None))


class ClientExists(DomainError):
    """The phone given for a new client is an existing client's: the till offers to attach them."""

    code = "client_exists"

    def __init__(self, client: Client):
        super().__init__(_l("%(name)s already has this phone: attach this client instead?", name=client.name))
        self.client = client


def register_client(cashier: User, name: str, phone: str) -> Client:
    """A client without a cabinet gets one on the spot and an SMS with the link to the bonus page."""
    welcome = []

    def queue_welcome(client: Client) -> None:
        link = access.signed_link(client.id)
        welcome.append(sms.queue(client.primary_phone, gettext("Welcome! Your bonus page: %(link)s", link=link),
                                 f"sms:welcome:client:{client.id}", hide=[link]))
    def run() -> Client:
        client = client_service.register_client(name, phone, None, current_app.config["PORTAL_COUNTRY"],
                                                created_by_id=cashier.id, on_created=queue_welcome)
        _set_client(cashier, client.id)
        return client

    try:
        client = one_transaction(run)
    except DomainError as exc:
        if exc.code != "conflict":
            raise
        # The phone is a client's already (one phone, one client): offer that client instead.
        found = client_service.find_by_phone(phone, current_app.config["PORTAL_COUNTRY"])
        if not found:
            raise
        raise ClientExists(found[0]) from None
    sms.send_queued(*welcome)
    return client


def set_bonus(cashier: User, amount: int | None) -> int:
    """Spend `amount` of bonus on this cart, or the most allowed when None."""
    return one_transaction(lambda: _set_bonus(cashier, amount))


def _set_bonus(cashier: User, amount: int | None) -> int:
    current = _view(cashier)
    if current.client is None:
        raise ValidationError({"bonus": _l("Attach a client first.")})
    wanted = current.max_bonus if amount is None else amount
    if wanted < 0 or wanted > current.max_bonus:
        raise ValidationError({"bonus": _l("At most %(cap)s of bonus can be spent on this cart.",
                                           cap=format_plain(current.max_bonus))})
    current.cart.bonus = wanted
    _save(current.cart)
    return wanted


def clear(cashier: User) -> None:
    one_transaction(lambda: _clear(cashier))


@dataclass
class TakenCart:
    lines: list[dict]
    client_id: int | None


def take_out(cashier: User) -> TakenCart | None:
    """The cashier's cart as it is, before it is emptied for the next customer (in the caller's
    transaction): its lines and client, or None when it is empty. The bonus it held is dropped."""
    cart = cart_of(cashier)
    if not cart.lines:
        return None
    taken = TakenCart([dict(line) for line in cart.lines], cart.client_id)
    _clear(cashier)
    return taken


def put_in(cashier: User, lines: list[dict], client_id: int | None) -> None:
    """Fill the cashier's (empty) cart with these lines and client, in the caller's transaction.
    Stock is not checked here: a line the shop has fewer of now keeps its quantity and the till
    shows the shortage; the sale checks stock when it is paid."""
    cart = cart_of(cashier)
    cart.client_id = client_id if client_id and db.session.get(Client, client_id) is not None else None
    cart.bonus = 0
    _save(cart, [{"product_id": int(line["product_id"]), "qty": int(line["qty"])} for line in lines])


def _clear(cashier: User) -> None:
    cart = cart_of(cashier)
    cart.client_id = None
    cart.bonus = 0
    _save(cart, [])


@dataclass
class Checkout:
    order: Order
    change: int


def checkout(cashier: User, *, card: int, cash_tendered: int | None, version: int,
             planned_bonus: int | None = None) -> Checkout:
    """Pay: `card` goes on the card, the rest in cash (`cash_tendered` handed over, change given).

    `version` is the cart version the cashier saw; a second tap on "Pay" finds the sale already
    placed under the same key and shows it again instead of selling twice. `planned_bonus` is the
    bonus the cart held when the caller started (a caller that showed `view()` first passes it).
    The sale and the emptied cart are one transaction.
    """
    return one_transaction(lambda: _checkout(cashier, card, cash_tendered, version, planned_bonus),
                           replay=lambda: _placed(cashier, version))


def _key(cart: TillCart, version: int) -> str:
    return f"till:{cart.id}:v{version}"


def _placed(cashier: User, version: int) -> Checkout | None:
    """The sale a twin tap on "Pay" for this cart version placed already, if any."""
    cart = db.session.scalar(db.select(TillCart).where(TillCart.cashier_id == cashier.id))
    placed = sales.order_with_key(_key(cart, version)) if cart is not None else None
    return Checkout(placed, sales.change_given(placed)) if placed is not None else None


def _checkout(cashier: User, card: int, cash_tendered: int | None, version: int,
              planned_bonus: int | None) -> Checkout:
    shift = shifts.require_open_shift(cashier.id)
    # Before view() fits the bonus to what the client has now.
    planned = cart_of(cashier).bonus if planned_bonus is None else planned_bonus
    current = _view(cashier)
    key = _key(current.cart, version)
    if current.client is not None and planned > current.available_bonus:
        # Another till spent the client's bonus since the cashier saw the cart: say so (the cart
        # now offers what is left) rather than "the cart changed".
        raise ledger.InsufficientBonus(current.available_bonus, planned)
    if version != current.cart.version:
        raise DomainError(_l("The cart changed on another screen. Check it and pay again."))
    if current.is_empty:
        raise ValidationError({"cart": _l("The cart is empty.")})
    total = current.to_pay
    if card < 0 or card > total:
        raise ValidationError({"card": _l("The card amount must be between 0 and %(total)s.",
                                          total=format_plain(total))})
    cash = total - card
    if cash and (cash_tendered is None or cash_tendered < cash):
        raise ValidationError({"cash_tendered": _l("The cash handed over must be at least %(cash)s.",
                                                   cash=format_plain(cash))})
    payments = {}
    if cash:
        payments[PaymentMethod.CASH] = cash
    if card:
        payments[PaymentMethod.CARD] = card
    order = sales.place_paid_order(sales.Sale(
        channel=Channel.SHOP, lines=[sales.SaleLine(qty=line.qty, product_id=line.product.id) for line in current.lines],
        location_id=cashier.shop_id, client_id=current.client.id if current.client else None,
        bonus_to_redeem=current.cart.bonus, payments=payments, cash_tendered=cash_tendered if cash else None,
        created_by_id=cashier.id, shift_id=shift.id, key=key))
    _clear(cashier)
    return Checkout(order, sales.change_given(order))

"""Demo data for `flask demo`: a believable engineering-equipment company on an empty database.

Everything comes from one seeded random generator, so every run on an empty database makes the
same company. Staff and locations go through their services, clients and the catalogue are added
through the ORM session, all in one transaction: when anything fails half-way nothing is kept, so a
second try starts from an empty database. The history (past sales, returns, managers' orders) is
then made through the services, each operation its own transaction.

Data are in Russian; money is integer minor units (kopecks) throughout.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from flask import current_app

from portal.clock import local_date
from portal.demo.data import (
    ADMIN_EMAIL,
    CAPITAL_STREETS,
    CATALOGUE,
    CITIES,
    CLIENT_COUNT,
    CLIENT_KINDS,
    CLIENTS_PER_MANAGER,
    COMPANY_MAILBOXES,
    COMPANY_ROOTS,
    COMPANY_SUFFIXES,
    COMPANY_TLD,
    DACHA,
    DEMO_DOMAIN,
    DEMO_PASSWORD,
    EMAIL_DOMAINS,
    FEMALE_NAMES,
    GS1_PREFIXES,
    LEGAL_FORMS,
    LOCATIONS,
    MALE_NAMES,
    MOBILE_PREFIXES,
    PATRONYMICS,
    PRODUCT_COUNT,
    SEED,
    SITES,
    SOLE_PREFIX,
    STAFF,
    SURNAMES,
    TOWN_STREETS,
    Fam,
    ean13_check_digit,
    translit,
)
from portal.demo.history import make_bonus_history
from portal.demo.orders import make_manager_orders
from portal.extensions import db
from portal.models import (
    AddressKind,
    Barcode,
    Client,
    ClientAddress,
    ClientEmail,
    ClientKind,
    ClientPhone,
    Location,
    Product,
    Role,
    Section,
    Stock,
    User,
)
from portal.phones import PhoneError, normalize_phone
from portal.services.clients.tax_ids import complete_tax_id, expected_length, validate_tax_id
from portal.services.staff.locations import LocationInput, create_location
from portal.services.staff.staff import StaffInput, create_staff
from portal.services.transactions import one_transaction

_ROLE_ORDER = {Role.ADMIN: 0, Role.SUPERVISOR: 1, Role.MANAGER: 2, Role.CASHIER: 3}


@dataclass
class DemoResult:
    created: bool
    summary: str
    logins: list[tuple[str, str, str]] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------

def _counts() -> dict[str, int]:
    def count(column) -> int:
        return db.session.scalar(db.select(db.func.count(column))) or 0
    return {"staff": count(User.id), "locations": count(Location.id), "clients": count(Client.id),
            "products": count(Product.id), "sections": count(Section.id)}


def demo_logins() -> list[tuple[str, str, str]]:
    """(role, e-mail, name) of the demo staff accounts in the database, admin first."""
    users = db.session.scalars(db.select(User).where(User.email.like(f"%@{DEMO_DOMAIN}")))
    ordered = sorted(users, key=lambda u: (_ROLE_ORDER.get(u.role, 9), u.email))
    return [(u.role.value, u.email, u.name) for u in ordered]


def load_demo(with_history: bool = True) -> DemoResult:
    """Fill an empty database with the demo company; leave a non-empty one untouched.

    `with_history` adds past orders, returns and bonus movements made through the services.
    """
    counts = _counts()
    if any(counts.values()):
        summary = ("The database is not empty ({staff} staff accounts, {locations} locations, {clients} clients, "
                   "{products} products), so demo data was not loaded.").format(**counts)
        has_admin = db.session.scalar(db.select(User.id).where(User.email == ADMIN_EMAIL)) is not None
        return DemoResult(created=False, summary=summary, logins=demo_logins() if has_admin else [])

    country = current_app.config["PORTAL_COUNTRY"]
    builder = _Builder(country)
    # Everything random is decided before anything is written, so a bug in the generator
    # cannot leave half a company behind.
    plan = builder.plan()

    def write() -> tuple[dict, dict]:  # the company is one transaction: all of it, or nothing
        locations = _create_locations(plan["locations"])
        staff = _create_staff(plan["staff"], locations)
        builder.write(plan, locations, staff)
        return locations, staff

    locations, staff = one_transaction(write)
    orders = make_bonus_history() if with_history else 0
    manager_orders = make_manager_orders() if with_history else 0
    c = _counts()
    summary = (f"1 admin, 1 supervisor, {len(staff['managers'])} managers, {len(staff['cashiers'])} cashiers, "
               f"{sum(1 for loc in locations.values() if loc.is_shop)} shops, "
               f"{sum(1 for loc in locations.values() if not loc.is_shop)} warehouse, "
               f"{c['clients']} clients, {c['products']} products in {c['sections']} sections, "
               f"{orders} past orders with bonus history, {manager_orders} managers' orders in every state")
    return DemoResult(created=True, summary=summary, logins=demo_logins())


def _create_locations(specs) -> dict[str, Location]:
    out = {}
    for code, kind, is_main, name, address, phone in specs:
        out[code] = create_location(None, LocationInput(code=code, name=name, kind=kind.value, address=address,
                                                        phone=phone, is_main=is_main))
    return out


def _create_staff(specs, locations: dict[str, Location]) -> dict:
    out: dict = {"managers": [], "cashiers": []}
    supervisor_id = None
    for person, phone, hired_on in specs:
        data = StaffInput(email=f"{person.key}@{DEMO_DOMAIN}", name=person.name, role=person.role.value,
                          phone=phone, hired_on=hired_on, supervisor_id=supervisor_id if person.role is Role.MANAGER
                          else None, shop_id=locations[person.shop].id if person.shop else None)
        user, _ = create_staff(None, data, password=DEMO_PASSWORD)
        if person.role is Role.SUPERVISOR:
            supervisor_id = user.id
            out["supervisor"] = user
        elif person.role is Role.MANAGER:
            out["managers"].append(user)
        elif person.role is Role.CASHIER:
            out["cashiers"].append(user)
        else:
            out["admin"] = user
    return out


# Dates that come up soon, so the card and the automation rules' date reminders show something on the first
# day: days from today of a few birthdays and contract renewals (30: the day the renewal template reminds).
SOON_BIRTHDAYS = (0, 1, 4)
SOON_RENEWALS = (2, 6, 30)


def _on_day(year: int, day: date) -> date:
    """`day`'s month and day in `year` (29 February in a leap year near it)."""
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year - year % 4)


def plan_client_dates(clients: list[dict], today: date) -> None:
    """Birthdays for most persons (private persons and sole proprietors), contract renewal dates for most
    companies and sole proprietors, a few of them in the next days. Its own seeded generator, so the rest of
    the demo (names, phones, the catalogue) stays as it was; the days are counted from `today`."""
    rng = random.Random(SEED + 9)
    persons = [c for c in clients if c["kind"] is not ClientKind.LEGAL_ENTITY]
    contracts = [c for c in clients if c["kind"] is not ClientKind.PRIVATE_PERSON]
    for c in clients:
        c["birthday"] = c["contract_renewal_on"] = None
        if c["kind"] is not ClientKind.LEGAL_ENTITY and rng.random() < 0.7:
            c["birthday"] = date(rng.randint(1955, 2004), 1, 1) + timedelta(days=rng.randrange(365))
        if c["kind"] is not ClientKind.PRIVATE_PERSON and rng.random() < 0.6:
            c["contract_renewal_on"] = today + timedelta(days=rng.randint(-20, 365))
    for c, days in zip(persons, SOON_BIRTHDAYS):
        c["birthday"] = _on_day(rng.randint(1960, 2000), today + timedelta(days=days))
    for c, days in zip(contracts[len(SOON_BIRTHDAYS):], SOON_RENEWALS):
        c["contract_renewal_on"] = today + timedelta(days=days)


class _Builder:
    """Decides every demo value from one seeded generator, then writes clients and the catalogue."""

    def __init__(self, country: str) -> None:
        self.country = country
        self.rng = random.Random(SEED)
        self.used_phones: set[str] = set()
        self.used_tax_ids: set[str] = set()
        self.used_codes: set[str] = set()   # barcodes and card numbers

    # ---- plan --------------------------------------------------------------------------

    def plan(self) -> dict:
        today = datetime.now(UTC).date()
        staff = [(p, self.mobile(), today - timedelta(days=int(p.years * 365.25))) for p in STAFF]
        clients = self.plan_clients()
        plan_client_dates(clients, local_date())
        return {
            "locations": LOCATIONS[self.country],
            "staff": staff,
            "clients": clients,
            "catalogue": self.plan_catalogue(),
        }

    def mobile(self) -> str:
        rng = self.rng
        while True:
            number = rng.choice(MOBILE_PREFIXES[self.country]) + "".join(str(rng.randrange(10)) for _ in range(7))
            try:
                if normalize_phone(number, self.country) != number:
                    continue
            except PhoneError:
                continue
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def person(self) -> tuple[str, str, str, bool]:
        """(surname, first name, patronymic, male) with matching genders."""
        rng = self.rng
        male = rng.random() < 0.6
        surname = rng.choice(SURNAMES)
        father = rng.choice(PATRONYMICS)
        if male:
            return surname, rng.choice(MALE_NAMES), father[0], True
        return surname + "а", rng.choice(FEMALE_NAMES), father[1], False

    def tax_id(self, kind: ClientKind, region: str) -> str:
        rng = self.rng
        body_length = expected_length(self.country, kind) - (2 if self.country == "RU" and kind is not
                                                             ClientKind.LEGAL_ENTITY else 1)
        while True:
            if self.country == "RU":
                # region (2 digits) + tax office (2 digits) + record number
                office = f"{region}{rng.randint(1, 51 if region == '77' else 99):02d}"
                body = office + "".join(str(rng.randrange(10)) for _ in range(body_length - 4))
            elif kind is ClientKind.LEGAL_ENTITY:
                body = rng.choice("23444") + "".join(str(rng.randrange(10)) for _ in range(6))
            else:
                # RNOKPP: days from 31.12.1899 to the birth date, a serial number, sex parity
                born = date(1960, 1, 1) + timedelta(days=rng.randint(0, 40 * 365))
                days = (born - date(1899, 12, 31)).days
                body = f"{days:05d}{rng.randint(0, 999):03d}{rng.choice('13579' if rng.random() < 0.6 else '02468')}"
            value = complete_tax_id(body, self.country, kind)
            validate_tax_id(value, self.country, kind)
            if value not in self.used_tax_ids:
                self.used_tax_ids.add(value)
                return value

    def ean13(self, prefix: str) -> str:
        while True:
            first = prefix + "".join(str(self.rng.randrange(10)) for _ in range(12 - len(prefix)))
            code = first + ean13_check_digit(first)
            if code not in self.used_codes:
                self.used_codes.add(code)
                return code

    def address(self, capital_share: float = 0.6, office: bool = False) -> tuple[str, str]:
        """(address text, RU tax region digits)."""
        rng = self.rng
        cities = CITIES[self.country]
        city, postal, region = cities[0] if rng.random() < capital_share else rng.choice(cities[1:])
        if city == cities[0][0]:
            street = rng.choice(CAPITAL_STREETS[self.country])
            if self.country == "RU":
                postal_code = f"1{rng.randint(1, 29):02d}{rng.randint(0, 999):03d}"
            else:
                postal_code = f"0{rng.randint(1, 4)}{rng.randint(0, 999):03d}"
        else:
            street = rng.choice(TOWN_STREETS[self.country])
            postal_code = postal + "".join(str(rng.randrange(10)) for _ in range(6 - len(postal) if self.country == "RU"
                                                                                  else 5 - len(postal)))
        ua = self.country == "UA"
        text = f"{postal_code}, {city}, {street}, {'буд.' if ua else 'д.'} {rng.randint(1, 120)}"
        if rng.random() < 0.25:
            text += f", {'корп.' if ua else rng.choice(['корп.', 'стр.'])} {rng.randint(1, 5)}"
        if office:
            text += f", {'оф.' if ua else rng.choice(['офис', 'пом.'])} {rng.randint(1, 450)}"
        else:
            text += f", кв. {rng.randint(1, 320)}"
        return text, region or "77"

    def delivery_address(self, private: bool) -> str:
        rng = self.rng
        if private and rng.random() < 0.35:
            dacha = rng.choice(DACHA[self.country])
            return f"{dacha}, {'д.' if self.country == 'RU' else 'буд.'} {rng.randint(1, 150)}" \
                if not dacha.endswith("уч.") else f"{dacha} {rng.randint(1, 300)}"
        text, _ = self.address(capital_share=0.5, office=not private)
        if not private:
            # a construction site or a warehouse gate rather than an office
            text = text.rsplit(", ", 1)[0] + rng.choice(SITES[self.country])
        return text.split(", ", 1)[1] if rng.random() < 0.5 else text

    def plan_clients(self) -> list[dict]:
        rng = self.rng
        kinds = [kind for kind, n in CLIENT_KINDS.items() for _ in range(n)]
        rng.shuffle(kinds)
        managers = [i for i, n in enumerate(CLIENTS_PER_MANAGER) for _ in range(n)]
        rng.shuffle(managers)
        assert len(kinds) == len(managers) == CLIENT_COUNT
        company_names = [(r, s) for r in COMPANY_ROOTS for s in COMPANY_SUFFIXES]
        rng.shuffle(company_names)
        forms = [form for form, weight in LEGAL_FORMS[self.country] for _ in range(weight)]
        used_cards: set[str] = set()
        seniority = [p.years for p in STAFF if p.role is Role.MANAGER]
        clients = []
        for kind, manager in zip(kinds, managers):
            phones = [self.mobile()]
            emails: list[str] = []
            addresses: list[tuple[AddressKind, str]] = []
            if kind is ClientKind.LEGAL_ENTITY:
                root, suffix = company_names.pop()
                brand = root + suffix
                name = f"{rng.choice(forms)} «{brand}»"
                legal, region = self.address(capital_share=0.65, office=True)
                addresses.append((AddressKind.LEGAL, legal))
                if rng.random() < 0.55:
                    addresses.append((AddressKind.DELIVERY, self.delivery_address(private=False)))
                tax_id = self.tax_id(kind, region)
                domain = f"{translit(brand)}.{COMPANY_TLD[self.country]}"
                if rng.random() < 0.9:
                    emails.append(f"info@{domain}")
                    if rng.random() < 0.4:
                        emails.append(f"{rng.choice(COMPANY_MAILBOXES)}@{domain}")
                if rng.random() < 0.35:
                    phones.append(self.mobile())
                discount = rng.choice([0, 0, 300, 500, 500, 700, 1000, 1000, 1200, 1500])
                credit = rng.choice([0, 50_000, 100_000, 150_000, 200_000, 300_000, 500_000, 750_000, 1_000_000,
                                     1_500_000, 2_000_000]) * 100
                card_share = 0.3
            else:
                surname, first, patronymic, male = self.person()
                legal, region = self.address(capital_share=0.55, office=False)
                if kind is ClientKind.SOLE_PROPRIETOR:
                    name = f"{SOLE_PREFIX[self.country]} {surname} {first[0]}. {patronymic[0]}."
                    addresses.append((AddressKind.LEGAL, legal))
                    if rng.random() < 0.5:
                        addresses.append((AddressKind.DELIVERY, self.delivery_address(private=False)))
                    tax_id = self.tax_id(kind, region)
                    email_share = 0.85
                    discount = rng.choice([0, 0, 300, 300, 500, 700, 1000])
                    credit = rng.choice([0, 0, 50_000, 100_000, 150_000, 200_000, 300_000]) * 100
                    card_share = 0.5
                else:
                    name = f"{surname} {first} {patronymic}"
                    addresses.append((AddressKind.DELIVERY, legal))
                    if rng.random() < 0.3:
                        addresses.append((AddressKind.DELIVERY, self.delivery_address(private=True)))
                    tax_id = self.tax_id(kind, region) if rng.random() < 0.6 else None
                    email_share = 0.65
                    discount = rng.choice([0, 0, 0, 0, 300, 500, 700])
                    credit = 0
                    card_share = 0.7
                if rng.random() < email_share:
                    login = rng.choice([
                        f"{translit(surname)}.{translit(first)[0]}",
                        f"{translit(first)}.{translit(surname)}",
                        f"{translit(surname)}{rng.randint(1960, 2004)}",
                        f"{translit(first)[0]}{translit(patronymic)[0]}{translit(surname)}",
                    ])
                    emails.append(f"{login}@{rng.choice(EMAIL_DOMAINS[self.country])}")
            deferral = rng.choice([7, 14, 14, 30, 30]) if credit else 0
            card = None
            if rng.random() < card_share:
                while card is None or card in used_cards:
                    first12 = "2000" + "".join(str(rng.randrange(10)) for _ in range(8))
                    card = first12 + ean13_check_digit(first12)
                used_cards.add(card)
            max_days = min(730, int(seniority[manager] * 365.25) - 1)
            clients.append({
                "kind": kind, "name": name, "tax_id": tax_id, "card_number": card, "discount_bp": discount,
                "credit_limit": credit, "deferral_days": deferral, "manager": manager,
                "age": (rng.randint(1, max_days), rng.randint(6, 15), rng.randint(0, 59), rng.randint(0, 59)),
                "phones": phones, "emails": emails, "addresses": addresses,
            })
        return clients

    def plan_catalogue(self) -> dict:
        rng = self.rng
        sections: list[tuple[str, int | None]] = []   # (name, parent index)
        products: list[dict] = []

        def walk(nodes, parent: int | None, prefix: str) -> None:
            for name, children in nodes:
                sections.append((name, parent))
                index = len(sections) - 1
                if children and isinstance(children[0], Fam):
                    for fam in children:
                        for value, price, *key in fam.variants:
                            products.append({
                                "name": fam.template if value is None else fam.template.format(value),
                                "price_rub": price, "warranty": fam.warranty, "section": index, "prefix": prefix,
                                "group": (index, fam.group or fam.template, key[0] if key else value),
                                "returnable": "n" not in fam.flags, "discountable": "d" not in fam.flags,
                            })
                else:
                    walk(children, index, prefix)

        for top, prefix, children in CATALOGUE:
            sections.append((top, None))
            walk(children, len(sections) - 1, prefix)

        if len(products) < PRODUCT_COUNT:
            raise RuntimeError(f"the demo catalogue lists only {len(products)} products")
        # Trim the list to the exact count, dropping products that would have no analogues anyway.
        lonely = [i for i, c in enumerate(self.analogue_candidates(products)) if len(c) < 2]
        if len(lonely) < len(products) - PRODUCT_COUNT:
            raise RuntimeError("the demo catalogue has too few products without analogues to trim")
        drop = set(rng.sample(lonely, len(products) - PRODUCT_COUNT))
        products = [p for i, p in enumerate(products) if i not in drop]

        numbers = rng.sample(range(10000, 100000), len(products))
        for product, number in zip(products, numbers):
            product["sku"] = f"{product['prefix']}-{number}"
            product["price"] = product["price_rub"] * 100
            origin = rng.choice(GS1_PREFIXES)
            product["barcodes"] = [self.ean13(origin)]
            if rng.random() < 0.3:
                product["barcodes"].append(self.ean13(rng.choice(GS1_PREFIXES)))
            product["stock"] = self.plan_stock(product["price"])

        # Analogues for about half the products: 2-3 of the nearest in price among the candidates.
        candidates = self.analogue_candidates(products)
        order = list(range(len(products)))
        rng.shuffle(order)
        given = 0
        for i in order:
            if given >= len(products) // 2:
                break
            if len(candidates[i]) < 2:
                continue
            price = products[i]["price"]
            nearest = sorted(candidates[i], key=lambda j: (abs(math.log(products[j]["price"] / price)),
                                                           products[j]["sku"]))
            products[i]["analogues"] = nearest[:rng.choice([2, 3])]
            given += 1
        return {"sections": sections, "products": products}

    @staticmethod
    def analogue_candidates(products: list[dict]) -> list[list[int]]:
        """Per product: the others of the same leaf section, kind and size within a factor 2 in price."""
        groups: dict[tuple, list[int]] = {}
        for i, product in enumerate(products):
            groups.setdefault(product["group"], []).append(i)
        return [[j for j in groups[product["group"]]
                 if j != i and abs(math.log(products[j]["price_rub"] / product["price_rub"])) <= math.log(2)]
                for i, product in enumerate(products)]

    def plan_stock(self, price: int) -> dict[str, int]:
        rng = self.rng
        rub = price // 100
        if rub > 100_000:
            low, high = 1, 6
        elif rub > 30_000:
            low, high = 2, 15
        elif rub > 5_000:
            low, high = 4, 40
        elif rub > 1_000:
            low, high = 10, 120
        else:
            low, high = 30, 500
        stock = {"MAIN": 0 if rng.random() < 0.05 else rng.randint(low, high)}
        for shop in ("SHOP1", "SHOP2"):
            if rng.random() < (0.65 if rub <= 30_000 else 0.4):
                stock[shop] = 0 if rng.random() < 0.15 else rng.randint(1, max(2, high // 5))
        return stock

    # ---- write -------------------------------------------------------------------------

    def write(self, plan: dict, locations: dict[str, Location], staff: dict) -> None:
        now = datetime.now(UTC)
        managers = staff["managers"]
        rows: list = []
        for data in plan["clients"]:
            manager = managers[data["manager"]]
            days, hour, minute, second = data["age"]
            created_at = (now - timedelta(days=days)).replace(hour=hour, minute=minute, second=second, microsecond=0)
            client = Client(kind=data["kind"], name=data["name"], tax_id=data["tax_id"],
                            card_number=data["card_number"], discount_bp=data["discount_bp"],
                            credit_limit=data["credit_limit"], deferral_days=data["deferral_days"],
                            manager_id=manager.id, created_by_id=manager.id, created_at=created_at,
                            birthday=data.get("birthday"), contract_renewal_on=data.get("contract_renewal_on"))
            client.phones = [ClientPhone(number=n) for n in data["phones"]]
            client.emails = [ClientEmail(address=a) for a in data["emails"]]
            client.addresses = [ClientAddress(kind=k, text=t) for k, t in data["addresses"]]
            rows.append(client)

        sections: list[Section] = []
        for name, parent in plan["catalogue"]["sections"]:
            sections.append(Section(name=name, parent=sections[parent] if parent is not None else None))
        rows.extend(sections)

        products: list[Product] = []
        for data in plan["catalogue"]["products"]:
            product = Product(sku=data["sku"], name=data["name"], section=sections[data["section"]],
                              price=data["price"], returnable=data["returnable"],
                              discountable=data["discountable"], warranty_months=data["warranty"], active=True)
            product.barcodes = [Barcode(code=code) for code in data["barcodes"]]
            product.stock = [Stock(location_id=locations[code].id, quantity=qty) for code, qty in data["stock"].items()]
            products.append(product)
        for product, data in zip(products, plan["catalogue"]["products"]):
            product.analogues = [products[j] for j in data.get("analogues", [])]
        rows.extend(products)
        db.session.add_all(rows)
        db.session.flush()

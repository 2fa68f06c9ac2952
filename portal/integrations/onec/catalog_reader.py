"""A streaming reader of 1C's catalogue files (CommerceML 2: import.xml, offers.xml, and the
prices/rests files of 2.08+), memory flat however large the file.

`read_items(path)` yields, in file order:

* `PackageKind(kind, changes_only)` — at the start of Каталог ("catalog") or ПакетПредложений
  ("offers"), from its attribute СодержитТолькоИзменения;
* `Groups([...])` — the whole Классификатор/Группы tree at once, parents before children (a
  classifier is small): one unit;
* `Card(...)` — each Каталог/Товары/Товар: one unit;
* `PriceTypes([...])` — ТипыЦен of the offers package (before its offers);
* `Warehouses([...])` — the Склады the offers package (or its Классификатор) declares;
* `OfferItem(...)` — each Предложение: one unit, with its stock per warehouse when 1C gives it.

Only units count for resuming (`Groups`, `Card`, `OfferItem`); the others are context, given
again on every pass. Tags are compared without their namespace (1C writes
xmlns="urn:1C.ru:commerceml_2"). Elements are dropped as soon as they are read.

`check_well_formed(path)` reads the whole file once and raises CatalogXmlError naming the line
and column of the first fault, so that a broken file is refused before anything is written.
"""
from __future__ import annotations

import mmap
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from xml.parsers import expat

ROOT = "КоммерческаяИнформация"
# Elements whose descendants are read when they end.
_HOLDERS = frozenset({"Товар", "Предложение", "Группы", "ТипыЦен", "Склады"})
# OKEI codes of the units 1C writes most, for a БазоваяЕдиница without text (1C:Розница's form).
UNIT_BY_CODE = {"796": "шт", "715": "пар", "166": "кг", "006": "м", "112": "л", "163": "г", "055": "м²",
                "778": "упак", "839": "компл", "704": "набор", "018": "пог. м"}


class CatalogXmlError(ValueError):
    """The file is not a CommerceML document the portal can read."""


@dataclass
class PackageKind:
    kind: str  # "catalog" or "offers"
    changes_only: bool


@dataclass
class Group:
    onec_id: str
    name: str
    parent_id: str | None


@dataclass
class Groups:
    groups: list[Group]


@dataclass
class Card:
    onec_id: str
    sku: str
    name: str
    barcode: str
    group_id: str | None
    deleted: bool
    vat: str = ""  # the VAT rate as 1C writes it ("20", "Без налога"); "" when the card names none
    unit: str = ""  # БазоваяЕдиница's short name ("шт", "пар", "кг"); "" when not given
    code: str = ""  # 1C's Код of the item, when the export writes it
    end: int = field(default=0, compare=False)  # the file offset just after its </Товар>


@dataclass
class PriceType:
    onec_id: str
    name: str
    currency: str


@dataclass
class PriceTypes:
    types: list[PriceType]


@dataclass
class Warehouse:
    onec_id: str
    name: str


@dataclass
class Warehouses:
    warehouses: list[Warehouse]


@dataclass
class OfferItem:
    onec_id: str
    prices: dict[str, str] = field(default_factory=dict)  # price type Ид -> ЦенаЗаЕдиницу text
    quantity: str | None = None  # Количество, or the sum of Склад/Остатки quantities
    deleted: bool = False
    name: str = ""  # the offer's own Наименование (a characteristic's carries it: «Ботфорты (38)»)
    sku: str = ""  # Артикул
    barcode: str = ""
    unit: str = ""
    # The values of ХарактеристикиТовара in order ("M", "серый"); empty when 1C writes none.
    characteristics: list[str] = field(default_factory=list)
    # Warehouse Ид -> quantity text, from <Склад ИдСклада КоличествоНаСкладе> or Остатки/Остаток/Склад;
    # None when the offer gives no per-warehouse figures at all.
    stores: dict[str, str] | None = None
    end: int = field(default=0, compare=False)  # the file offset just after its </Предложение>


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _named(tag: str, name: str) -> bool:
    # The reader builds items with local names; a parsed document keeps its namespace ("{urn…}Ид").
    return tag == name or tag.endswith("}" + name)


def _child(elem: ET.Element, name: str) -> ET.Element | None:
    for c in elem:
        if _named(c.tag, name):
            return c
    return None


def _children(elem: ET.Element | None, name: str) -> list[ET.Element]:
    return [c for c in elem if _named(c.tag, name)] if elem is not None else []


def text_of(elem: ET.Element, name: str) -> str:
    c = _child(elem, name)
    return (c.text or "").strip() if c is not None else ""


def _true(text: str) -> bool:
    return text.strip().lower() in ("true", "истина", "1", "да")


def check_well_formed(path: Path) -> None:
    """Parse the whole file with expat alone (no tree, no Python per element: a 70 MB package in
    well under a second) and check its root."""
    parser = expat.ParserCreate()
    roots: list[str] = []

    def first_element(name, _attributes):
        roots.append(name)
        parser.StartElementHandler = None

    parser.StartElementHandler = first_element
    try:
        with path.open("rb") as f:
            parser.ParseFile(f)
    except expat.ExpatError as exc:
        raise CatalogXmlError(f"{path.name} is not well-formed XML (line {exc.lineno}, column {exc.offset})") from None
    if not roots:
        raise CatalogXmlError(f"{path.name} is not well-formed XML (no element)")
    if local(roots[0]) != ROOT:
        raise CatalogXmlError(f"{path.name}: the root element is {local(roots[0])}, not {ROOT}")


def _groups(container: ET.Element, parent_id: str | None, out: list[Group]) -> None:
    for g in _children(container, "Группа"):
        onec_id = text_of(g, "Ид")
        out.append(Group(onec_id, text_of(g, "Наименование"), parent_id))
        nested = _child(g, "Группы")
        if nested is not None:
            _groups(nested, onec_id, out)


def _vat(elem: ET.Element) -> str:
    """The VAT rate of a card: `СтавкиНалогов/СтавкаНалога` named «НДС» (or «ПДВ»), else the requisite
    «СтавкаНДС» some configurations write in ЗначенияРеквизитов; "" when there is neither."""
    for rate in _children(_child(elem, "СтавкиНалогов"), "СтавкаНалога"):
        if text_of(rate, "Наименование").upper() in ("НДС", "ПДВ", "VAT"):
            return text_of(rate, "Ставка")
    for requisite in _children(_child(elem, "ЗначенияРеквизитов"), "ЗначениеРеквизита"):
        if text_of(requisite, "Наименование").replace(" ", "").lower() in ("ставкандс", "ставкапдв"):
            return text_of(requisite, "Значение")
    return ""


def _unit(elem: ET.Element) -> str:
    unit = _child(elem, "БазоваяЕдиница")
    if unit is None:
        return ""
    text = (unit.text or "").strip()
    if text:
        return text[:20]
    return UNIT_BY_CODE.get((unit.get("Код") or "").strip(), "")


def _card(elem: ET.Element) -> Card:
    groups = _child(elem, "Группы")
    group_ids = [(g.text or "").strip() for g in _children(groups, "Ид")]
    status = (elem.get("Статус") or text_of(elem, "Статус")).lower()
    barcode = text_of(elem, "Штрихкод")
    return Card(onec_id=text_of(elem, "Ид"), sku=text_of(elem, "Артикул"), name=text_of(elem, "Наименование"),
                barcode=barcode, group_id=next((g for g in group_ids if g), None),
                deleted=_true(text_of(elem, "ПометкаУдаления")) or status == "удален", vat=_vat(elem),
                unit=_unit(elem), code=text_of(elem, "Код"))


def _quantity_sum(texts: list[str]) -> str:
    total = Decimal(0)
    for text in texts:
        try:
            total += Decimal(text.replace(",", ".").replace(" ", "").replace("\u00a0", "") or "0")
        except InvalidOperation:
            return text  # the caller refuses it with the text in the message
    return str(total)


def _offer(elem: ET.Element) -> OfferItem:
    offer = OfferItem(onec_id=text_of(elem, "Ид"), deleted=_true(text_of(elem, "ПометкаУдаления")),
                      name=text_of(elem, "Наименование"), sku=text_of(elem, "Артикул"),
                      barcode=text_of(elem, "Штрихкод"), unit=_unit(elem),
                      characteristics=[text_of(c, "Значение") for c in
                                       _children(_child(elem, "ХарактеристикиТовара"), "ХарактеристикаТовара")
                                       if text_of(c, "Значение")])
    for price in _children(_child(elem, "Цены"), "Цена"):
        type_id = text_of(price, "ИдТипаЦены")
        if type_id:
            offer.prices[type_id] = text_of(price, "ЦенаЗаЕдиницу")
    stores: dict[str, list[str]] = {}
    for store in _children(elem, "Склад"):
        if store.get("ИдСклада") and store.get("КоличествоНаСкладе") is not None:
            stores.setdefault(store.get("ИдСклада").strip(), []).append(store.get("КоличествоНаСкладе"))
    rest_values: list[str] = []
    for rest in _children(_child(elem, "Остатки"), "Остаток"):
        by_store = _children(rest, "Склад")
        for store in by_store:
            if text_of(store, "Ид"):
                stores.setdefault(text_of(store, "Ид"), []).append(text_of(store, "Количество"))
            else:
                rest_values.append(text_of(store, "Количество"))
        if not by_store and text_of(rest, "Количество"):
            rest_values.append(text_of(rest, "Количество"))
    if stores:
        offer.stores = {store_id: _quantity_sum(texts) for store_id, texts in stores.items()}
        offer.quantity = _quantity_sum([q for texts in stores.values() for q in texts])
    elif rest_values:
        offer.quantity = _quantity_sum(rest_values)
    elif _child(elem, "Количество") is not None:
        offer.quantity = text_of(elem, "Количество")
    return offer


# Stands for a unit the caller has applied already (`read_items(skip=...)`): counted, not built.
SKIPPED = object()
_UNIT_PARENTS = {"Товар": "Товары", "Предложение": "Предложения"}
_CHUNK = 256 * 1024


@dataclass
class Resume:
    """Where to go on reading a file after `units` units: the file's first `prefix` bytes (all
    that comes before its first product or offer), then the bytes from `at` (just after the last
    unit applied). Offsets in the file's own bytes; `read_items` records them as it reads."""
    units: int
    prefix: int
    at: int


class _Reader:
    """expat drives it. Outside the items read whole it only keeps the path of element names;
    inside one, expat hands elements straight to the C TreeBuilder (no Python per element but the
    end of one), and inside a unit that is skipped it calls nothing but that end."""

    def __init__(self, path: Path, skip: int):
        self.path, self.skip = path, skip
        self.names: list[str] = []
        self.builder: ET.TreeBuilder | None = None
        self.item_tag = ""  # the (namespaced) tag of the item being built or skipped
        self.depth = 0  # how deep inside the item its own tag is open (Группы hold Группы)
        self.units = 0
        self.out: list[object] = []
        self.first_unit_at: int | None = None
        self.shift = 0  # file offset = expat's byte index + shift (after a jump)
        self.mm: mmap.mmap | None = None
        self.parser = expat.ParserCreate(namespace_separator="}")
        self.parser.buffer_text = True
        self._outside()

    def _outside(self) -> None:
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = None

    # -- expat's callbacks outside the items
    def start(self, tag: str, attrs: dict) -> None:
        name = tag.rsplit("}", 1)[-1]
        names = self.names
        up = names[-1] if names else ""
        if len(names) == 1 and name in ("Каталог", "ПакетПредложений"):
            self.out.append(PackageKind("catalog" if name == "Каталог" else "offers",
                                        _true(attrs.get("СодержитТолькоИзменения", "false"))))
        unit = name in _UNIT_PARENTS and up == _UNIT_PARENTS[name] and (
            name == "Предложение" or (len(names) >= 2 and names[-2] == "Каталог"))
        if unit and self.first_unit_at is None:
            self.first_unit_at = self.parser.CurrentByteIndex + self.shift
        names.append(name)
        whole = unit or (name == "Группы" and up == "Классификатор") or \
            (name == "ТипыЦен" and up == "ПакетПредложений") or \
            (name == "Склады" and up in ("ПакетПредложений", "Классификатор"))
        if not whole:
            return
        self.item_tag, self.depth = tag, 1
        parser = self.parser
        if (unit or name == "Группы") and self.units + 1 <= self.skip:
            self.builder = None
            parser.StartElementHandler = self.skip_start if name == "Группы" else None
            parser.CharacterDataHandler = None
            parser.EndElementHandler = self.skip_end
            return
        self.builder = ET.TreeBuilder()
        self.builder.start(tag, attrs)
        parser.StartElementHandler = self.inner_start if name == "Группы" else self.builder.start
        parser.CharacterDataHandler = self.builder.data
        parser.EndElementHandler = self.inner_end

    def end(self, tag: str) -> None:
        self.names.pop()

    # -- inside an item
    def inner_start(self, tag: str, attrs: dict) -> None:  # only where the item's tag nests (Группы)
        if tag == self.item_tag:
            self.depth += 1
        self.builder.start(tag, attrs)

    def inner_end(self, tag: str) -> None:
        self.builder.end(tag)
        if tag == self.item_tag:
            self.depth -= 1
            if not self.depth:
                self._finish(tag, self.builder.close())

    def skip_start(self, tag: str, attrs: dict) -> None:
        if tag == self.item_tag:
            self.depth += 1

    def skip_end(self, tag: str) -> None:
        if tag == self.item_tag:
            self.depth -= 1
            if not self.depth:
                self._finish(tag, None)

    def _finish(self, tag: str, elem: ET.Element | None) -> None:
        self._outside()
        self.builder = None
        self.names.pop()
        name = tag.rsplit("}", 1)[-1]
        end = 0
        if name in _UNIT_PARENTS or name == "Группы":
            self.units += 1
            if name in _UNIT_PARENTS:
                end = self.mm.find(b">", self.parser.CurrentByteIndex + self.shift) + 1
        if elem is None:
            self.out.append(SKIPPED)
        elif name == "Товар":
            card = _card(elem)
            card.end = end
            self.out.append(card)
        elif name == "Предложение":
            offer = _offer(elem)
            offer.end = end
            self.out.append(offer)
        elif name == "Группы":
            groups: list[Group] = []
            _groups(elem, None, groups)
            self.out.append(Groups(groups))
        elif name == "ТипыЦен":
            self.out.append(PriceTypes([PriceType(text_of(t, "Ид"), text_of(t, "Наименование"), text_of(t, "Валюта"))
                                        for t in _children(elem, "ТипЦены")]))
        elif name == "Склады":
            self.out.append(Warehouses([Warehouse(text_of(w, "Ид"), text_of(w, "Наименование"))
                                        for w in _children(elem, "Склад") if text_of(w, "Ид")]))

    # -- feeding
    def items(self, resume: Resume | None) -> Iterator[object]:
        with self.path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            self.mm = mm
            size = len(mm)
            if resume is not None and 0 < resume.prefix <= resume.at <= size:
                self.first_unit_at = resume.prefix
                yield from self._feed(mm, 0, resume.prefix, final=False)
                # The units jumped over come as SKIPPED too, so that the caller's count goes on.
                yield from [SKIPPED] * max(resume.units - self.units, 0)
                self.units, self.shift = resume.units, resume.at - resume.prefix
                yield from self._feed(mm, resume.at, size, final=True)
            else:
                yield from self._feed(mm, 0, size, final=True)
            self.mm = None

    def _feed(self, mm, start: int, stop: int, final: bool) -> Iterator[object]:
        position = start
        while position < stop:
            end = min(position + _CHUNK, stop)
            self.parser.Parse(mm[position:end], final and end == stop)
            position = end
            if self.out:
                out, self.out = self.out, []
                yield from out
        if final and start == stop:
            self.parser.Parse(b"", True)


def read_items(path: Path, skip: int = 0, resume: Resume | None = None, reader: list | None = None) -> Iterator[object]:
    """The items of the file in order (see the module docstring). The first `skip` units come as
    SKIPPED, read but not built; with `resume` (see `resume_point`) the bytes of the units it
    covers are not even read. `reader`, when given, receives the reader (for `resume_point`)."""
    state = _Reader(path, skip)
    if reader is not None:
        reader.append(state)
    try:
        yield from state.items(resume)
    except expat.ExpatError as exc:
        raise CatalogXmlError(f"{path.name} is not well-formed XML (line {exc.lineno}, column {exc.offset})") from None


def resume_point(reader: _Reader, units: int, last: object) -> Resume | None:
    """Where to go on reading after `units` units, the last of them `last` (a Card or an
    OfferItem, which know where they end in the file); None when a jump cannot be made."""
    end = getattr(last, "end", 0)
    if reader.first_unit_at is None or end <= reader.first_unit_at:
        return None
    return Resume(units, reader.first_unit_at, end)

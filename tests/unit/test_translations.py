"""Every UI string is translated into Russian and Ukrainian, and the compiled catalogues are current."""
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "portal" / "translations"
# N_ marks a message kept in a table and translated where it is shown (the 1C refusals).
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "N_": None}
METHODS = [("portal/**.py", "python"), ("templates/**.html", "jinja2")]


def _source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), METHODS, keywords=KEYWORDS, options_map={"templates/**.html": {}},
            directory_filter=lambda d: not Path(d).name.startswith(".") and Path(d).name != "tests"):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("lang", ["ru", "uk"])
def test_every_ui_string_is_translated(lang):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog
                  if m.id and m.string and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else [m.string])}
    missing = sorted(_source_messages() - translated)
    assert not missing, f"untranslated in {lang} (run `make extract-messages` and translate): {missing}"


@pytest.mark.parametrize("lang", ["ru", "uk"])
def test_placeholders_survive_translation(lang):
    import re
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    for m in catalog:
        if m.id and isinstance(m.id, str):
            assert sorted(re.findall(r"%\(\w+\)[sd]", m.id)) == sorted(re.findall(r"%\(\w+\)[sd]", m.string)), m.id
        elif m.id:  # a plural entry: every form keeps the placeholders
            for form in m.string:
                assert sorted(re.findall(r"%\(\w+\)[sd]", m.id[1])) == sorted(re.findall(r"%\(\w+\)[sd]", form)), m.id


@pytest.mark.parametrize("lang", ["ru", "uk"])
def test_compiled_catalogue_matches_the_po_file(lang):
    folder = TRANSLATIONS / lang / "LC_MESSAGES"
    def plain(value):  # a plural entry's id and strings come as a tuple from .po, a list from .mo
        return tuple(value) if isinstance(value, (list, tuple)) else value

    with open(folder / "messages.po", "rb") as f:
        po = {plain(m.id): plain(m.string) for m in read_po(f) if m.id and not m.fuzzy}
    with open(folder / "messages.mo", "rb") as f:
        mo = {plain(m.id): plain(m.string) for m in read_mo(f) if m.id}
    assert po == mo, "run `make translations`"


def test_the_1c_refusals_are_among_the_strings_checked():
    from portal.integrations.onec.refusals import MESSAGES
    assert set(MESSAGES.values()) <= _source_messages()

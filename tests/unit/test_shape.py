"""The shape of the house (ARCHITECTURE.md, "Layers" and "Packages by business area"), read from the
code's own imports: a module that imports against the layers, or an import cycle, fails the suite.

    doors: web/, api/, integrations/, cli/  ->  services/  ->  ledger/  ->  models/, money, errors, ...
    documents/ may be used by the services; it never imports a door.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PORTAL = ROOT / "portal"

# The lowest modules: values, formats and names shown to people. They import nothing of the portal
# but each other and the models' enumerations (labels name them).
BASE = {"portal.money", "portal.money_words", "portal.errors", "portal.labels", "portal.i18n", "portal.phones",
        "portal.text", "portal.clock", "portal.ids", "portal.cursors", "portal.config", "portal.extensions",
        "portal.events"}
# What the ledger may import: ARCHITECTURE.md's "models, money, errors and the daily sums", with the
# `db` handle and the clock they stand on.
LEDGER_MAY = {"portal.models", "portal.money", "portal.errors", "portal.daily_sums", "portal.extensions",
              "portal.clock"}
DOORS = ("portal.web", "portal.api", "portal.cli")
# Gateways the outbox pushes to: its handlers (services/messaging/sms, services/fiscal/registration) call them.
OUTBOUND_GATEWAYS = ("portal.integrations.sms", "portal.integrations.atol")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in PORTAL.rglob("*.py")}


MODULES = _modules()


def _imports(name: str) -> list[tuple[str, int, bool]]:
    """(imported portal module, line, at the top of the module) for each import in `name`."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target not in MODULES and "." in target:
                target = target.rpartition(".")[0]
            if target in MODULES and target.startswith("portal") and target != name:
                found.append((target, node.lineno, id(node) in top))
    return found


GRAPH = {name: sorted({target for target, _, _ in _imports(name)}) for name in MODULES}


def _in(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def _against_the_layers(name: str, target: str) -> str | None:
    if _in(name, "portal.models") and not (_in(target, "portal.models") or target in BASE - {"portal.labels"}):
        return "models import nothing above themselves"
    if _in(name, "portal.ledger") and not (_in(target, "portal.ledger") or _in(target, *LEDGER_MAY)):
        return "the ledger imports only models, money, errors and the daily sums"
    if name in BASE and not (target in BASE or _in(target, "portal.models")):
        return "the base modules import only each other and the models"
    if _in(name, "portal.services", "portal.documents", "portal.ledger", "portal.models", "portal.daily_sums") \
            and _in(target, *DOORS):
        return "services, documents, the ledger and the models never import a door (web, api, cli)"
    if _in(name, "portal.documents") and _in(target, "portal.integrations"):
        return "documents never import a door"
    if _in(name, "portal.services") and _in(target, "portal.integrations") \
            and not _in(target, *OUTBOUND_GATEWAYS):
        return "services call no integration but the outbox's gateways (the integrations call the services)"
    return None


def test_no_module_imports_against_the_layers():
    wrong = [f"{name} -> {target}: {why}" for name, targets in GRAPH.items() for target in targets
             if (why := _against_the_layers(name, target))]
    assert wrong == []


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, []):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle():
    assert _cycles(GRAPH) == []


def test_imports_stand_at_the_top_unless_a_comment_says_why():
    inside = []
    for path in MODULES.values():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        tree = ast.parse(text)
        top = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top \
                    and "#" not in lines[node.lineno - 1]:
                inside.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert inside == []


def test_the_services_are_in_packages_by_business_area():
    flat = sorted(p.name for p in (PORTAL / "services").glob("*.py") if p.name != "__init__.py")
    assert flat == ["audit.py", "tasks.py", "transactions.py"], "a new service module goes into its area's package"
    for area in ("sales", "orders", "clients", "staff", "messaging", "automation", "statistics"):
        assert (PORTAL / "services" / area / "__init__.py").exists(), area


@pytest.mark.parametrize("graph, cycles", [
    ({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}, [["a", "b", "c"]]),
    ({"a": ["b"], "b": []}, []),
])
def test_the_cycle_finder_finds_cycles(graph, cycles):
    assert _cycles(graph) == cycles


def test_the_layer_rule_sees_a_service_importing_a_view():
    assert _against_the_layers("portal.services.sales.till", "portal.web.cashier.routes")
    assert _against_the_layers("portal.ledger.core", "portal.services.audit")
    assert _against_the_layers("portal.models.orders", "portal.services.sales.sales")
    assert _against_the_layers("portal.services.sales.till", "portal.ledger") is None

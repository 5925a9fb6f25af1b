"""The layers of chronolint import one way (docs/architecture.md): read with `ast` over
`src/`, imports inside functions included, since a circle hidden in a function is still
a circle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "chronolint"

# Lower numbers sit lower; a module may import its own layer or any below it.
LAYERS = {
    "chronolint.engine": 0,
    "chronolint.sql": 0,
    "chronolint.index": 1,
    "chronolint.analysis": 2,
    "chronolint.rules": 3,
    "chronolint.registry": 4,
    "chronolint.config": 5,
    "chronolint.fixer": 5,
    "chronolint.discovery": 6,
    "chronolint.linter": 7,
    "chronolint.autogen": 7,
    "chronolint.cli": 8,
    "chronolint.lsp": 8,
    "chronolint.flake8_plugin": 8,
    "chronolint.docs": 8,
    "chronolint.__main__": 9,
}
FRONT_ENDS = ("chronolint.cli", "chronolint.lsp", "chronolint.flake8_plugin", "chronolint.docs")
# What a front-end must reach only through the linter: it holds no rule logic and builds no pipeline.
NOT_FOR_FRONT_ENDS = ("chronolint.rules.", "chronolint.analysis", "chronolint.index", "chronolint.engine.checker",
                      "chronolint.fixer.attach", "chronolint.fixer.apply")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in (SRC / PACKAGE).rglob("*.py")}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The chronolint modules `name` imports (a `from pkg import sub` counts as `pkg.sub`),
    at run time: what `if TYPE_CHECKING:` imports for annotations is left out."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for block in ast.walk(tree):
        if isinstance(block, ast.If) and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING":
            block.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
    return {m for m in found if m in known and m != PACKAGE}


def _layer(module: str) -> int:
    for prefix, rank in sorted(LAYERS.items(), key=lambda item: -len(item[0])):
        if module == prefix or module.startswith(prefix + "."):
            return rank
    raise AssertionError(f"{module} is in no layer: add it to LAYERS and to docs/architecture.md")


GRAPH = {name: _imports(name, path, set(_modules())) for name, path in _modules().items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles():
    assert _cycles(GRAPH) == []


def test_cycle_finder_sees_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down(module):
    upward = sorted(target for target in GRAPH[module] if _layer(target) > _layer(module))
    assert upward == [], f"{module} (layer {_layer(module)}) imports a higher layer: {upward}"


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if m.startswith(FRONT_ENDS)))
def test_front_ends_go_through_the_linter(module):
    reached = sorted(t for t in GRAPH[module] if t.startswith(NOT_FOR_FRONT_ENDS) and t != "chronolint.rules.base")
    assert reached == [], f"{module} reaches past the linter: {reached}"


def test_engine_imports_only_the_engine():
    for module, targets in GRAPH.items():
        if module.startswith("chronolint.engine"):
            assert all(t.startswith("chronolint.engine") for t in targets), (module, targets)

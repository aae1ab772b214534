"""The layout's promise: each folder is one layer, and imports only point down (README, Development).

Every `import` in the code is read with `ast`, lazy ones inside functions and `TYPE_CHECKING` ones included:
an upward arrow is a dependency whether or not it runs at import time.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Layer of a module: the first prefix that matches. Lowest first.
LAYER_OF: list[tuple[str, str]] = [
    ("tco.errors", "base"),
    ("tco.engine", "engine"),
    ("tco.scenario", "scenario"),
    ("tco.analysis", "analysis"),
    ("tco.presentation", "presentation"),
    ("tco.api", "entry"),
    ("tco.cli", "entry"),
    ("app", "entry"),
    ("pages", "entry"),
    ("measure", "measure"),
    ("tco", "base"),  # the package itself (an empty __init__)
]

# What each layer may import (itself included). The engine is pure: numbers in, numbers out.
# The scenario layer translates files into engine inputs, so it sits above the engine.
# measure/ stands beside tco/ and uses only the format layer (to write and check profiles).
MAY_IMPORT: dict[str, set[str]] = {
    "base": {"base"},
    "engine": {"engine"},
    "scenario": {"base", "engine", "scenario"},
    "measure": {"base", "scenario", "measure"},
    "analysis": {"base", "engine", "scenario", "analysis"},
    "presentation": {"base", "engine", "scenario", "analysis", "presentation"},
    "entry": {"base", "engine", "scenario", "measure", "analysis", "presentation", "entry"},
}


def layer(module: str) -> str | None:
    """The layer of a project module, None for anything outside the project."""
    for prefix, name in LAYER_OF:
        if module == prefix or module.startswith(prefix + "."):
            return name
    return None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def project_files() -> list[Path]:
    files = [ROOT / "app.py"]
    for folder in ("tco", "measure", "pages"):
        files += sorted((ROOT / folder).rglob("*.py"))
    return files


def known_modules() -> set[str]:
    return {module_name(p) for p in project_files()}


def imports_of(source: str, module: str, is_package: bool, known: set[str]) -> Iterable[tuple[str, int]]:
    """(imported project module, line) for every import statement in `source`."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield (sub if sub in known else base), node.lineno


def upward_imports(files: Iterable[Path], read: dict[Path, str] | None = None) -> list[str]:
    """One line per import that points to a layer its module may not use."""
    known = known_modules()
    out = []
    for path in files:
        mod = module_name(path)
        src = read[path] if read and path in read else path.read_text(encoding="utf-8")
        own = layer(mod)
        assert own is not None, f"{mod} belongs to no layer: add it to LAYER_OF"
        for target, line in imports_of(src, mod, path.name == "__init__.py", known):
            theirs = layer(target)
            if theirs is not None and theirs not in MAY_IMPORT[own]:
                out.append(f"{path.relative_to(ROOT)}:{line}: {own} imports {target} ({theirs})")
    return out


def import_cycles() -> list[list[str]]:
    """Strongly connected groups of more than one module in the import graph (Tarjan)."""
    known = known_modules()
    graph: dict[str, set[str]] = {}
    for path in project_files():
        mod = module_name(path)
        src = path.read_text(encoding="utf-8")
        graph[mod] = {t for t, _ in imports_of(src, mod, path.name == "__init__.py", known) if t in known}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def test_every_module_belongs_to_a_layer():
    assert [m for m in known_modules() if layer(m) is None] == []


def test_no_module_imports_a_higher_layer():
    assert upward_imports(project_files()) == []


def test_no_import_cycles():
    assert import_cycles() == []


@pytest.mark.parametrize(
    ("file", "source", "expected"),
    [
        (
            "tco/engine/core.py",
            "from tco.scenario.schema import Scenario\n",
            "engine imports tco.scenario.schema",
        ),
        (
            "tco/scenario/resolve/__init__.py",
            "def f():\n    from tco.api import evaluate\n",
            "scenario imports tco.api",
        ),
        (
            "tco/analysis/compare.py",
            "from tco.presentation import charts\n",
            "analysis imports tco.presentation.charts",
        ),
        ("measure/runner.py", "import tco.engine.core\n", "measure imports tco.engine.core"),
        (
            "tco/presentation/charts.py",
            "from ..analysis.evaluate import Results\nfrom . import labels\n",
            None,
        ),
    ],
)
def test_the_layer_check_catches_an_upward_import(file, source, expected):
    path = ROOT / file
    found = upward_imports([path], read={path: source})
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and expected in found[0], found


# --------------------------------------------------------------------------- compute, then show
# Presentation formats what the analysis layer computed (README, Development): it may name the analysis layer's
# result types (classes: `Results`, `View`, `PortfolioPlans`) and constants (`TRADEOFFS`), and import anything
# for type checking only, but it may not import a module of it or anything that computes (a function) at run
# time, lazily inside a function included: a view's numbers are computed once, by `tco.analysis.view`, before
# presentation sees them.


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(source: str, module: str, is_package: bool) -> Iterable[tuple[str, str | None, int]]:
    """(module, imported name or None for a module import, line) of every import outside `if TYPE_CHECKING:`."""
    package = module if is_package else module.rpartition(".")[0]

    def walk(nodes: Iterable[ast.AST]) -> Iterable[tuple[str, str | None, int]]:
        for node in nodes:
            if isinstance(node, ast.If) and _type_checking(node.test):
                yield from walk(node.orelse)
                continue
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield alias.name, None, node.lineno
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    yield base, alias.name, node.lineno
            yield from walk(ast.iter_child_nodes(node))

    yield from walk(ast.parse(source).body)


def computing_imports(files: Iterable[Path], read: dict[Path, str] | None = None) -> list[str]:
    """One line per run-time import by presentation of an analysis module or of an analysis function."""
    import importlib
    import inspect

    out = []
    for path in files:
        mod = module_name(path)
        if layer(mod) != "presentation":
            continue
        src = read[path] if read and path in read else path.read_text(encoding="utf-8")
        for target, name, line in runtime_imports(src, mod, path.name == "__init__.py"):
            if layer(target) != "analysis":
                continue
            where = f"{path.relative_to(ROOT)}:{line}: presentation imports"
            if name is None:
                out.append(f"{where} the module {target}")
                continue
            found = getattr(importlib.import_module(target), name, None)
            if found is None or inspect.ismodule(found):
                out.append(f"{where} the module {target}.{name}")
            elif callable(found) and not inspect.isclass(found):
                out.append(f"{where} {target}.{name}, which computes")
    return out


def test_presentation_imports_no_computation_of_the_analysis_layer():
    assert computing_imports(project_files()) == []


@pytest.mark.parametrize(
    ("file", "source", "expected"),
    [
        (  # the violation this test was written for: a formatter that starts the planner
            "tco/presentation/plan.py",
            "def plans_of(loaded):\n    from tco.analysis.portfolio import plan_portfolio\n",
            "tco.analysis.portfolio.plan_portfolio, which computes",
        ),
        (
            "tco/presentation/reports/content.py",
            "import tco.analysis.tables\n",
            "the module tco.analysis.tables",
        ),
        (
            "tco/presentation/charts.py",
            "from tco.analysis import curve\n",
            "the module tco.analysis.curve",
        ),
        (
            "tco/presentation/charts.py",
            "from ..analysis.pareto import pareto_front\n",
            "tco.analysis.pareto.pareto_front, which computes",
        ),
        (  # result types and constants are what presentation reads
            "tco/presentation/charts.py",
            "from tco.analysis.pareto import TRADEOFFS\nfrom tco.analysis.view import View\n",
            None,
        ),
        (  # anything, for the type checker only
            "tco/presentation/charts.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from tco.analysis.view import compute_view\n",
            None,
        ),
        (  # the entry layer computes, then shows
            "tco/cli/main.py",
            "from tco.analysis.view import compute_view\n",
            None,
        ),
    ],
)
def test_the_compute_then_show_check_catches_presentation_computing(file, source, expected):
    path = ROOT / file
    found = computing_imports([path], read={path: source})
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and expected in found[0], found

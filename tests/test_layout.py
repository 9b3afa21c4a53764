"""The layout is the architecture: stage packages, one import direction, no cycles, small modules.

Rules (docs/architecture.md):

* the order is core < ingest < location < workspace < assessment < store < plan < present < pipeline < front ends
  (cli, ui); a module imports only its own package, ``core`` and packages earlier in that order;
* no import cycle between modules;
* the package's own modules are imported at the top of a module, never inside a function;
* every package's ``__init__`` names its public API in ``__all__``, and every name there exists;
* no module over 700 lines, no function over 150 lines.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "lianxin_geo"

ORDER = ["core", "ingest", "location", "workspace", "assessment", "store", "plan", "present", "pipeline", "cli", "ui",
         "__init__", "__main__"]
MAX_MODULE_LINES = 700
MAX_FUNCTION_LINES = 150


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _stage(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__"
    return parts[1]


def _imports(module: str, path: Path) -> list[tuple[str, int, bool]]:
    """(imported module, line, at top level) for every import of the package's own modules."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    base = module.split(".") if is_pkg else module.split(".")[:-1]
    top_nodes = set()
    for node in tree.body:
        top_nodes.add(id(node))
        if isinstance(node, ast.If):  # TYPE_CHECKING blocks and the like count as top level
            for sub in node.body + node.orelse:
                top_nodes.add(id(sub))
    found = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - (node.level - 1)]
                mod = ".".join(anchor + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if not mod.startswith("lianxin_geo"):
                continue
            for alias in node.names:
                cand = f"{mod}.{alias.name}"
                targets.append(cand if cand in MODULES else mod)
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names if a.name.startswith("lianxin_geo")]
        for t in targets:
            while t not in MODULES and "." in t:
                t = t.rsplit(".", 1)[0]
            if t in MODULES and t != module:
                found.append((t, node.lineno, id(node) in top_nodes))
    return found


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def test_stages_import_only_earlier_stages():
    bad = []
    for mod, deps in GRAPH.items():
        s = _stage(mod)
        if s not in ORDER:
            bad.append(f"{mod}: not in a known stage")
            continue
        for dep, line, _ in deps:
            d = _stage(dep)
            if d == "__init__" and dep == "lianxin_geo":
                bad.append(f"{mod}:{line} imports the top-level package")
            elif ORDER.index(d) > ORDER.index(s) and s not in ("__init__", "__main__"):
                bad.append(f"{mod}:{line} imports later stage {dep}")
    assert not bad, "\n".join(bad)


def test_no_import_cycles():
    graph = {m: {d for d, _, _ in deps} for m, deps in GRAPH.items()}
    # packages' __init__ re-export their modules; an edge into a package is an edge into what it re-exports
    seen: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(m: str) -> None:
        seen[m] = 1
        stack.append(m)
        for d in sorted(graph.get(m, ())):
            if d.startswith(m + "."):
                continue  # a package importing its own modules is how __init__ re-exports
            if seen.get(d) == 1:
                cycles.append(" -> ".join(stack[stack.index(d):] + [d]))
            elif d not in seen:
                visit(d)
        stack.pop()
        seen[m] = 2

    for m in sorted(graph):
        if m not in seen:
            visit(m)
    assert not cycles, "\n".join(cycles)


def test_own_modules_imported_at_top():
    bad = [f"{mod}:{line} imports {dep} inside a function" for mod, deps in GRAPH.items()
           for dep, line, top in deps if not top]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("package", sorted(m for m, p in MODULES.items() if p.name == "__init__.py"))
def test_packages_name_their_public_api(package):
    mod = importlib.import_module(package)
    assert isinstance(getattr(mod, "__all__", None), (list, tuple)), f"{package} has no __all__"
    missing = [n for n in mod.__all__ if not hasattr(mod, n)]
    assert not missing, f"{package}.__all__ names missing objects: {missing}"


def test_modules_and_functions_stay_small():
    bad = []
    for mod, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        n = text.count("\n")
        if n > MAX_MODULE_LINES:
            bad.append(f"{mod}: {n} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    bad.append(f"{mod}.{node.name}: {length} lines")
    assert not bad, "\n".join(bad)

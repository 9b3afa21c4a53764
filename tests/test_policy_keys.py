"""Every key of every shipped policy profile is read by the code (issue 12, part 4).

Method
------
A profile key is *read* when its dotted name (``"section.leaf"``) occurs as a whole Python string in the package
source outside the profile loader (``lianxin_geo/core/policy.py`` defines and validates every key, which is not a
use), and that occurrence is not only the argument of ``.source(...)`` (citing a key's clause without using its
value does not count: ``contact.min_per_unit`` was cited for years and never applied). The scan walks the AST of
every module, so comments and docstrings never count, and messages that merely mention a key do not match because
the whole string must equal the key. Keys built at run time are matched through their f-string pattern:
``f"venues.required_m2_{level}"`` reads ``venues.required_m2_town`` (each ``{...}`` stands for one
``[a-z0-9_]+``). Keys read through parameter classes are covered because those classes name their keys as
strings (``RuleParams.from_profile``'s ``{"attr": "section.leaf"}``, ``params_from_profile``'s key maps).

A profile value that nothing reads is a promise the planner cannot see kept: use it or remove it (and its schema
entry in ``core/policy.py``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from lianxin_geo.core.policy import list_profiles, load_profile

PACKAGE = Path(__file__).resolve().parents[1] / "lianxin_geo"
LOADER = PACKAGE / "core" / "policy.py"
_KEY = re.compile(r"^[a-z_]+\.[a-z0-9_]+$")


def _is_source_arg(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    call = parents.get(node)
    return (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "source"
            and bool(call.args) and call.args[0] is node)


def _docstrings(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def key_uses(source: str) -> tuple[set[str], list[re.Pattern[str]]]:
    """The dotted keys (exact strings) and key patterns (f-strings) a module's code reads."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    skip = _docstrings(tree)
    exact: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            if _KEY.match(node.value) and not _is_source_arg(node, parents) \
                    and not isinstance(parents.get(node), ast.JoinedStr):
                exact.add(node.value)
        elif isinstance(node, ast.JoinedStr) and not _is_source_arg(node, parents):
            parts = [re.escape(v.value) if isinstance(v, ast.Constant) else "[a-z0-9_]+" for v in node.values]
            literal = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            if "." in literal and len(literal.replace(".", "")) >= 3:
                patterns.append(re.compile("".join(parts)))
    return exact, patterns


def package_key_uses() -> tuple[set[str], list[re.Pattern[str]]]:
    exact: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == LOADER:
            continue
        e, p = key_uses(path.read_text(encoding="utf-8"))
        exact |= e
        patterns += p
    return exact, patterns


def is_read(key: str, exact: set[str], patterns: list[re.Pattern[str]]) -> bool:
    return key in exact or any(p.fullmatch(key) for p in patterns)


def test_the_scanner_tells_reads_from_citations():
    src = '''
"""Module doc mentioning joint.max_units."""
def f(profile, level):
    """Uses funding.startup_years in the docstring only."""
    a = profile.get("joint.max_units")
    b = profile.source("contact.min_per_unit")
    c = profile.get(f"venues.required_m2_{level}")
    d = f"请修改 ledger.refresh_months 后重试"
    return {"x": "targets.social"}
'''
    exact, patterns = key_uses(src)
    assert is_read("joint.max_units", exact, patterns)
    assert is_read("targets.social", exact, patterns)  # a params key map
    assert is_read("venues.required_m2_town", exact, patterns)
    assert not is_read("contact.min_per_unit", exact, patterns)  # cited, never used
    assert not is_read("funding.startup_years", exact, patterns)  # docstring only
    assert not is_read("ledger.refresh_months", exact, patterns)  # a message that mentions it
    assert not is_read("venues.required_m2_district.extra", exact, patterns)


@pytest.mark.parametrize("name", list_profiles())
def test_every_profile_key_is_read(name):
    exact, patterns = package_key_uses()
    unread = [k for k in load_profile(name).keys() if not is_read(k, exact, patterns)]
    assert not unread, f"策略配置 {name} 中以下配置项没有任何代码读取（请使用或删除）：{unread}"

"""The CLI ``--json`` cases kept as golden files (``tests/data/golden``) and how they are normalised.

Timings are dropped. Instructor routes are solved under a time limit, so which org lands on which route may
vary between runs; for them the golden file keeps the schema (keys and value types) and the figures that do not
depend on the solver's luck.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
#: ``lianxin-geo demo --out DIR`` arguments of the ledgers the plan cases read (seeded: the same files every time).
DEMO_ARGS = ["--orgs", "400", "--seed", "1"]


def cases(demo: Path) -> dict[str, list[str]]:
    """CLI arguments per case; ``demo`` is a folder written by ``lianxin-geo demo`` with :data:`DEMO_ARGS`."""
    ledgers: list[str] = []
    for kind in ("orgs", "buildings", "parks", "centers"):
        ledgers += [f"--{kind}", str(demo / f"{kind}.xlsx")]
    return {
        "validate": ["validate", str(DATA / "orgs_problems.csv"), "--json"],
        "locate": ["locate", "--orgs", str(DATA / "orgs_problems.csv"), "--json"],
        "assess": ["assess", *ledgers, "--date", "2026-11-30", "--json"],
        "joint": ["plan", "joint", *ledgers, "--json"],
        "routes": ["plan", "routes", *ledgers, "--time-limit", "1", "--json"],
        "coverage": ["plan", "coverage", *ledgers, "--new-sites", "3", "--json"],
    }

_VOLATILE = {"seconds", "solver_seconds"}


def _drop(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: _drop(v) for k, v in doc.items() if k not in _VOLATILE}
    if isinstance(doc, list):
        return [_drop(v) for v in doc]
    return doc


def schema(doc: Any) -> Any:
    """Keys and value types, lists reduced to the union of their items' schemas."""
    if isinstance(doc, dict):
        return {k: schema(v) for k, v in sorted(doc.items())}
    if isinstance(doc, list):
        merged: dict[str, Any] = {}
        for item in doc:
            s = schema(item)
            merged[repr(s) if not isinstance(s, (dict, str)) else (s if isinstance(s, str) else "object")] = s
        return ["list", *[merged[k] for k in sorted(merged)]]
    if isinstance(doc, bool):
        return "bool"
    if isinstance(doc, (int, float)):
        return "number"
    if doc is None:
        return "null"
    return "str"


def normalise(name: str, doc: dict) -> dict:
    doc = _drop(doc)
    if name == "routes":
        return {"schema": schema(doc), "orgs_to_visit": sorted(o for r in doc.get("routes", []) for o in r["org_ids"])}
    return doc

"""Every CLI ``--json`` output is unchanged for the same inputs (golden files in ``tests/data/golden``).

Regenerate the files only for an intended, documented schema change: ``python tests/data/golden/make_golden.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from golden_cases import DEMO_ARGS, cases, normalise
from lianxin_geo.cli import main

GOLDEN = Path(__file__).parent / "data" / "golden"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("golden_demo")
    assert main(["demo", "--out", str(out), *DEMO_ARGS]) == 0
    return out


@pytest.mark.parametrize("name", list(cases(Path("."))))
def test_json_output_matches_golden(name, demo, capsys):
    capsys.readouterr()
    code = main(cases(demo)[name])
    out = capsys.readouterr().out
    assert code == 0
    got = normalise(name, json.loads(out))
    want = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    assert got == want

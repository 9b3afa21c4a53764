"""Write the golden ``--json`` outputs that ``tests/test_golden_json.py`` compares against.

Run from the project root only when a schema change is intended (and documented in docs/cli.md):

    .venv/bin/python tests/data/golden/make_golden.py
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

import tempfile  # noqa: E402

from golden_cases import DEMO_ARGS, cases, normalise  # noqa: E402

from lianxin_geo.cli import main  # noqa: E402


def run(args: list[str]) -> dict:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(args)
    if code != 0:
        raise SystemExit(f"{args}: exit {code}")
    return json.loads(buf.getvalue())


if __name__ == "__main__":
    demo = Path(tempfile.mkdtemp(prefix="lianxin_golden_"))
    if main(["demo", "--out", str(demo), *DEMO_ARGS]) != 0:
        raise SystemExit("demo failed")
    for name, args in cases(demo).items():
        doc = normalise(name, run(args))
        (HERE / f"{name}.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                           encoding="utf-8")
        print("wrote", name)

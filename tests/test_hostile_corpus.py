"""Hostile inputs (tests/data/hostile): never a traceback, never a silent loss, never the machine exhausted.

Every ledger file goes through ``validate``, ``locate``, ``assess`` and ``export --format html`` of the CLI
in-process; the workbook bombs
also run as ``python -m lianxin_geo validate FILE --json`` in a subprocess limited to 1.5 GB of address space and
60 s. Each run must exit 0 or 1 without "Traceback" or "内部错误"; where JSON is printed,
``rows_in == accepted + rejected`` and ``rows_in`` equals the records counted in the file independently; every
refusal is a Chinese message that names the file and says what to do. What each file must say is in
:data:`make_hostile.CASES`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lianxin_geo.cli import main

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
ROOT = HOSTILE.parents[2]
_spec = importlib.util.spec_from_file_location("make_hostile", HOSTILE / "make_hostile.py")
mh = importlib.util.module_from_spec(_spec)
sys.modules["make_hostile"] = mh  # dataclasses look their module up
assert _spec.loader is not None
_spec.loader.exec_module(mh)
CASES = mh.CASES

#: A clean ledger (title rows, BOM) used with the boundary and policy files.
GOOD_LEDGER = HOSTILE / "bom_title.csv"
MAX_SECONDS = 60
MAX_BYTES = int(1.5 * 2**30)
LEDGERS = sorted(n for n, c in CASES.items() if c.kind == "ledger")
BOMBS = sorted(n for n, c in CASES.items() if c.bomb)
OTHERS = sorted(n for n, c in CASES.items() if c.kind != "ledger")


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> dict[str, Path]:
    return mh.write_large(tmp_path_factory.mktemp("hostile"))


def _path(name: str, large: dict[str, Path]) -> Path:
    return large[name] if CASES[name].large else HOSTILE / name


def _flat(text: str) -> str:
    """Text without white space: the console wraps long messages anywhere."""
    return re.sub(r"\s+", "", text)


def _has(text: str, pattern: str) -> bool:
    return re.search(_flat(pattern), _flat(text)) is not None


def _records(path: Path, case) -> int:
    """Data records counted without the reader: the generator's count, or non-blank lines after the header."""
    if case.records is not None:
        return case.records
    lines = path.read_bytes().decode("utf-8-sig").splitlines()
    header = next(i for i, ln in enumerate(lines) if "单位名称" in ln)
    return sum(1 for ln in lines[header + 1:] if ln.strip(", \t"))


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    t0 = time.perf_counter()
    code = main(list(args))
    seconds = time.perf_counter() - t0
    cap = capsys.readouterr()
    assert code in (0, 1), (args, code, cap.err[-2000:])
    assert "Traceback" not in cap.err and "内部错误" not in cap.err, cap.err[-3000:]
    assert seconds < MAX_SECONDS, (args, seconds)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 < MAX_BYTES
    return code, cap.out, cap.err


def _check_refusal(err: str, name: str, case) -> None:
    assert _has(err, re.escape(Path(name).name)), err  # names the file
    assert "请" in err, err  # says what to do
    for pattern in case.says:
        assert _has(err, pattern), (pattern, err)


def _check_report(doc: dict, case, records: int) -> None:
    assert doc["rows_in"] == doc["accepted"] + doc["rejected"]
    assert doc["rows_in"] == records
    text = "\n".join(f"{e['value']} {e['reason']}" for e in doc["errors"])
    for pattern in case.says:
        assert _has(text, pattern), (pattern, text[:3000])
    for e in doc["errors"]:
        assert e["row"] > 0 or e["severity"] == "warning" or e["column"], e  # names the row or the columns
        if e["severity"] == "error":
            assert "请" in e["reason"], e  # every refusal of a row says what to do
        assert len(e["value"]) < 200 and len(e["reason"]) < 2000, e  # over-long cells are shown by their start


@pytest.mark.parametrize("name", LEDGERS)
def test_ledger_file(capsys, large, name, tmp_path):
    case = CASES[name]
    path = _path(name, large)
    code, out, err = _cli(capsys, "validate", str(path), "--json")
    assert code == case.exit, err[-2000:]
    if code:
        _check_refusal(err, name, case)
        accepted = None
    else:
        doc = json.loads(out)
        _check_report(doc, case, _records(path, case))
        accepted = doc["accepted"]
    code_l, out_l, err_l = _cli(capsys, "locate", "--orgs", str(path), "--json")
    assert code_l == case.exit
    if code_l == 0:
        loc = json.loads(out_l)
        assert loc["rows_in"] == loc["orgs"] + loc["rejected"] == doc["rows_in"]
        assert loc["orgs"] == accepted
    else:
        _check_refusal(err_l, name, case)
    code_a, out_a, err_a = _cli(capsys, "assess", "--orgs", str(path), "--json")
    assert code_a == case.exit
    if code_a == 0:
        assert json.loads(out_a)["district"]["orgs"] == accepted
    else:
        _check_refusal(err_a, name, case)
    html = tmp_path / "map.html"
    code_h, _, err_h = _cli(capsys, "export", "--format", "html", "--orgs", str(path), "--out", str(html),
                            "--time-limit", "1")
    assert code_h == case.exit
    if code_h == 0:
        text = html.read_text(encoding="utf-8")
        assert "49公司" not in text and "<script>alert" not in text  # no template ran, no markup got through
        assert not any(p.name.startswith(".lianxin-tmp-") for p in tmp_path.iterdir())
    else:
        _check_refusal(err_h, name, case)
        assert not html.exists()  # a refused export leaves no file behind


@pytest.mark.parametrize("name", OTHERS)
def test_boundary_and_policy_file(capsys, name, tmp_path):
    case = CASES[name]
    path = HOSTILE / name
    html = tmp_path / "map.html"
    if case.kind == "policy":
        runs = [("assess", "--orgs", str(GOOD_LEDGER), "--policy", str(path), "--json"),
                ("export", "--format", "html", "--orgs", str(GOOD_LEDGER), "--policy", str(path), "--out", str(html),
                 "--time-limit", "1")]
    else:
        runs = [("validate", str(GOOD_LEDGER), "--boundaries", str(path), "--json"),
                ("locate", "--orgs", str(GOOD_LEDGER), "--boundaries", str(path), "--json"),
                ("assess", "--orgs", str(GOOD_LEDGER), "--boundaries", str(path), "--json"),
                ("export", "--format", "html", "--orgs", str(GOOD_LEDGER), "--boundaries", str(path),
                 "--out", str(html), "--time-limit", "1")]
    for args in runs:
        code, out, err = _cli(capsys, *args)
        assert code == case.exit, err[-2000:]
        if code:
            _check_refusal(err, name, case)
            if args[0] == "export":
                assert not html.exists()
        elif args[0] == "validate":
            _check_report(json.loads(out), case, _records(GOOD_LEDGER, CASES["bom_title.csv"]))
        elif args[0] == "export":
            assert html.stat().st_size > 0


def test_projected_boundaries_load_once_declared(capsys):
    code, out, err = _cli(capsys, "validate", str(GOOD_LEDGER), "--boundaries", str(HOSTILE / "boundary_3857.geojson"),
                          "--boundaries-crs", "EPSG:3857", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["rejected"] == 0 and doc["accepted"] == doc["rows_in"] == 30


def _limited(*args: str) -> subprocess.CompletedProcess:
    def limit() -> None:  # runs in the child before exec
        resource.setrlimit(resource.RLIMIT_AS, (MAX_BYTES, MAX_BYTES))

    env = {**os.environ, "COLUMNS": "1000", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "lianxin_geo", *args], capture_output=True, text=True,
                          timeout=MAX_SECONDS, preexec_fn=limit, env=env, cwd=ROOT)


@pytest.mark.parametrize("name", BOMBS)
def test_workbook_bomb_in_a_memory_limit(large, name):
    case = CASES[name]
    path = _path(name, large)
    t0 = time.perf_counter()
    proc = _limited("validate", str(path), "--json")
    assert time.perf_counter() - t0 < MAX_SECONDS
    assert proc.returncode == case.exit, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and "内部错误" not in proc.stderr, proc.stderr[-3000:]
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 < MAX_BYTES
    if proc.returncode:
        _check_refusal(proc.stderr, name, case)
    else:
        _check_report(json.loads(proc.stdout), case, _records(path, case))

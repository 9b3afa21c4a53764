"""The database commands (``round``, ``measures``, ``db``) and ``--db/--round`` in place of ledger files."""

from __future__ import annotations

import json

import pytest

from lianxin_geo.cli import main
from lianxin_geo.store import head_revision
from tests.test_store import CX, two_rounds  # noqa: F401  (the two small ledgers)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *args: str):
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_round_commands_end_to_end(capsys, db_url, two_rounds):
    a, b = two_rounds
    doc = run_json(capsys, "round", "import", "--round", "2026-06", "--orgs", str(a), "--db", db_url)
    assert {"round", "rows_in", "accepted", "rejected", "orgs", "district"} <= set(doc)
    assert (doc["round"], doc["rows_in"], doc["orgs"]) == ("2026-06", 4, 4)
    assert set(doc["district"]) == {"org_coverage_rate", "single_rate", "work_coverage_rate"}
    direct = run_json(capsys, "assess", "--orgs", str(a))["district"]  # the same numbers assess gives
    assert doc["district"] == {k: direct[k] for k in doc["district"]}
    code, _, err = run(capsys, "round", "import", "--round", "2026-06", "--orgs", str(b), "--db", db_url)
    assert code == 1 and "已存在" in err and "--replace" in err
    run_json(capsys, "round", "import", "--round", "2026-11", "--orgs", str(b), "--db", db_url)
    listing = run_json(capsys, "round", "list", "--db", db_url)
    assert [r["round"] for r in listing] == ["2026-06", "2026-11"]
    assert listing[0]["files"]["orgs"]["name"] == "a.csv" and len(listing[0]["files"]["orgs"]["sha256"]) == 64
    diff = run_json(capsys, "round", "diff", "2026-06", "2026-11", "--db", db_url)
    assert {"from", "to", "orgs_new", "orgs_closed", "orgs_changed", "status_changes", "district",
            "jurisdictions"} <= set(diff)
    assert diff["status_changes"] == [{"org_id": CX, "from": "未覆盖", "to": "单独建立"}]
    assert set(diff["district"]["single_rate"]) == {"from", "to", "delta"}
    code, out, err = run(capsys, "round", "diff", "2026-06", "2026-11", "--db", db_url)
    assert code == 0 and "组织覆盖率" in out and "疑似同一组织" in err
    code, _, err = run(capsys, "round", "diff", "2026-06", "2099-01", "--db", db_url)
    assert code == 1 and "没有轮次 '2099-01'" in err
    code, _, err = run(capsys, "round", "import", "--round", "X", "--db", db_url)
    assert code == 1 and "需要组织台账" in err


def test_measures_commands_and_the_version_check(capsys, db_url, two_rounds):
    run_json(capsys, "round", "import", "--round", "A", "--orgs", str(two_rounds[0]), "--db", db_url)
    rows = run_json(capsys, "measures", "list", "--round", "A", "--db", db_url)
    keys = {"id", "org_id", "jurisdiction_code", "action", "rule", "clause", "measure", "owner", "due", "status",
            "note", "version"}
    assert rows and all(keys <= set(r) for r in rows)
    mid = str(rows[0]["id"])
    done = run_json(capsys, "measures", "set", mid, "--status", "进行中", "--owner", "王五", "--due", "2027-03-31",
                    "--expect-version", "1", "--db", db_url)
    assert (done["status"], done["owner"], done["due"], done["version"]) == ("进行中", "王五", "2027-03-31", 2)
    code, out, err = run(capsys, "measures", "set", mid, "--status", "已完成", "--expect-version", "1",
                         "--db", db_url, "--json")
    assert code == 1 and out == "" and "已被他人修改" in err and "没有保存" in err and "--expect-version" in err
    assert run_json(capsys, "measures", "list", "--status", "进行中", "--db", db_url)[0]["owner"] == "王五"
    assert run_json(capsys, "measures", "list", "--status", "已完成", "--db", db_url) == []
    code, _, err = run(capsys, "measures", "list", "--status", "完成", "--db", db_url)
    assert code == 1 and "状态" in err
    code, _, err = run(capsys, "measures", "set", "99999", "--note", "x", "--db", db_url)
    assert code == 1 and "没有编号为 99999 的措施" in err


def test_db_backup_restore_upgrade(capsys, db_url, two_rounds, tmp_path):
    run_json(capsys, "round", "import", "--round", "A", "--orgs", str(two_rounds[0]), "--db", db_url)
    out = tmp_path / "lianxin.backup"
    doc = run_json(capsys, "db", "backup", "--out", str(out), "--db", db_url)
    assert doc["out"] == str(out) and doc["bytes"] == out.stat().st_size > 0
    run_json(capsys, "round", "import", "--round", "B", "--orgs", str(two_rounds[1]), "--db", db_url)
    doc = run_json(capsys, "db", "restore", str(out), "--db", db_url)
    assert doc["rounds"] == ["A"]
    assert run_json(capsys, "db", "upgrade", "--db", db_url)["revision"] == head_revision()


def _timeless(doc):
    """The document without its timings (``seconds`` anywhere)."""
    if isinstance(doc, dict):
        return {k: _timeless(v) for k, v in doc.items() if k != "seconds"}
    if isinstance(doc, list):
        return [_timeless(v) for v in doc]
    return doc


def test_plan_and_export_commands_read_a_stored_round(capsys, tmp_path):
    """A round stored from files gives the same assessment and plans as the files themselves."""
    files = run_json(capsys, "demo", "--out", str(tmp_path / "demo"), "--orgs", "300", "--seed", "5")["files"]
    args = []
    for k in ("orgs", "buildings", "parks", "centers"):
        args += [f"--{k}", files[k]]
    db = str(tmp_path / "r.db")
    run_json(capsys, "round", "import", "--round", "A", *args, "--db", db)
    assert run_json(capsys, "assess", "--db", db, "--round", "A") == run_json(capsys, "assess", *args)
    joint_files = run_json(capsys, "plan", "joint", *args)
    assert joint_files["stats"]["units"] > 0
    assert _timeless(run_json(capsys, "plan", "joint", "--db", db, "--round", "A")) == _timeless(joint_files)
    doc = run_json(capsys, "export", "--format", "xlsx", "--out", str(tmp_path / "a.xlsx"), "--db", db, "--round", "A",
                   "--time-limit", "5")
    assert (tmp_path / "a.xlsx").is_file() and doc["files"]
    code, _, err = run(capsys, "plan", "joint", "--db", db)
    assert code == 1 and "--round" in err
    code, _, err = run(capsys, "plan", "joint", "--db", db, "--round", "A", "--orgs", files["orgs"])
    assert code == 1 and "不能同时" in err


@pytest.mark.parametrize("command", [("plan", "joint"), ("plan", "routes"), ("plan", "coverage"), ("export",),
                                     ("run",), ("assess",), ("locate",)])
def test_every_plan_and_export_command_has_db_and_round(capsys, command):
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0 and "--db" in out and "--round" in out

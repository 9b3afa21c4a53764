"""``city run`` (issue 16): each district's whole run is one engine task; the city's tables are sums of the
districts' and equal the assessment of the whole city at once; a district that fails leaves a labelled partial run."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from lianxin_geo.assessment.assessor import assess
from lianxin_geo.assessment.tables import combine_summaries, district_summary
from lianxin_geo.cli.city import city_app, drilldown
from lianxin_geo.core.policy import load_profile
from lianxin_geo.ingest.demo.city import write_city_demo
from lianxin_geo.pipeline.city import CITY_RUN_FILE, CITY_RUN_KIND, run_city
from lianxin_geo.present.cityexport import CITY_WORKBOOK
from lianxin_geo.present.outdir import verify_manifest
from lianxin_geo.workspace import load_city_workspace

CODES = ["110101", "110102", "110114"]


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("city3")
    write_city_demo(out, n_orgs=1500, seed=11, districts=CODES)
    return out


@pytest.fixture(scope="module")
def run(city, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("cityrun") / "run"
    return out, run_city(city, out, engine="sync", time_limit_s=20)


def test_city_tables_are_the_sums_of_the_districts_and_equal_the_whole_city(city, run):
    out, doc = run
    assert doc["kind"] == CITY_RUN_KIND and doc["districts_run"] == 3 and doc["partial"] is False
    ws = load_city_workspace(city, engine="sync")
    a = assess(ws.orgs, centers=ws.centers, parks=ws.parks, buildings=ws.buildings, district=ws.district,
               profile=ws.profile)
    whole = drilldown(a, ws.district)
    tree = doc["city"]
    assert tree["orgs"] == whole["orgs"] == 1500
    for key in ("org_coverage_rate", "work_coverage_rate", "uncovered"):
        assert tree[key] == pytest.approx(whole[key])
    mine = {d["code"]: d for d in tree["districts"]}
    for d in whole["districts"]:
        if d["code"] not in mine:
            continue
        assert mine[d["code"]]["orgs"] == d["orgs"]
        assert mine[d["code"]]["org_coverage_rate"] == pytest.approx(d["org_coverage_rate"])
        assert [t["code"] for t in mine[d["code"]]["towns"]] == [t["code"] for t in d["towns"]]
        assert [t["orgs"] for t in mine[d["code"]]["towns"]] == [t["orgs"] for t in d["towns"]]
    assert json.loads((out / CITY_RUN_FILE).read_text(encoding="utf-8"))["city"]["orgs"] == 1500


def test_combine_summaries_equals_one_summary_of_all_orgs():
    prof = load_profile(None)
    rows = []
    for i in range(40):
        rows.append({"jurisdiction_code": "110101001" if i % 2 else "110102001", "kind": "非公企业" if i % 3 else
                     "社会组织", "status": ["单独建立", "联合建立", "仅工作覆盖", "未覆盖"][i % 4], "members": i % 5,
                     "probationary": i % 2, "activities": (i % 6) if i % 4 < 2 else None})
    orgs = pd.DataFrame(rows)
    parts = [district_summary(orgs[orgs["jurisdiction_code"] == c], prof, code=c[:6], name=c)
             for c in ("110101001", "110102001")]
    both = combine_summaries(parts, prof, code="110000", name="北京市")
    once = district_summary(orgs, prof, code="110000", name="北京市")
    pd.testing.assert_frame_equal(both, once)


def test_every_district_has_its_run_folder_and_the_city_workbook_is_labelled(run):
    out, doc = run
    assert verify_manifest(out) == []
    for d in doc["city"]["districts"]:
        folder = out / d["folder"]
        assert verify_manifest(folder) == [] and (folder / "tables.xlsx").is_file() and (folder / "geojson").is_dir()
        assert d["plans"]["joint_units"] is not None and d["plans"]["routes"] > 0 and 0 < d["plans"]["new_sites"] <= 5
        assert set(d["seconds"]) == {"load", "assessment", "joint", "routes", "coverage", "exports"}
    assert doc["stages"]["load"] > 0 and doc["peak_worker_rss_mb"] > 0
    book = openpyxl.load_workbook(out / CITY_WORKBOOK, read_only=True)
    assert book.sheetnames == ["全市", "各区", "各镇街", "各区方案"]
    for ws in book.worksheets:
        text = " ".join(str(c) for row in ws.iter_rows(max_row=4, values_only=True) for c in row if c)
        assert "合成" in text and "示意" in text  # the synthetic data and approximate towns say so on every sheet
    towns = list(book["各镇街"].iter_rows(values_only=True))
    n_towns = sum(len(d["towns"]) for d in doc["city"]["districts"])
    assert sum(1 for r in towns if r[0] in {d["name"] for d in doc["city"]["districts"]}) == n_towns


def test_a_failing_district_leaves_a_partial_run(city, tmp_path):
    broken = tmp_path / "broken"
    import shutil

    shutil.copytree(city, broken)
    (broken / "districts" / "110102" / "orgs.csv").write_bytes(b"\xff\xfe\x00garbage\x00" * 10)
    doc = run_city(broken, tmp_path / "run", engine="sync", time_limit_s=10)
    assert doc["partial"] is True and doc["districts_run"] == 2 and doc["districts_total"] == 3
    assert [f["key"] for f in doc["failures"]] == ["110102"] and doc["failures"][0]["reason"]
    assert "部分结果" in doc["partial_note"]
    book = openpyxl.load_workbook(tmp_path / "run" / CITY_WORKBOOK, read_only=True)
    first = [c for row in book["全市"].iter_rows(max_row=4, values_only=True) for c in row if c]
    assert any("部分结果" in str(c) and "西城区" in str(c) for c in first)


def test_cli_city_run_json_and_text(city, tmp_path):
    runner = CliRunner()
    res = runner.invoke(city_app, ["run", str(city), "--out", str(tmp_path / "r"), "--scheduler", "sync",
                                   "--district", "110101", "--time-limit", "10", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["out"] == str(tmp_path / "r") and [d["code"] for d in doc["city"]["districts"]] == ["110101"]
    res = runner.invoke(city_app, ["run", str(city), "--out", str(tmp_path / "r"), "--scheduler", "sync",
                                   "--district", "110101", "--formats", "xlsx", "--time-limit", "10"])
    assert res.exit_code == 0 and "东城区" in res.output and "合成" in res.output
    bad = runner.invoke(city_app, ["run", str(city), "--out", str(tmp_path / "x"), "--district", "999999"])
    assert bad.exit_code != 0 and "999999" in str(bad.exception or bad.output)

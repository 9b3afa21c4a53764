"""The app on the database (issue 13): the 进展 page (timeline, diff, measures board with the version check) and
the 数据 page (save the loaded ledgers as a round; choose a stored round for every page), with
``streamlit.testing.v1.AppTest`` on a real SQLite database holding two demo rounds."""

from __future__ import annotations

import json

import os
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("streamlit")
pytest.importorskip("streamlit_folium")
from streamlit.testing.v1 import AppTest  # noqa: E402
from conftest import app_env  # noqa: E402
from lianxin_geo.ingest.demo import write_demo  # noqa: E402
from lianxin_geo.store import import_files, open_store  # noqa: E402
from lianxin_geo.ui.progress import apply_edits, measures_frame, measures_xlsx  # noqa: E402

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 240
N_ORGS = 300


def _files(d: Path) -> dict[str, str]:
    return {k: str(d / f"{k}.xlsx") for k in ("orgs", "buildings", "parks", "centers")}


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ui_progress")
    for rnd in ("2026-06", "2026-11"):
        write_demo(root / rnd, n_orgs=N_ORGS, seed=11, round=rnd)
    path = root / "lianxin.db"
    with open_store(path) as store:
        for rnd in ("2026-06", "2026-11"):
            import_files(store, rnd, **_files(root / rnd))
    return path


@pytest.fixture()
def env(db, monkeypatch):
    app_env(monkeypatch, db, N_ORGS)
    return db


def _progress(at: AppTest) -> AppTest:
    at.switch_page("lianxin_geo/ui/progress.py")
    return at.run(timeout=TIMEOUT)


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_progress_page_shows_rounds_and_the_diff_of_the_store(env):
    at = _progress(AppTest.from_file(APP, default_timeout=TIMEOUT).run())
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "进展"
    with open_store(env) as store:
        d = store.diff("2026-06", "2026-11")
    assert int(_metric(at, "新增组织").replace(",", "")) == len(d["orgs_new"]) > 0
    assert int(_metric(at, "注销/未再报送").replace(",", "")) == len(d["orgs_closed"]) > 0
    assert int(_metric(at, "覆盖状态变化").replace(",", "")) == len(d["status_changes"])
    to = d["district"]["org_coverage_rate"]["to"]
    assert _metric(at, "组织覆盖率") == f"{to:.1%}"
    # the rounds chart (three rates per round) and the screen export of the page's tables
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["encoding"]["x"]["sort"] == ["2026-06", "2026-11"] and spec["title"] == "全区三率随轮次变化"
    assert [b.proto.label for b in at.get("download_button")][-3:] == ["下载地图（PNG）", "下载幻灯片（PPTX）",
                                                                       "下载表格（xlsx）"]
    assert "一企一策措施" in at.multiselect(key="pg_export_views").options


def test_a_measure_is_edited_in_the_app_and_audited(env):
    at = _progress(AppTest.from_file(APP, default_timeout=TIMEOUT).run())
    mid = at.selectbox(key="pg_one_id").value
    with open_store(env) as store:
        before = store.measure(int(mid))
    at.selectbox(key=f"pg_one_status_{mid}").set_value("进行中")
    at.text_input(key=f"pg_one_owner_{mid}").set_value("张三（镇党委组织委员）")
    at.button(key="FormSubmitter:pg_one-保存这条措施").click().run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    assert any("已保存" in s.value for s in at.success)
    with open_store(env) as store:
        after = store.measure(int(mid))
        audit = store.audit(target=f"measure:{mid}")
    assert after["status"] == "进行中" and after["owner"] == "张三（镇党委组织委员）"
    assert after["version"] == before["version"] + 1
    assert audit and audit[-1]["what"] == "measure.set"


def test_a_stale_edit_is_refused_and_loses_nothing(env):
    at = _progress(AppTest.from_file(APP, default_timeout=TIMEOUT).run())
    ids = at.selectbox(key="pg_one_id").options
    mid = str(ids[-1]).split(" ")[0]
    at.selectbox(key="pg_one_id").set_value(int(mid)).run(timeout=TIMEOUT)
    with open_store(env) as store:  # someone else saves first
        v = store.measure(int(mid))["version"]
        store.set_measure(int(mid), note="他人先改的备注", expect_version=v)
    at.text_input(key=f"pg_one_owner_{mid}").set_value("李四")
    at.button(key="FormSubmitter:pg_one-保存这条措施").click().run(timeout=TIMEOUT)
    assert not at.exception
    assert at.error and "已被他人修改" in at.error[0].value and "--expect-version" not in at.error[0].value
    with open_store(env) as store:
        now = store.measure(int(mid))
    assert now["note"] == "他人先改的备注" and now["owner"] != "李四" and now["version"] == v + 1


def test_board_edits_carry_the_version_they_were_read_at(env):
    with open_store(env) as store:
        rows = store.measures(round="2026-11")[:3]
        before = measures_frame(rows, {}, today=pd.Timestamp("2027-01-01").date())
        after = before.copy()
        after.loc[0, "status"] = "已完成"
        after.loc[1, "owner"] = "王五"
        store.set_measure(int(before.loc[1, "id"]), note="并发修改", expect_version=int(before.loc[1, "version"]))
        saved, errors = apply_edits(store, before, after)
        assert saved == 1 and len(errors) == 1 and str(before.loc[1, "id"]) in errors[0]
        assert store.measure(int(before.loc[0, "id"]))["status"] == "已完成"
        assert store.measure(int(before.loc[1, "id"]))["owner"] != "王五"


def test_measures_export_has_chinese_headers_and_no_formula(env, tmp_path):
    import openpyxl

    rows = [{"id": 1, "org_id": "X", "org_name": "=1+1", "jurisdiction_code": "110113001", "action": "补齐“五个清”",
             "rule": "R20", "clause": "第十三条", "measure": "补齐", "owner": "镇党委", "due": "2026-12-31",
             "status": "待办", "note": "", "version": 1, "round": "2026-11", "origin_round": "2026-06"}]
    df = measures_frame(rows, {"110113001": "胜利街道"}, today=pd.Timestamp("2027-01-01").date())
    assert bool(df.loc[0, "overdue"]) and df.loc[0, "town"] == "胜利街道"
    path = tmp_path / "m.xlsx"
    path.write_bytes(measures_xlsx(df, notes=["演示数据（合成）"]))
    ws = openpyxl.load_workbook(path).active
    values = [c.value for row in ws.iter_rows() for c in row]
    assert "任务措施" in values and "责任人" in values and "单位名称" in values
    cell = next(c for row in ws.iter_rows() for c in row if c.value == "=1+1")
    assert cell.data_type == "s"


def test_data_page_saves_a_round_and_pages_use_a_chosen_round(env):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("lianxin_geo/ui/data.py")
    at.run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    at.text_input(key="round_name").set_value("2099-06")
    at.button(key="FormSubmitter:save_round-保存为台账轮次").click().run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    assert any("已保存轮次 2099-06" in s.value for s in at.success)
    with open_store(env) as store:
        assert "2099-06" in [r.name for r in store.rounds()]
    at.selectbox(key="round_pick").set_value("2026-06").run(timeout=TIMEOUT)
    at.switch_page("lianxin_geo/ui/overview.py")
    at.run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    assert any("2026-06" in i.value for i in at.info)
    assert os.environ["LIANXIN_DB"] == str(env)

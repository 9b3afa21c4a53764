"""The app's altair charts (lianxin_geo.present.appcharts) on small frames: order, colours, target, Chinese labels."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

pytest.importorskip("altair")

from lianxin_geo.present import appcharts  # noqa: E402
from lianxin_geo.present.style import RATE_TARGET_MET, STATUS_COLORS, rate_color  # noqa: E402

SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")


def _jur() -> pd.DataFrame:
    return pd.DataFrame({
        "code": ["001", "002", "003", None], "name": ["甲街道", "乙镇", "丙镇", "未定位"],
        "orgs": [10, 20, 0, 3], "own": [5, 2, 0, 0], "joint": [4, 0, 0, 0], "work_only": [1, 8, 0, 1],
        "uncovered": [0, 10, 0, 2], "org_coverage_rate": [0.9, 0.1, None, 0.0],
    })


def _texts(chart) -> str:
    return json.dumps(chart.to_dict(), ensure_ascii=False)


def test_town_rates_sorted_with_target_and_map_colours():
    df = appcharts.town_rates_data(_jur(), target=0.8)
    assert df["乡镇/街道"].tolist() == ["乙镇", "甲街道", "丙镇"]  # lowest first, missing last, 未定位 dropped
    assert df["比率文本"].tolist() == ["10.0%", "90.0%", "—"]
    assert df["达标"].tolist() == ["否", "是", "—"]
    assert df["颜色"].tolist() == [rate_color(0.1, 0.8), rate_color(0.9, 0.8), rate_color(None, 0.8)]
    spec = appcharts.town_rates_chart(_jur(), target=0.8).to_dict()
    text = json.dumps(spec, ensure_ascii=False)
    assert RATE_TARGET_MET in text and "目标 80.0%" in text
    assert ["乙镇", "甲街道", "丙镇"] == spec["layer"][0]["encoding"]["y"]["sort"]
    assert not SNAKE.findall(text.split('"datasets"')[0])  # no column identifiers in titles, axes, tooltips


def test_town_rates_without_target_has_no_rule():
    spec = appcharts.town_rates_chart(_jur(), target=None).to_dict()
    assert len(spec["layer"]) == 2
    assert "目标" not in json.dumps(spec["layer"], ensure_ascii=False)


def test_district_rates_bullets():
    summary = pd.DataFrame({"org_kind": ["合计", "非公企业"], "org_coverage_rate": [0.5, 0.6],
                            "single_rate": [0.25, 0.3], "work_coverage_rate": [1.0, 1.0]})
    df = appcharts.district_rates_data(summary, targets={"org_coverage_rate": 0.9})
    assert df["指标"].tolist() == ["组织覆盖率", "单独组建率", "工作覆盖率"]
    assert df["比率文本"].tolist() == ["50.0%", "25.0%", "100.0%"]  # the 合计 row, not 非公企业
    assert df["目标文本"].tolist() == ["90.0%", "—", "—"]
    assert df["目标"].notna().sum() == 1
    text = _texts(appcharts.district_rates_chart(summary, targets={"org_coverage_rate": 0.9}))
    assert "全区三率" in text and "tick" in text
    d = appcharts.district_rates_data({"org_coverage_rate": None, "single_rate": 0.1, "work_coverage_rate": 0.2})
    assert d["比率文本"].tolist() == ["—", "10.0%", "20.0%"]


def test_status_mix_shares_and_order():
    df = appcharts.status_mix_data(_jur())
    assert set(df["乡镇/街道"]) == {"甲街道", "乙镇"}  # 丙镇 (no orgs) and 未定位 left out
    assert df["乡镇/街道"].iloc[0] == "乙镇"  # half uncovered: first
    yi = df[df["乡镇/街道"] == "乙镇"].set_index("覆盖状态")["占比"]
    assert yi["未覆盖"] == pytest.approx(0.5) and yi["仅工作覆盖"] == pytest.approx(0.4)
    assert df.groupby("乡镇/街道")["占比"].sum().round(9).eq(1).all()
    text = _texts(appcharts.status_mix_chart(_jur()))
    assert all(STATUS_COLORS[s] in text for s in ("单独建立", "联合建立", "仅工作覆盖", "未覆盖"))


def test_unit_sizes_and_route_lengths():
    units = pd.DataFrame({"org_ids": [["a", "b"], ["c", "d", "e"], ["f", "g"]], "form": ["楼宇", "楼宇", "行业"]})
    df = appcharts.unit_sizes_data(units)
    assert df.to_dict("records") == [{"每个单元的单位数": 2, "形式": "楼宇", "联建单元数": 1},
                                     {"每个单元的单位数": 2, "形式": "行业", "联建单元数": 1},
                                     {"每个单元的单位数": 3, "形式": "楼宇", "联建单元数": 1}]
    assert "共 3 个" in _texts(appcharts.unit_sizes_chart(units))
    routes = pd.DataFrame({"instructor": ["张", "李", "王"], "route": [1, 1, 2], "stops": [3, 4, 5],
                           "length_km": [12.5, None, 30.0], "minutes": [200.0, 300.0, 450.0]})
    r = appcharts.route_lengths_data(routes)
    assert r["里程（公里）"].tolist() == [12.5, 30.0]
    assert "指导员" in r.columns and "instructor" not in r.columns
    text = _texts(appcharts.route_lengths_chart(routes, measure="minutes", working_day=420))
    assert "一天上限 420 分钟" in text and "共 3 条" in text
    assert appcharts.unit_sizes_data(pd.DataFrame()).empty and appcharts.route_lengths_data(None).empty


def test_rounds_chart_long_frame():
    rows = [{"round": "2026-06", "org_coverage_rate": 0.5, "single_rate": 0.2, "work_coverage_rate": None},
            {"round": "2026-11", "org_coverage_rate": 0.6, "single_rate": 0.25, "work_coverage_rate": 0.9}]
    df = appcharts.rounds_data(rows)
    assert len(df) == 6
    assert df[df["轮次"] == "2026-11"].set_index("指标")["比率文本"].to_dict() == {
        "组织覆盖率": "60.0%", "单独组建率": "25.0%", "工作覆盖率": "90.0%"}
    spec = appcharts.rounds_chart(rows).to_dict()
    assert spec["encoding"]["x"]["sort"] == ["2026-06", "2026-11"]
    data = next(iter(spec["datasets"].values()))
    assert len(data) == 5  # the missing rate is not drawn as 0

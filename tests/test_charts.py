"""Charts for the deck (issue 15): built from the assessment and the plans, Chinese labels, the target drawn; the
deck carries them as slides."""

from __future__ import annotations

import io

import pytest

pytest.importorskip("matplotlib")
pptx = pytest.importorskip("pptx")

from lianxin_geo.pipeline import run_assessment, run_joint, run_routes  # noqa: E402
from lianxin_geo.present import charts  # noqa: E402
from lianxin_geo.present.deck import build_deck  # noqa: E402


@pytest.fixture(scope="module")
def results(demo_ws):
    a = run_assessment(demo_ws)
    j = run_joint(demo_ws, assessment=a, time_limit_s=5)
    r = run_routes(demo_ws, assessment=a, joint=j, time_limit_s=5)
    return a, j, r


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in (*ax.texts, ax.title, *ax.get_yticklabels())]


def test_town_rates_sorted_with_the_target_line(results):
    a, _, _ = results
    fig = charts.town_rates_figure(a, target=0.9)
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches]
    assert widths == sorted(widths)  # lowest first
    towns = a.jurisdictions.dropna(subset=["code", "name"])
    assert len(widths) == len(towns)
    assert any("目标 90%" in t for t in _texts(fig))
    assert any(abs(line.get_xdata()[0] - 0.9) < 1e-9 for line in ax.lines)  # the target line


def test_status_mix_shares_add_to_one_and_rates_bullets(results):
    a, _, _ = results
    fig = charts.status_mix_figure(a)
    ax = fig.axes[0]
    n_towns = len(ax.get_yticks())
    ends = {}
    for p in ax.patches:
        y = round(p.get_y(), 6)
        ends[y] = max(ends.get(y, 0), p.get_x() + p.get_width())
    assert len(ends) == n_towns and all(abs(v - 1) < 1e-9 for v in ends.values())
    fig = charts.district_rates_figure(a, targets={"非公企业": 0.9, "社会组织": 0.7})
    assert {"组织覆盖率", "单独组建率", "工作覆盖率"} <= set(_texts(fig))


def test_unit_sizes_and_route_minutes(results):
    _, j, r = results
    fig = charts.unit_sizes_figure(j)
    assert sum(p.get_height() for p in fig.axes[0].patches) == len(j.units)
    fig = charts.route_minutes_figure(r, working_day=420)
    assert sum(p.get_height() for p in fig.axes[0].patches) == len(r.routes)
    assert any("420" in t for t in _texts(fig))


def test_the_deck_carries_the_charts(results, demo_ws, tmp_path):
    a, j, r = results
    path = build_deck(demo_ws, tmp_path / "d.pptx", assessment=a, plans={"joint": j, "routes": r})
    prs = pptx.Presentation(io.BytesIO(path.read_bytes()))
    titles = [s.shapes.title.text if s.shapes.title is not None else
              next((sh.text_frame.text for sh in s.shapes if sh.has_text_frame), "") for s in prs.slides]
    joined = "\n".join(titles)
    for want in ("全区三率", "各乡镇/街道组织覆盖率（对照目标）", "各乡镇/街道覆盖状态构成", "联建单元规模", "指导员路线时长"):
        assert want in joined, want

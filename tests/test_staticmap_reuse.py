"""Each static map drawn once per run and reused by the PNG, PDF and deck exports (issue 16); stop numbers drawn
as one collection; :func:`render_map` as an engine task."""

from __future__ import annotations

import datetime as _dt
import pickle

import pytest

from lianxin_geo.core.engine import Engine
from lianxin_geo.pipeline import run_assessment, run_plans
from lianxin_geo.present import export as ex
from lianxin_geo.present import staticmap as sm

DAY = _dt.date(2026, 11, 30)


@pytest.fixture(scope="module")
def planned(demo_ws):
    a = run_assessment(demo_ws)
    _, plans = run_plans(demo_ws, assessment=a, time_limit_s=4, k=3)
    return demo_ws, a, plans


@pytest.fixture
def draws(monkeypatch):
    """Count the real drawings (the cache sits in front of ``_draw``) and the encodings."""
    seen = {"draw": [], "encode": 0}
    real_draw = sm._draw

    def draw(ws, **kw):
        seen["draw"].append((kw["what"], kw["focus"], tuple(kw["size_in"])))
        return real_draw(ws, **kw)

    monkeypatch.setattr(sm, "_draw", draw)
    return seen


def test_a_run_draws_each_map_once_for_png_pdf_and_deck(planned, draws, tmp_path):
    ws, a, plans = planned
    with sm.map_cache() as memo:
        ex.write_all(ws, tmp_path / "run", formats=("png", "pdf", "pptx"), assessment=a, plans=plans)
    drawn = draws["draw"]
    assert len(drawn) == len(set(drawn))  # nothing drawn twice
    district = [d for d in drawn if d[1] is None]
    assert sorted(w for w, _, _ in district) == ["coverage", "joint", "overview", "routes"]
    towns = [d for d in drawn if d[1] is not None]
    assert len(towns) == len(sm.iter_focus_codes(a, limit=6)) > 0
    assert memo.hits >= 4  # the PDF pages reuse the four PNG figures
    # without a cache block the PDF draws the four district maps again
    draws["draw"].clear()
    for what in ("overview", "joint", "routes", "coverage"):
        ex.export_png(ws, tmp_path / f"{what}.png", plans=plans, assessment=a, what=what, dpi=50)
    ex.export_pdf(ws, tmp_path / "maps.pdf", plans=plans, assessment=a)
    assert len(draws["draw"]) == 8


def test_the_cache_gives_the_same_images_and_ends_with_its_block(planned, draws):
    ws, a, plans = planned
    spec = sm.MapSpec(what="routes", focus=sm.iter_focus_codes(a, limit=1)[0], size_in=(8.0, 7.0), dpi=80)
    plain = sm.render_map(spec, workspace=ws, plans=plans, assessment=a, date=DAY)
    with sm.map_cache() as memo:
        first = sm.render_map(spec, workspace=ws, plans=plans, assessment=a, date=DAY)
        again = sm.render_map(spec, workspace=ws, plans=plans, assessment=a, date=DAY)
        fig = sm.draw_map(ws, what="routes", plans=plans, assessment=a, focus=spec.focus, size_in=(8.0, 7.0),
                          date=DAY)
        assert sm.draw_map(ws, what="routes", plans=plans, assessment=a, focus=spec.focus, size_in=(8.0, 7.0),
                           date=DAY) is fig
        other = sm.render_map(sm.MapSpec(what="routes", focus=spec.focus, size_in=(8.0, 7.0), dpi=60),
                              workspace=ws, plans=plans, assessment=a, date=DAY)
        with sm.map_cache() as inner:  # nested blocks share the outer cache
            assert inner is memo
    assert first == again == plain and other != first
    assert len(draws["draw"]) == 2  # once outside, once inside; the second dpi reuses the figure
    assert sm.draw_map(ws, what="routes", plans=plans, assessment=a, focus=spec.focus, size_in=(8.0, 7.0),
                       date=DAY) is not fig  # the block is over: no cache, nothing kept


def test_other_inputs_are_other_maps(planned):
    ws, a, plans = planned
    with sm.map_cache():
        f1 = sm.draw_map(ws, what="overview", plans=plans, assessment=a, date=DAY)
        f2 = sm.draw_map(ws, what="overview", plans=plans, assessment=None, date=DAY)
        f3 = sm.draw_map(ws, what="overview", plans=plans, assessment=a, date=DAY, title="别的标题")
        f4 = sm.draw_map(ws, what="overview", plans=plans, assessment=a, date=DAY + _dt.timedelta(days=1))
    assert len({id(f) for f in (f1, f2, f3, f4)}) == 4


def test_stop_numbers_are_one_collection_not_hundreds_of_texts(planned):
    ws, a, plans = planned
    code = sm.iter_focus_codes(a, limit=1)[0]
    fig = sm.draw_map(ws, what="routes", plans=plans, assessment=a, focus=code, size_in=(8.0, 7.0), date=DAY)
    ax = fig.axes[0]
    numbers = [c for c in ax.collections if c.get_gid() == "stop-numbers"]
    assert len(numbers) == 1
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    st = plans.routes.stops
    inside = st[(st["lon"] >= x0) & (st["lon"] <= x1) & (st["lat"] >= y0) & (st["lat"] <= y1)]
    assert len(numbers[0].get_paths()) >= len(inside[inside["jurisdiction_code"] == code]) > 0
    assert all(t.get_fontsize() != sm.NUMBER_SIZE_PT for t in ax.texts)  # no per-number Text artists
    # the numbers really are ink on the image: drop them and the picture changes
    with_numbers = sm.figure_bytes(fig, dpi=60)
    numbers[0].remove()
    assert sm.figure_bytes(fig, dpi=60) != with_numbers
    district = sm.draw_map(ws, what="routes", plans=plans, assessment=a, date=DAY)
    assert not [c for c in district.axes[0].collections if c.get_gid() == "stop-numbers"]  # district map: none


def test_render_map_is_an_engine_task(planned):
    ws, a, plans = planned
    codes = sm.iter_focus_codes(a, limit=3)
    specs = [sm.MapSpec(what="routes", focus=c, size_in=(6.0, 5.0), dpi=50) for c in codes]
    pickle.loads(pickle.dumps((sm.render_map, specs)))  # what a worker receives
    res = Engine("sync").map(sm.render_map, specs, keys=codes, labels=[ws.district.town_names[c] for c in codes],
                             workspace=ws, plans=plans, assessment=a, date=DAY)
    assert not res.partial
    direct = [sm.render_map(s, workspace=ws, plans=plans, assessment=a, date=DAY) for s in specs]
    assert res.ordered(codes) == direct
    assert all(png[:8] == b"\x89PNG\r\n\x1a\n" for png in direct)

"""One colour scale of coverage rates for every map, and its legend bands."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lianxin_geo.present import layers, staticmap, style
from lianxin_geo.present.style import RATE_BANDS, RATE_MISSING, RATE_RAMP, RATE_TARGET_MET, rate_color


def test_web_and_static_maps_share_the_scale():
    assert layers.rate_color is style.rate_color
    assert staticmap.rate_color is style.rate_color
    assert not hasattr(staticmap, "_rate_color") and not hasattr(layers, "_rate_color")


@pytest.mark.parametrize(("rate", "target", "color"), [
    (0.95, 0.9, RATE_TARGET_MET),
    (0.9, 0.9, RATE_TARGET_MET),
    (0.8, 0.9, RATE_RAMP[3]),    # 89 % of the target
    (0.5, 0.9, RATE_RAMP[2]),    # 56 %
    (0.3, 0.9, RATE_RAMP[1]),    # 33 %
    (0.1, 0.9, RATE_RAMP[0]),    # 11 %
    (0.0, 0.9, RATE_RAMP[0]),
    (0.6, None, RATE_RAMP[2]),   # no target: quarters of the rate itself
    (1.0, None, RATE_RAMP[3]),
    (0.6, 0.0, RATE_RAMP[2]),    # a zero target is no target
    (None, 0.9, RATE_MISSING),
    (math.nan, 0.9, RATE_MISSING),
])
def test_rate_color_bands(rate, target, color):
    assert rate_color(rate, target) == color


@settings(max_examples=80, deadline=None)
@given(st.floats(min_value=0.0, max_value=1.0), st.floats(min_value=0.0, max_value=1.0),
       st.floats(min_value=0.05, max_value=1.0))
def test_rate_color_never_gets_worse_as_the_rate_rises(r1, r2, target):
    order = [c for c, _ in reversed(RATE_BANDS)]  # worst first
    lo, hi = sorted((r1, r2))
    assert order.index(rate_color(lo, target)) <= order.index(rate_color(hi, target))


def test_legend_bands_name_the_colours_they_show():
    target = 0.8
    for share, (color, label) in zip((1.0, 0.8, 0.6, 0.3, 0.1), RATE_BANDS):
        assert rate_color(share * target, target) == color, label
    assert [c for c, _ in RATE_BANDS] == [RATE_TARGET_MET, *reversed(RATE_RAMP)]


def test_pct_and_pp_format_every_value_the_same_way():
    from lianxin_geo.present.style import pct, pp

    assert pct(1.0) == "100.0%" and pct(0) == "0.0%" and pct(0.4567) == "45.7%"
    assert pct(None) == "—" and pct(float("nan")) == "—" and pct("x") == "—" and pct(None, missing="") == ""
    assert pp(0.024) == "+2.4 个百分点" and pp(-0.1) == "-10.0 个百分点" and pp(None) == "—"

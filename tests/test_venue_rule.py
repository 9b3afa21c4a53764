"""One R15 rule: the assessment and the coverage plan give the same verdict for every jurisdiction."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lianxin_geo.assessment.venues import (
    STATUS_BELOW,
    STATUS_MISSING,
    STATUS_OK,
    STATUS_UNKNOWN,
    area_verdict,
    best_index,
)


@pytest.mark.parametrize(
    ("area", "has", "expected"),
    [
        (1200.0, True, (True, 0.0, STATUS_OK)),
        (1199.0, True, (False, 1.0, STATUS_BELOW)),
        (None, True, (False, None, STATUS_UNKNOWN)),
        (math.nan, True, (False, None, STATUS_UNKNOWN)),
        (None, False, (False, 1200.0, STATUS_MISSING)),
    ],
)
def test_area_verdict(area, has, expected):
    assert area_verdict(area, 1200.0, has_center=has) == expected


def test_best_index_prefers_the_largest_known_area():
    assert best_index([]) is None
    assert best_index([math.nan, 900.0, 1300.0, None]) == 2
    assert best_index([math.nan, None]) == 0


def test_assessment_and_coverage_agree_on_the_demo():
    from lianxin_geo.pipeline import run_assessment, run_coverage
    from lianxin_geo.workspace import load_workspace

    ws = load_workspace(demo_orgs=300)
    ws.centers = ws.centers.copy()
    own = ws.centers[ws.centers["level"].isin(["镇级", "街道级"])]
    alone = own.groupby("jurisdiction_code").filter(lambda g: len(g) == 1)
    blank = alone.index[0]
    blank_code = alone.loc[blank, "jurisdiction_code"]
    ws.centers.loc[blank, "floor_area"] = np.nan  # the only center of a town, with no area given
    a = run_assessment(ws).venues
    c = run_coverage(ws, k=0).to_json()["venues"]
    by_code = {v["jurisdiction_code"]: v for v in c}
    towns = a[a["level"].isin(["镇级", "街道级", "区级"])]
    assert len(towns) == len(by_code)
    for row in towns.itertuples(index=False):
        v = by_code[row.jurisdiction_code]
        assert (bool(row.compliant), row.status) == (v["compliant"], v["status"]), row.name
        short = None if row.shortfall_m2 is None or (isinstance(row.shortfall_m2, float) and math.isnan(row.shortfall_m2)) \
            else float(row.shortfall_m2)
        assert short == v["shortfall_m2"], row.name
    assert by_code[blank_code]["status"] == STATUS_UNKNOWN
    assert towns.set_index("jurisdiction_code").loc[blank_code, "status"] == STATUS_UNKNOWN

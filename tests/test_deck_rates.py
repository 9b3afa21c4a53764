"""The deck's per-town figures show rates as percentages, 100 % and 0 % included (never "1（70.0%）")."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from lianxin_geo.present.deck import town_rows


def test_full_and_zero_rates_print_as_percentages():
    j = pd.DataFrame({
        "code": ["1", "2"], "orgs": [10, 4], "own": [10, 0], "joint": [0, 0], "work_only": [0, 0], "uncovered": [0, 4],
        "org_coverage_rate": [1.0, 0.0], "enterprise_org_coverage_rate": [1.0, 0.0], "enterprise_target": [0.9, 0.9],
        "social_org_coverage_rate": [1.0, 0.0], "social_target": [0.7, 0.7],
    })
    rows = town_rows(SimpleNamespace(jurisdictions=j), ["1", "2"])
    first = dict((k, v) for k, v in rows["1"])
    second = dict((k, v) for k, v in rows["2"])
    assert first["组织覆盖率"] == "100.0%"
    assert first["非公企业组织覆盖率（目标）"] == "100.0%（90.0%）"
    assert first["社会组织组织覆盖率（目标）"] == "100.0%（70.0%）"
    assert second["组织覆盖率"] == "0.0%"
    assert second["非公企业组织覆盖率（目标）"] == "0.0%（90.0%）"

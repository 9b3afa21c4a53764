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


def _deck_text(path) -> str:
    from pptx import Presentation

    return "\n".join(sh.text_frame.text for s in Presentation(str(path)).slides for sh in s.shapes
                     if sh.has_text_frame)


def test_a_partial_plan_is_labelled_in_the_deck(demo_ws, tmp_path):
    """A plan with failed towns says 部分结果 and names the towns; a complete plan never does."""
    import dataclasses

    from lianxin_geo.core.engine import TaskFailure
    from lianxin_geo.pipeline import run_assessment, run_plans
    from lianxin_geo.present.deck import PARTIAL, build_deck

    a = run_assessment(demo_ws)
    _, plans = run_plans(demo_ws, assessment=a, which=("joint", "routes"), time_limit_s=4)
    whole = _deck_text(build_deck(demo_ws, tmp_path / "whole.pptx", assessment=a, plans=plans))
    assert PARTIAL not in whole
    fail = TaskFailure(key="110113011", label="仁和镇", reason="内存不足（MemoryError）")
    plans.routes = dataclasses.replace(plans.routes, failures=(fail,))
    part = _deck_text(build_deck(demo_ws, tmp_path / "part.pptx", assessment=a, plans=plans))
    assert "指导员配置与路线摘要（部分结果）" in part
    assert "（部分结果：仁和镇求解失败，未纳入本方案）" in part
    assert "联建方案摘要（部分结果）" not in part  # only the plan that failed is labelled

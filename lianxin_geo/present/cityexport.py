"""The city's own files of a city run: the workbook of districts and towns (``全市汇总.xlsx``).

The tables come from the districts' own assessments (each district run in its own task): the district rows are
each district's :func:`~lianxin_geo.assessment.tables.district_summary`, the city row their sums
(:func:`~lianxin_geo.assessment.tables.combine_summaries`), the town rows each district's jurisdiction table.
Every sheet carries the data notes (synthetic demo, approximate town boundaries) like every other export.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from lianxin_geo.present.sheets import frame_sheet
from lianxin_geo.present.xlsx import Sheet, write_workbook

__all__ = ["CITY_WORKBOOK", "city_sheets", "write_city_workbook"]

#: File name of the city's workbook in a city run folder.
CITY_WORKBOOK = "全市汇总.xlsx"

_RATE_COLUMNS = {
    "orgs": "单位总数", "own": "单独建立", "joint": "联合建立", "work_only": "仅工作覆盖", "uncovered": "未覆盖",
    "org_coverage_rate": "组织覆盖率", "single_rate": "单独组建率", "work_coverage_rate": "工作覆盖率",
    "target": "覆盖率目标", "gap_text": "距目标",
}
_PCT = ("org_coverage_rate", "single_rate", "work_coverage_rate", "target")
_PLAN_COLUMNS = {"joint_units": "建议联建单位", "routes": "指导员路线（天）", "route_km": "路线总长（千米）",
                 "new_sites": "建议新址", "partial": "部分结果"}


def city_sheets(city: pd.DataFrame, districts: pd.DataFrame, towns: pd.DataFrame, plans: pd.DataFrame,
                notes: Sequence[str]) -> list[Sheet]:
    """The sheets of the city workbook.

    Parameters
    ----------
    city
        The city's summary (rows 合计 / 非公企业 / 社会组织).
    districts
        Every district's summary rows, concatenated (``code``, ``name``, ``org_kind`` …).
    towns
        Every district's town rows (``jurisdiction_frame``) with ``district`` (the district's name).
    plans
        One row per district: ``name`` and the plan figures (``joint_units``, ``routes``, ``route_km``,
        ``new_sites``, ``partial``).
    notes
        The data notes (synthetic, approximate) printed under every title.
    """
    kinds = {"org_kind": "类别"}
    out = [
        frame_sheet("全市", "全市两新组织覆盖情况", city, {**kinds, **_RATE_COLUMNS}, notes, pct=_PCT),
        frame_sheet("各区", "各区两新组织覆盖情况", districts, {"name": "区", **kinds, **_RATE_COLUMNS}, notes,
                    pct=_PCT),
        frame_sheet("各镇街", "各镇街两新组织覆盖情况", towns,
                    {"district": "区", "name": "镇街", **{k: v for k, v in _RATE_COLUMNS.items()
                                                        if k not in ("target", "gap_text")}}, notes, pct=_PCT),
        frame_sheet("各区方案", "各区联建、指导员路线与新址方案", plans, {"name": "区", **_PLAN_COLUMNS},
                    [*notes, "各区的方案与明细见 districts/<区划代码>/ 下该区的全部导出文件"]),
    ]
    return out


def write_city_workbook(path: str | os.PathLike[str], **tables: Any) -> Path:
    """Write :func:`city_sheets` (same keyword arguments) to ``path`` (atomic; the formula guard of every xlsx)."""
    return write_workbook(path, city_sheets(**tables))

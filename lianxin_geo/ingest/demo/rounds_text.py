"""Texts of a later demo round: the change list, five-clear texts after a staff change, and the README section."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from lianxin_geo.ingest.demo import names as N
from lianxin_geo.ingest.demo.base import _cat, _empty_changes, _num
from lianxin_geo.ingest.demo.population import _Limits

__all__: list[str] = []

_YOUNG = re.compile(r"其中35岁以下约(\d+)人")


def _changes_frame(log: list[tuple], kinds: dict[str, str]) -> pd.DataFrame:
    """``(change, credit_code, name, detail)`` tuples as a frame with the Chinese change name, in log order."""
    if not log:
        return _empty_changes()
    df = pd.DataFrame(log, columns=["change", "credit_code", "name", "detail"], dtype=object)
    df.insert(1, "change_name", df["change"].map(kinds))
    df["credit_code"] = df["credit_code"].where(df["credit_code"].notna(), None)
    return df


def _five_clear_update(o: pd.DataFrame, rng: np.random.Generator, idx: np.ndarray, emp0: np.ndarray,
                       lim: _Limits) -> None:
    """Keep the five-clear texts of the rows ``idx`` true after their staff or members changed (in place).

    The staff text scales its under-35 count with the staff; the members text is rewritten; the reason follows
    the members (none, fewer than ``own_org_min_members``, or one of the other reasons, kept when still valid).
    """
    has = o.loc[idx, "clear_staff"].notna().to_numpy()
    if not has.any():
        return
    rows, e0 = idx[has], emp0[has]
    e = o.loc[rows, "employees"].to_numpy(dtype=np.int64)
    mb = o.loc[rows, "members"].to_numpy(dtype=np.int64)
    pb = o.loc[rows, "probationary"].to_numpy(dtype=np.int64)
    old_young = o.loc[rows, "clear_staff"].astype(str).str.extract(_YOUNG)[0].astype(float).fillna(0).to_numpy()
    young = np.minimum(np.round(old_young * e / np.maximum(e0, 1)), e).astype(np.int64)
    o.loc[rows, "clear_staff"] = _cat("从业人员", _num(e), "人，其中35岁以下约", _num(young), "人")
    o.loc[rows, "clear_members"] = np.where(
        mb == 0, np.where(pb > 0, _cat("无正式党员，预备党员", _num(pb), "名"), "无党员"),
        _cat("正式党员", _num(mb), "名"))
    others = np.asarray(N.FIVE_CLEAR_REASONS[2:], dtype=object)
    drawn = others[rng.integers(0, others.size, rows.size)]
    current = o.loc[rows, "clear_reason"].to_numpy(dtype=object)
    keep = np.isin(current, others)
    few = N.FIVE_CLEAR_REASONS[1].format(own_min=lim.own_min)
    o.loc[rows, "clear_reason"] = np.where(mb == 0, N.FIVE_CLEAR_REASONS[0],
                                           np.where(mb < lim.own_min, few, np.where(keep, current, drawn)))


def _round_readme_lines(changes: pd.DataFrame, round_label: str, base_round: str,
                        kinds: dict[str, str]) -> list[str]:
    """The README section of a later round: what it is and how many orgs changed, by kind."""
    lines = ["", f"台账轮次 / round: {round_label}（由第一轮 {base_round} 按固定种子逐轮演化而来，见 docs/demo.md）。"]
    counts = changes["change"].value_counts()
    lines.append("本轮变化 / changes since the previous round:")
    for key, zh in kinds.items():
        lines.append(f"  {zh}: {int(counts.get(key, 0))}")
    return lines

"""The coverage plan's tables: coverage per town/street and district, gaps on hexagons, orgs and buildings.

Everything here works on arrays the planner already computed (who is covered, before
and after the proposed sites) and turns them into the frames of
:class:`~lianxin_geo.plan.coverage.result.CoveragePlan`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from lianxin_geo.core.district import District
from lianxin_geo.core.frames import texts
from lianxin_geo.plan.coverage._frames import Orgs, Points, ids
from lianxin_geo.plan.coverage.hexgrid import HexGrid

__all__ = ["GAP_COLUMNS", "BUILDING_COLUMNS", "coverage_tables", "district_grid", "gap_table", "org_table",
           "buildings_table"]

#: columns of the gap table (largest gap first)
GAP_COLUMNS: list[str] = ["cell_id", "lon", "lat", "orgs", "employees", "members", "jurisdiction_code", "q", "r"]
#: columns of the table of uncovered buildings
BUILDING_COLUMNS: list[str] = ["id", "name", "jurisdiction_code", "lon", "lat", "located", "covered_after"]
_SHARES = ("orgs_share", "members_share", "employees_share")


def _share(num: float, den: float) -> float | None:
    return float(num) / float(den) if den > 0 else None


def _measures(mask_rows: np.ndarray, covered: np.ndarray, members: np.ndarray, employees: np.ndarray,
              located: np.ndarray) -> dict[str, Any]:
    cov = covered & mask_rows
    return {
        "orgs": int(mask_rows.sum()),
        "orgs_covered": int(cov.sum()),
        "orgs_share": _share(cov.sum(), mask_rows.sum()),
        "members": float(members[mask_rows].sum()),
        "members_covered": float(members[cov].sum()),
        "members_share": _share(members[cov].sum(), members[mask_rows].sum()),
        "employees": float(employees[mask_rows].sum()),
        "employees_covered": float(employees[cov].sum()),
        "employees_share": _share(employees[cov].sum(), employees[mask_rows].sum()),
        "orgs_unlocated": int((mask_rows & ~located).sum()),
        "orgs_uncovered": int((mask_rows & located & ~covered).sum()),
    }


def _before_after(mask: np.ndarray, orgs: Orgs, covered: np.ndarray, covered_after: np.ndarray) -> dict[str, Any]:
    row = _measures(mask, covered, orgs.members, orgs.employees, orgs.located)
    after = _measures(mask, covered_after, orgs.members, orgs.employees, orgs.located)
    row.update({f"{key}_after": after[key] for key in _SHARES})
    return row


def coverage_tables(district: District, orgs: Orgs, covered: np.ndarray, covered_after: np.ndarray,
                    buildings: Points, b_cov: np.ndarray, b_cov_after: np.ndarray
                    ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Coverage per town/street (a frame) and for the whole district (a dict), before and after the new sites."""
    jrows = []
    jur = district.jurisdictions
    for code, name, kind in zip(jur["code"].astype(str), jur["name"].astype(str), jur["kind"].astype(str)):
        row = {"jurisdiction_code": code, "name": name, "kind": kind}
        row.update(_before_after(orgs.code == code, orgs, covered, covered_after))
        bm = buildings.code == code
        row["buildings"] = int(bm.sum())
        row["buildings_uncovered"] = int((bm & ~b_cov).sum())
        jrows.append(row)
    dist_row: dict[str, Any] = {"code": district.code, "name": district.name}
    dist_row.update(_before_after(np.ones(orgs.lon.size, dtype=bool), orgs, covered, covered_after))
    dist_row["orgs_outside_jurisdictions"] = int(np.sum(orgs.located
                                                        & np.array([c is None for c in orgs.code], dtype=bool)))
    dist_row["buildings"] = int(b_cov.size)
    dist_row["buildings_uncovered"] = int((~b_cov).sum())
    dist_row["buildings_uncovered_after"] = int((~b_cov_after).sum())
    return pd.DataFrame(jrows), dist_row


def district_grid(district: District, hex_resolution: int) -> HexGrid:
    """The gap grid of a district: fixed origin at the centroid of its outline."""
    c = shapely.centroid(district.outline)
    return HexGrid(resolution=hex_resolution, origin=(float(c.x), float(c.y)))


def gap_table(grid: HexGrid, orgs: Orgs, gap_mask: np.ndarray, demand: str) -> pd.DataFrame:
    """Uncovered orgs, employees and members per hexagon (:data:`GAP_COLUMNS`), largest ``demand`` first.

    A cell's jurisdiction is where most of its uncovered orgs are (its centre may fall outside the district).
    """
    q, r, _ = grid.cells(orgs.lon[gap_mask], orgs.lat[gap_mask])
    if not q.size:
        return pd.DataFrame(columns=["cell_id", "lon", "lat", "q", "r", "orgs", "employees", "members",
                                     "jurisdiction_code"])[GAP_COLUMNS]
    per_org = pd.DataFrame({"q": q, "r": r, "orgs": 1, "employees": orgs.employees[gap_mask],
                            "members": orgs.members[gap_mask],
                            "code": pd.Series(orgs.code[gap_mask], dtype=object).fillna("")})
    gap = per_org.drop(columns="code").groupby(["q", "r"], as_index=False).sum()
    top = (per_org.groupby(["q", "r", "code"], as_index=False).size()
           .sort_values(["q", "r", "size", "code"], ascending=[True, True, False, True])
           .drop_duplicates(["q", "r"]))
    gap = gap.merge(top[["q", "r", "code"]], on=["q", "r"], how="left")
    glon, glat = grid.centers(gap["q"].to_numpy(), gap["r"].to_numpy())
    gap.insert(0, "cell_id", [grid.cell_id(a, b) for a, b in zip(gap["q"], gap["r"])])
    gap.insert(1, "lon", glon)
    gap.insert(2, "lat", glat)
    gap["jurisdiction_code"] = [c if c else None for c in gap.pop("code")]
    sort_key = "employees" if demand == "employees" else ("members" if demand == "members" else "orgs")
    gap = gap.sort_values([sort_key, "orgs", "cell_id"], ascending=[False, False, True]).reset_index(drop=True)
    gap["orgs"] = gap["orgs"].astype(int)
    return gap[GAP_COLUMNS]


def org_table(orgs: Orgs, covered: np.ndarray, in_reach: np.ndarray, new_site: np.ndarray) -> pd.DataFrame:
    """Per org: ``id``, ``jurisdiction_code``, ``lon``, ``lat``, ``located``, ``covered``, ``centers_in_reach``,
    ``new_site``."""
    return pd.DataFrame({
        "id": orgs.id, "jurisdiction_code": pd.Series(orgs.code, dtype=object), "lon": orgs.lon, "lat": orgs.lat,
        "located": orgs.located, "covered": covered,
        "centers_in_reach": in_reach, "new_site": pd.Series(new_site, dtype=object),
    })


def buildings_table(frame: pd.DataFrame | None, buildings: Points, b_cov: np.ndarray,
                    b_cov_after: np.ndarray) -> pd.DataFrame:
    """The buildings outside every existing center's reach (:data:`BUILDING_COLUMNS`)."""
    if frame is None or not len(frame):
        return pd.DataFrame(columns=BUILDING_COLUMNS)
    bt = pd.DataFrame({
        "id": ids(frame, ("id", "building_id"), prefix="B"),
        "name": texts(frame, "name", empty=None),
        "jurisdiction_code": buildings.code,
        "lon": buildings.lon, "lat": buildings.lat,
        "located": buildings.located,
        "covered_after": b_cov_after,
    })
    return bt[~b_cov].reset_index(drop=True)

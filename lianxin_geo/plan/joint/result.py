"""The joint-unit proposal as a typed result: unit, unplaced, kept-unit and violation tables, statistics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lianxin_geo.core.engine import TaskFailure
from lianxin_geo.core.jsonable import jsonable
from lianxin_geo.plan.joint.params import JointParams

__all__ = ["JointPlan", "KEPT_COLUMNS", "UNIT_COLUMNS", "UNPLACED_COLUMNS", "VIOLATION_COLUMNS"]

#: Columns of :attr:`JointPlan.units`.
UNIT_COLUMNS = ("unit_id", "jurisdiction_code", "jurisdiction_codes", "industry", "mixed_industry", "kind", "org_ids",
                "org_names", "hub_id", "hub_name", "hub_lon", "hub_lat", "members", "employees", "radius_m",
                "total_distance_m", "venue_name", "venue_type", "venue_distance_m", "reason", "form")
#: Columns of :attr:`JointPlan.unplaced`.
UNPLACED_COLUMNS = ("org_id", "name", "jurisdiction_code", "reason", "next_option")
#: Columns of :attr:`JointPlan.kept_units`.
KEPT_COLUMNS = ("joint_org_id", "org_ids", "members", "jurisdiction_code", "violations", "suggestion")
#: Columns of :attr:`JointPlan.violations` (the keys of a violation found by the checker).
VIOLATION_COLUMNS = ("unit_id", "rule", "code", "message")
#: Keys of a unit in ``to_json()["units"]``, in order.
_RECORD_KEYS = ("unit_id", "jurisdiction_code", "jurisdiction_codes", "industry", "mixed_industry", "kind", "org_ids",
                "org_names", "hub_id", "hub_name", "members", "employees", "radius_m", "venue", "reason", "form")


@dataclass(frozen=True, eq=False)
class JointPlan:
    """A joint-unit proposal (联建方案).

    Attributes
    ----------
    units
        One row per new unit, in output order: ``unit_id`` (``LJ-{town}-{nnn}``),
        ``jurisdiction_code`` (the hub's town) and ``jurisdiction_codes`` (tuple, all towns),
        ``industry`` (groups joined with 、), ``mixed_industry``, ``kind`` (``building``,
        ``area``, ``similar``, ``cross_town``), ``org_ids`` / ``org_names`` (tuples, hub first,
        then by distance to the hub), the hub (牵头单位: ``hub_id``, ``hub_name``, ``hub_lon``,
        ``hub_lat``), total ``members`` and ``employees``, ``radius_m`` (farthest member to the
        hub, metres on the ellipsoid), ``total_distance_m`` (sum of member-to-hub distances), the
        suggested venue (``venue_name``, ``venue_type``, ``venue_distance_m``; missing when no
        venue is known), ``reason`` (Chinese, why these orgs) and ``form`` (联建形式: 楼宇联建,
        园区联建, 同业联建 or 区域联建; ``kind`` is the finer solver label, ``community`` for
        区域联建). Distances are unrounded here;
        :meth:`to_json` rounds them to 0.1 m.
    unplaced
        One row per eligible org left out: ``org_id``, ``name``, ``jurisdiction_code``,
        ``reason`` and ``next_option`` (Chinese), sorted by town and id. With ``reoptimize``
        it also lists the members of existing joint orgs that end in no new unit (the reason
        names the old joint org and the rule; the next option offers keeping it).
    kept_units
        Existing joint orgs kept as they are (``reoptimize=False``): ``joint_org_id``,
        ``org_ids`` (tuple), ``members``, ``jurisdiction_code``, ``violations`` (tuple of
        ``{rule, message}``: the rules the org breaks) and ``suggestion`` (拆分… / 调整…, empty when none).

    Nothing is lost: every candidate and every member of an existing joint org is in exactly
    one new unit, one kept unit or one unplaced row
    (:func:`lianxin_geo.plan.joint.rules.check_accounting` checks it).
    violations
        What the independent checker found (:data:`VIOLATION_COLUMNS`); empty when every rule holds.
    stats
        ``eligible`` (the orgs the plan places or lists as unplaced: the candidates, and with
        ``reoptimize`` every member of an existing joint org; ``eligible == placed + unplaced``,
        the orgs of ``kept_units`` come on top), ``placed``, ``unplaced``, ``units``, ``mixed_units``,
        ``cross_town_units``,
        ``kept_units``, ``mean_radius_m``, ``max_radius_m``, ``total_distance_m``,
        ``exact_components``, ``seconds``, ``placed_share``, ``size_distribution`` (``orgs`` and
        ``members`` per unit), ``mean_orgs_per_unit``, ``mean_members_per_unit``, ``units_by_form``,
        ``units_with_committee``, ``committee_min_members``, ``kept_units_with_violations``, ``status``
        (``ok``, or ``time_limit`` when the safety time cap stopped the solver).
    params
        The rule values used.
    reoptimize, seed
        The planner's switches.
    failures
        The towns whose task failed (:class:`~lianxin_geo.core.engine.TaskFailure`: key, label, Chinese reason);
        empty for a complete plan. ``stats["status"]`` is ``"time_limit"`` when the safety time cap, not the
        solver's own deterministic limits, stopped it.
    """

    units: pd.DataFrame
    unplaced: pd.DataFrame
    kept_units: pd.DataFrame
    violations: pd.DataFrame
    stats: Mapping[str, Any]
    params: JointParams
    reoptimize: bool = False
    seed: int = 0
    failures: tuple[TaskFailure, ...] = ()

    @property
    def partial(self) -> bool:
        """True when a town's task failed: its orgs are listed as unplaced with the reason (部分结果)."""
        return bool(self.failures)

    @property
    def funding(self) -> dict[str, Any]:
        """R17 start-up funds implied by the new units."""
        p = self.params
        if_applied = p.startup_branch_yuan * p.startup_years * len(self.units)
        return {
            "rule": "R17",
            "new_units": len(self.units),
            "startup_per_branch_yuan_per_year": p.startup_branch_yuan,
            "years": p.startup_years,
            "applies_to_joint": p.include_joint_startup,
            "total_yuan": if_applied if p.include_joint_startup else 0.0,
            "total_if_applied_yuan": if_applied,
            "note": ("新建联合党支部按党支部标准计算启动经费" if p.include_joint_startup
                     else "本策略配置规定启动经费只用于单独建立的党组织，新建联合党支部不计；"
                          f"若按党支部标准计，合计 {if_applied:,.0f} 元"),
        }

    @property
    def settings(self) -> dict[str, Any]:
        """The rule values used, with the profile name and the switches."""
        p = self.params
        return {
            "profile": p.profile_name,
            "max_units": p.max_units,
            "min_members": p.min_members,
            "max_members": p.max_members,
            "max_radius_m_town": p.max_radius_m_town,
            "max_radius_m_street": p.max_radius_m_street,
            "allow_similar_industry": p.allow_similar_industry,
            "allow_cross_town": p.allow_cross_town,
            "include_zero_member_in_building": p.include_zero_member_in_building,
            "reoptimize": bool(self.reoptimize),
            "seed": int(self.seed),
            "forms": list(p.forms),
            "max_radius_m_area": p.max_radius_m_area,
            "committee_min_members": p.committee_min_members,
        }

    def unit_records(self) -> list[dict[str, Any]]:
        """The units as the CLI prints them (``to_json()["units"]``): venue nested, tuples as lists."""
        out = []
        for u in self.units.itertuples(index=False):
            venue = None if pd.isna(u.venue_name) else {"name": u.venue_name, "type": u.venue_type,
                                                         "distance_m": round(float(u.venue_distance_m), 1)}
            out.append({
                "unit_id": u.unit_id, "jurisdiction_code": u.jurisdiction_code,
                "jurisdiction_codes": list(u.jurisdiction_codes), "industry": u.industry,
                "mixed_industry": u.mixed_industry, "kind": u.kind, "org_ids": list(u.org_ids),
                "org_names": list(u.org_names), "hub_id": u.hub_id, "hub_name": u.hub_name, "members": u.members,
                "employees": u.employees, "radius_m": round(float(u.radius_m), 1), "venue": venue, "reason": u.reason,
                "form": u.form,
            })
        return jsonable(out)

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable dict (no NaN): ``units``, ``unplaced``, ``violations``, ``stats``, ``funding``, ..."""
        return jsonable({
            "units": self.unit_records(),
            "unplaced": self.unplaced.to_dict(orient="records"),
            "violations": self.violations.to_dict(orient="records"),
            "stats": dict(self.stats),
            "funding": self.funding,
            "kept_units": self.kept_units.to_dict(orient="records"),
            "settings": self.settings,
            "partial": self.partial,
            "failures": [f.to_json() for f in self.failures],
        })

    def units_frame(self) -> pd.DataFrame:
        """Units as a printable table: the rows of :meth:`unit_records`, org ids joined with 、, venue by name."""
        rows = [{**u, "org_ids": "、".join(u["org_ids"]), "venue": (u["venue"] or {}).get("name", "")}
                for u in self.unit_records()]
        return pd.DataFrame(rows, columns=list(_RECORD_KEYS))

    def unplaced_frame(self) -> pd.DataFrame:
        """Orgs left out as a table (a copy of :attr:`unplaced`)."""
        return self.unplaced.copy()

    def assignments(self) -> pd.DataFrame:
        """One row per placed org: ``org_id``, ``unit_id``, ``is_hub``."""
        rows = [{"org_id": o, "unit_id": u, "is_hub": o == h}
                for u, h, ids in zip(self.units["unit_id"], self.units["hub_id"], self.units["org_ids"]) for o in ids]
        return pd.DataFrame(rows, columns=["org_id", "unit_id", "is_hub"])

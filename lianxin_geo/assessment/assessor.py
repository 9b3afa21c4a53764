"""Assessment of every organization against the policy profile, and the rates behind it.

``assess(orgs, ...)`` gives each accepted org its coverage status (单独建立 /
联合建立 / 仅工作覆盖 / 未覆盖) and the actions the rules call for (R2–R11, R20),
each with a Chinese reason, the rule id, document and clause and the 一企一策 fields
(任务措施, 进度安排, 责任人; :mod:`lianxin_geo.assessment.measures`); the existing joint party
organizations checked as a whole (R6–R9, R25; :mod:`lianxin_geo.assessment.joint_orgs`); then the coverage
rates and gaps to target per kind, per town/street and for the district
(R13/R14, R27), service-center compliance (R15/R16/R23), a funding estimate
(R17–R19) and contact-point candidates (R22).

The formulas are in :mod:`lianxin_geo.assessment.tables` and ``docs/policy.md``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from lianxin_geo.core.jsonable import jsonable
from lianxin_geo.assessment import rules
from lianxin_geo.assessment import tables
from lianxin_geo.assessment.joint_orgs import JOINT_ORG_COLUMNS, joint_org_action_rows, joint_org_frame
from lianxin_geo.assessment.measures import annotate_actions
from lianxin_geo.assessment.rules import (
    A_DEVELOP_MEMBERS, A_FIVE_CLEAR, A_FORM_OWN, A_JOIN_JOINT, A_JOINT_CANDIDATE, A_JOINT_CROSS_TOWN,
    A_JOINT_MIXED_INDUSTRY, A_JOINT_TOO_BIG, A_JOINT_TOO_FEW, A_JOINT_TOO_MANY, A_LEAVE_JOINT, A_NEED_MEMBERS,
    A_UPGRADE_COMMITTEE, A_UPGRADE_GENERAL, A_WORK_COVERAGE,
    STATUS_JOINT, STATUS_NONE, STATUS_OWN, STATUS_WORK, STATUSES, RuleParams,
)
from lianxin_geo.core.industry import industry_group, normalize_industries, similar_groups
from lianxin_geo.core.model import DEMO_FLAG, DEMO_NOTE, ENTERPRISE, SOCIAL
from lianxin_geo.core.policy import Profile, as_profile
from lianxin_geo.core.paths import data_dir

if TYPE_CHECKING:  # pragma: no cover
    from lianxin_geo.core.district import District

__all__ = [
    "Assessment",
    "assess",
    "STATUSES",
    "STATUS_OWN",
    "STATUS_JOINT",
    "STATUS_WORK",
    "STATUS_NONE",
    "ACTIONS",
    "RuleParams",
]

#: Every action label an assessment can give.
ACTIONS: tuple[str, ...] = (
    A_FORM_OWN, A_JOIN_JOINT, A_DEVELOP_MEMBERS, A_NEED_MEMBERS, A_LEAVE_JOINT, A_UPGRADE_GENERAL,
    A_UPGRADE_COMMITTEE, A_JOINT_CANDIDATE, A_WORK_COVERAGE, A_FIVE_CLEAR, A_JOINT_TOO_MANY, A_JOINT_TOO_FEW,
    A_JOINT_TOO_BIG, A_JOINT_CROSS_TOWN, A_JOINT_MIXED_INDUSTRY,
)


@dataclass(frozen=True)
class Assessment:
    """The result of :func:`assess`.

    Attributes
    ----------
    orgs
        One row per org: the input columns plus ``status``, ``status_reason``,
        ``status_rule``, ``actions`` (list of labels), ``action_rules`` (list),
        ``industry_group``, ``new_org_type``, ``five_clear_missing``.
    actions
        Long frame: ``org_id``, ``org_name``, ``jurisdiction_code``, ``action``,
        ``reason``, ``rule``, ``doc``, ``clause`` and the 一企一策 fields ``suggestion``
        (拆分/调整 for flags on existing joint orgs), ``measure`` (任务措施), ``due`` (进度安排,
        ISO date) and ``owner`` (责任人), see :mod:`lianxin_geo.assessment.measures`.
    jurisdictions
        One row per town/street: counts, rates, per-kind rates, targets, gaps.
    district_summary
        Rows 合计 / 非公企业 / 社会组织 for the district.
    venues, funding, contact_points
        See :mod:`lianxin_geo.assessment.tables`.
    joint_orgs
        One row per existing joint party organization with its violations and suggested action
        (:mod:`lianxin_geo.assessment.joint_orgs`).
    assessed_on
        The assessment date the due dates are computed from.
    profile
        The policy profile used.
    synthetic
        True when the orgs' ``source`` says 演示数据（合成）.
    """

    orgs: pd.DataFrame
    actions: pd.DataFrame
    jurisdictions: pd.DataFrame
    district_summary: pd.DataFrame
    venues: pd.DataFrame
    funding: pd.DataFrame
    contact_points: pd.DataFrame
    profile: Profile
    synthetic: bool = False
    district_code: str = ""
    district_name: str = ""
    joint_orgs: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=JOINT_ORG_COLUMNS))
    assessed_on: dt.date | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable dict (no NaN: ``None``), see the module docs for the keys."""
        ds = self.district_summary.set_index("org_kind")
        total = ds.loc["合计"].to_dict()
        by_kind = {k: ds.loc[k].to_dict() for k in (ENTERPRISE, SOCIAL)}
        district = {"code": self.district_code, "name": self.district_name, **total, "by_kind": by_kind}
        juris = []
        for rec in self.jurisdictions.to_dict("records"):
            rec["targets"] = {k: rec[f"{p}_target"] for k, p in tables.KIND_PREFIX.items()}
            rec["gaps"] = {k: rec[f"{p}_gap"] for k, p in tables.KIND_PREFIX.items()}
            juris.append(rec)
        orgs = self.orgs[["id", "name", "kind", "jurisdiction_code", "status", "status_reason", "status_rule",
                          "actions", "industry_group"]].to_dict("records")
        out = {
            "profile": {"name": self.profile.name, "title": self.profile.title},
            "synthetic": self.synthetic,
            "note": DEMO_NOTE if self.synthetic else None,
            "district": district,
            "jurisdictions": juris,
            "orgs": orgs,
            "actions": self.actions.to_dict("records"),
            "venues": self.venues.to_dict("records"),
            "funding": self.funding.to_dict("records"),
            "contact_points": self.contact_points.to_dict("records"),
            "joint_orgs": self.joint_orgs.to_dict("records"),
            "assessed_on": None if self.assessed_on is None else self.assessed_on.isoformat(),
        }
        return jsonable(out)


def _jurisdiction_table(orgs: pd.DataFrame, district: "District | None",
                        centers: pd.DataFrame | None) -> tuple[pd.DataFrame, str, str]:
    if district is not None:
        j = district.jurisdictions
        tab = pd.DataFrame({"code": j["code"].astype(str).to_numpy(dtype=object),
                            "name": j["name"].astype(str).to_numpy(dtype=object),
                            "kind": j["kind"].astype(str).to_numpy(dtype=object)})
        return tab, str(district.code), str(district.name)
    codes = set(orgs["jurisdiction_code"].dropna())
    if centers is not None:
        for col in ("jurisdiction_code", "town_code"):
            if col in centers.columns:
                codes |= {str(c) for c in centers[col].dropna()}
    try:
        known = pd.read_csv(data_dir() / "boundaries" / "shunyi_towns.csv", dtype=str)[["code", "name", "kind"]]
    except FileNotFoundError:  # pragma: no cover - packaged data missing
        known = pd.DataFrame(columns=["code", "name", "kind"])
    known = known[known["code"].isin(codes)]
    rest = sorted(codes - set(known["code"]))
    tab = pd.concat([known, pd.DataFrame({"code": rest, "name": rest, "kind": [None] * len(rest)})],
                    ignore_index=True).sort_values("code", kind="mergesort").reset_index(drop=True)
    tab = tab.astype(object)
    if codes and codes <= set(known["code"]):
        return tab, "110113", "顺义区"
    return tab, "district", "全区"


def assess(
    orgs: pd.DataFrame,
    *,
    centers: pd.DataFrame | None = None,
    parks: pd.DataFrame | None = None,
    buildings: pd.DataFrame | None = None,
    district: "District | None" = None,
    profile: Profile | str | os.PathLike[str] | None = None,
    assessed_on: dt.date | None = None,
) -> Assessment:
    """Assess every org, compute rates and gaps, venues, funding and contact points.

    Parameters
    ----------
    orgs
        Accepted org rows with the keys of ``ORG_SCHEMA`` plus ``id`` and
        ``jurisdiction_code`` (9-digit town code or ``None``); missing optional
        columns are treated as empty.
    centers, parks
        Service-center and park ledgers (optional) for venue compliance.
    buildings
        Commercial-building ledger (optional; kept for R23 checks by callers).
    district
        Gives the list of towns/streets (all of them appear, even without orgs)
        and their kind (街道 / 镇 / 地区); without it the bundled Shunyi towns
        seen in the data are used.
    profile
        Policy profile (default ``shunyi-2017``).
    assessed_on
        The assessment date (default today): the actions' due dates follow the profile's
        ``ledger.refresh_months`` from it. Pass a date for reproducible outputs.
    """
    prof = as_profile(profile)
    del buildings  # accepted for a stable signature; R23 building checks belong to the planners
    df = rules.normalize_orgs(orgs)
    params = RuleParams.from_profile(prof)
    groups = industry_group(df["industry"], prof, df["social_type"], kind=df["kind"],
                            park=df["park"], building=df["building"]).to_numpy(dtype=object)
    similar = {g: frozenset(similar_groups(g, prof)) for g in {x for x in groups if isinstance(x, str) and x}}
    jorgs = joint_org_frame(df, params, groups=groups, similar=similar)
    status, actions = rules.evaluate(df, params, extra=joint_org_action_rows(jorgs, df["id"].to_numpy(), params))
    df = pd.concat([df, status], axis=1)
    df["industry_group"] = groups
    _, divisions = normalize_industries(df["industry"])
    by_row_actions: list[list[str]] = [[] for _ in range(len(df))]
    by_row_rules: list[list[str]] = [[] for _ in range(len(df))]
    for r, a, ru in zip(actions["row"], actions["action"], actions["rule"]):
        if a not in by_row_actions[r]:
            by_row_actions[r].append(a)
        if ru not in by_row_rules[r]:
            by_row_rules[r].append(ru)
    df["actions"] = pd.Series(by_row_actions, dtype=object)
    df["action_rules"] = pd.Series(by_row_rules, dtype=object)
    df["n_actions"] = [len(a) for a in by_row_actions]
    actions = actions.assign(
        org_name=df["name"].to_numpy(dtype=object)[actions["row"].to_numpy()],
        jurisdiction_code=df["jurisdiction_code"].to_numpy(dtype=object)[actions["row"].to_numpy()],
    )[["org_id", "org_name", "jurisdiction_code", "action", "reason", "rule", "doc", "clause"]]

    juris, dcode, dname = _jurisdiction_table(df, district, centers)
    day = assessed_on if assessed_on is not None else dt.date.today()
    actions = annotate_actions(actions, juris, prof, assessed_on=day)
    jtab = tables.jurisdiction_frame(df, actions, juris, prof)
    summary = tables.with_town_gap_sums(tables.district_summary(df, prof, code=dcode, name=dname), jtab)
    venues = tables.venues_frame(centers, parks, juris, prof, district_code=dcode, district_name=dname,
                                 district=district)
    funding = tables.funding_frame(df, actions, juris, prof, district_code=dcode)
    contacts = tables.contact_points_frame(df, actions, juris, prof, district_code=dcode, district_name=dname,
                                           divisions=divisions)
    synthetic = bool(len(df)) and bool((df["source"] == DEMO_FLAG).any())
    return Assessment(orgs=df, actions=actions, jurisdictions=jtab, district_summary=summary, venues=venues,
                      funding=funding, contact_points=contacts, profile=prof, synthetic=synthetic,
                      district_code=dcode, district_name=dname, joint_orgs=jorgs, assessed_on=day)

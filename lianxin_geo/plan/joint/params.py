"""The rule values of joint party units (联建), read once from a policy profile."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Callable

from lianxin_geo.core.errors import PolicyError
from lianxin_geo.core.policy import Profile, as_profile, params_from_profile

__all__ = ["FORM_BUILDING", "FORM_PARK", "FORM_INDUSTRY", "FORM_AREA", "FORMS", "JointParams"]

#: The forms of joint units (联建形式) the seeds name (SY2017 第六条; BJ2016N 一; TN2020 4; BJ2016S 6).
FORM_BUILDING = "楼宇联建"
FORM_PARK = "园区联建"
FORM_INDUSTRY = "同业联建"
FORM_AREA = "区域联建"
FORMS = (FORM_BUILDING, FORM_PARK, FORM_INDUSTRY, FORM_AREA)

#: field -> (profile key, conversion)
def _forms(value: Any) -> tuple[str, ...]:
    """The profile's ``joint.forms`` as a tuple, each one of :data:`FORMS`."""
    items = (value,) if isinstance(value, str) else tuple(value)
    bad = [str(f) for f in items if f not in FORMS]
    if bad or not items:
        raise PolicyError(f"joint.forms 含未知的联建形式 {'、'.join(bad) or '（空）'}：可用 {'、'.join(FORMS)}")
    return tuple(dict.fromkeys(str(f) for f in items))


_KEYS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "max_units": ("joint.max_units", int),
    "min_members": ("joint.min_members_total", int),
    "max_members": ("joint.max_members", int),
    "max_radius_m_town": ("joint.max_radius_m_town", float),
    "max_radius_m_street": ("joint.max_radius_m_street", float),
    "allow_cross_town": ("joint.allow_cross_town", bool),
    "allow_similar_industry": ("joint.allow_similar_industry", bool),
    "include_zero_member_in_building": ("joint.include_zero_member_in_building", bool),
    "own_org_min_members": ("thresholds.own_org_min_members", int),
    "startup_branch_yuan": ("funding.startup_branch", float),
    "startup_years": ("funding.startup_years", int),
    "include_joint_startup": ("funding.include_joint_startup", bool),
    "forms": ("joint.forms", _forms),
    "max_radius_m_area": ("joint.max_radius_m_area", float),
    "committee_min_members": ("joint.committee_min_members", int),
}


@dataclass(frozen=True)
class JointParams:
    """Rule values of joint units; the planner and the checker read the rules only from here.

    Build it with :meth:`from_profile`.

    Attributes
    ----------
    max_units
        R7: at most this many orgs per unit (``joint.max_units``).
    min_members, max_members
        R8 floor and R9 ceiling of a unit's formal members (``joint.min_members_total``,
        ``joint.max_members``).
    max_radius_m_town, max_radius_m_street
        Distance limit of a member to its hub in a 镇/地区 and in a 街道 (``joint.max_radius_m_*``).
    allow_cross_town
        Units over adjacent towns (R25; ``joint.allow_cross_town``).
    allow_similar_industry
        Units of similar (相近) industries, not only the same (R6; ``joint.allow_similar_industry``).
    include_zero_member_in_building
        Zero-member orgs join the unit of their building/park (R23/R24).
    own_org_min_members
        Members from which an org forms its own organization (R2; ``thresholds.own_org_min_members``):
        joint candidates have fewer.
    startup_branch_yuan, startup_years, include_joint_startup
        R17 start-up funds per new branch and year, for how many years, and whether a new joint
        branch counts (``funding.*``).
    forms
        The forms of joint units used, in pass order (``joint.forms``; each one of :data:`FORMS`).
    max_radius_m_area
        区域联建 distance limit of an org without a ``community`` to its hub (``joint.max_radius_m_area``;
        never more than the town/street limit).
    committee_min_members
        Formal members from which a branch elects a committee (支委会, ZB2018; ``joint.committee_min_members``):
        the plan counts the units that reach it.
    profile
        The profile the values came from (its industry grouping and similar lists define "行业相同或相近").
    """

    max_units: int
    min_members: int
    max_members: int
    max_radius_m_town: float
    max_radius_m_street: float
    allow_cross_town: bool
    allow_similar_industry: bool
    include_zero_member_in_building: bool
    own_org_min_members: int
    startup_branch_yuan: float
    startup_years: int
    include_joint_startup: bool
    forms: tuple[str, ...]
    max_radius_m_area: float
    committee_min_members: int
    profile: Profile = field(compare=False, repr=False)

    @classmethod
    def from_profile(cls, profile: Profile | str | None = None, **overrides: Any) -> JointParams:
        """Read the values from a policy profile, then apply ``overrides``.

        Parameters
        ----------
        profile
            A :class:`~lianxin_geo.core.policy.Profile`, a profile name or path, or ``None`` (default profile).
        **overrides
            Field values that replace the profile's, e.g. ``allow_cross_town=True`` (the planner's
            ``cross_town`` switch); ``None`` keeps the profile's value.

        Raises
        ------
        TypeError
            When an override names no field.
        """
        return params_from_profile(cls, _KEYS, as_profile(profile), overrides)

    @classmethod
    def resolve(cls, params: JointParams | None, profile: Profile | str | None, *, cross_town: bool | None,
                include_zero_member_in_building: bool | None, caller: str) -> JointParams:
        """``params`` as given, else read from ``profile`` with the two switches; giving both is refused.

        Raises
        ------
        TypeError
            When ``params`` comes with ``profile`` or a switch (``caller`` names the function in the message).
        """
        if params is None:
            return cls.from_profile(profile, allow_cross_town=cross_town,
                                    include_zero_member_in_building=include_zero_member_in_building)
        if profile is not None or cross_town is not None or include_zero_member_in_building is not None:
            raise TypeError(f"{caller}：params 已含全部规则取值，不能再给 profile、cross_town 或 "
                            "include_zero_member_in_building")
        return params

    @property
    def profile_name(self) -> str:
        """Name of the profile the values came from."""
        return str(self.profile.name)

    def as_dict(self) -> dict[str, Any]:
        """The values (without the profile), e.g. for a settings table."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "profile"}

    def solver_forms(self) -> tuple[str, ...]:
        """The solver's passes for :attr:`forms`, in order (楼宇/园区 share the ``building`` pass)."""
        code = {FORM_BUILDING: "building", FORM_PARK: "building", FORM_INDUSTRY: "industry", FORM_AREA: "community"}
        return tuple(dict.fromkeys(code[f] for f in self.forms))

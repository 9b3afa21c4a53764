"""Every policy value the coverage planner reads, taken from the policy profile once.

:class:`CoverageParams` is built by :meth:`CoverageParams.from_profile` (the profile is
resolved by :func:`lianxin_geo.core.policy.as_profile`, the one resolver); the planner
and its helpers read the thresholds from it and never hold a literal of their own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable

from lianxin_geo.assessment.venues import DISTRICT_LEVEL
from lianxin_geo.core.policy import Profile, as_profile

__all__ = ["CoverageParams", "AreaStandard", "PROFILE_KEYS", "STREET_KINDS", "TOWN_KINDS", "level_for_kind"]

#: jurisdiction kinds whose centers get the street (walking) reach and standard
STREET_KINDS: tuple[str, ...] = ("街道",)
#: jurisdiction kinds whose centers get the town reach and standard
TOWN_KINDS: tuple[str, ...] = ("镇", "地区", "乡")


def level_for_kind(kind: str | None) -> str:
    """The level (街道级 / 镇级) of the own center of a jurisdiction of ``kind``."""
    return "街道级" if kind in STREET_KINDS else "镇级"


@dataclass(frozen=True)
class AreaStandard:
    """The R15 floor-area standards (m²) by level, from the profile's ``venues.required_m2_*``.

    Parameters
    ----------
    district, town, street
        Minimum floor area of a 区级, 镇级 and 街道级 center.
    """

    district: float
    town: float
    street: float

    def for_kind(self, kind: str | None) -> float:
        """Required floor area of the own center of a 街道 (street) or 镇/地区/乡 (town)."""
        return self.street if kind in STREET_KINDS else self.town

    def for_level(self, level: str | None) -> float | None:
        """Required floor area by center level (``None``: the profile sets no standard for it)."""
        return {DISTRICT_LEVEL: self.district, "镇级": self.town, "街道级": self.street}.get(
            str(level) if level is not None else "")


#: the profile key each :class:`CoverageParams` field is read from
PROFILE_KEYS: dict[str, str] = {
    "reach_m_street": "coverage.reach_m_street",
    "reach_m_town": "coverage.reach_m_town",
    "district_center_own_town_only": "coverage.district_center_own_town_only",
    "circuity": "distance.circuity",
    "required_m2_district": "venues.required_m2_district",
    "required_m2_town": "venues.required_m2_town",
    "required_m2_street": "venues.required_m2_street",
    "park_center_required": "venues.park_center_required",
    "six_has": "venues.six_has",
    "six_has_required": "venues.six_has_required",
}
_CONVERT: dict[str, Callable[[Any], Any]] = {
    "reach_m_street": float, "reach_m_town": float, "district_center_own_town_only": bool, "circuity": float,
    "required_m2_district": float, "required_m2_town": float, "required_m2_street": float,
    "park_center_required": bool, "six_has": tuple, "six_has_required": bool,
}


@dataclass(frozen=True)
class CoverageParams:
    """Every policy value coverage planning uses (all from the profile; see :meth:`from_profile`).

    Parameters
    ----------
    reach_m_street, reach_m_town
        Service reach (road metres) of centers in streets / towns (``coverage.reach_m_street`` /
        ``coverage.reach_m_town``).
    district_center_own_town_only
        A 区级 center counts only for orgs of its own jurisdiction
        (``coverage.district_center_own_town_only``).
    circuity
        Road distance ≈ great-circle × circuity when no road graph is given (``distance.circuity``).
    required_m2_district, required_m2_town, required_m2_street
        Minimum floor area by level (R15, ``venues.required_m2_*``).
    park_center_required
        Every functional park must have a center (R15, ``venues.park_center_required``).
    six_has
        "六有" checklist keys (R16, ``venues.six_has``) looked up as boolean center columns.
    six_has_required
        A center lacking one of them (its column given) is not compliant (R16, ``venues.six_has_required``).
    """

    reach_m_street: float
    reach_m_town: float
    district_center_own_town_only: bool
    circuity: float
    required_m2_district: float
    required_m2_town: float
    required_m2_street: float
    park_center_required: bool
    six_has: tuple[str, ...]
    six_has_required: bool

    @classmethod
    def from_profile(cls, profile: Profile | str | os.PathLike[str] | None = None,
                     **overrides: Any) -> "CoverageParams":
        """Read the values from a policy profile, then apply ``overrides``.

        Parameters
        ----------
        profile
            A :class:`~lianxin_geo.core.policy.Profile`, a shipped profile name or a TOML path
            (the default profile when ``None``), resolved by :func:`~lianxin_geo.core.policy.as_profile`.
        **overrides
            Field values that replace the profile's (e.g. ``circuity=1.0`` for a test).

        Raises
        ------
        TypeError
            When an override names no field (checked before the profile is read).
        """
        unknown = sorted(set(overrides) - set(PROFILE_KEYS))
        if unknown:
            raise TypeError(f"CoverageParams 没有参数 {', '.join(unknown)}：可用的有 {', '.join(PROFILE_KEYS)} "
                            f"/ unknown override(s) {', '.join(unknown)}")
        p = as_profile(profile)
        values = {name: p.get(key) for name, key in PROFILE_KEYS.items()}
        return cls(**{name: _CONVERT[name](v) for name, v in {**values, **overrides}.items()})

    @property
    def areas(self) -> AreaStandard:
        """The R15 floor-area standards of these params."""
        return AreaStandard(self.required_m2_district, self.required_m2_town, self.required_m2_street)

    def required_m2_for_kind(self, kind: str | None) -> float:
        """Required floor area of the jurisdiction-level center of a 街道 / 镇 / 地区."""
        return self.areas.for_kind(kind)

    def required_m2_for_level(self, level: str | None) -> float | None:
        """Required floor area by center level (``None``: the profile sets no standard)."""
        return self.areas.for_level(level)

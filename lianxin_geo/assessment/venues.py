"""The R15 floor-area verdict, one rule for the assessment and the coverage plan.

A town/street is judged by its best own center (the largest 镇级/街道级 center in it), the district by
its best 区级 center, against the area the profile requires for that level. The standards themselves come
from the profile (``venues.required_m2_*``); this module only says how a center is compared with them.
"""

from __future__ import annotations

import math
from typing import Sequence

__all__ = [
    "STATUS_OK",
    "STATUS_BELOW",
    "STATUS_MISSING",
    "STATUS_UNKNOWN",
    "STATUS_SIX_HAS",
    "SIX_HAS_REQUIRED_KEY",
    "TOWN_STREET_LEVELS",
    "DISTRICT_LEVEL",
    "best_index",
    "area_verdict",
    "six_has_verdict",
]

STATUS_OK = "达标"
STATUS_BELOW = "面积不足"
STATUS_MISSING = "缺失"
STATUS_UNKNOWN = "面积未填"
STATUS_SIX_HAS = "“六有”不全"
#: Profile switch (R16): a center lacking any of ``venues.six_has`` is not 达标. Profiles without the key
#: keep the area-only verdict (R16 listed, not counted).
SIX_HAS_REQUIRED_KEY = "venues.six_has_required"

#: levels that count as a town/street's own center
TOWN_STREET_LEVELS: tuple[str, ...] = ("镇级", "街道级")
DISTRICT_LEVEL = "区级"


def _known(v: float | None) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def best_index(areas: Sequence[float | None]) -> int | None:
    """Position of the largest known floor area (the first center when no area is known; None when empty)."""
    if len(areas) == 0:
        return None
    best, best_area = 0, -math.inf
    for i, a in enumerate(areas):
        if _known(a) and float(a) > best_area:
            best, best_area = i, float(a)
    return best


def area_verdict(best_area: float | None, required: float, *, has_center: bool = True
                 ) -> tuple[bool, float | None, str]:
    """``(compliant, shortfall_m2, status)`` of the best center against ``required`` m².

    No center: not compliant, the whole standard short, 缺失. A center with no area given: not compliant,
    shortfall unknown (``None``), 面积未填 — a planner must fill in the area, not build a new center.
    """
    if not has_center:
        return False, float(required), STATUS_MISSING
    if not _known(best_area):
        return False, None, STATUS_UNKNOWN
    area = float(best_area)
    if area + 1e-9 >= required:
        return True, 0.0, STATUS_OK
    return False, float(required - area), STATUS_BELOW


def six_has_verdict(compliant: bool, status: str, missing: Sequence[str], *, required: bool) -> tuple[bool, str]:
    """``(compliant, status)`` once R16 is applied: a center that meets the area standard but lacks one of
    the "六有" items is ``“六有”不全`` (not compliant) when the profile requires them; otherwise unchanged."""
    if required and compliant and len(missing) > 0:
        return False, STATUS_SIX_HAS
    return compliant, status

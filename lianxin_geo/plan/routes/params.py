"""The rule values the instructor planner reads from a policy profile, read once."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable

from lianxin_geo.core.policy import Profile, params_from_profile

__all__ = ["InstructorParams"]

#: field -> (profile key, conversion)
_KEYS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "orgs_per_instructor": ("instructors.orgs_per_instructor", int),
    "min_orgs": ("instructors.min_orgs", int),
    "max_orgs": ("instructors.max_orgs", int),
    "visit_minutes": ("instructors.visit_minutes", float),
    "speed_kmh": ("instructors.speed_kmh", float),
    "include_new_units": ("instructors.include_new_units", bool),
    "circuity": ("distance.circuity", float),
}
#: Read when the profile has it (a profile without it does not split routes into days).
_WORKING_DAY = "instructors.working_day_minutes"


@dataclass(frozen=True)
class InstructorParams:
    """The profile values the instructor planner needs, as plain numbers.

    Build it with :meth:`from_profile`; the constructor is for tests and for callers that
    hold explicit values.

    Attributes
    ----------
    orgs_per_instructor
        Target organizations per instructor (R12, ``instructors.orgs_per_instructor``).
    min_orgs, max_orgs
        Planning band (``instructors.min_orgs`` / ``instructors.max_orgs``); no route exceeds ``max_orgs``.
    visit_minutes
        Time spent at each organization (``instructors.visit_minutes``).
    speed_kmh
        Average travel speed (``instructors.speed_kmh``).
    include_new_units
        Also plan for the proposed joint units / new organizations (``instructors.include_new_units``).
    circuity
        Great-circle → road distance factor (``distance.circuity``), also for access legs to a road graph.
    working_day_minutes
        Longest working day of one route (``instructors.working_day_minutes``); a longer route is split
        over days. ``None`` (a profile without the key): routes are not split.
    profile
        The profile the values came from (its industry grouping labels the orgs); ``None``: the default.
    """

    orgs_per_instructor: int
    min_orgs: int
    max_orgs: int
    visit_minutes: float
    speed_kmh: float
    include_new_units: bool
    circuity: float
    working_day_minutes: float | None = None
    profile: Profile | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.orgs_per_instructor < 1 or self.max_orgs < 1:
            raise ValueError(
                f"instructors.orgs_per_instructor（{self.orgs_per_instructor}）与 instructors.max_orgs"
                f"（{self.max_orgs}）必须为正整数：请修改策略配置")
        if self.speed_kmh <= 0:
            raise ValueError(f"instructors.speed_kmh 必须为正数，实际为 {self.speed_kmh}：请修改策略配置")
        if self.working_day_minutes is not None and self.working_day_minutes <= 0:
            raise ValueError(f"instructors.working_day_minutes 必须为正数，实际为 {self.working_day_minutes}：请修改策略配置")

    @classmethod
    def from_profile(cls, profile: Profile | str | None = None, **overrides: Any) -> InstructorParams:
        """Read the values from a policy profile, then apply ``overrides``.

        Parameters
        ----------
        profile
            A :class:`~lianxin_geo.core.policy.Profile`, a profile name or path, or ``None`` (default profile).
        **overrides
            Field values that replace the profile's (``max_orgs=12``); ``None`` keeps the profile's value.

        Raises
        ------
        TypeError
            When an override names no field.
        """
        overrides = dict(overrides)
        day = overrides.pop("working_day_minutes", None)
        prm = params_from_profile(cls, _KEYS, profile, overrides)
        if day is None and prm.profile is not None and _WORKING_DAY in prm.profile:
            day = prm.profile.get(_WORKING_DAY)
        return prm if day is None else replace(prm, working_day_minutes=float(day))

    def as_dict(self) -> dict[str, Any]:
        """The values (without the profile), e.g. for a settings table."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "profile"}

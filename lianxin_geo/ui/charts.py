"""The app's charts: thin :func:`streamlit.altair_chart` wrappers over :mod:`lianxin_geo.present.appcharts`.

Each takes the typed result a page already has (an :class:`~lianxin_geo.assessment.Assessment`, a
:class:`~lianxin_geo.plan.joint.JointPlan`, an :class:`~lianxin_geo.plan.routes.InstructorPlan`) and draws one
chart the width of its container; ``dark=True`` for the 驾驶舱. Targets come from the workspace's profile.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from lianxin_geo.assessment import Assessment
from lianxin_geo.core.policy import Profile
from lianxin_geo.plan.joint import JointPlan
from lianxin_geo.plan.routes import InstructorPlan
from lianxin_geo.present import appcharts

__all__ = ["district_rates", "route_lengths", "status_mix", "town_rates", "unit_sizes"]


def _show(chart: Any, key: str | None) -> None:
    st.altair_chart(chart, width="stretch", key=key)


def _target(profile: Profile, key: str = "targets.enterprise") -> float | None:
    try:
        return float(profile.get(key))
    except (KeyError, TypeError, ValueError):
        return None


def town_rates(a: Assessment, *, profile: Profile, jurisdictions: pd.DataFrame | None = None,
               rate: str = "org_coverage_rate", dark: bool = False, font_size: int = 13,
               height: int | None = None, key: str | None = None) -> None:
    """Each town's rate against the profile's enterprise target (``jurisdictions``: the selection's towns)."""
    j = a.jurisdictions if jurisdictions is None else jurisdictions
    _show(appcharts.town_rates_chart(j, target=_target(profile), rate=rate, dark=dark, font_size=font_size,
                                     height=height), key)


def district_rates(a: Assessment, *, profile: Profile, summary: Any = None, dark: bool = False,
                   font_size: int = 13, title: str = "全区三率", height: int | None = None,
                   key: str | None = None) -> None:
    """The three rates as bullets (``summary``: the selection's rates; default the district's 合计 row)."""
    targets = {"org_coverage_rate": t} if (t := _target(profile)) is not None else None
    _show(appcharts.district_rates_chart(a.district_summary if summary is None else summary, targets=targets,
                                         dark=dark, font_size=font_size, title=title, height=height), key)


def status_mix(a: Assessment, *, jurisdictions: pd.DataFrame | None = None, dark: bool = False,
               key: str | None = None) -> None:
    """Each town's organizations by coverage status."""
    _show(appcharts.status_mix_chart(a.jurisdictions if jurisdictions is None else jurisdictions, dark=dark), key)


def unit_sizes(plan: JointPlan, *, key: str | None = None) -> None:
    """Joint units by number of member organizations."""
    _show(appcharts.unit_sizes_chart(plan.units), key)


def route_lengths(plan: InstructorPlan, *, measure: str = "length_km", key: str | None = None) -> None:
    """Route-days by kilometres (``measure="minutes"``: by minutes, the working day marked)."""
    day = plan.params.working_day_minutes if measure == "minutes" else None
    _show(appcharts.route_lengths_chart(plan.routes, measure=measure, working_day=day), key)

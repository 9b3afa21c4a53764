"""Assessment: each organization's coverage status and the actions the policy asks for, rates per kind, town and
district, venue compliance, funding and contact points — all read from the policy profile."""

from lianxin_geo.assessment.assessor import (
    ACTIONS,
    STATUS_JOINT,
    STATUS_NONE,
    STATUS_OWN,
    STATUS_WORK,
    STATUSES,
    Assessment,
    RuleParams,
    assess,
)
from lianxin_geo.assessment.venues import area_verdict, best_index

__all__ = [
    "ACTIONS",
    "Assessment",
    "RuleParams",
    "STATUSES",
    "STATUS_JOINT",
    "STATUS_NONE",
    "STATUS_OWN",
    "STATUS_WORK",
    "area_verdict",
    "assess",
    "best_index",
]

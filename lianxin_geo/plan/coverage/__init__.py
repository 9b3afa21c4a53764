"""Service-center coverage planning (the "15-minute party-mass service circle").

* :mod:`.params` — :class:`CoverageParams`, every policy value, read from the profile once;
* :mod:`.reach` — service reach and coverage matrices on arrays (great circle or road graph);
* :mod:`.mclp` — the maximal covering location solver on arrays;
* :mod:`.sites` — candidate sites and the siting step;
* :mod:`.venues` — venue compliance (R15/R16, parks without a center);
* :mod:`.hexgrid` — the equal-area hexagon grid of the gaps;
* :mod:`.tables` — coverage, gap, org and building tables;
* :mod:`.result` — :class:`CoveragePlan`, the typed result;
* :mod:`.plan` — :func:`plan_coverage`, which calls the others.
"""

from lianxin_geo.plan.coverage.hexgrid import HexGrid, hex_edge_m
from lianxin_geo.plan.coverage.mclp import MCLPResult, ReducedMCLP, reduce_mclp, solve_mclp
from lianxin_geo.plan.coverage.params import AreaStandard, CoverageParams
from lianxin_geo.plan.coverage.plan import plan_coverage
from lianxin_geo.plan.coverage.reach import coverage_matrix, network_coverage_matrix, service_reach
from lianxin_geo.plan.coverage.result import CoveragePlan
from lianxin_geo.plan.coverage.sites import Siting, candidate_sites, site_new_centers
from lianxin_geo.plan.coverage.venues import VenueReport, venue_compliance

__all__ = [
    "AreaStandard",
    "CoverageParams",
    "CoveragePlan",
    "HexGrid",
    "MCLPResult",
    "ReducedMCLP",
    "Siting",
    "VenueReport",
    "candidate_sites",
    "coverage_matrix",
    "hex_edge_m",
    "network_coverage_matrix",
    "plan_coverage",
    "reduce_mclp",
    "service_reach",
    "site_new_centers",
    "solve_mclp",
    "venue_compliance",
]

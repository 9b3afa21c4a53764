"""Seeded synthetic demo ledgers on the real Shunyi skeleton.

The district outline, the 25 towns/streets with their official codes and the
601 communities/villages are real (see :func:`lianxin_geo.ingest.boundaries.demo_district`;
the town polygons are *approximate*). Everything this module produces on top of
them is **synthetic**: organizations, commercial buildings, parks and
party-mass service centers, each row flagged ``source = DEMO_FLAG``.

The generator is vectorised (numpy; no Python loop per organization) and fully
determined by its seed: the same seed gives the same frames and, through
:func:`write_demo`, the same file bytes. The skeleton tables (buildings, parks,
centers) come from their own random streams, so they do not change with
``n_orgs`` as long as the number of buildings stays the same.

Shapes the demo imitates (see ``docs/demo.md`` for every share):

* about 85 % non-public enterprises and 15 % social organizations, with the
  entity types of rule R5 and some city-level social groups;
* GB/T 4754-2017 sections of a suburban airport district;
* heavy-tailed staff counts, party members with many zeros;
* own party orgs typed by member count, joint party orgs of 2–15 units of one
  town and one industry section, gaps (≥ 3 members or ≥ 100 staff and no
  party org), instructors and mass organizations;
* orgs clustered in buildings, parks and town centres, every coordinate inside
  its town, about 10 % in GCJ-02, about 5 % with an address only;
* valid, unique 统一社会信用代码 (GB 32100-2015 with the GB 11714 organization
  code inside);
* service centers at every level, some below the area standard of the policy
  profile and some towns without one.

Later ledger rounds (``generate_demo(..., round="2026-11")``, :func:`evolve_round`): the first round
(``2026-06``) evolved one half year at a time, seeded: about 4 % of the orgs closed, 6 % founded, party
orgs formed (R2 and R10 gaps closed, units joining joint orgs), staff and members changed, instructors
assigned; survivors keep their credit code, name and address (so their id). See
:mod:`~lianxin_geo.ingest.demo.rounds` and ``docs/demo.md``.

Modules: :mod:`~lianxin_geo.ingest.demo.generate` (``generate_demo``),
:mod:`~lianxin_geo.ingest.demo.rounds` (``evolve_round``, round labels; texts in ``rounds_text``),
:mod:`~lianxin_geo.ingest.demo.write` (``write_demo``, ``to_ledger_frame``),
``skeleton`` (the district as arrays), ``places`` (buildings, parks, centers),
``orgs`` (the org steps in draw order: ``population``, ``party``, ``labels``),
``codes`` (credit codes), ``flaws``, ``names`` (vocabularies) and ``base``
(result type, shape parameters, array helpers).
"""

from __future__ import annotations

from lianxin_geo.ingest.demo.base import (
    DEFAULT_SEED,
    ENTERPRISE_SHARE,
    GCJ02_SHARE,
    MCA_NAME_SHARE,
    NO_COORD_SHARE,
    DemoData,
)
from lianxin_geo.ingest.demo.generate import generate_demo
from lianxin_geo.ingest.demo.rounds import BASE_ROUND, CHANGE_KINDS, evolve_round, next_round, round_labels
from lianxin_geo.ingest.demo.write import CSV_THRESHOLD, ORG_TITLE, buildings_csv_text, to_ledger_frame, write_demo

__all__ = [
    "DEFAULT_SEED",
    "CSV_THRESHOLD",
    "ORG_TITLE",
    "ENTERPRISE_SHARE",
    "GCJ02_SHARE",
    "NO_COORD_SHARE",
    "MCA_NAME_SHARE",
    "DemoData",
    "generate_demo",
    "evolve_round",
    "BASE_ROUND",
    "CHANGE_KINDS",
    "next_round",
    "round_labels",
    "write_demo",
    "to_ledger_frame",
    "buildings_csv_text",
]

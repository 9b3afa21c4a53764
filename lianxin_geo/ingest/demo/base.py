"""The demo's result type, shape parameters and the vectorised array and text helpers every step uses.

Shape parameters are not policy: they say what the synthetic district looks like
(shares of kinds, of GCJ-02 coordinates …). Policy thresholds come only from the
profile (:func:`lianxin_geo.core.policy.as_profile`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lianxin_geo.ingest.demo import names as N

__all__ = [
    "DEFAULT_SEED",
    "ENTERPRISE_SHARE",
    "GCJ02_SHARE",
    "NO_COORD_SHARE",
    "MCA_NAME_SHARE",
    "DemoData",
]

#: The default seed (the date of 顺组发〔2017〕25号 is close enough to be memorable).
DEFAULT_SEED = 20170602

# ------------------------------------------------------------------ shape parameters (not policy)
#: Share of non-public enterprises among all orgs.
ENTERPRISE_SHARE = 0.85
#: Share of orgs with coordinates written in GCJ-02 (converted from the WGS-84 truth).
GCJ02_SHARE = 0.10
#: Share of orgs with no coordinates, only an address naming a building, park or community.
NO_COORD_SHARE = 0.05
#: Share of orgs in 地区 towns whose 所属镇街 is written with the civil-affairs name (仁和镇 for 仁和地区).
MCA_NAME_SHARE = 0.35
#: Sampling margin inside each town polygon (degrees, about 25–33 m), so that
#: rounding and GCJ-02 round trips can never move a point into the next town.
_MARGIN_DEG = 3e-4
_M_PER_DEG_LAT = 111_320.0

#: Where an org sits: in a building, in a park, around a town centre, anywhere in its town, in a community.
_PLACE_BUILDING, _PLACE_PARK, _PLACE_CENTRE, _PLACE_SCATTER, _PLACE_COMMUNITY = range(5)


# ======================================================================= result
def _empty_changes() -> pd.DataFrame:
    """The change list of a first round: no rows; columns ``change``, ``change_name``, ``credit_code``, ``name``,
    ``detail``."""
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in ("change", "change_name", "credit_code", "name",
                                                                    "detail")})


def _empty_flaws() -> pd.DataFrame:
    return pd.DataFrame({"row": pd.Series([], dtype="int64"), "column": pd.Series([], dtype="str"),
                         "problem": pd.Series([], dtype="str")})


@dataclass
class DemoData:
    """A synthetic demo: four ledgers with internal column keys (``ORG_SCHEMA.keys`` etc.).

    Attributes
    ----------
    orgs, buildings, parks, centers
        The ledgers, values as a ledger holds them (text enumerations in
        Chinese, bools for 是/否 columns, NaN for blanks).
    seed
        The seed that produced them.
    flaws
        The deliberately flawed org rows (``flaws=True`` only): ``row`` (0-based
        position in ``orgs``), ``column`` (internal key) and ``problem`` (Chinese).
    round
        The ledger round (``None`` for the first round made without ``round``; see
        :mod:`lianxin_geo.ingest.demo.rounds`).
    changes
        What changed since the previous round, one row per event: ``change`` (a key of
        ``CHANGE_KINDS``), ``change_name`` (Chinese), ``credit_code``, ``name``, ``detail``.
        Empty for the first round.
    """

    orgs: pd.DataFrame
    buildings: pd.DataFrame
    parks: pd.DataFrame
    centers: pd.DataFrame
    seed: int
    flaws: pd.DataFrame = field(default_factory=_empty_flaws)
    round: str | None = None
    changes: pd.DataFrame = field(default_factory=_empty_changes)

    def frames(self) -> dict[str, pd.DataFrame]:
        """The four ledgers by kind (``orgs``, ``buildings``, ``parks``, ``centers``)."""
        return {"orgs": self.orgs, "buildings": self.buildings, "parks": self.parks, "centers": self.centers}


def _typed(df: pd.DataFrame, schema: Any) -> pd.DataFrame:
    """Give every column the dtype a ledger column of its type has, whatever the number of rows.

    Text -> ``str`` (missing as NaN), counts -> ``int64`` (``Int64`` when a column may be
    blank), numbers and coordinates -> ``float64``, 是/否 -> ``bool``.
    """
    out = {}
    for col in schema.columns:
        if col.key not in df.columns:
            continue
        s = df[col.key]
        if col.type in ("str", "enum", "code"):
            s = s.astype("str")
        elif col.type == "int":
            s = s.astype("Int64") if s.isna().any() or isinstance(s.dtype, pd.Int64Dtype) else s.astype("int64")
        elif col.type in ("float", "lon", "lat"):
            s = s.astype("float64")
        elif col.type == "bool":
            s = s.astype(bool)
        out[col.key] = s
    return pd.DataFrame(out, index=df.index)


# ======================================================================= array helpers
def _groups(labels: np.ndarray, n_labels: int) -> list[tuple[int, np.ndarray]]:
    """(label, indices) for every label present, indices in ascending order."""
    order = np.argsort(labels, kind="stable")
    counts = np.bincount(labels, minlength=n_labels)
    bounds = np.concatenate([[0], np.cumsum(counts)])
    return [(t, order[bounds[t]:bounds[t + 1]]) for t in range(n_labels) if counts[t]]


def _choice_by_group(rng: np.random.Generator, group: np.ndarray, n_groups: int,
                     members: list[np.ndarray]) -> np.ndarray:
    """For each row pick uniformly one element of ``members[group]`` (-1 where the group is empty)."""
    counts = np.array([m.size for m in members], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    flat = np.concatenate(members) if counts.sum() else np.zeros(0, dtype=np.int64)
    c = counts[group]
    pick = np.floor(rng.random(group.size) * np.maximum(c, 1)).astype(np.int64)
    out = np.full(group.size, -1, dtype=np.int64)
    has = c > 0
    out[has] = flat[starts[group[has]] + pick[has]]
    return out


def _duplicated(keys: np.ndarray) -> np.ndarray:
    """True for every occurrence of a key after its first (sort based, no hashing)."""
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    dup_sorted = np.zeros(keys.size, dtype=bool)
    dup_sorted[1:] = sk[1:] == sk[:-1]
    out = np.empty(keys.size, dtype=bool)
    out[order] = dup_sorted
    return out


# ======================================================================= text helpers
def _cat(*parts: Any) -> np.ndarray:
    """Element-wise string concatenation of object arrays and str scalars (object array out).

    numpy's object ``add`` calls ``str.__add__`` in a C loop: far cheaper than a
    round trip through pandas string arrays.
    """
    arrays = [np.asarray(p, dtype=object) for p in parts if not isinstance(p, str)]
    n = max((a.size for a in arrays), default=1)
    out = np.full(n, "", dtype=object)
    for p in parts:
        out = np.add(out, p if isinstance(p, str) else np.asarray(p, dtype=object))
    return out


def _num(values: np.ndarray) -> np.ndarray:
    """Integers as decimal text (object array)."""
    return np.asarray(values, dtype=np.int64).astype(str).astype(object)


def _person_names(rng: np.random.Generator, k: int) -> np.ndarray:
    """``k`` distinct invented person names (surname + one or two given characters)."""
    ns, ng = len(N.SURNAMES), len(N.GIVEN_CHARS)
    per = ng + ng * ng
    total = ns * per
    pick = rng.choice(total, size=min(k, total), replace=False)
    s = pick // per
    g = pick % per
    one = g < ng
    g2 = np.where(one, 0, g - ng)
    first = np.where(one, g, g2 // ng)
    second = np.where(one, -1, g2 % ng)
    sur = np.asarray(N.SURNAMES, dtype=object)[s]
    giv = np.asarray(N.GIVEN_CHARS + ("",), dtype=object)
    out = _cat(sur, giv[first], giv[second])
    if k > total:  # pragma: no cover - only beyond ~98,000 instructors
        extra = _cat(out[np.arange(k - total) % total], _num(np.arange(k - total) // total + 2))
        out = np.concatenate([out, extra])
    return out


def _unique_names(rng: np.random.Generator, pre: np.ndarray, trade: np.ndarray, post: np.ndarray) -> np.ndarray:
    """pre + trade + post, adding invented trade characters to duplicates until every name is unique.

    Each round hashes every name once (vectorised) and lengthens only the
    trade names of the later duplicates.
    """
    trade = trade.copy()
    names = _cat(pre, trade, post)
    c_pool = np.asarray(N.TRADE_C, dtype=object)
    for _ in range(16):
        dup = pd.Series(names, dtype=object).duplicated().to_numpy()
        if not dup.any():
            return names
        idx = np.flatnonzero(dup)
        trade[idx] = _cat(trade[idx], c_pool[rng.integers(0, c_pool.size, idx.size)])
        names[idx] = _cat(pre[idx], trade[idx], post[idx])
    dup = pd.Series(names, dtype=object).duplicated().to_numpy()
    if dup.any():  # pragma: no cover - astronomically rare at any size the demo supports
        names[dup] = _cat(names[dup], "（", _num(np.flatnonzero(dup)), "）")
    return names

"""Maximal covering location problem (MCLP) on arrays.

The core of service-center siting: given a boolean *coverage* matrix
(candidate sites × demand points), demand weights and a budget ``k`` of new
sites, choose up to ``k`` candidates maximising the weight of demand points
that become covered. Demand already covered by existing (fixed) centers is
passed as ``already_covered`` and counts for nothing.

Speed comes from reducing the instance before any solver sees it:

1. drop demand points that are already covered, have no weight, or that no
   candidate can reach;
2. merge demand points with identical candidate sets (their weights add up);
3. drop candidates that reach no remaining demand, and candidates whose set is
   a subset of another candidate's set (dominated: swapping one for the other
   never loses weight).

Then a lazy greedy plus best-improvement swap search gives a solution and an
upper bound (the submodular "online" bound: ``f(S) + sum of the k largest
marginal gains at S`` for every greedy prefix ``S``). Where the reduced model
fits, HiGHS solves the MIP exactly, warm-started with the heuristic solution;
when its time limit is hit the better of the two solutions is kept with the
tighter of the two bounds.

Everything here is plain numpy/scipy: no geometry, no pandas, no policy.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.sparse as sp

from lianxin_geo.core.errors import require

__all__ = ["MCLPResult", "solve_mclp", "reduce_mclp", "ReducedMCLP"]

Method = Literal["auto", "exact", "greedy", "local"]

#: above this many non-zeros in the reduced matrix, ``auto`` skips the MIP
_AUTO_EXACT_MAX_NNZ = 3_000_000
#: skip the dominance test when the candidate-pair product would be larger
_DOMINANCE_MAX_WORK = 60_000_000


@dataclass(frozen=True)
class MCLPResult:
    """Outcome of :func:`solve_mclp`.

    Attributes
    ----------
    selected
        Indices (into the candidate axis of the input matrix) of the chosen
        sites, in decreasing order of their marginal gain (the first site is the
        one that adds most on its own, the next adds most given the first ...).
    gains
        Marginal newly-covered weight of each selected site in that order; sums
        to ``covered_weight``.
    covered_weight
        Weight of the demand points newly covered by the selection.
    bound
        Upper bound on the best achievable newly covered weight (equal to
        ``covered_weight`` when the answer is proven optimal).
    method
        ``exact`` (HiGHS MIP), ``greedy`` or ``local`` (greedy + swaps), or
        ``trivial`` (the reduced instance was solved without search).
    status
        ``optimal``, ``time_limit`` (exact stopped early; best solution kept)
        or ``heuristic`` (no optimality proof beyond ``bound``).
    seconds
        Wall-clock seconds, reduction included.
    newly_covered
        Boolean mask over demand points newly covered by the selection.
    reduced_shape
        (candidates, demand groups) after reduction, for reporting.
    """

    selected: np.ndarray
    gains: np.ndarray
    covered_weight: float
    bound: float
    method: str
    status: str
    seconds: float
    newly_covered: np.ndarray = field(repr=False)
    reduced_shape: tuple[int, int] = (0, 0)

    @property
    def gap(self) -> float:
        """Relative gap ``(bound - value) / bound`` (0 when proven optimal or nothing to gain)."""
        if self.bound <= 0:
            return 0.0
        return max(0.0, (self.bound - self.covered_weight) / self.bound)


@dataclass(frozen=True)
class ReducedMCLP:
    """A reduced instance: ``matrix`` (kept candidates × demand groups, CSR bool) and group weights."""

    matrix: sp.csr_matrix
    weights: np.ndarray
    candidates: np.ndarray  # original candidate index of each kept row
    groups: list[np.ndarray]  # original demand indices of each group (column)


# ---------------------------------------------------------------- reduction
def _as_csr_bool(coverage: object) -> sp.csr_matrix:
    mat = sp.csr_matrix(coverage, dtype=bool)
    mat.eliminate_zeros()
    mat.sum_duplicates()
    return mat


def reduce_mclp(
    coverage: object,
    weights: np.ndarray,
    *,
    already_covered: np.ndarray | None = None,
    dominance: bool = True,
) -> ReducedMCLP:
    """Reduce an MCLP instance (see the module docstring for the three steps).

    Parameters
    ----------
    coverage
        Candidates × demand points, anything :func:`scipy.sparse.csr_matrix` accepts;
        non-zero means "candidate covers demand point".
    weights
        Non-negative weight per demand point.
    already_covered
        Demand points covered by fixed centers (their weight is not counted).
    dominance
        Also drop dominated candidates.
    """
    mat = _as_csr_bool(coverage)
    n_cand, n_dem = mat.shape
    w = np.asarray(weights, dtype=float).reshape(-1)
    if w.shape[0] != n_dem:
        raise ValueError(f"weights 长度 {w.shape[0]} 与需求点数 {n_dem} 不一致 (weights length != demand points)")
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights 必须为非负有限数 (weights must be finite and non-negative)")
    keep_dem = w > 0
    if already_covered is not None:
        ac = np.asarray(already_covered, dtype=bool).reshape(-1)
        if ac.shape[0] != n_dem:
            raise ValueError("already_covered 长度与需求点数不一致 (already_covered length != demand points)")
        keep_dem &= ~ac
    col_count = np.asarray(mat.sum(axis=0)).reshape(-1)
    keep_dem &= col_count > 0
    dem_idx = np.flatnonzero(keep_dem)
    sub = mat[:, dem_idx].tocsr()
    row_count = np.diff(sub.indptr)
    cand_idx = np.flatnonzero(row_count > 0)
    sub = sub[cand_idx].tocsr()

    groups, sub_w, sub = _merge_columns(sub, w[dem_idx], dem_idx)
    if dominance and sub.shape[0] > 1:
        for _ in range(2):
            keep = _undominated(sub)
            if keep.all():
                break
            cand_idx = cand_idx[keep]
            sub = sub[keep].tocsr()
            # columns whose candidate sets became identical merge again
            groups, sub_w, sub = _merge_columns_groups(sub, sub_w, groups)
    return ReducedMCLP(matrix=sub, weights=sub_w, candidates=cand_idx, groups=groups)


def _column_keys(mat_csc: sp.csc_matrix) -> list[bytes]:
    ind = mat_csc.indices.astype(np.int32, copy=False)
    ptr = mat_csc.indptr
    return [ind[ptr[j]:ptr[j + 1]].tobytes() for j in range(mat_csc.shape[1])]


def _merge_columns(
    sub: sp.csr_matrix, w: np.ndarray, dem_idx: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray, sp.csr_matrix]:
    groups0 = [np.array([d]) for d in dem_idx.tolist()]
    return _merge_columns_groups(sub, w, groups0)


def _merge_columns_groups(
    sub: sp.csr_matrix, w: np.ndarray, groups: list[np.ndarray]
) -> tuple[list[np.ndarray], np.ndarray, sp.csr_matrix]:
    if sub.shape[1] == 0:
        return [], np.zeros(0), sub
    csc = sub.tocsc()
    csc.sort_indices()
    keys = _column_keys(csc)
    first: dict[bytes, int] = {}
    label = np.empty(len(keys), dtype=np.int64)
    for j, key in enumerate(keys):
        label[j] = first.setdefault(key, len(first))
    n_new = len(first)
    if n_new == len(keys):
        return groups, w, sub
    new_w = np.bincount(label, weights=w, minlength=n_new)
    reps = np.zeros(n_new, dtype=np.int64)
    reps[label[::-1]] = np.arange(len(keys))[::-1]
    order = np.argsort(label, kind="stable")
    bounds = np.searchsorted(label[order], np.arange(n_new + 1))
    new_groups = [
        np.concatenate([groups[j] for j in order[bounds[g]:bounds[g + 1]]]) for g in range(n_new)
    ]
    return new_groups, new_w, csc[:, reps].tocsr()


def _undominated(sub: sp.csr_matrix) -> np.ndarray:
    """Mask of candidates not dominated (set ⊆ another's set; ties keep the lowest index)."""
    n = sub.shape[0]
    col_count = np.asarray(sub.sum(axis=0)).reshape(-1)
    if float(np.sum(col_count.astype(float) ** 2)) > _DOMINANCE_MAX_WORK:
        return np.ones(n, dtype=bool)
    a = sub.astype(np.int32)
    inter = (a @ a.T).tocoo()
    size = np.diff(sub.indptr)
    r, c, v = inter.row, inter.col, inter.data
    dominated_pair = (r != c) & (v == size[r]) & ((size[c] > size[r]) | ((size[c] == size[r]) & (c < r)))
    keep = np.ones(n, dtype=bool)
    keep[np.unique(r[dominated_pair])] = False
    return keep


# ---------------------------------------------------------------- heuristic
def _greedy(mat: sp.csr_matrix, csc: sp.csc_matrix, w: np.ndarray, k: int) -> tuple[list[int], float]:
    """Greedy with exact gain updates; returns (selection, online upper bound)."""
    n, m = mat.shape
    uncovered = np.ones(m, dtype=bool)
    gains = np.asarray(mat @ w).reshape(-1).astype(float)
    chosen: list[int] = []
    value = 0.0
    bound = np.inf
    avail = np.ones(n, dtype=bool)
    for _ in range(min(k, n)):
        g = np.where(avail, gains, -1.0)
        top = np.sort(g[g > 0])[::-1][:k]
        bound = min(bound, value + float(top.sum()))
        best = int(np.argmax(g))
        if g[best] <= 0:
            break
        chosen.append(best)
        value += float(g[best])
        avail[best] = False
        cols = mat.indices[mat.indptr[best]:mat.indptr[best + 1]]
        cols = cols[uncovered[cols]]
        uncovered[cols] = False
        # every candidate covering a newly covered column loses that weight
        sub = csc[:, cols]
        dec = np.bincount(sub.indices, weights=np.repeat(w[cols], np.diff(sub.indptr)), minlength=n)
        gains -= dec
    g = np.where(avail, np.maximum(gains, 0.0), 0.0)
    top = np.sort(g)[::-1][:k]
    bound = min(bound, value + float(top.sum()))
    return chosen, bound


def _swap_search(
    mat: sp.csr_matrix, w: np.ndarray, chosen: list[int], *, deadline: float, max_rounds: int = 200
) -> list[int]:
    """Best-improvement 1-swap local search (one selected site out, one candidate in)."""
    n, m = mat.shape
    sel = list(chosen)
    if not sel or len(sel) >= n:
        return sel
    mat_f = mat.astype(float)
    for _ in range(max_rounds):
        if time.perf_counter() > deadline:
            break
        s_arr = np.asarray(sel)
        cnt = np.asarray(mat_f[s_arr].sum(axis=0)).reshape(-1)
        free_w = w * (cnt == 0)
        gain0 = np.asarray(mat_f @ free_w).reshape(-1)
        uniq = mat_f[s_arr].multiply((cnt == 1)[None, :]).tocsr()  # k × m
        loss = np.asarray(uniq @ w).reshape(-1)
        overlap = (mat_f @ uniq.multiply(w[None, :]).T.tocsc()).toarray()  # n × k
        delta = gain0[:, None] - loss[None, :] + overlap
        delta[s_arr, :] = -np.inf
        c, j = np.unravel_index(int(np.argmax(delta)), delta.shape)
        if not delta[c, j] > 1e-9 * max(1.0, float(w.sum())):
            break
        sel[j] = int(c)
    return sel


def _value(mat: sp.csr_matrix, w: np.ndarray, sel: list[int]) -> float:
    if not sel:
        return 0.0
    cov = np.asarray(mat[np.asarray(sel)].sum(axis=0)).reshape(-1) > 0
    return float(w[cov].sum())


# ---------------------------------------------------------------- exact
def _solve_exact(
    mat: sp.csr_matrix, w: np.ndarray, k: int, *, warm: list[int], time_limit_s: float, seed: int
) -> tuple[list[int], float, float, str]:
    """HiGHS MIP: max w·y s.t. y_j ≤ Σ_i a_ij x_i, Σ x_i ≤ k, x binary, 0 ≤ y ≤ 1.

    Returns (selection, value, dual bound, status).
    """
    highspy = require("highspy", extra="solvers", purpose="精确求解新址选址（MCLP，HiGHS）")
    n, m = mat.shape
    # constraint matrix (m + 1 rows) column-wise: x_i has -1 in rows j it covers and +1 in row m;
    # y_j has +1 in row j.
    mt = mat.tocsr()
    x_start = mt.indptr.astype(np.int64)
    x_index = mt.indices.astype(np.int32)
    nnz_x = x_index.size
    starts = np.empty(n + m + 1, dtype=np.int64)
    starts[: n + 1] = x_start + np.arange(n + 1)  # +1 entry (the cardinality row) per x column
    starts[n + 1:] = starts[n] + np.arange(1, m + 1)
    index = np.empty(nnz_x + n + m, dtype=np.int32)
    value = np.empty(nnz_x + n + m, dtype=np.float64)
    for_x = np.repeat(np.arange(n), np.diff(x_start))
    pos = x_start[for_x] + for_x + (np.arange(nnz_x) - x_start[for_x])
    index[pos] = x_index
    value[pos] = -1.0
    card_pos = starts[1: n + 1] - 1
    index[card_pos] = m
    value[card_pos] = 1.0
    y_pos = starts[n:n + m]
    index[y_pos] = np.arange(m)
    value[y_pos] = 1.0

    lp = highspy.HighsLp()
    lp.num_col_ = n + m
    lp.num_row_ = m + 1
    lp.col_cost_ = np.concatenate([np.zeros(n), -w])
    lp.col_lower_ = np.zeros(n + m)
    lp.col_upper_ = np.ones(n + m)
    lp.row_lower_ = np.full(m + 1, -highspy.kHighsInf)
    lp.row_upper_ = np.concatenate([np.zeros(m), [float(k)]])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n + [highspy.HighsVarType.kContinuous] * m

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(max(time_limit_s, 0.01)))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 1e-9)
    h.setOptionValue("random_seed", int(seed))
    h.setOptionValue("threads", 1)
    # measured on the demo instances: presolve and primal heuristics cost more than they save here (the
    # model is already reduced and the warm start is near-optimal): 2-4x faster proofs without them
    h.setOptionValue("presolve", "off")
    h.setOptionValue("mip_heuristic_effort", 0.0)
    h.passModel(lp)
    if warm:
        x0 = np.zeros(n + m)
        x0[np.asarray(warm)] = 1.0
        cov = np.asarray(mat[np.asarray(warm)].sum(axis=0)).reshape(-1) > 0
        x0[n:] = cov.astype(float)
        sol = highspy.HighsSolution()
        sol.col_value = x0.tolist()
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    col = np.asarray(h.getSolution().col_value)
    total = float(w.sum())
    if status == highspy.HighsModelStatus.kOptimal:
        st = "optimal"
    else:
        st = "time_limit"
    if col.size == n + m:
        sel = [int(i) for i in np.flatnonzero(col[:n] > 0.5)]
    else:
        sel = list(warm)
    dual = -float(info.mip_dual_bound)
    if not np.isfinite(dual):
        dual = total
    return sel, _value(mat, w, sel), min(dual, total), st


# ---------------------------------------------------------------- public
def _order_by_gain(mat: sp.csr_matrix, w: np.ndarray, sel: list[int]) -> tuple[list[int], list[float]]:
    """Order a selection greedily by marginal gain; return (order, gains)."""
    remaining = list(sel)
    uncovered = np.ones(mat.shape[1], dtype=bool)
    order: list[int] = []
    gains: list[float] = []
    while remaining:
        best_i, best_g = 0, -1.0
        for pos, i in enumerate(remaining):
            cols = mat.indices[mat.indptr[i]:mat.indptr[i + 1]]
            g = float(w[cols[uncovered[cols]]].sum())
            if g > best_g:
                best_i, best_g = pos, g
        i = remaining.pop(best_i)
        cols = mat.indices[mat.indptr[i]:mat.indptr[i + 1]]
        uncovered[cols] = False
        order.append(i)
        gains.append(best_g)
    return order, gains


def solve_mclp(
    coverage: object,
    weights: np.ndarray,
    k: int,
    *,
    already_covered: np.ndarray | None = None,
    time_limit_s: float = 30.0,
    method: Method = "auto",
    seed: int = 0,
    exact_max_nnz: int = _AUTO_EXACT_MAX_NNZ,
) -> MCLPResult:
    """Choose up to ``k`` candidate sites maximising newly covered demand weight.

    Parameters
    ----------
    coverage
        Boolean candidates × demand points matrix (scipy sparse or dense).
    weights
        Non-negative weight per demand point (orgs: 1 each; or employees, members).
    k
        Budget of new sites (``0`` selects nothing).
    already_covered
        Demand points covered by fixed existing centers; they add nothing.
    time_limit_s
        Time limit of the MIP and of the swap search.
    method
        ``auto`` (exact where the reduced model has at most ``exact_max_nnz``
        non-zeros, else ``local``), ``exact``, ``greedy`` or ``local``.
    seed
        Seed of the MIP solver (the heuristics are deterministic).
    exact_max_nnz
        Size limit used by ``auto``.

    Returns
    -------
    MCLPResult
        Selected candidate indices (original numbering), value, bound, status.
    """
    t0 = time.perf_counter()
    if method not in ("auto", "exact", "greedy", "local"):
        raise ValueError(f"method 须为 auto/exact/greedy/local，收到 {method!r} (unknown method)")
    if k < 0:
        raise ValueError(f"k 须为非负整数，收到 {k} (k must be >= 0)")
    mat_in = _as_csr_bool(coverage)
    n_dem = mat_in.shape[1]
    red = reduce_mclp(mat_in, weights, already_covered=already_covered)
    mat, w = red.matrix, red.weights
    n, m = mat.shape

    def finish(sel_red: list[int], bound: float, meth: str, status: str) -> MCLPResult:
        order, gains = _order_by_gain(mat, w, sel_red)
        newly = np.zeros(n_dem, dtype=bool)
        if order:
            cov = np.asarray(mat[np.asarray(order)].sum(axis=0)).reshape(-1) > 0
            if cov.any():
                newly[np.concatenate([red.groups[j] for j in np.flatnonzero(cov)])] = True
        val = float(np.sum(gains)) if gains else 0.0
        return MCLPResult(
            selected=red.candidates[np.asarray(order, dtype=np.int64)] if order else np.zeros(0, dtype=np.int64),
            gains=np.asarray(gains, dtype=float),
            covered_weight=val,
            bound=max(float(bound), val),
            method=meth,
            status=status,
            seconds=time.perf_counter() - t0,
            newly_covered=newly,
            reduced_shape=(n, m),
        )

    if k == 0 or n == 0 or m == 0:
        return finish([], 0.0, "trivial", "optimal")
    if n <= k:
        return finish(list(range(n)), float(w.sum()), "trivial", "optimal")

    csc = mat.tocsc()
    greedy_sel, bound = _greedy(mat, csc, w, k)
    bound = min(bound, float(w.sum()))
    g_val = _value(mat, w, greedy_sel)
    if method == "greedy":
        st = "optimal" if g_val >= bound - 1e-9 else "heuristic"
        return finish(greedy_sel, bound, "greedy", st)
    deadline = t0 + max(time_limit_s, 0.01)
    if g_val >= bound - 1e-9:
        return finish(greedy_sel, bound, "greedy", "optimal")
    local_sel = _swap_search(mat, w, greedy_sel, deadline=deadline if method != "auto" else t0 + time_limit_s / 4)
    l_val = _value(mat, w, local_sel)
    if l_val < g_val:
        local_sel, l_val = greedy_sel, g_val
    use_exact = method == "exact" or (method == "auto" and mat.nnz <= exact_max_nnz)
    if not use_exact or l_val >= bound - 1e-9:
        st = "optimal" if l_val >= bound - 1e-9 else "heuristic"
        return finish(local_sel, bound, "local", st)
    remaining = max(deadline - time.perf_counter(), 0.5)
    e_sel, e_val, e_bound, e_status = _solve_exact(mat, w, k, warm=local_sel, time_limit_s=remaining, seed=seed)
    bound = min(bound, e_bound) if e_status != "optimal" else e_val
    if e_val + 1e-9 < l_val:
        e_sel, e_val = local_sel, l_val
    if e_val >= bound - 1e-9:
        e_status = "optimal"
    return finish(e_sel, max(bound, e_val), "exact", e_status)

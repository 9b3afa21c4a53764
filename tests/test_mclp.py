"""Tests of the maximal covering location solver on arrays (lianxin_geo.plan.coverage.mclp)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from lianxin_geo.plan.coverage.mclp import reduce_mclp, solve_mclp


def brute_force(a: np.ndarray, w: np.ndarray, k: int, covered: np.ndarray) -> float:
    best = 0.0
    for r in range(min(k, a.shape[0]) + 1):
        for combo in itertools.combinations(range(a.shape[0]), r):
            cov = a[list(combo)].any(axis=0) if combo else np.zeros(a.shape[1], dtype=bool)
            best = max(best, float(w[cov & ~covered].sum()))
    return best


def value_of(a: np.ndarray, w: np.ndarray, sel: np.ndarray, covered: np.ndarray) -> float:
    if len(sel) == 0:
        return 0.0
    return float(w[a[sel].any(axis=0) & ~covered].sum())


# Greedy trap: A covers the middle four points, B and C the two halves.
#            d0 d1 d2 d3 d4 d5
TRAP = np.array([
    [0, 1, 1, 1, 1, 0],  # A
    [1, 1, 1, 0, 0, 0],  # B
    [0, 0, 0, 1, 1, 1],  # C
    [0, 1, 0, 0, 0, 0],  # D (dominated by A and B)
], dtype=bool)


def test_crafted_optimum_known_by_hand():
    w = np.ones(6)
    res = solve_mclp(sp.csr_matrix(TRAP), w, 2, method="exact")
    assert sorted(res.selected.tolist()) == [1, 2]
    assert res.covered_weight == 6.0
    assert res.status == "optimal"
    assert res.bound == pytest.approx(6.0)
    assert res.newly_covered.all()
    assert res.gains.sum() == pytest.approx(6.0)


def test_greedy_falls_into_trap_but_reports_valid_bound():
    res = solve_mclp(sp.csr_matrix(TRAP), np.ones(6), 2, method="greedy")
    assert res.selected[0] == 0  # greedy takes A first
    assert res.covered_weight == 5.0
    assert res.status == "heuristic"
    assert res.bound >= 6.0
    assert 0 < res.gap < 1


def test_local_search_escapes_trap_and_auto_is_optimal():
    assert solve_mclp(TRAP, np.ones(6), 2, method="local").covered_weight == 6.0
    res = solve_mclp(TRAP, np.ones(6), 2, method="auto")
    assert res.covered_weight == 6.0 and res.status == "optimal"


def test_already_covered_demand_counts_for_nothing():
    covered = np.array([True, True, True, False, False, False])
    res = solve_mclp(TRAP, np.ones(6), 1, already_covered=covered, method="exact")
    assert res.selected.tolist() == [2]  # C covers d3, d4, d5: all new
    assert res.covered_weight == 3.0
    assert not res.newly_covered[:3].any()


def test_weights_change_the_choice():
    w = np.array([0, 0, 0, 0, 0, 10.0])
    res = solve_mclp(TRAP, w, 1, method="exact")
    assert res.selected.tolist() == [2]
    assert res.covered_weight == 10.0


def test_k_zero_and_k_beyond_candidates():
    assert solve_mclp(TRAP, np.ones(6), 0).selected.size == 0
    res = solve_mclp(TRAP, np.ones(6), 10)
    assert res.covered_weight == 6.0
    assert res.status == "optimal"
    # only useful sites are proposed: D adds nothing once A/B are in
    assert 3 not in res.selected.tolist()


def test_reduction_merges_columns_and_drops_dominated():
    red = reduce_mclp(TRAP, np.ones(6))
    # D is dominated; d2 has the same candidate set as d1 once D is gone ({A, B}); d3, d4 share {A, C}
    assert 3 not in red.candidates.tolist()
    assert red.matrix.shape[0] == 3
    assert red.matrix.shape[1] == 4  # {B}, {A,B}, {A,C}, {C}
    assert red.weights.sum() == 6.0
    assert sorted(np.concatenate(red.groups).tolist()) == list(range(6))


def test_reduction_drops_uncoverable_and_zero_weight():
    a = np.array([[1, 0, 0], [1, 0, 1]], dtype=bool)
    red = reduce_mclp(a, np.array([1.0, 5.0, 0.0]))
    assert red.matrix.shape[1] == 1  # d1 uncoverable, d2 weightless
    assert red.candidates.tolist() == [0]  # identical rows: the lower index stays


def test_invalid_inputs_raise_with_message():
    with pytest.raises(ValueError, match="weights"):
        solve_mclp(TRAP, np.ones(5), 1)
    with pytest.raises(ValueError, match="非负"):
        solve_mclp(TRAP, -np.ones(6), 1)
    with pytest.raises(ValueError, match="method"):
        solve_mclp(TRAP, np.ones(6), 1, method="magic")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="k"):
        solve_mclp(TRAP, np.ones(6), -1)


@st.composite
def instances(draw):
    n = draw(st.integers(1, 7))
    m = draw(st.integers(1, 12))
    a = np.array(draw(st.lists(st.booleans(), min_size=n * m, max_size=n * m)), dtype=bool).reshape(n, m)
    w = np.array(draw(st.lists(st.integers(0, 9), min_size=m, max_size=m)), dtype=float)
    cov = np.array(draw(st.lists(st.booleans(), min_size=m, max_size=m)), dtype=bool)
    k = draw(st.integers(0, 4))
    return a, w, cov, k


@settings(max_examples=60, deadline=None)
@given(instances())
def test_exact_matches_brute_force_and_heuristics_respect_bounds(inst):
    a, w, cov, k = inst
    best = brute_force(a, w, k, cov)
    exact = solve_mclp(sp.csr_matrix(a), w, k, already_covered=cov, method="exact", time_limit_s=5)
    assert exact.covered_weight == pytest.approx(best)
    assert value_of(a, w, exact.selected, cov) == pytest.approx(best)
    assert len(exact.selected) <= k
    for method in ("greedy", "local", "auto"):
        res = solve_mclp(a, w, k, already_covered=cov, method=method)
        assert len(res.selected) <= k
        assert len(set(res.selected.tolist())) == len(res.selected)
        assert value_of(a, w, res.selected, cov) == pytest.approx(res.covered_weight)
        assert res.covered_weight <= best + 1e-9
        assert res.covered_weight <= res.bound + 1e-9
        assert res.bound >= best - 1e-9
        if res.status == "optimal":
            assert res.covered_weight == pytest.approx(best)


def test_spatial_instance_exact_equals_greedy_bound_logic():
    rng = np.random.default_rng(3)
    dem = rng.uniform(0, 10_000, (3_000, 2))
    cand = rng.uniform(0, 10_000, (150, 2))
    d = np.hypot(cand[:, None, 0] - dem[None, :, 0], cand[:, None, 1] - dem[None, :, 1])
    a = sp.csr_matrix(d <= 1_200)
    w = rng.integers(1, 50, dem.shape[0]).astype(float)
    ex = solve_mclp(a, w, 8, method="exact", time_limit_s=10)
    gr = solve_mclp(a, w, 8, method="greedy")
    assert ex.status == "optimal"
    assert gr.covered_weight <= ex.covered_weight + 1e-9 <= gr.bound + 1e-6
    assert ex.seconds < 10

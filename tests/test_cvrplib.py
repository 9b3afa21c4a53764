"""CVRPLIB files of every common shape (``read_cvrp_instance``, through the ``vrplib`` package): the project's
benchmark files, a standard file whose optimum is only in its COMMENT, an EXPLICIT matrix with the depot not first
and a ``.sol`` beside it; files that are not a single-depot CVRP get a Chinese error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lianxin_geo.core.errors import LianxinError
from lianxin_geo.plan.routes import read_cvrp_instance, read_vrplib
from test_routing import CVRP_DIR, brute_force_cvrp, check_solution

STANDARD = """NAME : T-n7-k2
COMMENT : (a test in the CVRPLIB layout, Min no of trucks: 2, Optimal value: {opt})
TYPE : CVRP
DIMENSION : 7
EDGE_WEIGHT_TYPE : EUC_2D
CAPACITY : 5
NODE_COORD_SECTION
 1 50 50
 2 10 20
 3 80 15
 4 90 70
 5 25 85
 6 60 95
 7 5 60
DEMAND_SECTION
1 0
2 2
3 1
4 3
5 2
6 1
7 3
DEPOT_SECTION
 1
 -1
EOF
"""

# five nodes, the depot is node 3; symmetric costs as a lower triangle without the diagonal
EXPLICIT = """NAME : X-n5-d3
COMMENT : (explicit, depot third)
TYPE : CVRP
DIMENSION : 5
EDGE_WEIGHT_TYPE : EXPLICIT
EDGE_WEIGHT_FORMAT : LOWER_ROW
CAPACITY : 10
EDGE_WEIGHT_SECTION
 3
 4 5
 6 7 2
 3 8 4 5
DEMAND_SECTION
1 4
2 5
3 0
4 3
5 6
DEPOT_SECTION
 3
 -1
EOF
"""


def _euclid_optimum() -> int:
    xy = np.array([[50, 50], [10, 20], [80, 15], [90, 70], [25, 85], [60, 95], [5, 60]], dtype=float)
    m = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)))
    return int(brute_force_cvrp(m, np.array([0, 2, 1, 3, 2, 1, 3]), 5))


def test_the_project_files_keep_their_header_optimum():
    inst = read_cvrp_instance(CVRP_DIR / "A-n32-k5.vrp")
    assert (inst.name, inst.optimum, inst.optimum_source, inst.depot, inst.customers) == ("A-n32-k5", 784, "header",
                                                                                         0, 31)
    xy, dem, cap, opt = read_vrplib(CVRP_DIR / "A-n32-k5.vrp")
    assert xy.shape == (32, 2) and cap == 100 and opt == 784 and dem[0] == 0


def test_a_standard_file_with_the_optimum_in_its_comment(tmp_path: Path):
    opt = _euclid_optimum()
    path = tmp_path / "T-n7-k2.vrp"
    path.write_text(STANDARD.format(opt=opt), encoding="utf-8")
    inst = read_cvrp_instance(path)
    assert inst.optimum == opt and inst.optimum_source == "comment" and inst.matrix is None
    res = inst.solve(time_limit_s=2.0, max_iterations=3000)
    check_solution(res, inst.demands, inst.capacity)
    assert res.cost == pytest.approx(opt)


def test_an_explicit_matrix_with_the_depot_third_and_a_solution_file(tmp_path: Path):
    path = tmp_path / "X-n5-d3.vrp"
    path.write_text(EXPLICIT, encoding="utf-8")
    inst = read_cvrp_instance(path)
    assert inst.coords is None and inst.depot == 2 and inst.optimum is None
    assert inst.matrix[0, 1] == 3 and inst.matrix[4, 1] == 8 and (inst.matrix == inst.matrix.T).all()
    order = [2, 0, 1, 3, 4]  # the depot first, for the brute force
    opt = brute_force_cvrp(inst.matrix[np.ix_(order, order)], inst.demands[order], inst.capacity)
    res = inst.solve(time_limit_s=2.0, max_iterations=3000)
    check_solution(res, inst.demands, inst.capacity, depot=2)
    assert res.cost == pytest.approx(opt)
    (tmp_path / "X-n5-d3.sol").write_text(f"Route #1: 1 4\nRoute #2: 2\nRoute #3: 5\nCost {int(opt)}\n",
                                          encoding="utf-8")
    again = read_cvrp_instance(path)
    assert again.optimum == int(opt) and again.optimum_source == "solution"
    with pytest.raises(LianxinError, match="车场为 1 号节点的坐标算例"):
        read_vrplib(path)


@pytest.mark.parametrize("text, message", [
    ("NAME : g\nTYPE : CVRP\nDIMENSION : 2\nEDGE_WEIGHT_TYPE : GEO\nCAPACITY : 5\nNODE_COORD_SECTION\n1 1 1\n2 2 2\n"
     "DEMAND_SECTION\n1 0\n2 1\nDEPOT_SECTION\n1\n-1\nEOF\n", "GEO 暂不支持"),
    ("NAME : nocap\nTYPE : CVRP\nDIMENSION : 2\nEDGE_WEIGHT_TYPE : EUC_2D\nNODE_COORD_SECTION\n1 1 1\n2 2 2\n"
     "DEMAND_SECTION\n1 0\n2 1\nEOF\n", "不是单车场的 CVRP 算例"),
    ("this is not a vrp file at all: \u2603\n\x00\x01", "CVRPLIB"),
])
def test_files_that_are_not_a_cvrp_get_a_chinese_error(tmp_path: Path, text: str, message: str):
    path = tmp_path / "bad.vrp"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LianxinError, match=message):
        read_cvrp_instance(path)
    with pytest.raises(LianxinError, match="无法读取 CVRPLIB 算例"):
        read_cvrp_instance(tmp_path / "missing.vrp")

"""What the app hands out as a download carries no live spreadsheet formula."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

pytest.importorskip("streamlit")

from lianxin_geo.core.files import is_dangerous  # noqa: E402
from lianxin_geo.ui.routes import route_csv  # noqa: E402

FORMULAS = ("=1+1", "+SUM(A1)", "-2", "@x", "＝1")


def test_route_csv_download_is_neutralised():
    sheet = pd.DataFrame({"指导员编号": ["110113001-01"] * 5, "单位名称": list(FORMULAS), "顺序": range(1, 6),
                          "经度": [-116.6] * 5, "=列": ["a"] * 5})
    data = route_csv(sheet)
    assert data.startswith("\ufeff".encode("utf-8"))  # Excel reads the Chinese text
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    cells = [c for row in rows for c in row]
    assert [c for c in cells if is_dangerous(c) and c != "-116.6"] == []
    assert ["'" + f for f in FORMULAS] == [r[1] for r in rows[1:]]
    assert rows[0][-1] == "'=列"

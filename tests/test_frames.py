"""core.frames: the one way planners read columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lianxin_geo.core.crs import wgs84_to_gcj02
from lianxin_geo.core.frames import blank, column, first_column, lonlat, numbers, texts


def test_lonlat_converts_hand_built_frames_but_not_reader_output():
    gx, gy = wgs84_to_gcj02(np.array([116.6]), np.array([40.1]))
    hand = pd.DataFrame({"lon": gx, "lat": gy, "crs": ["GCJ02"]})
    lon, lat = lonlat(hand)
    assert abs(lon[0] - 116.6) < 1e-6 and abs(lat[0] - 40.1) < 1e-6
    # the reader keeps what was written in lon_raw/lat_raw and has already converted lon/lat: no second shift
    read = pd.DataFrame({"lon": [116.6], "lat": [40.1], "lon_raw": gx, "lat_raw": gy, "crs": ["GCJ02"]})
    lon, lat = lonlat(read)
    assert lon[0] == 116.6 and lat[0] == 40.1


def test_reader_output_is_already_wgs84(tmp_path):
    from lianxin_geo.ingest import demo_district, read_ledger

    gx, gy = wgs84_to_gcj02(np.array([116.655]), np.array([40.13]))
    path = tmp_path / "o.csv"
    pd.DataFrame({"单位名称": ["甲公司"], "组织类别": ["非公企业"], "经度": [f"{gx[0]:.7f}"], "纬度": [f"{gy[0]:.7f}"],
                  "坐标系": ["GCJ02"], "从业人员数": [10], "正式党员数": [0], "党组织状态": ["未建立"]}
                 ).to_csv(path, index=False)
    res = read_ledger(path, "orgs", district=demo_district())
    lon, lat = lonlat(res.accepted)
    assert abs(lon[0] - 116.655) < 1e-6 and abs(lat[0] - 40.13) < 1e-6


def test_column_helpers_read_missing_and_blank_alike():
    df = pd.DataFrame({"a": [" x ", None, np.nan, ""], "n": ["1", "x", None, 2.5]})
    assert list(texts(df, "a")) == ["x", "", "", ""]
    assert list(texts(df, "a", empty=None)) == ["x", None, None, None]
    assert list(blank(df, "a")) == [False, True, True, True]
    assert np.array_equal(numbers(df, "n"), np.array([1.0, np.nan, np.nan, 2.5]), equal_nan=True)
    assert np.isnan(numbers(df, "missing")).all() and (numbers(df, "missing", default=0) == 0).all()
    assert column(df, "missing").isna().all() and first_column(df, ("z", "n", "a")) == "n"


def test_only_old_temporary_files_are_removed(tmp_path):
    import os
    import time

    from lianxin_geo.core.files import TEMP_PREFIX, remove_stale_temps

    old, fresh, keep = tmp_path / f"{TEMP_PREFIX}old.xlsx", tmp_path / f"{TEMP_PREFIX}new.xlsx", tmp_path / "a.xlsx"
    for p in (old, fresh, keep):
        p.write_bytes(b"x")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    assert remove_stale_temps(tmp_path) == 1
    assert not old.exists() and fresh.exists() and keep.exists()

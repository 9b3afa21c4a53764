"""Deliberate, documented flaws in the last org rows (``generate_demo(flaws=True)``), to demo the checks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lianxin_geo.core.crs import to_wgs84
from lianxin_geo.core.district import District
from lianxin_geo.core.model import PARTY_JOINT
from lianxin_geo.ingest.creditcode import CHARSET
from lianxin_geo.ingest.demo.base import _empty_flaws

__all__: list[str] = []


def _add_flaws(orgs: pd.DataFrame, district: District) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Overwrite the last eight rows with one deliberate, documented flaw each."""
    n = len(orgs)
    if n < 20:
        return orgs, _empty_flaws()
    df = orgs.copy()
    for col in ("name", "kind", "credit_code", "town", "joint_org_id"):
        df[col] = df[col].astype(object)
    rows = list(range(n - 8, n))
    flaws: list[tuple[int, str, str]] = []

    r = rows[0]
    df.loc[df.index[r], "name"] = None
    flaws.append((r, "name", "单位名称为空（必填列），应被拒收"))
    r = rows[1]
    df.loc[df.index[r], "kind"] = "个体工商户"
    flaws.append((r, "kind", "组织类别“个体工商户”不在允许值（非公企业/社会组织）内，应被拒收"))
    r = rows[2]
    code = next(c for c in df["credit_code"] if isinstance(c, str))
    good_last = code[17]
    bad_last = CHARSET[(CHARSET.index(good_last) + 1) % len(CHARSET)]
    df.loc[df.index[r], "credit_code"] = code[:17] + bad_last
    flaws.append((r, "credit_code", "统一社会信用代码校验位错误（且与另一行代码前17位相同）"))
    r = rows[3]
    df.loc[df.index[r], "credit_code"] = code
    flaws.append((r, "credit_code", "统一社会信用代码与另一行重复"))
    r = rows[4]
    df.loc[df.index[r], ["lon", "lat", "crs"]] = [116.397, 39.909, "WGS84"]
    flaws.append((r, "lon", "坐标在顺义区外（东城区），应提示坐标不在辖区内"))
    r = rows[5]
    df.loc[df.index[r], ["lon", "lat", "crs"]] = [40.1302, 116.6546, "WGS84"]
    flaws.append((r, "lat", "经纬度填反（纬度 116.65），应提示经纬度互换"))
    r = rows[6]
    jur = district.jurisdictions
    lon0, lat0 = float(orgs["lon"].dropna().iat[0]), float(orgs["lat"].dropna().iat[0])
    crs0 = orgs["crs"][orgs["lon"].notna()].iat[0]
    actual = district.assign(*to_wgs84(np.array([lon0]), np.array([lat0]), crs0))[0]
    other = jur.loc[jur["code"].astype(str) != str(actual), "name"].iat[0]  # the first town that is not it
    df.loc[df.index[r], ["lon", "lat", "crs", "town"]] = [lon0, lat0, crs0, other]
    flaws.append((r, "town", "所属镇街与坐标所在镇街不一致，应提示属地不符"))
    r = rows[7]
    df.loc[df.index[r], ["party_status", "joint_org_id", "party_org_type"]] = [PARTY_JOINT, None, "党支部"]
    flaws.append((r, "joint_org_id", "党组织状态为联合建立但未填联合党组织编号"))
    report = pd.DataFrame(flaws, columns=["row", "column", "problem"])
    report["row"] = report["row"].astype("int64")
    return df, report

"""A seeded, labelled synthetic city: the demo ledgers over Beijing's 16 districts, one partition per district.

The city (:func:`lianxin_geo.ingest.city.load_city`) has real district outlines and a real town register; its
town polygons are **approximate** and every org, building, park and center is **synthetic** (``source`` =
``演示数据（合成）``). Each district is generated on its own by
:func:`~lianxin_geo.ingest.demo.generate.generate_demo` with a seed derived from (``seed``, district code), then
written and dropped before the next one, so memory follows the largest district, not the city: 1,000,000 orgs
are written with a few hundred MB. The same seed gives byte-identical files whatever the order.

The N orgs are shared among districts in proportion to the weights the demo gives towns (街道 3, 地区 2, 镇/乡 1:
synthetic shares, not statistics), by largest remainder. Texts the district demo writes for Shunyi (``顺义区`` in
addresses and names, the division code 110113 in credit codes) are rewritten for each district, so ids stay
unique across the city.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from lianxin_geo.core.district import District
from lianxin_geo.core.engine import task_seed
from lianxin_geo.core.files import atomic_write_bytes, atomic_write_text
from lianxin_geo.core.model import APPROX_NOTE, DEMO_NOTE
from lianxin_geo.core.policy import Profile
from lianxin_geo.ingest.boundaries import DEMO_DISTRICT_NAME, write_boundaries_geojson
from lianxin_geo.ingest.city import CITY_CODE, TOWN_APPROX_SOURCE, load_city
from lianxin_geo.ingest.creditcode import CHARSET, WEIGHTS
from lianxin_geo.ingest.demo.base import DEFAULT_SEED, DemoData
from lianxin_geo.ingest.demo.generate import generate_demo
from lianxin_geo.ingest.demo.write import to_ledger_frame

__all__ = ["CITY_MANIFEST", "KIND_WEIGHTS", "city_shares", "generate_city_district", "write_city_demo"]

#: The manifest every city demo folder carries (what was written, by district, with the seed).
CITY_MANIFEST = "city.json"
#: Org weight of a town by kind (the district demo's default weights; synthetic shares, not statistics).
KIND_WEIGHTS = {"街道": 3.0, "地区": 2.0}
_DIVISION_AT = slice(2, 8)
_SHUNYI_TEXTS = (("北京市顺义区", "北京市{name}"), ("顺义分公司", "{short}分公司"), (DEMO_DISTRICT_NAME, "{name}"))


def city_shares(city: District, n_orgs: int) -> dict[str, int]:
    """How many of ``n_orgs`` each district gets: ``{district code: count}``, summing to ``n_orgs``."""
    jur = city.jurisdictions
    w = jur["kind"].map(lambda k: KIND_WEIGHTS.get(str(k), 1.0)).to_numpy(dtype=float)
    by = pd.Series(w, index=jur["district_code"].astype(str)).groupby(level=0).sum()
    codes = [c for c in city.districts["code"].astype(str) if c in by.index]
    weights = by.loc[codes].to_numpy()
    exact = int(n_orgs) * weights / weights.sum()
    base = np.floor(exact).astype(np.int64)
    rest = int(n_orgs) - int(base.sum())
    order = np.lexsort((np.arange(len(codes)), -(exact - base)))  # largest remainder, ties by district order
    base[order[:rest]] += 1
    return dict(zip(codes, base.tolist()))


def _recode_credit(codes: pd.Series, division: str) -> pd.Series:
    """Put ``division`` into characters 3–8 of valid credit codes and recompute the check character."""
    text = codes.astype(object)
    ok = text.map(lambda v: isinstance(v, str) and len(v) == 18)
    if not ok.any():
        return codes
    arr = np.array([list(v) for v in text[ok]], dtype="<U1")
    arr[:, _DIVISION_AT] = list(division)
    lut = {ch: i for i, ch in enumerate(CHARSET)}
    idx = np.vectorize(lut.__getitem__, otypes=[np.int64])(arr[:, :17])
    total = idx @ np.asarray(WEIGHTS, dtype=np.int64)
    arr[:, 17] = np.asarray(list(CHARSET), dtype="<U1")[(31 - total % 31) % 31]
    out = text.copy()
    out[ok] = ["".join(r) for r in arr]
    return out


def _retext(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Rewrite the Shunyi texts of a district demo for district ``name``."""
    short = name[:-1] if name.endswith("区") and len(name) > 2 else name
    out = df.copy()
    for col in out.columns:
        if out[col].dtype != object and not pd.api.types.is_string_dtype(out[col]):
            continue
        s = out[col]
        if not s.astype(str).str.contains("顺义", regex=False).any():
            continue
        for old, new in _SHUNYI_TEXTS:
            s = s.str.replace(old, new.format(name=name, short=short), regex=False)
        out[col] = s
    return out


def generate_city_district(city: District, code: str, n_orgs: int, *, seed: int = DEFAULT_SEED,
                           profile: Profile | str | os.PathLike[str] | None = None) -> DemoData:
    """The synthetic ledgers of one district of the city (seed derived from ``seed`` and the district code)."""
    sub = city.subdistrict(code)
    data = generate_demo(n_orgs, seed=task_seed(seed, code), district=sub, profile=profile,
                         n_buildings=max(8, int(round(50 * np.sqrt(max(n_orgs, 1) / 5000)))))
    if code != "110113":
        data.orgs = _retext(data.orgs, sub.name)
        data.buildings = _retext(data.buildings, sub.name)
        data.parks = _retext(data.parks, sub.name)
        data.centers = _retext(data.centers, sub.name)
        data.parks["name"] = sub.name[:-1] + data.parks["name"].astype(str)  # park names unique across the city
        data.orgs["park"] = data.orgs["park"].map(lambda p: sub.name[:-1] + p if isinstance(p, str) else p)
    data.orgs["credit_code"] = _recode_credit(data.orgs["credit_code"], code)
    return data


def _csv_bytes(frame: pd.DataFrame, kind: str) -> bytes:
    return to_ledger_frame(frame, kind).to_csv(index=False, lineterminator="\n").encode("utf-8-sig")


def write_city_demo(
    out_dir: str | os.PathLike[str],
    *,
    n_orgs: int = 50_000,
    seed: int = DEFAULT_SEED,
    districts: "list[str] | None" = None,
    profile: Profile | str | os.PathLike[str] | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> dict[str, object]:
    """Generate the synthetic city and write it district by district (streaming: one district in memory).

    Layout: ``districts/<code>/{orgs,buildings,parks,centers}.csv`` (UTF-8 with BOM, Chinese headers, the
    standard ledger columns), ``boundaries.geojson`` (the approximate towns with ``district_code``),
    ``districts.geojson`` (the real district outlines), ``city.json`` (seed, counts and files by district)
    and ``README.txt``. The same arguments give byte-identical files.

    Parameters
    ----------
    out_dir
        Folder to write into (created when missing).
    n_orgs
        Organizations in the whole city (shared among districts by :func:`city_shares`).
    seed
        Seed of every draw.
    districts
        Only these districts (codes or names); default all 16.
    profile
        The policy profile shaping the demo (as :func:`generate_demo`).
    progress
        Optional ``progress(message, fraction)``.

    Returns
    -------
    dict
        The manifest written to ``city.json``.
    """
    if int(n_orgs) < 0:
        raise ValueError(f"组织数量不能为负数（收到 {n_orgs}）")
    city = load_city(districts)
    out = Path(out_dir)
    (out / "districts").mkdir(parents=True, exist_ok=True)
    shares = city_shares(city, int(n_orgs))
    manifest: dict[str, object] = {"city": CITY_CODE, "name": city.name, "seed": int(seed), "n_orgs": int(n_orgs),
                                   "synthetic": True, "approximate_towns": True, "note": DEMO_NOTE,
                                   "towns_source": TOWN_APPROX_SOURCE, "districts": []}
    for i, (code, n) in enumerate(shares.items()):
        name = city.district_names[code]
        if progress is not None:
            progress(f"生成 {name}（{n:,} 个组织）", i / max(len(shares), 1))
        data = generate_city_district(city, code, n, seed=seed, profile=profile)
        folder = out / "districts" / code
        folder.mkdir(parents=True, exist_ok=True)
        files = {}
        for kind, frame in data.frames().items():
            p = folder / f"{kind}.csv"
            atomic_write_bytes(p, _csv_bytes(frame, kind))
            files[kind] = p.relative_to(out).as_posix()
        manifest["districts"].append({"code": code, "name": name, "orgs": int(len(data.orgs)),  # type: ignore[union-attr]
                                      "buildings": int(len(data.buildings)), "parks": int(len(data.parks)),
                                      "centers": int(len(data.centers)), "files": files})
        del data
    write_boundaries_geojson(city.jurisdictions, out / "boundaries.geojson", precision=5)
    write_boundaries_geojson(city.districts, out / "districts.geojson", precision=5)
    atomic_write_text(out / CITY_MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    atomic_write_text(out / "README.txt", _readme(manifest))
    if progress is not None:
        progress("完成", 1.0)
    return manifest


def _readme(manifest: dict[str, object]) -> str:
    rows = manifest["districts"]
    lines = [
        f"{manifest['name']}两新党建演示数据（合成，全市） / lianxin-geo synthetic city demo",
        "=" * 60, "", DEMO_NOTE,
        "本目录中的组织、商务楼宇、园区和党群活动服务中心全部随机生成（合成数据），不对应任何真实单位或个人。",
        "真实部分：16 个区的区界、镇街名称与统计用区划代码（国家统计局 2023）。",
        f"镇街边界为示意：{APPROX_NOTE}；顺义区以外各区的镇街位置亦为示意（{TOWN_APPROX_SOURCE}）。",
        "", f"随机种子 seed = {manifest['seed']}；组织共 {manifest['n_orgs']:,} 个，按区分片：", "",
    ]
    for r in rows:  # type: ignore[union-attr]
        lines.append(f"  {r['code']} {r['name']}：组织 {r['orgs']:,}，楼宇 {r['buildings']}，园区 {r['parks']}，"
                     f"阵地 {r['centers']}  → districts/{r['code']}/")
    return "\n".join(lines) + "\n"

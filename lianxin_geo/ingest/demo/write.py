"""Write a demo as the ledger files a planner would receive (xlsx or CSV, GeoJSON, README), byte-reproducibly."""

from __future__ import annotations

import datetime as _dt
import io
import json
import math
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from lianxin_geo.core.district import District
from lianxin_geo.core.errors import LianxinError
from lianxin_geo.core.files import atomic_write_bytes, atomic_write_text
from lianxin_geo.core.model import (
    APPROX_NOTE,
    BUILDING_SCHEMA,
    CENTER_SCHEMA,
    DEMO_NOTE,
    ENTERPRISE,
    ORG_SCHEMA,
    PARK_SCHEMA,
    SCHEMAS,
    SOCIAL,
)
from lianxin_geo.core.policy import Profile
from lianxin_geo.ingest.boundaries import demo_district, write_boundaries_geojson
from lianxin_geo.ingest.demo.base import DEFAULT_SEED, DemoData
from lianxin_geo.ingest.demo.generate import generate_demo
from lianxin_geo.ingest.demo.rounds import BASE_ROUND, CHANGE_KINDS
from lianxin_geo.ingest.demo.rounds_text import _round_readme_lines

__all__ = ["CSV_THRESHOLD", "ORG_TITLE", "to_ledger_frame", "buildings_csv_text", "write_demo"]

#: Above this many orgs :func:`write_demo` writes ``orgs.csv`` (UTF-8 with BOM) instead of ``orgs.xlsx``.
CSV_THRESHOLD = 200_000
ORG_TITLE = "顺义区两新组织台账（演示数据，合成）"
_TITLES = {
    "orgs": ORG_TITLE,
    "buildings": "顺义区商务楼宇台账（演示数据，合成）",
    "parks": "顺义区园区台账（演示数据，合成）",
    "centers": "顺义区党群活动服务中心台账（演示数据，合成）",
}
#: Fixed workbook and zip timestamps, so the same seed gives the same bytes.
_FIXED_TIME = _dt.datetime(2017, 6, 2, 0, 0, 0)
_ZIP_TIME = (2017, 6, 2, 0, 0, 0)


def to_ledger_frame(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Rename internal keys to the Chinese headers of a ledger kind; bools become 是/否.

    Parameters
    ----------
    df
        A frame with internal keys (e.g. ``DemoData.orgs``); unknown columns are dropped.
    kind
        ``orgs``, ``buildings``, ``parks`` or ``centers``.
    """
    if kind not in SCHEMAS:
        raise LianxinError(f"未知台账类型 {kind!r}：请用 {', '.join(SCHEMAS)} 之一")
    schema = SCHEMAS[kind]
    out: dict[str, Any] = {}
    for col in schema.columns:
        if col.key not in df.columns:
            continue
        s = df[col.key]
        if col.type == "bool":
            s = s.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                      else ("是" if bool(v) else "否")).astype(object)
        out[col.header] = s
    return pd.DataFrame(out, index=df.index)


def buildings_csv_text(data: DemoData) -> str:
    """The buildings ledger as UTF-8 CSV text with Chinese headers (the committed snapshot's format)."""
    return to_ledger_frame(data.buildings, "buildings").to_csv(index=False, lineterminator="\n")


def _cell(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float):
        return None if math.isnan(v) else v
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        f = float(v)
        return None if math.isnan(f) else f
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def _normalise_zip(raw: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps and permissions, so identical content gives identical bytes."""
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zi.create_system = 0
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


def _write_xlsx(frame: pd.DataFrame, path: Path, *, title: str, sheet: str) -> None:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook(write_only=True)
    wb.properties.creator = "lianxin-geo demo generator"
    wb.properties.title = title
    wb.properties.description = DEMO_NOTE
    wb.properties.created = _FIXED_TIME
    wb.properties.modified = _FIXED_TIME
    wb.properties.lastModifiedBy = "lianxin-geo"
    ws = wb.create_sheet(title=sheet)
    ws.freeze_panes = "A3"
    for j, h in enumerate(frame.columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(10, min(40, 2.2 * len(str(h)) + 4))
    ws.append([title])
    ws.append(list(frame.columns))
    cols = [frame[c].to_numpy(dtype=object) for c in frame.columns]
    for row in zip(*cols):
        ws.append([_cell(v) for v in row])
    buf = io.BytesIO()
    archive = zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()
    atomic_write_bytes(path, _normalise_zip(buf.getvalue()))


def _write_outline(district: District, path: Path) -> None:
    geom = shapely.set_precision(district.outline, 1e-7)
    doc = {
        "type": "FeatureCollection",
        "name": path.stem,
        "features": [{
            "type": "Feature",
            "properties": {"code": district.code, "name": district.name,
                           "source": "区界（真实） / district outline"},
            "geometry": shapely.geometry.mapping(geom),
        }],
    }
    atomic_write_text(path, json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n")


def _readme(data: DemoData, files: dict[str, Path], *, csv_orgs: bool) -> str:
    o = data.orgs
    n = len(o)
    share = (lambda m: f"{(100.0 * m.sum() / n if n else 0):.1f}%")
    lines = [
        "顺义区两新党建演示数据（合成） / lianxin-geo synthetic demo",
        "=" * 60,
        "",
        DEMO_NOTE,
        "本目录中的组织、商务楼宇、园区和党群活动服务中心全部由 lianxin_geo.ingest.demo 随机生成（合成数据），",
        "不对应任何真实单位、楼宇、园区或个人；名称为虚构或通用名称，如有雷同纯属巧合。",
        "真实部分：顺义区区界、25个镇街的名称与统计用区划代码、社区（村）名称与代码。",
        f"镇街边界为示意边界：{APPROX_NOTE}。",
        "",
        f"随机种子 seed = {data.seed}；同一种子生成完全相同的文件。",
        f"组织 {n} 个（非公企业 {share(o['kind'] == ENTERPRISE)}，社会组织 {share(o['kind'] == SOCIAL)}）；"
        f"坐标系 GCJ02 {share(o['crs'] == 'GCJ02')}，无坐标（仅地址）{share(o['crs'].isna())}。",
        f"商务楼宇 {len(data.buildings)} 栋，园区 {len(data.parks)} 个，党群活动服务中心 {len(data.centers)} 个。",
        "",
        "文件 / files:",
    ]
    for key, p in files.items():
        lines.append(f"  {p.name}  ({key})")
    lines.append(f"  {'README.txt'}  (本说明)")
    if data.round == BASE_ROUND and not len(data.changes):
        lines += ["", f"台账轮次 / round: {BASE_ROUND}（第一轮）。"]
    elif data.round is not None:
        lines += _round_readme_lines(data.changes, data.round, BASE_ROUND, CHANGE_KINDS)
    if csv_orgs:
        lines += ["", f"组织数超过 {CSV_THRESHOLD:,}，组织台账写为 orgs.csv（UTF-8 带 BOM），不写 xlsx。"]
    if len(data.flaws):
        lines += ["", "故意设置的错误行（flaws=True，用于演示校验报告；行号为表头下第几条记录，从1起）："]
        for row in data.flaws.itertuples(index=False):
            lines.append(f"  第{row.row + 1}条 [{row.column}] {row.problem}")
    return "\n".join(lines) + "\n"


def write_demo(
    out_dir: str | os.PathLike[str],
    *,
    n_orgs: int = 5000,
    seed: int = DEFAULT_SEED,
    district: District | None = None,
    profile: Profile | str | os.PathLike[str] | None = None,
    flaws: bool = False,
    progress: Callable[[str, float], None] | None = None,
    round: str | None = None,
) -> dict[str, Path]:
    """Generate a demo and write it as ledger files a planner would receive.

    Writes ``orgs.xlsx`` (``orgs.csv``, UTF-8 with BOM, above :data:`CSV_THRESHOLD`
    orgs), ``buildings.xlsx``, ``parks.xlsx``, ``centers.xlsx`` (a title row,
    then the Chinese header row, frozen), ``boundaries.geojson`` (approximate
    towns, ``approximate: true``), ``outline.geojson`` and ``README.txt``.
    The same arguments give byte-identical files.

    Parameters
    ----------
    out_dir
        Folder to write into (created when missing).
    n_orgs, seed, district, profile, flaws, round
        As for :func:`lianxin_geo.ingest.demo.generate_demo`: ``round="2026-11"`` writes the
        second ledger round (the first one evolved; ``README.txt`` counts the changes).
    progress
        Optional callback ``progress(message, fraction)`` with fraction in [0, 1].

    Returns
    -------
    dict
        ``{"orgs", "buildings", "parks", "centers", "boundaries", "outline", "readme"}`` -> path.
    """
    def report(msg: str, frac: float) -> None:
        if progress is not None:
            progress(msg, frac)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    district = district if district is not None else demo_district()
    report("生成演示数据 / generating", 0.0)
    data = generate_demo(n_orgs, seed=seed, district=district, profile=profile, flaws=flaws, round=round)
    files: dict[str, Path] = {}
    csv_orgs = len(data.orgs) > CSV_THRESHOLD
    steps = [("orgs", ORG_SCHEMA), ("buildings", BUILDING_SCHEMA), ("parks", PARK_SCHEMA), ("centers", CENTER_SCHEMA)]
    for i, (kind, schema) in enumerate(steps):
        report(f"写入 {kind} / writing {kind}", 0.1 + 0.7 * i / len(steps))
        frame = to_ledger_frame(data.frames()[kind], kind)
        if kind == "orgs" and csv_orgs:
            p = out / "orgs.csv"
            atomic_write_bytes(p, frame.to_csv(index=False, lineterminator="\n").encode("utf-8-sig"))
        else:
            p = out / f"{kind}.xlsx"
            _write_xlsx(frame, p, title=_TITLES[kind], sheet=schema.title)
        files[kind] = p
    report("写入边界 / writing boundaries", 0.85)
    files["boundaries"] = out / "boundaries.geojson"
    write_boundaries_geojson(district.jurisdictions, files["boundaries"])
    files["outline"] = out / "outline.geojson"
    _write_outline(district, files["outline"])
    files["readme"] = out / "README.txt"
    atomic_write_text(files["readme"], _readme(data, {k: v for k, v in files.items() if k != "readme"},
                                               csv_orgs=csv_orgs))
    report("完成 / done", 1.0)
    return files

"""One planning workspace: the district, the policy profile and the four ledgers, read and located.

The CLI, the Streamlit app and the notebooks all start here, so "what is loaded"
means the same everywhere: every ledger a user gives is read and validated, and
organizations are located on the map and on their town/street. The embedded
Shunyi demo (synthetic, flagged) is used only when the user gives no ledger at
all or asks for it (``demo=True``): once any user ledger is given, the layers
not given are empty and :attr:`Workspace.data_notes` says what that leaves out.
Demo data never mixes silently into a user's plan.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd
import shapely

from lianxin_geo.core.district import District
from lianxin_geo.core.engine import Engine, TaskFailure, get_engine
from lianxin_geo.core.errors import LianxinError
from lianxin_geo.core.model import APPROX_NOTE, DEMO_FLAG, DEMO_NOTE, LEDGER_KINDS, SCHEMAS
from lianxin_geo.core.policy import Profile, load_profile
from lianxin_geo.ingest.boundaries import demo_district, demo_seats, load_boundaries
from lianxin_geo.ingest.city import load_city
from lianxin_geo.ingest.demo import generate_demo
from lianxin_geo.ingest.demo.city import CITY_MANIFEST
from lianxin_geo.ingest.ledger import LedgerResult, read_ledger
from lianxin_geo.ingest.limits import ReadLimits
from lianxin_geo.location.locator import LocateResult, locate

__all__ = ["Workspace", "load_workspace", "load_city_workspace", "read_city_district", "city_manifest",
           "city_read_limits", "locate_layer", "DEFAULT_DEMO_ORGS", "DEFAULT_DEMO_SEED", "LAYER_NAMES",
           "MISSING_NOTES"]

DEFAULT_DEMO_ORGS = 5000
DEFAULT_DEMO_SEED = 20170602

PathLike = str | os.PathLike

#: Ledger kind -> the short Chinese name of its layer (used in the demo note and banners).
LAYER_NAMES = {"orgs": "组织", "buildings": "楼宇", "parks": "园区", "centers": "阵地"}

#: Ledger kind -> what a plan leaves out when the user gives other ledgers but not this one.
MISSING_NOTES = {
    "orgs": "未提供组织台账：没有组织可定位、评估和规划",
    "buildings": "未提供商务楼宇台账：楼宇阵地未评估，组织不按楼宇定位，楼宇联建未考虑",
    "parks": "未提供园区台账：园区阵地未评估，组织不按园区定位，园区联建未考虑",
    "centers": "未提供党群服务中心台账：现有阵地未计入，阵地达标与覆盖按无阵地计算",
}


@dataclass
class Workspace:
    """Everything a plan needs, already validated and located.

    Attributes
    ----------
    district
        The district and its jurisdictions.
    profile
        The policy profile in force.
    ledgers
        ``kind -> LedgerResult`` for every ledger (given by the user or the demo).
    orgs
        Accepted organizations, located: ``id``, ``lon``/``lat`` (WGS-84),
        ``precision``, ``jurisdiction_code``, ``jurisdiction_name``, ``mismatch`` …
    buildings, parks, centers
        Accepted records with ``jurisdiction_code`` from their coordinates.
    located
        The :class:`~lianxin_geo.location.locator.LocateResult` of the organizations.
    demo_kinds
        The ledger kinds that come from the synthetic demo.
    missing_kinds
        The ledger kinds the user did not give and the demo did not fill: empty layers.
    notes
        Further notes (invalid boundaries repaired, file-level ledger errors …).
    """

    district: District
    profile: Profile
    ledgers: dict[str, LedgerResult]
    orgs: pd.DataFrame
    buildings: pd.DataFrame
    parks: pd.DataFrame
    centers: pd.DataFrame
    located: LocateResult
    demo_kinds: tuple[str, ...] = ()
    missing_kinds: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)

    @property
    def is_demo(self) -> bool:
        """True when any layer shown comes from the synthetic demo."""
        return bool(self.demo_kinds)

    @property
    def data_notes(self) -> list[str]:
        """Honesty notes for every map, table and export made from this workspace."""
        out = []
        if self.demo_kinds:
            out.append(DEMO_NOTE + "（" + "、".join(LAYER_NAMES[k] for k in self.demo_kinds) + "）")
        if self.district.approximate:
            out.append(APPROX_NOTE)
        out += [MISSING_NOTES[k] for k in self.missing_kinds]
        return out + self.notes

    @property
    def demo_layers(self) -> str:
        """The demo layers in Chinese, e.g. ``"楼宇、园区"`` (empty when no demo data is shown)."""
        return "、".join(LAYER_NAMES[k] for k in self.demo_kinds)

    def restricted(self, towns: Iterable[str]) -> "Workspace":
        """A new workspace holding only the records of the towns ``towns`` (9-digit jurisdiction codes).

        Organizations are kept by ``jurisdiction_code`` (where the locator put them); buildings, parks
        and centers by their ``jurisdiction_code`` (from their coordinates, else their ``town_code``).
        The ledgers keep the accepted rows kept, the rejected rows whose declared town is one of
        ``towns`` and the issues of those rows (file-level issues too). The district keeps its code and
        name, only those towns (outline: their union) and their communities. The profile is the same;
        the notes gain ``仅显示：<town names>``. An unknown code keeps nothing of that town.
        """
        keep = {str(t) for t in towns}
        d = self.district
        jur = d.jurisdictions[d.jurisdictions["code"].astype(str).isin(keep)].copy()
        geoms = list(jur.geometry.values)
        outline = shapely.union_all(geoms) if geoms else shapely.GeometryCollection()
        comm = d.communities
        if "town_code" in comm:
            comm = comm[comm["town_code"].astype(str).isin(keep)].reset_index(drop=True)
        district = District(code=d.code, name=d.name, jurisdictions=jur.reset_index(drop=True), outline=outline,
                            communities=comm, approximate=d.approximate, source=d.source,
                            districts=(d.districts[d.districts["code"].isin(set(jur["district_code"]))]
                                       if d.is_city and "district_code" in jur else None))
        layers = {k: _keep_towns(self.orgs if k == "orgs" else getattr(self, k), keep) for k in LEDGER_KINDS}
        ledgers = {k: _restrict_ledger(led, layers[k], keep, d) for k, led in self.ledgers.items()}
        names = [d.town_names.get(c, c) for c in sorted(keep)]
        located = dataclasses.replace(self.located, orgs=layers["orgs"])
        return Workspace(district=district, profile=self.profile, ledgers=ledgers, orgs=layers["orgs"],
                         buildings=layers["buildings"], parks=layers["parks"], centers=layers["centers"],
                         located=located, demo_kinds=self.demo_kinds, missing_kinds=self.missing_kinds,
                         notes=[*self.notes, "仅显示：" + ("、".join(names) if names else "（无镇街）")])


def _keep_towns(frame: pd.DataFrame, keep: set[str]) -> pd.DataFrame:
    """The rows of ``frame`` whose ``jurisdiction_code`` (else ``town_code``) is in ``keep``."""
    col = "jurisdiction_code" if "jurisdiction_code" in frame else ("town_code" if "town_code" in frame else None)
    if col is None:
        return frame.iloc[0:0].copy()
    codes = frame[col].astype(object).where(frame[col].notna(), None)
    return frame[codes.map(lambda c: c is not None and str(c) in keep).to_numpy(bool)].reset_index(drop=True)


def _restrict_ledger(led: LedgerResult, kept: pd.DataFrame, keep: set[str], district: District) -> LedgerResult:
    """The ledger with only the rows of ``kept`` (accepted), the rejected rows of those towns and their issues."""
    rows = set(kept["row"].tolist()) if "row" in kept else set()
    acc = led.accepted
    acc = acc[acc["row"].isin(rows)].reset_index(drop=True) if "row" in acc else acc.iloc[0:0].copy()
    rej = led.rejected
    if "town_code" in rej and len(rej):
        codes = rej["town_code"].map(district.resolve_town)
        rej = rej[codes.map(lambda c: c is not None and str(c) in keep).to_numpy(bool)].reset_index(drop=True)
    else:
        rej = rej.iloc[0:0].copy()
    shown = rows | (set(rej["row"].tolist()) if "row" in rej else set())
    issues = [i for i in led.issues if not i.row or i.row in shown]
    return dataclasses.replace(led, accepted=acc, rejected=rej, issues=issues, rows_in=len(acc) + len(rej))


def locate_layer(frame: pd.DataFrame, district: District) -> pd.DataFrame:
    """Buildings, parks, centers: ``jurisdiction_code`` from their point, else their stated town."""
    out = frame.copy()
    if "lon" in out and "lat" in out:
        out["jurisdiction_code"] = district.assign(out["lon"].to_numpy(float), out["lat"].to_numpy(float))
        if "town_code" in out:
            missing = out["jurisdiction_code"].isna()
            out.loc[missing, "jurisdiction_code"] = out.loc[missing, "town_code"]
    elif "town_code" in out:
        out["jurisdiction_code"] = out["town_code"]
    return out


def load_workspace(
    *,
    orgs: PathLike | None = None,
    buildings: PathLike | None = None,
    parks: PathLike | None = None,
    centers: PathLike | None = None,
    boundaries: PathLike | None = None,
    policy: PathLike | None = None,
    boundaries_crs: str = "WGS84",
    demo_orgs: int = DEFAULT_DEMO_ORGS,
    demo_seed: int = DEFAULT_DEMO_SEED,
    demo: bool | None = None,
    use_demo: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Workspace:
    """Read, validate and locate a district's ledgers; the demo only when no ledger is given or asked for.

    Parameters
    ----------
    orgs, buildings, parks, centers
        Ledger files (.xlsx/.xls/.csv). A layer not given is empty (and named in
        :attr:`Workspace.data_notes`), except when the demo is in use.
    boundaries
        Official boundaries (GeoJSON/Shapefile/GeoPackage/KML); ``None`` takes the
        bundled Shunyi district with approximate town polygons.
    policy
        Profile name or TOML path; ``None`` is the default ``shunyi-2017``.
    boundaries_crs
        ``WGS84``, or ``GCJ02``/``BD09`` when the boundary file's coordinates are shifted.
    demo_orgs, demo_seed
        Size and seed of the synthetic demo organizations.
    demo
        ``True``: the embedded Shunyi demo fills every layer not given (``--demo``);
        ``False``: never; ``None`` (default): the demo only when no ledger at all is given.
    use_demo
        ``False`` forbids the demo whatever ``demo`` says (every layer not given is empty).
    progress
        Called with a short Chinese message before each step.
    """
    say = progress or (lambda _msg: None)
    say("读取政策配置")
    profile = load_profile(policy)
    say("读取边界")
    base = demo_district()
    district = base if boundaries is None else load_boundaries(
        boundaries, gazetteer=base, coord_system=boundaries_crs
    )
    given = {"orgs": orgs, "buildings": buildings, "parks": parks, "centers": centers}
    notes = []
    use_demo = use_demo and (all(v is None for v in given.values()) if demo is None else demo)
    if use_demo and district is not base and district.code != base.code:
        use_demo = False  # the demo lies in Shunyi: for another district, layers not given stay empty
        notes.append("内置演示数据只覆盖顺义区：未提供的台账按空表处理")
    synthetic = None
    if use_demo and any(v is None for v in given.values()):
        say("生成演示数据（合成）")
        synthetic = generate_demo(demo_orgs, seed=demo_seed, district=base, profile=profile)
    ledgers = {}
    demo_kinds = []
    missing_kinds = []
    for kind in LEDGER_KINDS:
        src = given[kind]
        if src is not None:
            say(f"读取并校验台账：{os.fspath(src)}")
            ledgers[kind] = read_ledger(src, kind, district=district)
            if is_demo_frame(ledgers[kind].accepted):  # e.g. files written by `lianxin-geo demo`
                demo_kinds.append(kind)
            fname = os.path.basename(os.fspath(src))
            notes += [f"{fname}：{i.reason}" for i in ledgers[kind].issues if not i.row and i.severity == "error"]
        elif synthetic is not None:
            frame = getattr(synthetic, kind)
            ledgers[kind] = read_ledger(_to_headers(frame, kind), kind, district=district, filename=f"demo:{kind}")
            demo_kinds.append(kind)
        else:
            ledgers[kind] = read_ledger(_to_headers(pd.DataFrame(), kind), kind, district=district,
                                        filename=f"empty:{kind}")
            missing_kinds.append(kind)
    repaired = district.jurisdictions.attrs.get("repaired")
    if repaired:
        notes.append("边界文件中以下镇街的面无效（如自相交），已自动修复：" + "、".join(map(str, repaired)))
    lay = {k: locate_layer(ledgers[k].accepted, district) for k in ("buildings", "parks", "centers")}
    say("定位组织")
    seats = demo_seats() if boundaries is None else None
    located = locate(ledgers["orgs"].accepted, district=district, buildings=lay["buildings"], parks=lay["parks"],
                     seats=seats)
    if boundaries is not None and demo_kinds:
        notes.append("使用了自有边界，但部分台账仍为顺义演示数据")
    return Workspace(
        district=district,
        profile=profile,
        ledgers=ledgers,
        orgs=located.orgs,
        buildings=lay["buildings"],
        parks=lay["parks"],
        centers=lay["centers"],
        located=located,
        demo_kinds=tuple(demo_kinds),
        missing_kinds=tuple(missing_kinds),
        notes=notes,
    )


def _to_headers(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Internal keys -> Chinese headers, so demo frames go through the same reader as user files."""
    schema = SCHEMAS[kind]
    cols = {c.key: c.header for c in schema.columns}
    out = pd.DataFrame({cols[k]: frame[k] for k in schema.keys if k in frame})
    for h in schema.headers:
        if h not in out:
            out[h] = pd.Series(dtype=object)
    return out[list(schema.headers)]


def is_demo_frame(frame: pd.DataFrame) -> bool:
    """True when every record of the frame carries the demo flag."""
    return "source" in frame and len(frame) > 0 and bool((frame["source"] == DEMO_FLAG).all())


# ----------------------------------------------------------------------------- a whole city, district by district
def city_manifest(folder: PathLike) -> dict[str, Any]:
    """The ``city.json`` of a city folder (written by ``lianxin-geo demo --city``).

    Raises
    ------
    LianxinError
        The folder has no ``city.json`` or it cannot be read.
    """
    root = Path(folder)
    mpath = root / CITY_MANIFEST
    if not mpath.is_file():
        raise LianxinError(f"{root} 中没有 {CITY_MANIFEST}：请指定 `lianxin-geo demo --city --out 目录` 写出的全市目录")
    try:
        doc = json.loads(mpath.read_text(encoding="utf-8"))
        items = doc["districts"]
        for d in items:
            str(d["code"]), str(d["name"]), int(d["orgs"]), dict(d["files"])
    except (ValueError, KeyError, TypeError) as exc:
        raise LianxinError(f"{mpath} 无法读取（{type(exc).__name__}：{exc}）：请重新写出全市目录") from exc
    inside = root.resolve()
    for d in items:
        for kind, name in dict(d["files"]).items():
            target = (root / str(name)).resolve()
            if not target.is_relative_to(inside):
                raise LianxinError(f"{mpath} 中 {d['name']} 的 {kind} 文件“{name}”在全市目录之外：拒绝读取；"
                                   "文件须在全市目录之内（相对路径）")
    return doc


def city_read_limits(items: Iterable[dict[str, Any]]) -> ReadLimits:
    """The reading limits of a city's districts: the configured ones, raised to the largest district's rows."""
    biggest = max((int(d["orgs"]) for d in items), default=0)
    base = ReadLimits.from_env()
    return dataclasses.replace(base, max_rows=max(base.max_rows, biggest + 1),
                               max_cells=max(base.max_cells, 40 * (biggest + 1)))


def read_city_district(item: dict[str, Any], *, folder: PathLike, city: District, profile: Profile,
                       limits: ReadLimits) -> Workspace:
    """One district of a city folder as its own workspace: its four ledgers read and validated, its orgs located
    on its towns (an engine task of :func:`load_city_workspace` and of the city run).

    Every layer gains ``district_code``. The workspace's district is ``city.subdistrict(code)``.
    """
    code = str(item["code"])
    sub = city.subdistrict(code)
    ledgers = {kind: read_ledger(Path(folder) / item["files"][kind], kind, district=sub, limits=limits)
               for kind in LEDGER_KINDS}
    lay = {k: locate_layer(ledgers[k].accepted, sub) for k in ("buildings", "parks", "centers")}
    located = locate(ledgers["orgs"].accepted, district=sub, buildings=lay["buildings"], parks=lay["parks"])
    for k in ("buildings", "parks", "centers"):
        lay[k]["district_code"] = code
    orgs = located.orgs
    orgs["district_code"] = code
    demo_kinds = tuple(k for k in LEDGER_KINDS if is_demo_frame(ledgers[k].accepted))
    return Workspace(district=sub, profile=profile, ledgers=ledgers, orgs=orgs, located=located,
                     demo_kinds=demo_kinds, **lay)


def _read_part(item: dict[str, Any], **kw: Any) -> dict[str, Any]:
    """:func:`read_city_district` as the parts :func:`load_city_workspace` joins (the orgs once, not twice)."""
    ws = read_city_district(item, **kw)
    ledgers = dict(ws.ledgers)
    ledgers["orgs"] = dataclasses.replace(ledgers["orgs"], accepted=ledgers["orgs"].accepted.iloc[0:0])
    return {"ledgers": ledgers, "orgs": ws.orgs, "buildings": ws.buildings, "parks": ws.parks,
            "centers": ws.centers}


def _join_ledgers(parts: list[LedgerResult], kind: str, source: str, orgs: pd.DataFrame | None) -> LedgerResult:
    acc = orgs if orgs is not None else pd.concat([p.accepted for p in parts], ignore_index=True)
    rej = pd.concat([p.rejected for p in parts], ignore_index=True)
    issues = [i for p in parts for i in p.issues]
    return LedgerResult(kind=kind, source=source, rows_in=sum(p.rows_in for p in parts), accepted=acc,
                        rejected=rej, issues=issues, header_row=parts[0].header_row if parts else 1,
                        encoding=parts[0].encoding if parts else None)


def load_city_workspace(folder: PathLike, *, policy: "Profile | str | None" = None,
                        engine: "Engine | str | None" = None,
                        progress: Callable[[int, int, str], None] | None = None,
                        failures: list[TaskFailure] | None = None) -> Workspace:
    """Read a whole city folder (written by ``demo --city``) into one workspace, one engine task per district.

    Fits a city of some hundred thousand orgs in memory; for more, the city run
    (:func:`lianxin_geo.pipeline.city.run_city`) keeps each district in its own task and joins only the tables.

    Parameters
    ----------
    folder
        A folder with ``city.json`` and ``districts/<code>/{orgs,buildings,parks,centers}.csv``.
    policy
        Profile name or path (default ``shunyi-2017``).
    engine
        The parallel engine or a scheduler name (``sync``, ``local``, ``tcp://…``).
    progress
        ``progress(done, total, label)`` as districts finish.
    failures
        A list to collect the districts that could not be read (:class:`~lianxin_geo.core.engine.TaskFailure`):
        the workspace then holds the other districts only (its city is made of them, its notes say 部分结果).
        Without it such a district is an error.

    Raises
    ------
    LianxinError
        The folder has no ``city.json``, or a district could not be read (named with the reason) and no
        ``failures`` list was given, or no district could be read at all.
    """
    root = Path(folder)
    items = city_manifest(root)["districts"]
    city = load_city([d["code"] for d in items])
    profile = load_profile(policy) if not isinstance(policy, Profile) else policy
    res = get_engine(engine).map(
        _read_part, items, keys=[d["code"] for d in items], labels=[d["name"] for d in items],
        cost=[1.0 + int(d["orgs"]) / 5_000.0 for d in items], progress=progress,
        folder=str(root), city=city, profile=profile, limits=city_read_limits(items))
    notes = [f"全市 {len(items)} 个区，按区分片读取"]
    if res.partial:
        told = "；".join(f"{f.label}：{f.reason}" for f in res.failures)
        if failures is None or len(res.failures) == len(items):
            raise LianxinError("全市数据读取未完成：" + told)
        failures.extend(res.failures)
        items = [d for d in items if d["code"] in res.values]
        city = load_city([d["code"] for d in items])
        notes.append(f"部分结果：{len(res.failures)} 个区未能读取，全市数字只含其余 {len(items)} 个区（{told}）")
    parts = res.ordered([d["code"] for d in items])
    orgs = pd.concat([p["orgs"] for p in parts], ignore_index=True)
    ledgers = {k: _join_ledgers([p["ledgers"][k] for p in parts], k, f"{root.name}/districts/*/{k}.csv",
                                orgs if k == "orgs" else None) for k in LEDGER_KINDS}
    layers = {k: pd.concat([p[k] for p in parts], ignore_index=True) for k in ("buildings", "parks", "centers")}
    demo_kinds = tuple(k for k in LEDGER_KINDS if len(ledgers[k].accepted) and is_demo_frame(ledgers[k].accepted))
    located = LocateResult(orgs=orgs, district_code=city.code, district_name=city.name)
    return Workspace(district=city, profile=profile, ledgers=ledgers, orgs=orgs, located=located,
                     demo_kinds=demo_kinds, notes=notes, **layers)

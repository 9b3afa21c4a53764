"""One planning workspace: the district, the policy profile and the four ledgers, read and located.

The CLI, the Streamlit app and the notebooks all start here, so "what is loaded"
means the same everywhere: every ledger a user gives is read and validated, the
ones not given fall back to the embedded Shunyi demo (synthetic, flagged), and
organizations are located on the map and on their town/street.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from lianxin_geo.core.district import District
from lianxin_geo.core.model import APPROX_NOTE, DEMO_FLAG, DEMO_NOTE, LEDGER_KINDS, SCHEMAS
from lianxin_geo.core.policy import Profile, load_profile
from lianxin_geo.ingest.boundaries import demo_district, demo_seats, load_boundaries
from lianxin_geo.ingest.demo import generate_demo
from lianxin_geo.ingest.ledger import LedgerResult, read_ledger
from lianxin_geo.location.locator import LocateResult, locate

__all__ = ["Workspace", "load_workspace", "DEFAULT_DEMO_ORGS", "DEFAULT_DEMO_SEED"]

DEFAULT_DEMO_ORGS = 5000
DEFAULT_DEMO_SEED = 20170602

PathLike = str | os.PathLike


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
            names = {"orgs": "组织", "buildings": "楼宇", "parks": "园区", "centers": "阵地"}
            out.append(DEMO_NOTE + "（" + "、".join(names[k] for k in self.demo_kinds) + "）")
        if self.district.approximate:
            out.append(APPROX_NOTE)
        return out + self.notes


def _locate_layer(frame: pd.DataFrame, district: District) -> pd.DataFrame:
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
    use_demo: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Workspace:
    """Read, validate and locate a district's ledgers; fall back to the demo for what is not given.

    Parameters
    ----------
    orgs, buildings, parks, centers
        Ledger files (.xlsx/.csv). ``None`` takes the embedded demo layer
        (unless ``use_demo`` is false: then the layer is empty).
    boundaries
        Official boundaries (GeoJSON/Shapefile/GeoPackage/KML); ``None`` takes the
        bundled Shunyi district with approximate town polygons.
    policy
        Profile name or TOML path; ``None`` is the default ``shunyi-2017``.
    boundaries_crs
        ``WGS84``, or ``GCJ02``/``BD09`` when the boundary file's coordinates are shifted.
    demo_orgs, demo_seed
        Size and seed of the synthetic demo organizations.
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
    if use_demo and district is not base and district.code != base.code:
        use_demo = False  # the demo lies in Shunyi: for another district, layers not given stay empty
        if any(v is None for v in given.values()):
            notes.append("未提供的台账按空表处理（内置演示数据只覆盖顺义区）")
    demo = None
    if use_demo and any(v is None for v in given.values()):
        say("生成演示数据（合成）")
        demo = generate_demo(demo_orgs, seed=demo_seed, district=base, profile=profile)
    ledgers = {}
    demo_kinds = []
    for kind in LEDGER_KINDS:
        src = given[kind]
        if src is not None:
            say(f"读取并校验台账：{os.fspath(src)}")
            ledgers[kind] = read_ledger(src, kind, district=district)
            if is_demo_frame(ledgers[kind].accepted):  # e.g. files written by `lianxin-geo demo`
                demo_kinds.append(kind)
            fname = os.path.basename(os.fspath(src))
            notes += [f"{fname}：{i.reason}" for i in ledgers[kind].issues if not i.row and i.severity == "error"]
        elif demo is not None:
            frame = getattr(demo, kind)
            ledgers[kind] = read_ledger(_to_headers(frame, kind), kind, district=district, filename=f"demo:{kind}")
            demo_kinds.append(kind)
        else:
            ledgers[kind] = read_ledger(_to_headers(pd.DataFrame(), kind), kind, district=district,
                                        filename=f"empty:{kind}")
    repaired = district.jurisdictions.attrs.get("repaired")
    if repaired:
        notes.append("边界文件中以下镇街的面无效（如自相交），已自动修复：" + "、".join(map(str, repaired)))
    lay = {k: _locate_layer(ledgers[k].accepted, district) for k in ("buildings", "parks", "centers")}
    say("定位组织")
    seats = demo_seats() if boundaries is None else None
    located = locate(ledgers["orgs"].accepted, district=district, buildings=lay["buildings"], parks=lay["parks"],
                     seats=seats)
    if boundaries is not None and demo_kinds:
        notes.append("注意：使用了自有边界，但部分台账仍为顺义演示数据")
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

"""The instructor plan as a typed result: route and stop tables, the per-town table, statistics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lianxin_geo.core.jsonable import jsonable
from lianxin_geo.plan.routes.params import InstructorParams

__all__ = ["InstructorPlan", "ROUTE_COLUMNS", "STOP_COLUMNS", "TOWN_COLUMNS", "UNASSIGNED_COLUMNS"]

#: Columns of :attr:`InstructorPlan.routes`.
ROUTE_COLUMNS = ("instructor_id", "jurisdiction_code", "town_name", "base_name", "base_lon", "base_lat", "base_kind",
                 "org_ids", "stops", "length_km", "return_km", "minutes", "status", "amap", "baidu", "amap_legs",
                 "baidu_legs")
#: Columns of :attr:`InstructorPlan.stops`.
STOP_COLUMNS = ("instructor_id", "order", "org_id", "name", "industry", "jurisdiction_code", "lon", "lat", "leg_km")
#: Columns of :attr:`InstructorPlan.towns`.
TOWN_COLUMNS = ("jurisdiction_code", "town_name", "orgs", "instructors_needed", "instructors_available",
                "instructors_gap", "orgs_min", "orgs_mean", "orgs_max", "routes_below_band", "km_total", "km_mean",
                "km_max")
#: Columns of :attr:`InstructorPlan.unassigned`.
UNASSIGNED_COLUMNS = ("org_id", "reason")


@dataclass(frozen=True, eq=False)
class InstructorPlan:
    """Instructor routes, their stops, the orgs left out, a per-town table and statistics.

    Attributes
    ----------
    routes
        One row per instructor, in output order: ``instructor_id`` (``{town code}-{nn}``),
        ``jurisdiction_code`` and ``town_name`` of the base's town, the base (``base_name``,
        ``base_lon``, ``base_lat`` WGS-84, ``base_kind`` = 用户指定 / 党群活动服务中心（…） /
        镇街驻地 / 质心), ``org_ids`` (tuple, visiting order), ``stops`` (number of orgs),
        ``length_km`` (base → stops → base), ``return_km`` (last stop → base), ``minutes``
        (driving at ``params.speed_kmh`` plus ``params.visit_minutes`` per stop), the solver
        ``status``, navigation links ``amap`` / ``baidu`` (whole route) and ``amap_legs`` /
        ``baidu_legs`` (tuples, one link per leg).
    stops
        One row per visit: ``instructor_id``, ``order`` (1, 2, …), ``org_id``, ``name`` (the
        org's name, else its id), ``industry`` (ledger text), ``jurisdiction_code`` (the org's
        own town, which differs from the route's with ``cross_town``), ``lon``, ``lat`` and
        ``leg_km`` (from the previous stop or the base).
    unassigned
        Orgs that needed an instructor but could not be routed: ``org_id``, ``reason``.
    towns
        Per town (see :data:`TOWN_COLUMNS`): orgs, instructors needed / available / gap,
        route sizes and lengths.
    stats
        ``orgs``, ``candidates``, ``instructors``, ``total_km``, ``seconds``, ``distance_source``,
        ``circuity``, ``solver``, ``solver_status`` and the band values.
    params
        The rule values used.

    ``to_json()`` is the shape the CLI prints (``lianxin-geo plan routes --json``).
    """

    routes: pd.DataFrame
    stops: pd.DataFrame
    unassigned: pd.DataFrame
    towns: pd.DataFrame
    stats: Mapping[str, Any]
    params: InstructorParams

    def route_stops(self, instructor_id: str) -> pd.DataFrame:
        """The stops of one route, in visiting order."""
        return self.stops[self.stops["instructor_id"] == instructor_id]

    def _stops_by_route(self) -> dict[str, pd.DataFrame]:
        empty = self.stops.iloc[0:0]
        groups = dict(tuple(self.stops.groupby("instructor_id", sort=False)))
        return {i: groups.get(i, empty) for i in self.routes["instructor_id"]}

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable dict: ``routes``, ``unassigned``, ``stats``, ``towns``, ``nav``."""
        routes = []
        by_route = self._stops_by_route()
        for r in self.routes.itertuples(index=False):
            stops = by_route[r.instructor_id]
            routes.append({
                "instructor_id": r.instructor_id,
                "jurisdiction_code": r.jurisdiction_code,
                "town_name": r.town_name,
                "base": {"name": r.base_name, "lon": r.base_lon, "lat": r.base_lat, "kind": r.base_kind},
                "org_ids": list(r.org_ids),
                "org_names": stops["name"].tolist(),
                "stops": r.stops,
                "length_km": round(float(r.length_km), 3),
                "minutes": round(float(r.minutes), 1),
                "status": r.status,
                "nav": {"amap": r.amap, "baidu": r.baidu, "amap_legs": list(r.amap_legs),
                        "baidu_legs": list(r.baidu_legs)},
            })
        return jsonable({
            "routes": routes,
            "unassigned": [{"org_id": a, "reason": str(b)}
                           for a, b in zip(self.unassigned["org_id"], self.unassigned["reason"])],
            "stats": dict(self.stats),
            "towns": self.towns.to_dict(orient="records"),
            "nav": [{"instructor_id": i, "amap": a, "baidu": b}
                    for i, a, b in zip(self.routes["instructor_id"], self.routes["amap"], self.routes["baidu"])],
        })

    def route_sheet(self) -> pd.DataFrame:
        """Printable rows (one per stop, base at start and end) for the xlsx export."""
        speed, visit = self.params.speed_kmh, self.params.visit_minutes
        rows: list[dict[str, Any]] = []
        by_route = self._stops_by_route()
        for r in self.routes.itertuples(index=False):
            s = by_route[r.instructor_id]
            n = len(s)
            names = [r.base_name, *s["name"], r.base_name]
            ids = ["", *s["org_id"], ""]
            inds = ["", *s["industry"], ""]
            lons = [r.base_lon, *s["lon"], r.base_lon]
            lats = [r.base_lat, *s["lat"], r.base_lat]
            legs = [0.0, *s["leg_km"].tolist(), float(r.return_km)]
            cum = 0.0
            for i in range(n + 2):
                cum += float(legs[i])
                visited = max(0, min(i, n) - (1 if 0 < i <= n else 0))
                rows.append({
                    "指导员编号": r.instructor_id,
                    "所属镇街": r.town_name,
                    "顺序": i,
                    "类型": "出发" if i == 0 else ("返回" if i == n + 1 else "走访"),
                    "单位编号": ids[i],
                    "单位名称": names[i],
                    "行业": inds[i],
                    "经度": round(float(lons[i]), 6),
                    "纬度": round(float(lats[i]), 6),
                    "本段里程(公里)": round(legs[i], 2),
                    "累计里程(公里)": round(cum, 2),
                    "预计到达(分钟)": round(cum / speed * 60.0 + visit * visited, 1),
                })
        return pd.DataFrame(rows)

    def to_markdown(self) -> str:
        """A plain-text/Markdown route sheet, one section per instructor."""
        out = ["# 党建工作指导员走访路线", ""]
        s = self.stats
        out.append(f"共 {s['orgs']} 个组织、{s['instructors']} 名指导员，总里程 {s['total_km']:.1f} 公里"
                   f"（距离来源：{s['distance_source']}）。")
        sheet = self.route_sheet()
        for r in self.routes.itertuples(index=False):
            out += ["", f"## {r.instructor_id} · {r.town_name} · {r.stops} 个组织 · "
                        f"{r.length_km:.1f} 公里 · 约 {r.minutes:.0f} 分钟", "",
                    f"出发/返回：{r.base_name}", "",
                    "| 顺序 | 单位名称 | 行业 | 本段(公里) | 累计(公里) | 预计到达(分钟) |",
                    "|---|---|---|---|---|---|"]
            for row in sheet[sheet["指导员编号"] == r.instructor_id].itertuples(index=False):
                name = str(row[5]).replace("|", "｜")
                out.append(f"| {row[2]} | {name} | {row[6]} | {row[9]:.2f} | {row[10]:.2f} | {row[11]:.0f} |")
            out += ["", f"高德导航：{r.amap}", f"百度导航：{r.baidu}"]
        if len(self.unassigned):
            out += ["", "## 未分配", ""]
            out += [f"- {jsonable(a)}：{b}" for a, b in zip(self.unassigned["org_id"], self.unassigned["reason"])]
        return "\n".join(out) + "\n"

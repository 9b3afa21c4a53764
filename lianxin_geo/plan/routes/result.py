"""The instructor plan as a typed result: route and stop tables, the per-town table, statistics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lianxin_geo.core.engine import TaskFailure
from lianxin_geo.core.jsonable import jsonable
from lianxin_geo.plan.routes.params import InstructorParams

__all__ = ["DISTANCE_SOURCE_NAMES", "InstructorPlan", "ROUTE_COLUMNS", "STOP_COLUMNS", "TOWN_COLUMNS", "UNASSIGNED_COLUMNS"]

#: Chinese names of ``stats["distance_source"]`` (the route sheet, the workbook).
DISTANCE_SOURCE_NAMES: dict[str, str] = {"road": "路网", "great_circle": "直线距离×绕行系数",
                                         "road+great_circle": "路网（部分单位按直线距离×绕行系数）"}

#: Columns of :attr:`InstructorPlan.routes`.
ROUTE_COLUMNS = ("instructor_id", "jurisdiction_code", "town_name", "base_name", "base_lon", "base_lat", "base_kind",
                 "org_ids", "stops", "length_km", "return_km", "minutes", "status", "amap", "baidu", "amap_legs",
                 "baidu_legs", "route_id", "instructor", "instructor_kind", "day", "days", "note")
#: Columns of :attr:`InstructorPlan.stops`.
STOP_COLUMNS = ("instructor_id", "order", "org_id", "name", "industry", "jurisdiction_code", "lon", "lat", "leg_km",
                "route_id", "day", "assignment")
#: Columns of :attr:`InstructorPlan.towns`.
TOWN_COLUMNS = ("jurisdiction_code", "town_name", "orgs", "instructors_needed", "instructors_available",
                "instructors_gap", "orgs_min", "orgs_mean", "orgs_max", "routes_below_band", "km_total", "km_mean",
                "km_max", "instructors_named", "instructors_new", "orgs_kept", "orgs_to_named", "orgs_to_new",
                "routes_split", "minutes_max")
#: Columns of :attr:`InstructorPlan.unassigned`.
UNASSIGNED_COLUMNS = ("org_id", "reason")


@dataclass(frozen=True, eq=False)
class InstructorPlan:
    """Instructor routes, their stops, the orgs left out, a per-town table and statistics.

    Attributes
    ----------
    routes
        One row per instructor and working day, in output order: ``instructor_id`` (``{town code}-{nn}``,
        the person; repeated on each day of a multi-day tour), ``route_id`` (unique: the ``instructor_id``,
        or ``{instructor_id}-D{day}``), ``instructor`` (the name from the ledger, or
        ``新增指导员（{town}-{nn}）`` for a new post), ``instructor_kind`` (现有 / 新增), ``day`` (1, 2, …)
        and ``days`` (working days of the person's tour), ``jurisdiction_code`` and ``town_name`` of the
        base's town (a named person's home town), the base (``base_name``, ``base_lon``, ``base_lat``
        WGS-84, ``base_kind`` = 用户指定 / 党群活动服务中心（…） / 镇街驻地 / 质心), ``org_ids`` (tuple,
        visiting order), ``stops`` (number of orgs that day), ``length_km`` (base → stops → base),
        ``return_km`` (last stop → base), ``minutes`` (driving at ``params.speed_kmh`` plus
        ``params.visit_minutes`` per stop; at most ``params.working_day_minutes`` unless one visit alone
        is longer), the solver ``status``, ``note`` (Chinese: days, load above the ceiling, cross-town
        person), navigation links ``amap`` / ``baidu`` (whole day route) and ``amap_legs`` /
        ``baidu_legs`` (tuples, one link per leg).
    stops
        One row per visit: ``instructor_id``, ``route_id``, ``day``, ``order`` (1, 2, … over all the
        person's days), ``org_id``, ``name`` (the org's name, else its id), ``industry`` (ledger text),
        ``jurisdiction_code`` (the org's own town, which differs from the route's for a cross-town
        person or with ``cross_town``), ``lon``, ``lat``, ``leg_km`` (from the previous stop or the
        base) and ``assignment`` (现有联系: the person already looks after it; 新分配: newly given).
    unassigned
        Orgs that needed an instructor but could not be routed: ``org_id``, ``reason``.
    towns
        Per town (see :data:`TOWN_COLUMNS`): orgs, instructors needed / available (named people
        whose home town it is, each once) / gap (new posts), named and new instructors, orgs kept /
        newly given to named people / on new posts, per-person sizes and lengths, tours split into
        days, the longest route-day.
    stats
        ``orgs``, ``candidates``, ``instructors`` (people with a route), ``instructors_listed``,
        ``instructors_named``, ``instructors_new``, ``instructors_cross_town``, ``orgs_kept``,
        ``orgs_to_named``, ``orgs_to_new``, ``covered_by_units``, ``routes`` (route-days),
        ``routes_split``, ``working_day_minutes``, ``max_day_minutes``, ``days_over_working_day``,
        ``total_km``, ``seconds``, ``distance_source``, ``circuity``, ``solver``, ``solver_status``,
        ``time_capped`` (solves stopped by the wall-clock safety cap, not by their iteration limits)
        and the band values.
    params
        The rule values used.
    failures
        The towns whose solving task failed (:class:`~lianxin_geo.core.engine.TaskFailure`: town code, name,
        Chinese reason); their orgs are in ``unassigned``. Empty for a complete plan.

    ``to_json()`` is the shape the CLI prints (``lianxin-geo plan routes --json``).
    """

    routes: pd.DataFrame
    stops: pd.DataFrame
    unassigned: pd.DataFrame
    towns: pd.DataFrame
    stats: Mapping[str, Any]
    params: InstructorParams
    failures: tuple[TaskFailure, ...] = ()

    @property
    def partial(self) -> bool:
        """True when some town could not be planned (see ``failures``): never present the plan as complete."""
        return bool(self.failures)

    def route_stops(self, instructor_id: str) -> pd.DataFrame:
        """The stops of one instructor (every day), in visiting order; a ``route_id`` gives one day's."""
        st = self.stops
        return st[(st["instructor_id"] == instructor_id) | (st["route_id"] == instructor_id)]

    def _stops_by_route(self) -> dict[str, pd.DataFrame]:
        empty = self.stops.iloc[0:0]
        groups = dict(tuple(self.stops.groupby("route_id", sort=False)))
        return {i: groups.get(i, empty) for i in self.routes["route_id"]}

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable dict: ``routes``, ``unassigned``, ``stats``, ``towns``, ``nav``, ``partial`` and
        ``failures`` (``[{key, label, reason}]``, one per town that failed)."""
        routes = []
        by_route = self._stops_by_route()
        for r in self.routes.itertuples(index=False):
            stops = by_route[r.route_id]
            routes.append({
                "instructor_id": r.instructor_id,
                "route_id": r.route_id,
                "instructor": r.instructor,
                "instructor_kind": r.instructor_kind,
                "day": int(r.day),
                "days": int(r.days),
                "note": r.note,
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
            "nav": [{"instructor_id": i, "route_id": d, "amap": a, "baidu": b}
                    for i, d, a, b in zip(self.routes["instructor_id"], self.routes["route_id"], self.routes["amap"],
                                          self.routes["baidu"])],
            "partial": self.partial,
            "failures": [f.to_json() for f in self.failures],
        })

    def route_sheet(self) -> pd.DataFrame:
        """Printable rows (one per stop, base at start and end) for the xlsx export."""
        speed, visit = self.params.speed_kmh, self.params.visit_minutes
        rows: list[dict[str, Any]] = []
        by_route = self._stops_by_route()
        for r in self.routes.itertuples(index=False):
            s = by_route[r.route_id]
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
                    "指导员": r.instructor,
                    "类别": r.instructor_kind,
                    "第几天": int(r.day),
                    "路线编号": r.route_id,
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
        out.append(f"共 {s['orgs']} 个组织、{s['instructors']} 名指导员（现有 {s.get('instructors_named', 0)} 名，"
                   f"新增岗位 {s.get('instructors_new', 0)} 个），总里程 {s['total_km']:.1f} 公里"
                   f"（距离来源：{DISTANCE_SOURCE_NAMES.get(s['distance_source'], s['distance_source'])}）。")
        if self.partial:
            out += ["", "**本方案不完整（部分结果）**：以下镇街路线求解失败，其单位未排路线（见“未分配”）："]
            out += [f"- {f.label}（{f.key}）：{f.reason}" for f in self.failures]
        sheet = self.route_sheet()
        for r in self.routes.itertuples(index=False):
            day = f" · 第 {r.day}/{r.days} 天" if r.days > 1 else ""
            out += ["", f"## {r.instructor_id} · {r.instructor}（{r.instructor_kind}）{day} · {r.town_name} · "
                        f"{r.stops} 个组织 · {r.length_km:.1f} 公里 · 约 {r.minutes:.0f} 分钟", "",
                    f"出发/返回：{r.base_name}", ""]
            if r.note:
                out += [f"说明：{r.note}", ""]
            out += ["| 顺序 | 单位名称 | 行业 | 本段(公里) | 累计(公里) | 预计到达(分钟) |", "|---|---|---|---|---|---|"]
            for row in sheet[sheet["路线编号"] == r.route_id].to_dict(orient="records"):
                name = str(row["单位名称"]).replace("|", "｜")
                out.append(f"| {row['顺序']} | {name} | {row['行业']} | {row['本段里程(公里)']:.2f} | "
                           f"{row['累计里程(公里)']:.2f} | {row['预计到达(分钟)']:.0f} |")
            out += ["", f"高德导航：{r.amap}", f"百度导航：{r.baidu}"]
        if len(self.unassigned):
            out += ["", "## 未分配", ""]
            out += [f"- {jsonable(a)}：{b}" for a, b in zip(self.unassigned["org_id"], self.unassigned["reason"])]
        return "\n".join(out) + "\n"

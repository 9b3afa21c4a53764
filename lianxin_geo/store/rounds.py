"""Writing a round (one transaction) and reading it back as a :class:`~lianxin_geo.workspace.Workspace`.

A round stores everything needed to rebuild the workspace exactly: every ledger's accepted rows
(organizations as located) and rejected rows as JSON with their column dtypes, the issues
(row, column, value, reason), the district (town polygons and outline as geometry, the
gazetteer, the district's own code and name) and the policy profile (every value with its
source). :func:`read_workspace` rebuilds the frames, the :class:`~lianxin_geo.core.district.District`
and the :class:`~lianxin_geo.core.policy.Profile` from them, so ``assess`` gives the same
numbers as at import.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa

from lianxin_geo.assessment import Assessment
from lianxin_geo.core.district import District
from lianxin_geo.core.model import LEDGER_KINDS
from lianxin_geo.core.policy import Profile
from lianxin_geo.ingest.ledger import LedgerResult
from lianxin_geo.ingest.validate import ValidationIssue
from lianxin_geo.location.locator import LocateResult
from lianxin_geo.store import schema as S
from lianxin_geo.store._codec import clean, frame_dtypes, frame_rows, rebuild_frame
from lianxin_geo.store.engine import StoreError
from lianxin_geo.store.geometry import from_db, to_db
from lianxin_geo.workspace import Workspace

__all__ = ["write_round", "read_workspace", "active_round", "round_row", "RATE_KEYS", "profile_from_json",
           "profile_to_json"]

#: The three district rates every round records (keys of ``assess``'s district summary).
RATE_KEYS = ("org_coverage_rate", "single_rate", "work_coverage_rate")
_CHUNK = 2000


def active_round(conn: sa.Connection, name: str) -> Any:
    """The current (not replaced) round called ``name``, or ``None``."""
    return conn.execute(sa.select(S.rounds).where(S.rounds.c.name == name, S.rounds.c.replaced.is_(False))
                        ).mappings().first()


def round_row(conn: sa.Connection, name: str) -> Any:
    """The current round ``name``; a Chinese :class:`StoreError` naming the rounds there are when missing."""
    row = active_round(conn, name)
    if row is None:
        names = conn.execute(sa.select(S.rounds.c.name).where(S.rounds.c.replaced.is_(False))
                             .order_by(S.rounds.c.id)).scalars().all()
        have = "、".join(names) if names else "（数据库中还没有轮次，请先 round import）"
        raise StoreError(f"数据库中没有轮次 {name!r}：现有轮次 {have}")
    return row


def _insert_many(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]],
                 progress: Callable[..., None] | None = None, what: str = "") -> None:
    for i in range(0, len(rows), _CHUNK):
        conn.execute(table.insert(), rows[i:i + _CHUNK])
        if progress is not None and len(rows) > _CHUNK:
            progress(f"写入{what} {min(i + _CHUNK, len(rows))}/{len(rows)}", None)


def _points(frame: pd.DataFrame, dialect: str) -> list[Any]:
    if "lon" not in frame or "lat" not in frame:
        return [None] * len(frame)
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    return [to_db(shapely.Point(x, y), dialect) if k else None for x, y, k in zip(lon, lat, ok)]


def _row_records(round_id: int, kind: str, frame: pd.DataFrame, accepted: bool, dialect: str) -> list[dict]:
    data = frame_rows(frame)
    geoms = _points(frame, dialect) if accepted else [None] * len(frame)
    rows_no = frame["row"].tolist() if "row" in frame else [None] * len(frame)
    ids = frame["id"].tolist() if "id" in frame else [None] * len(frame)
    codes = frame["jurisdiction_code"].tolist() if "jurisdiction_code" in frame else [None] * len(frame)
    return [{"round_id": round_id, "kind": kind, "position": i, "row_no": clean(rows_no[i]), "accepted": accepted,
             "record_id": clean(ids[i]), "jurisdiction_code": clean(codes[i]), "data": data[i], "geom": geoms[i]}
            for i in range(len(frame))]


def _layer(ws: Workspace, kind: str) -> pd.DataFrame:
    return ws.orgs if kind == "orgs" else getattr(ws, kind)


def _meta(ws: Workspace) -> dict[str, Any]:
    ledgers = {}
    for kind in LEDGER_KINDS:
        led = ws.ledgers[kind]
        ledgers[kind] = {"source": led.source, "rows_in": int(led.rows_in), "header_row": int(led.header_row),
                         "encoding": led.encoding, "sheet": led.sheet, "column_map": dict(led.column_map),
                         "ledger_columns": [str(c) for c in led.accepted.columns],
                         "accepted_dtypes": frame_dtypes(_layer(ws, kind)),
                         "rejected_dtypes": frame_dtypes(led.rejected)}
    return {"ledgers": ledgers, "demo_kinds": list(ws.demo_kinds), "missing_kinds": list(ws.missing_kinds),
            "notes": list(ws.notes), "located_notes": list(ws.located.notes),
            "jurisdiction_dtypes": frame_dtypes(pd.DataFrame(ws.district.jurisdictions.drop(columns="geometry")))}


def _district_json(ws: Workspace, a: Assessment) -> dict[str, Any]:
    d = ws.district
    return {"code": d.code, "name": d.name, "approximate": bool(d.approximate), "source": d.source,
            "communities": frame_rows(d.communities), "communities_dtypes": frame_dtypes(d.communities),
            "summary": frame_rows(a.district_summary), "assessed_code": a.district_code,
            "assessed_name": a.district_name}


def _towns_records(round_id: int, district: District, dialect: str) -> list[dict[str, Any]]:
    j = district.jurisdictions
    attrs = pd.DataFrame(j.drop(columns="geometry"))
    data = frame_rows(attrs)
    out = [{"round_id": round_id, "role": "town", "position": i, "code": str(r["code"]), "name": r.get("name"),
            "mca_name": r.get("mca_name"), "kind": r.get("kind"), "approximate": bool(r.get("approximate") or False),
            "data": data[i], "geom": to_db(g, dialect)} for i, (r, g) in enumerate(zip(data, j.geometry.values))]
    out.append({"round_id": round_id, "role": "outline", "position": 0, "code": str(district.code),
                "name": district.name, "mca_name": None, "kind": None, "approximate": bool(district.approximate),
                "data": {}, "geom": to_db(district.outline, dialect)})
    return out


def _assessment_records(round_id: int, a: Assessment) -> list[dict[str, Any]]:
    acts: dict[str, list[dict[str, Any]]] = {}
    for rec in frame_rows(a.actions):
        acts.setdefault(str(rec["org_id"]), []).append({k: v for k, v in rec.items() if k not in ("org_id",)})
    o = a.orgs
    cols = {c: (o[c].tolist() if c in o else [None] * len(o)) for c in
            ("id", "name", "credit_code", "jurisdiction_code", "status", "status_reason", "status_rule",
             "industry_group")}
    return [{"round_id": round_id, "org_id": str(cols["id"][i]), "org_name": clean(cols["name"][i]),
             "credit_code": clean(cols["credit_code"][i]), "jurisdiction_code": clean(cols["jurisdiction_code"][i]),
             "status": str(cols["status"][i]), "status_reason": clean(cols["status_reason"][i]),
             "status_rule": clean(cols["status_rule"][i]), "industry_group": clean(cols["industry_group"][i]),
             "actions": acts.get(str(cols["id"][i]), [])} for i in range(len(o))]


def _rate_records(round_id: int, a: Assessment) -> list[dict[str, Any]]:
    return [{"round_id": round_id, "code": str(r["code"]), "name": r.get("name"), "orgs": int(r.get("orgs") or 0),
             **{k: r.get(k) for k in RATE_KEYS}, "data": r} for r in frame_rows(a.jurisdictions)]


def write_round(conn: sa.Connection, name: str, ws: Workspace, a: Assessment, *, files: dict[str, Any],
                seconds: float | None, user: str, now: dt.datetime,
                progress: Callable[..., None] | None = None) -> int:
    """Insert the round ``name`` (rows, rejects, assessment, rates, towns); return its id.

    The caller holds the transaction, checks the name and marks a replaced round.
    """
    dialect = conn.dialect.name
    total = a.district_summary.set_index("org_kind").loc["合计"]
    led = ws.ledgers
    profile_text = None
    if ws.profile.path is not None and ws.profile.path.is_file():
        profile_text = ws.profile.path.read_text(encoding="utf-8-sig")
    round_id = conn.execute(S.rounds.insert().returning(S.rounds.c.id), {
        "name": name, "created_at": now, "created_by": user, "replaced": False, "superseded_by": None,
        "profile_name": ws.profile.name, "profile_json": profile_to_json(ws.profile), "profile_text": profile_text,
        "files": files, "rows_in": int(sum(led[k].rows_in for k in LEDGER_KINDS)),
        "accepted": int(sum(led[k].n_accepted for k in LEDGER_KINDS)),
        "rejected": int(sum(led[k].n_rejected for k in LEDGER_KINDS)), "orgs": int(len(ws.orgs)),
        **{k: clean(total.get(k)) for k in RATE_KEYS}, "district": _district_json(ws, a), "meta": _meta(ws),
        "seconds": seconds}).scalar_one()
    say = progress or (lambda *_a, **_k: None)
    rows: list[dict[str, Any]] = []
    for kind in LEDGER_KINDS:
        rows += _row_records(round_id, kind, _layer(ws, kind), True, dialect)
        rows += _row_records(round_id, kind, led[kind].rejected, False, dialect)
    say("写入台账行", 0.3)
    _insert_many(conn, S.round_rows, rows, progress, "台账行")
    rejects = [{"round_id": round_id, "kind": kind, "row_no": int(i.row), "column_name": str(i.column),
                "value": None if i.value is None else str(i.value), "reason": i.reason, "severity": i.severity,
                "key": i.key} for kind in LEDGER_KINDS for i in led[kind].issues]
    _insert_many(conn, S.round_rejects, rejects)
    say("写入评估结果", 0.6)
    _insert_many(conn, S.assessments, _assessment_records(round_id, a))
    _insert_many(conn, S.jurisdiction_rates, _rate_records(round_id, a))
    _insert_many(conn, S.towns, _towns_records(round_id, ws.district, dialect))
    return round_id


# ----------------------------------------------------------------- reading back
def profile_to_json(profile: Profile) -> dict[str, Any]:
    """The profile as stored: metadata, documents and ``values`` as ``[key, {value, rule, doc, clause, note}]``.

    The values are a list so that their order (the schema's) survives PostgreSQL's JSONB.
    """
    doc = profile.to_dict()
    return clean({"profile": doc["profile"], "documents": doc["documents"],
                  "values": [[row["key"], {k: v for k, v in row.items() if k != "key"}] for row in profile.table()]})


def profile_from_json(doc: dict[str, Any]) -> Profile:
    """The :class:`Profile` :func:`profile_to_json` stored (values and their sources, in order)."""
    meta = doc.get("profile", {})
    values = {key: entry.get("value") for key, entry in doc["values"]}
    sources = {key: {k: v for k, v in entry.items() if k != "value"} for key, entry in doc["values"]}
    return Profile(name=meta.get("name", ""), title=meta.get("title", ""), description=meta.get("description", ""),
                   values=values, sources=sources, documents=doc.get("documents", {}), path=None,
                   extends=meta.get("extends"))


def _district(conn: sa.Connection, round_id: int, doc: dict[str, Any], jdtypes: list[list[str]]) -> District:
    t = S.towns
    rows = conn.execute(sa.select(t.c.role, t.c.data, t.c.geom).where(t.c.round_id == round_id)
                        .order_by(t.c.role.desc(), t.c.position)).all()
    towns = [r for r in rows if r.role == "town"]
    outline = next((from_db(r.geom) for r in rows if r.role == "outline"), None)
    attrs = rebuild_frame([r.data for r in towns], jdtypes)
    jur = gpd.GeoDataFrame(attrs, geometry=[from_db(r.geom) for r in towns], crs="EPSG:4326")
    communities = rebuild_frame(doc.get("communities", []), doc.get("communities_dtypes", {}))
    if outline is None:
        outline = shapely.union_all(list(jur.geometry.values))
    return District(code=doc["code"], name=doc["name"], jurisdictions=jur, outline=outline, communities=communities,
                    approximate=bool(doc.get("approximate")), source=doc.get("source", ""))


def _frames(conn: sa.Connection, round_id: int) -> dict[tuple[str, bool], list[dict[str, Any]]]:
    r = S.round_rows
    out: dict[tuple[str, bool], list[dict[str, Any]]] = {}
    for kind, accepted, data in conn.execute(sa.select(r.c.kind, r.c.accepted, r.c.data)
                                             .where(r.c.round_id == round_id)
                                             .order_by(r.c.kind, r.c.accepted, r.c.position)):
        out.setdefault((kind, bool(accepted)), []).append(data)
    return out


def read_workspace(conn: sa.Connection, row: Any) -> Workspace:
    """Rebuild the :class:`Workspace` of a stored round (``row`` from :func:`round_row`)."""
    meta = row["meta"]
    district = _district(conn, row["id"], row["district"], meta["jurisdiction_dtypes"])
    profile = profile_from_json(row["profile_json"])
    frames = _frames(conn, row["id"])
    issues: dict[str, list[ValidationIssue]] = {k: [] for k in LEDGER_KINDS}
    q = S.round_rejects
    for rec in conn.execute(sa.select(q).where(q.c.round_id == row["id"]).order_by(q.c.id)).mappings():
        issues[rec["kind"]].append(ValidationIssue(row=rec["row_no"], column=rec["column_name"],
                                                   value=rec["value"] if rec["value"] is not None else "",
                                                   reason=rec["reason"], severity=rec["severity"],
                                                   key=rec["key"] or ""))
    layers: dict[str, pd.DataFrame] = {}
    ledgers: dict[str, LedgerResult] = {}
    for kind in LEDGER_KINDS:
        lm = meta["ledgers"][kind]
        layers[kind] = rebuild_frame(frames.get((kind, True), []), lm["accepted_dtypes"])
        cols = [c for c in lm["ledger_columns"] if c in layers[kind].columns]
        ledgers[kind] = LedgerResult(
            kind=kind, source=lm["source"], rows_in=lm["rows_in"], accepted=layers[kind][cols].copy(),
            rejected=rebuild_frame(frames.get((kind, False), []), lm["rejected_dtypes"]), issues=issues[kind],
            header_row=lm["header_row"], encoding=lm.get("encoding"), sheet=lm.get("sheet"),
            column_map=lm.get("column_map") or {})
    located = LocateResult(orgs=layers["orgs"], district_code=district.code, district_name=district.name,
                           notes=list(meta.get("located_notes", [])))
    return Workspace(district=district, profile=profile, ledgers=ledgers, orgs=layers["orgs"],
                     buildings=layers["buildings"], parks=layers["parks"], centers=layers["centers"], located=located,
                     demo_kinds=tuple(meta.get("demo_kinds", ())), missing_kinds=tuple(meta.get("missing_kinds", ())),
                     notes=list(meta.get("notes", [])))

"""The comparison of two rounds (``round diff``): orgs new, closed and changed, status changes, rate deltas.

The rates are the ones stored at import, i.e. exactly what ``assess`` gave for each round.
"""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa

from lianxin_geo.core.model import SCHEMAS
from lianxin_geo.store import schema as S
from lianxin_geo.store.match import Matching, OrgRef, match_orgs
from lianxin_geo.store.rounds import RATE_KEYS

__all__ = ["round_diff", "org_records", "matching_between", "COMPARED_FIELDS"]

#: The org columns compared between rounds (every ledger column but the row number, id and source).
COMPARED_FIELDS: tuple[str, ...] = tuple(k for k in SCHEMAS["orgs"].keys if k not in ("row", "id", "source")) + (
    "jurisdiction_code",)


def org_records(conn: sa.Connection, round_id: int) -> list[dict[str, Any]]:
    """The accepted org rows of a round, in ledger order."""
    r = S.round_rows
    return list(conn.execute(sa.select(r.c.data).where(r.c.round_id == round_id, r.c.kind == "orgs",
                                                       r.c.accepted.is_(True)).order_by(r.c.position)).scalars())


def matching_between(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> Matching:
    """Match the org rows of two rounds (:func:`lianxin_geo.store.match.match_orgs`)."""
    return match_orgs([OrgRef.from_record(r) for r in old], [OrgRef.from_record(r) for r in new])


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=0.0, abs_tol=1e-7)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return float(a) == float(b)
    return a == b


def _changes(a: dict[str, Any], b: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [a.get(k), b.get(k)] for k in COMPARED_FIELDS if (k in a or k in b) and not _same(a.get(k), b.get(k))}


def _delta(old: Any, new: Any) -> dict[str, Any]:
    d = None if old is None or new is None else new - old
    return {"from": old, "to": new, "delta": d}


def _statuses(conn: sa.Connection, round_id: int) -> dict[str, str]:
    t = S.assessments
    return dict(conn.execute(sa.select(t.c.org_id, t.c.status).where(t.c.round_id == round_id)).all())


def _juris(conn: sa.Connection, round_id: int) -> dict[str, dict[str, Any]]:
    t = S.jurisdiction_rates
    rows = conn.execute(sa.select(t).where(t.c.round_id == round_id).order_by(t.c.id)).mappings()
    return {r["code"]: dict(r) for r in rows}


def round_diff(conn: sa.Connection, a: Any, b: Any) -> dict[str, Any]:
    """The JSON document of ``round diff A B`` (``a`` and ``b`` are rows of the rounds table).

    Keys: ``from``, ``to``, ``orgs_new``, ``orgs_closed``, ``orgs_changed`` (``{org_id, fields: {column:
    [old, new]}}``, plus ``from_id`` when the id changed), ``status_changes`` (``{org_id, from, to}``),
    ``district`` (``{rate: {from, to, delta}}``), ``jurisdictions`` (``{code, name, rate: {from, to, delta}}``),
    and the extensions ``suspected_same`` (疑似同一组织: ``{from_id, to_id, name, basis, matched}``) and
    ``matched`` (counts by basis).
    """
    old, new = org_records(conn, a["id"]), org_records(conn, b["id"])
    m = matching_between(old, new)
    by_old = {str(r.get("id")): r for r in old}
    by_new = {str(r.get("id")): r for r in new}
    st_old, st_new = _statuses(conn, a["id"]), _statuses(conn, b["id"])
    changed, status_changes = [], []
    counts: dict[str, int] = {}
    for oid, nid, basis in m.pairs:
        counts[basis] = counts.get(basis, 0) + 1
        fields = _changes(by_old[oid], by_new[nid])
        if fields:
            rec: dict[str, Any] = {"org_id": nid, "fields": fields}
            if oid != nid:
                rec["from_id"] = oid
            changed.append(rec)
        if st_old.get(oid) != st_new.get(nid):
            status_changes.append({"org_id": nid, "from": st_old.get(oid), "to": st_new.get(nid)})
    ja, jb = _juris(conn, a["id"]), _juris(conn, b["id"])
    juris = []
    for code in list(ja) + [c for c in jb if c not in ja]:
        ra, rb = ja.get(code, {}), jb.get(code, {})
        juris.append({"code": code, "name": rb.get("name") or ra.get("name"),
                      **{k: _delta(ra.get(k), rb.get(k)) for k in RATE_KEYS}})
    return {
        "from": a["name"], "to": b["name"],
        "orgs_new": m.new_only, "orgs_closed": m.old_only, "orgs_changed": changed,
        "status_changes": status_changes,
        "district": {k: _delta(a[k], b[k]) for k in RATE_KEYS},
        "jurisdictions": juris,
        "suspected_same": m.suspected,
        "matched": counts,
    }

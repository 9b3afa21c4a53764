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

__all__ = ["round_diff", "org_records", "matching_between", "town_totals", "COMPARED_FIELDS"]

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


def town_totals(juris: dict[str, dict[str, Any]], towns: tuple[str, ...]) -> dict[str, Any]:
    """The three rates over the orgs of ``towns`` (sums of their counts, as ``assess`` computes the district's)."""
    sums = {k: 0 for k in ("orgs", "own", "joint", "work_only")}
    for code in towns:
        data = (juris.get(code) or {}).get("data") or {}
        for k in sums:
            sums[k] += int(data.get(k) or 0)
    n = sums["orgs"]
    if not n:
        return {k: None for k in RATE_KEYS}
    return {"org_coverage_rate": (sums["own"] + sums["joint"]) / n, "single_rate": sums["own"] / n,
            "work_coverage_rate": (sums["own"] + sums["joint"] + sums["work_only"]) / n}


def round_diff(conn: sa.Connection, a: Any, b: Any, *, towns: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The JSON document of ``round diff A B`` (``a`` and ``b`` are rows of the rounds table).

    Keys: ``from``, ``to``, ``orgs_new``, ``orgs_closed``, ``orgs_changed`` (``{org_id, fields: {column:
    [old, new]}}``, plus ``from_id`` when the id changed), ``status_changes`` (``{org_id, from, to}``),
    ``district`` (``{rate: {from, to, delta}}``), ``jurisdictions`` (``{code, name, rate: {from, to, delta}}``),
    and the extensions ``suspected_same`` (疑似同一组织: ``{from_id, to_id, name, basis, matched}``) and
    ``matched`` (counts by basis).

    ``towns`` (a user's towns; ``None``: everything) keeps only the orgs of those towns (an org counts where it
    is in round ``b``, a closed one where it was in ``a``; an org that moved out shows only its town change),
    their jurisdictions, and gives as ``district`` the rates over those towns (with ``"scope": towns``).
    """
    old, new = org_records(conn, a["id"]), org_records(conn, b["id"])
    m = matching_between(old, new)
    by_old = {str(r.get("id")): r for r in old}
    by_new = {str(r.get("id")): r for r in new}

    def mine(rec: dict[str, Any] | None) -> bool:
        return towns is None or (rec is not None and str(rec.get("jurisdiction_code")) in towns)

    st_old, st_new = _statuses(conn, a["id"]), _statuses(conn, b["id"])
    changed, status_changes = [], []
    counts: dict[str, int] = {}
    for oid, nid, basis in m.pairs:
        here, was = mine(by_new[nid]), mine(by_old[oid])
        if not (here or was):
            continue
        counts[basis] = counts.get(basis, 0) + 1
        fields = _changes(by_old[oid], by_new[nid])
        if not here:  # moved to another town: only the move is shown
            fields = {k: v for k, v in fields.items() if k == "jurisdiction_code"}
        if fields:
            rec: dict[str, Any] = {"org_id": nid, "fields": fields}
            if oid != nid:
                rec["from_id"] = oid
            changed.append(rec)
        if here and st_old.get(oid) != st_new.get(nid):
            status_changes.append({"org_id": nid, "from": st_old.get(oid), "to": st_new.get(nid)})
    ja, jb = _juris(conn, a["id"]), _juris(conn, b["id"])
    juris = []
    for code in list(ja) + [c for c in jb if c not in ja]:
        if towns is not None and code not in towns:
            continue
        ra, rb = ja.get(code, {}), jb.get(code, {})
        juris.append({"code": code, "name": rb.get("name") or ra.get("name"),
                      **{k: _delta(ra.get(k), rb.get(k)) for k in RATE_KEYS}})
    if towns is None:
        district: dict[str, Any] = {k: _delta(a[k], b[k]) for k in RATE_KEYS}
    else:
        ta, tb = town_totals(ja, towns), town_totals(jb, towns)
        district = {**{k: _delta(ta[k], tb[k]) for k in RATE_KEYS}, "scope": list(towns)}
    return {
        "from": a["name"], "to": b["name"],
        "orgs_new": [i for i in m.new_only if mine(by_new.get(i))],
        "orgs_closed": [i for i in m.old_only if mine(by_old.get(i))],
        "orgs_changed": changed,
        "status_changes": status_changes,
        "district": district,
        "jurisdictions": juris,
        "suspected_same": [s for s in m.suspected if mine(by_new.get(str(s.get("to_id"))))
                           and mine(by_old.get(str(s.get("from_id"))))],
        "matched": counts,
    }

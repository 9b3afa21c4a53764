"""一企一策 measures: created from a round's actions, carried into the next round, edited with a version check.

* On import, every action of the assessment becomes a measure (任务措施 ``measure``, 责任人
  ``owner`` and 期限 ``due`` from the actions frame when it has those columns; otherwise the
  defaults below), status 待办, version 1.
* A new round carries the open measures of the previous round forward: the same org (matched as
  in ``round diff``) with the same action proposed again keeps its measure (status, owner, due,
  note); a measure whose action the new round no longer proposes for that org — its condition is
  met — or whose org is gone becomes 可销号 for a person to confirm (已销号).
* :func:`set_measure` changes status/owner/due/note only when the caller's version is current
  (optimistic locking); every change, and every refused one, goes to the audit table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from lianxin_geo.assessment.rules import (
    A_FIVE_CLEAR, A_FORM_OWN, A_JOINT_CANDIDATE, A_JOINT_TOO_BIG, A_JOINT_TOO_FEW, A_JOINT_TOO_MANY, A_LEAVE_JOINT,
    A_NEED_MEMBERS, A_UPGRADE_COMMITTEE, A_UPGRADE_GENERAL, A_WORK_COVERAGE,
)
from lianxin_geo.store import schema as S
from lianxin_geo.store._codec import iso_utc
from lianxin_geo.store.audit import record
from lianxin_geo.store.engine import StaleVersionError, StoreError
from lianxin_geo.store.match import Matching

__all__ = ["DEFAULT_MEASURES", "MEASURE_FIELDS", "default_measure", "default_owner", "create_and_carry",
           "list_measures", "set_measure", "is_overdue"]

#: Action → the default 任务措施 when the actions frame gives none.
DEFAULT_MEASURES: dict[str, str] = {
    A_FORM_OWN: "推动单独建立党组织：确定组建方式，按程序报批成立",
    A_NEED_MEMBERS: "发展或引进党员：做好入党积极分子培养，督促流动党员转接组织关系",
    A_LEAVE_JOINT: "从联合党组织中分出，单独建立党组织",
    A_UPGRADE_GENERAL: "按党员人数升格为党总支，完成换届选举",
    A_UPGRADE_COMMITTEE: "按党员人数升格为基层党委，完成换届选举",
    A_JOINT_CANDIDATE: "按行业相近、地域相邻纳入联合党组织",
    A_WORK_COVERAGE: "选派党建工作指导员或建立工会、共青团、妇联等群团组织，实现工作覆盖",
    A_FIVE_CLEAR: "补齐“五个清”信息并录入台账",
    A_JOINT_TOO_MANY: "调整联合党组织规模：拆分或转出部分单位",
    A_JOINT_TOO_FEW: "补足联合党组织正式党员，或调整组建方式",
    A_JOINT_TOO_BIG: "按党员人数调整联合党组织设置（升格或拆分）",
}
#: The columns of a measure as ``measures list --json`` prints them.
MEASURE_FIELDS = ("id", "org_id", "org_name", "jurisdiction_code", "action", "rule", "clause", "measure", "owner",
                  "due", "status", "note", "version", "round", "origin_round", "updated_at")
_EDITABLE = ("status", "owner", "due", "note")


def is_overdue(measure: dict[str, Any], today: dt.date) -> bool:
    """A measure still to be carried out (not 已完成 nor 已销号) whose 期限 ``due`` (YYYY-MM-DD) is before ``today``."""
    if measure.get("status") in (S.STATUS_DONE, S.STATUS_CLOSED):
        return False
    try:
        return dt.date.fromisoformat(str(measure.get("due") or "")[:10]) < today
    except ValueError:
        return False


def default_measure(action: str, reason: str | None) -> str:
    """The default 任务措施 of an action."""
    if action in DEFAULT_MEASURES:
        return DEFAULT_MEASURES[action]
    return f"落实：{action}" + (f"（{reason}）" if reason else "")


def default_owner(town_name: str | None) -> str:
    """The default 责任人: the town's or street's party (working) committee."""
    return f"{town_name}党（工）委" if town_name else "所在镇街党（工）委"


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def _new_rows(round_id: int, assessment_rows: list[dict[str, Any]], towns: dict[str, str],
              now: dt.datetime) -> list[dict[str, Any]]:
    out = []
    for org in assessment_rows:
        for act in org["actions"]:
            out.append({"origin_round_id": round_id, "last_round_id": round_id, "org_id": org["org_id"],
                        "org_name": org["org_name"], "credit_code": org["credit_code"],
                        "jurisdiction_code": org["jurisdiction_code"], "action": act["action"],
                        "rule": act.get("rule"), "doc": act.get("doc"), "clause": act.get("clause"),
                        "reason": act.get("reason"),
                        "measure": _text(act.get("measure")) or default_measure(act["action"], act.get("reason")),
                        "owner": _text(act.get("owner")) or default_owner(towns.get(org["jurisdiction_code"])),
                        "due": _text(act.get("due")), "status": S.STATUS_TODO, "note": None, "version": 1,
                        "created_at": now, "updated_at": now})
    return out


def _closable_note(round_name: str, gone: bool) -> str:
    if gone:
        return f"组织未出现在轮次 {round_name} 的台账中（可能已注销或迁出），可销号，请核实确认"
    return f"轮次 {round_name} 的评估不再提出此事项（条件已满足），可销号，请核实确认"


def _append(note: str | None, text: str) -> str:
    return f"{note}；{text}" if note else text


def _carry_values(old: Any, round_id: int, org: dict[str, Any] | None, act: dict[str, Any] | None,
                  round_name: str, nid: str | None, now: dt.datetime) -> dict[str, Any]:
    """The new values of an open measure in the new round: carried (``org`` given) or 可销号."""
    vals = {"b_id": old["id"], "last_round_id": round_id, "org_id": nid or old["org_id"],
            "org_name": old["org_name"], "credit_code": old["credit_code"],
            "jurisdiction_code": old["jurisdiction_code"], "reason": old["reason"], "status": old["status"],
            "note": old["note"], "version": old["version"], "updated_at": old["updated_at"]}
    if org is None:
        vals.update(status=S.STATUS_CLOSABLE, note=_append(old["note"], _closable_note(round_name, nid is None)),
                    version=old["version"] + 1, updated_at=now)
        return vals
    vals.update(org_name=org["org_name"], credit_code=org["credit_code"], jurisdiction_code=org["jurisdiction_code"],
                reason=(act or {}).get("reason"))
    if old["status"] == S.STATUS_CLOSABLE:  # proposed again: back to the board
        vals.update(status=S.STATUS_TODO, note=_append(old["note"], f"轮次 {round_name} 又提出此事项"),
                    version=old["version"] + 1, updated_at=now)
    return vals


def create_and_carry(conn: sa.Connection, *, round_id: int, round_name: str, prev_round_id: int | None,
                     assessment_rows: list[dict[str, Any]], matching: Matching | None, towns: dict[str, str],
                     now: dt.datetime, user: str) -> dict[str, int]:
    """Carry the previous round's open measures into round ``round_id`` and create the new ones.

    Returns the counts ``{"carried", "closable", "created"}``. Each automatic status change is audited.
    """
    m = S.measures
    proposed = {(o["org_id"], a["action"]): (o, a) for o in assessment_rows for a in o["actions"]}
    counts = {"carried": 0, "closable": 0, "created": 0}
    links: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    taken: set[tuple[str, str]] = set()
    if prev_round_id is not None and matching is not None:
        new_of_old = matching.new_of_old()
        open_rows = conn.execute(sa.select(m).where(m.c.last_round_id == prev_round_id,
                                                    m.c.status.in_(S.MEASURE_OPEN)).order_by(m.c.id)).mappings().all()
        for old in open_rows:
            nid = new_of_old.get(old["org_id"])
            key = (nid, old["action"])
            hit = proposed.get(key) if nid is not None and key not in taken else None
            if hit is not None:
                taken.add(key)
            vals = _carry_values(old, round_id, hit[0] if hit else None, hit[1] if hit else None, round_name, nid, now)
            updates.append(vals)
            links.append({"measure_id": old["id"], "round_id": round_id, "proposed": hit is not None})
            counts["carried" if hit is not None else "closable"] += 1
            if vals["status"] != old["status"]:
                audits.append({"at": now, "who": user, "what": "measure.carry", "round_name": round_name,
                               "target": f"measure:{old['id']}", "old": {"status": old["status"],
                                                                        "version": old["version"]},
                               "new": {"status": vals["status"], "version": vals["version"], "note": vals["note"]},
                               "outcome": "ok"})
    if updates:
        cols = [c for c in updates[0] if c != "b_id"]
        conn.execute(m.update().where(m.c.id == sa.bindparam("b_id")).values({c: sa.bindparam(c) for c in cols}),
                     updates)
    fresh = [r for r in _new_rows(round_id, assessment_rows, towns, now) if (r["org_id"], r["action"]) not in taken]
    if fresh:
        ids = conn.execute(m.insert().returning(m.c.id, sort_by_parameter_order=True), fresh).scalars().all()
        links += [{"measure_id": i, "round_id": round_id, "proposed": True} for i in ids]
        counts["created"] = len(ids)
    for i in range(0, len(links), 5000):
        conn.execute(S.measure_rounds.insert(), links[i:i + 5000])
    if audits:
        conn.execute(S.audit.insert(), audits)
    return counts


def _select() -> sa.Select:
    m, r, o = S.measures, S.rounds.alias("last"), S.rounds.alias("origin")
    return (sa.select(m, r.c.name.label("round"), o.c.name.label("origin_round"))
            .join(r, r.c.id == m.c.last_round_id).join(o, o.c.id == m.c.origin_round_id))


def _public(row: Any) -> dict[str, Any]:
    rec = {k: row[k] for k in MEASURE_FIELDS}
    rec["updated_at"] = iso_utc(row["updated_at"])
    return rec


def list_measures(conn: sa.Connection, *, round_id: int | None = None, town: str | None = None,
                  status: str | None = None, towns: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Measures (dicts of :data:`MEASURE_FIELDS`) of a round (carried into it or made by it), a town, a status;
    ``towns`` (a user's towns) keeps only the measures of those towns."""
    m = S.measures
    q = _select()
    if round_id is not None:
        q = q.join(S.measure_rounds, sa.and_(S.measure_rounds.c.measure_id == m.c.id,
                                             S.measure_rounds.c.round_id == round_id))
    if town is not None:
        q = q.where(m.c.jurisdiction_code == town)
    if towns is not None:
        q = q.where(m.c.jurisdiction_code.in_(list(towns)))
    if status is not None:
        if status not in S.MEASURE_STATUSES:
            raise StoreError(f"状态 {status!r} 无效：可选 {'、'.join(S.MEASURE_STATUSES)}")
        q = q.where(m.c.status == status)
    return [_public(r) for r in conn.execute(q.order_by(m.c.id)).mappings()]


def get_measure(conn: sa.Connection, measure_id: int) -> dict[str, Any]:
    """One measure; a Chinese :class:`StoreError` when there is none with that id."""
    row = conn.execute(_select().where(S.measures.c.id == measure_id)).mappings().first()
    if row is None:
        raise StoreError(f"没有编号为 {measure_id} 的措施：请用 lianxin-geo measures list 查看编号")
    return _public(row)


def _check_changes(changes: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in changes.items() if k in _EDITABLE and v is not None}
    if "status" in out and out["status"] not in S.MEASURE_STATUSES:
        raise StoreError(f"状态 {out['status']!r} 无效：可选 {'、'.join(S.MEASURE_STATUSES)}")
    if "due" in out and out["due"] != "":
        try:
            out["due"] = dt.date.fromisoformat(str(out["due"])).isoformat()
        except ValueError as exc:
            raise StoreError(f"期限 {out['due']!r} 不是日期：请写成 2026-11-30 的格式") from exc
    if not out:
        raise StoreError("没有要修改的内容：请给出 --status、--owner、--due 或 --note 之一")
    return out


def set_measure(conn: sa.Connection, measure_id: int, *, changes: dict[str, Any], expect_version: int | None,
                user: str, now: dt.datetime, account: str | None = None) -> dict[str, Any]:
    """Apply ``changes`` when the measure is still at ``expect_version`` (the current one when ``None``).

    Raises
    ------
    StaleVersionError
        Someone changed the measure since ``expect_version`` was read.
    """
    values = _check_changes(changes)
    current = get_measure(conn, measure_id)
    version = current["version"] if expect_version is None else int(expect_version)
    if version > current["version"] or version < 1:
        raise StoreError(f"措施 {measure_id} 没有第 {version} 版：当前是第 {current['version']} 版，"
                         "请按您看到的版本号修改")
    m = S.measures
    res = conn.execute(m.update().where(m.c.id == measure_id, m.c.version == version)
                       .values(**values, version=m.c.version + 1, updated_at=now))
    if res.rowcount != 1:
        raise StaleVersionError(
            f"措施 {measure_id} 已被他人修改：您看到的是第 {version} 版，数据库中已是第 {current['version']} 版"
            f"（状态“{current['status']}”，责任人“{current['owner'] or ''}”）。您的修改没有保存，"
            "请重新读取最新内容后再改")
    after = get_measure(conn, measure_id)
    record(conn, what="measure.set", who=user, at=now, round_name=after["round"], target=f"measure:{measure_id}",
           old={k: current[k] for k in (*values, "version")}, new={k: after[k] for k in (*values, "version")},
           outcome="ok", user=account, towns=[after["jurisdiction_code"]] if after["jurisdiction_code"] else [])
    return after

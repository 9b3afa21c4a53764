"""The append-only audit table: who did what when, on which towns, with the old and new values.

Rows are only ever inserted (no update or delete anywhere in the package, the CLI or the app).
``who`` is the OS user (or the app's process user); ``user`` the logged-in account (``None`` in
single-user mode, the name tried for a failed login); ``towns`` the jurisdiction codes the action
concerned (empty: the whole district).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

import sqlalchemy as sa

from lianxin_geo.store import schema as S
from lianxin_geo.store._codec import clean, iso_utc

__all__ = ["record", "entries"]


def record(conn: sa.Connection, *, what: str, who: str, at: dt.datetime, round_name: str | None = None,
           target: str | None = None, old: Any = None, new: Any = None, outcome: str = "ok",
           user: str | None = None, towns: Iterable[str] = ()) -> None:
    """Append one audit row (inside the caller's transaction)."""
    conn.execute(S.audit.insert(), {"at": at, "who": who, "what": what[:50], "round_name": round_name,
                                    "target": target[:100] if target else target,
                                    "old": clean(old) if old is not None else None,
                                    "new": clean(new) if new is not None else None, "outcome": outcome[:200],
                                    "user": user[:100] if user else None, "towns": [str(t) for t in towns]})


def entries(conn: sa.Connection, *, target: str | None = None, what: str | None = None,
            user: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Audit rows, oldest first (optionally of one target, one kind of action or one account; the last
    ``limit`` rows)."""
    a = S.audit
    q = sa.select(a)
    if target is not None:
        q = q.where(a.c.target == target)
    if what is not None:
        q = q.where(a.c.what == what)
    if user is not None:
        q = q.where(a.c.user == user)
    if limit is not None:
        q = q.order_by(a.c.id.desc()).limit(int(limit))
        rows = list(conn.execute(q).mappings())[::-1]
    else:
        rows = list(conn.execute(q.order_by(a.c.id)).mappings())
    out = []
    for r in rows:
        rec = dict(r)
        rec["at"] = iso_utc(rec["at"])
        rec["towns"] = list(rec.get("towns") or [])
        out.append(rec)
    return out

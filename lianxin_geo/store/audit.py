"""The append-only audit table: who did what when, with the old and new values.

Rows are only ever inserted (no update or delete anywhere in the package); ``who`` is the OS
user for now (the app user once logins exist).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from lianxin_geo.store import schema as S
from lianxin_geo.store._codec import clean, iso_utc

__all__ = ["record", "entries"]


def record(conn: sa.Connection, *, what: str, who: str, at: dt.datetime, round_name: str | None = None,
           target: str | None = None, old: Any = None, new: Any = None, outcome: str = "ok") -> None:
    """Append one audit row (inside the caller's transaction)."""
    conn.execute(S.audit.insert(), {"at": at, "who": who, "what": what, "round_name": round_name, "target": target,
                                    "old": clean(old) if old is not None else None,
                                    "new": clean(new) if new is not None else None, "outcome": outcome[:200]})


def entries(conn: sa.Connection, *, target: str | None = None, what: str | None = None) -> list[dict[str, Any]]:
    """Audit rows, oldest first (optionally of one target or one kind of change)."""
    a = S.audit
    q = sa.select(a).order_by(a.c.id)
    if target is not None:
        q = q.where(a.c.target == target)
    if what is not None:
        q = q.where(a.c.what == what)
    out = []
    for r in conn.execute(q).mappings():
        rec = dict(r)
        rec["at"] = iso_utc(rec["at"])
        out.append(rec)
    return out

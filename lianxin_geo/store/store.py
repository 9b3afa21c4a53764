"""The system of record: :class:`Store` (rounds, diffs, measures, audit, backup) and :func:`open_store`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd
import sqlalchemy as sa

from lianxin_geo.assessment import Assessment, assess
from lianxin_geo.core.model import LEDGER_KINDS
from lianxin_geo.store import schema as S
from lianxin_geo.store._codec import iso_utc, sha256_file
from lianxin_geo.store.access import AuthError, Settings, User, scope_workspace
from lianxin_geo.store.audit import entries, record
from lianxin_geo.store.backup import backup_database, restore_database
from lianxin_geo.store.diff import matching_between, org_records, round_diff, town_totals
from lianxin_geo.store.engine import (
    StaleVersionError, StoreError, current_revision, make_engine, prepare, resolve_url, sqlite_path, who,
    writer,
)
from lianxin_geo.store.measures import create_and_carry, get_measure, list_measures, set_measure
from lianxin_geo.store.rounds import RATE_KEYS, active_round, read_workspace, round_row, write_round
from lianxin_geo.store.users import change_password, check_password, create_user, disable, find_user, login, user_rows
from lianxin_geo.workspace import Workspace

__all__ = ["Store", "RoundInfo", "open_store"]

Progress = Callable[..., None] | None


@dataclass(frozen=True)
class RoundInfo:
    """One stored round as ``round list`` shows it.

    Attributes
    ----------
    name, id
        The round's name (e.g. ``2026-06``) and database id.
    created_at, created_by
        When and by whom it was imported.
    replaced, superseded_by
        True once a later import with ``--replace`` took its name (and that round's id).
    profile
        Name of the policy profile used.
    files
        ``kind -> {name, sha256, bytes}`` of the ledger files (``{source}`` for demo or empty layers).
    rows_in, accepted, rejected, orgs
        Counts over the four ledgers (``orgs``: accepted organizations).
    district
        ``org_coverage_rate``, ``single_rate``, ``work_coverage_rate`` as ``assess`` gave them.
    seconds
        How long the import took.
    measures
        ``{"created", "carried", "closable"}`` counts of the import (empty when read back).
    """

    name: str
    id: int
    created_at: str
    created_by: str
    replaced: bool
    superseded_by: int | None
    profile: str
    files: dict[str, Any]
    rows_in: int
    accepted: int
    rejected: int
    orgs: int
    district: dict[str, float | None]
    seconds: float | None = None
    measures: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Any, measures: dict[str, int] | None = None) -> "RoundInfo":
        """From a row of the rounds table."""
        return cls(name=row["name"], id=row["id"], created_at=iso_utc(row["created_at"]) or "",
                   created_by=row["created_by"], replaced=bool(row["replaced"]), superseded_by=row["superseded_by"],
                   profile=row["profile_name"], files=dict(row["files"]), rows_in=row["rows_in"],
                   accepted=row["accepted"], rejected=row["rejected"], orgs=row["orgs"],
                   district={k: row[k] for k in RATE_KEYS}, seconds=row["seconds"], measures=dict(measures or {}))

    def to_json(self) -> dict[str, Any]:
        """The ``round import --json`` document plus the listing fields."""
        return {"round": self.name, "id": self.id, "rows_in": self.rows_in, "accepted": self.accepted,
                "rejected": self.rejected, "orgs": self.orgs, "district": dict(self.district),
                "created_at": self.created_at, "created_by": self.created_by, "replaced": self.replaced,
                "superseded_by": self.superseded_by, "profile": self.profile, "files": self.files,
                "seconds": self.seconds, "measures": self.measures}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def files_info(ws: Workspace, files: dict[str, Any] | None) -> dict[str, Any]:
    """``kind -> {name, sha256, bytes}`` for the files given, ``{source}`` for the other layers."""
    out: dict[str, Any] = {}
    for kind in LEDGER_KINDS:
        path = (files or {}).get(kind)
        if path is not None and Path(path).is_file():
            p = Path(path)
            out[kind] = {"name": p.name, "sha256": sha256_file(p), "bytes": p.stat().st_size}
        else:
            out[kind] = {"source": ws.ledgers[kind].source}
    for kind in ("boundaries", "policy"):
        path = (files or {}).get(kind)
        if path is not None and Path(path).is_file():
            p = Path(path)
            out[kind] = {"name": p.name, "sha256": sha256_file(p), "bytes": p.stat().st_size}
    return out


class Store:
    """The database of rounds, measures and the audit (SQLite file or PostgreSQL+PostGIS).

    Open it with :func:`open_store`. Every method that writes runs one transaction.
    """

    def __init__(self, engine: sa.Engine, *, backup: Path | None = None) -> None:
        self.engine = engine
        self.url = engine.url
        self.backend = engine.dialect.name
        #: The backup written before an automatic schema upgrade when this store was opened (else ``None``).
        self.upgrade_backup = backup
        #: The account settings (``None``: :meth:`Settings.from_env` at every login).
        self.settings: Settings | None = None

    def __repr__(self) -> str:
        return f"Store({self.url.render_as_string()!r})"

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.close()

    @property
    def path(self) -> Path | None:
        """The SQLite file (``None`` on PostgreSQL)."""
        return sqlite_path(self.url)

    def revision(self) -> str | None:
        """The schema revision of the database."""
        return current_revision(self.engine)

    # ------------------------------------------------------------- rounds
    def import_round(self, name: str, ws: Workspace, *, replace: bool = False, files: dict[str, Any] | None = None,
                     progress: Progress = None, user: User | None = None) -> RoundInfo:
        """Assess ``ws`` and store it as round ``name`` in one transaction.

        Parameters
        ----------
        name
            The round's name, e.g. ``2026-06``.
        ws
            The workspace (validated, located).
        replace
            Replace a round of the same name (the old one stays in the history, marked replaced);
            without it an existing name is refused.
        files
            ``kind -> path`` of the files read (their names and SHA-256 are recorded).
        progress
            ``progress(message, fraction=None)``.
        user
            The logged-in account (only an admin imports rounds; ``None``: no accounts).
        """
        if user is not None and not user.is_admin:
            self.record("round.import", user=user, outcome="refused: forbidden", round_name=str(name))
            _need_admin(user, "导入轮次")
        name = str(name).strip()
        if not name:
            raise StoreError("轮次名称不能为空：请用 --round 2026-06 这样的名称")
        say = progress or (lambda *_a, **_k: None)
        t0 = time.perf_counter()
        say("评估", 0.05)
        a = assess(ws.orgs, centers=ws.centers, parks=ws.parks, buildings=ws.buildings, district=ws.district,
                   profile=ws.profile)
        info = files_info(ws, files)
        os_user, now = who(), _now()
        with writer(self.engine).begin() as conn:
            old = active_round(conn, name)
            if old is not None and not replace:
                raise StoreError(f"轮次 {name} 已存在（{old['created_at']:%Y-%m-%d %H:%M} 由 {old['created_by']} 导入）："
                                 "轮次导入后不可修改；如需重新导入请加 --replace（旧轮次保留在历史中）")
            prev = old if old is not None else self._latest(conn)
            rid = write_round(conn, name, ws, a, files=info, seconds=None, user=user.name if user else os_user, now=now,
                              progress=progress)
            if old is not None:
                conn.execute(S.rounds.update().where(S.rounds.c.id == old["id"])
                             .values(replaced=True, superseded_by=rid))
            say("结转一企一策措施", 0.8)
            counts = self._carry(conn, rid, name, prev, ws, a, user.name if user else os_user, now)
            seconds = round(time.perf_counter() - t0, 3)
            conn.execute(S.rounds.update().where(S.rounds.c.id == rid).values(seconds=seconds))
            record(conn, what="round.replace" if old is not None else "round.import", who=os_user, at=now,
                   round_name=name, target=f"round:{rid}", old={"round_id": old["id"]} if old is not None else None,
                   new={"round_id": rid, "files": info, "orgs": len(ws.orgs), "measures": counts},
                   user=user.name if user else None)
            row = conn.execute(sa.select(S.rounds).where(S.rounds.c.id == rid)).mappings().one()
        say("已保存", 1.0)
        return RoundInfo.from_row(row, counts)

    @staticmethod
    def _ordered(conn: sa.Connection, *, history: bool = False) -> list[Any]:
        """Rounds in the order they were first imported: a replacement takes the place of the round it replaced."""
        rows = conn.execute(sa.select(S.rounds).order_by(S.rounds.c.id)).mappings().all()
        place = {r["id"]: r["id"] for r in rows}
        for r in rows:  # ids grow, so the replaced round's place is known when its replacement comes
            if r["superseded_by"] is not None:
                place[r["superseded_by"]] = place[r["id"]]
        keep = [r for r in rows if history or not r["replaced"]]
        return sorted(keep, key=lambda r: (place[r["id"]], r["id"]))

    def _latest(self, conn: sa.Connection) -> Any:
        active = self._ordered(conn)
        return active[-1] if active else None

    @staticmethod
    def _carry(conn: sa.Connection, rid: int, name: str, prev: Any, ws: Workspace, a: Assessment, user: str,
               now: dt.datetime) -> dict[str, int]:
        t = S.assessments
        rows = [dict(r) for r in conn.execute(sa.select(t).where(t.c.round_id == rid).order_by(t.c.id)).mappings()]
        matching = None
        if prev is not None:
            matching = matching_between(org_records(conn, prev["id"]), org_records(conn, rid))
        towns = ws.district.town_names
        return create_and_carry(conn, round_id=rid, round_name=name, prev_round_id=prev["id"] if prev else None,
                                assessment_rows=rows, matching=matching, towns=towns, now=now, user=user)

    def rounds(self, *, history: bool = False, user: User | None = None) -> list[RoundInfo]:
        """The rounds in import order, a replacement in the place of the round it replaced.

        ``history=True`` also lists the replaced rounds (each just before its replacement). For a town
        user or a viewer, ``orgs`` and the rates are the totals of the user's towns.
        """
        with self.engine.connect() as conn:
            out = [RoundInfo.from_row(r) for r in self._ordered(conn, history=history)]
            if user is None or user.is_admin:
                return out
            return [self._scoped_info(conn, r, user) for r in out]

    @staticmethod
    def _scoped_info(conn: sa.Connection, info: RoundInfo, user: User) -> RoundInfo:
        j = S.jurisdiction_rates
        juris = {r["code"]: dict(r) for r in conn.execute(sa.select(j).where(j.c.round_id == info.id)).mappings()}
        orgs = sum(int((juris.get(c) or {}).get("orgs") or 0) for c in user.towns)
        return dataclasses.replace(info, orgs=orgs, district=town_totals(juris, user.towns))

    def round_info(self, name: str) -> RoundInfo:
        """The current round ``name``."""
        with self.engine.connect() as conn:
            return RoundInfo.from_row(round_row(conn, name))

    def load_round(self, name: str, *, user: User | None = None) -> Workspace:
        """The workspace of round ``name``, rebuilt from the database (frames, district, profile), as ``user``
        may see it (:func:`~lianxin_geo.store.access.scope_workspace`)."""
        with self.engine.connect() as conn:
            ws = read_workspace(conn, round_row(conn, name))
        return scope_workspace(ws, user)

    def town_rates(self, *, user: User | None = None) -> pd.DataFrame:
        """Every town's rates in every current round, oldest round first: ``round``, ``code``, ``name``, ``orgs``,
        ``org_coverage_rate``, ``single_rate``, ``work_coverage_rate`` (the numbers ``assess`` gave at import);
        only the user's towns for a town user or viewer."""
        r, j = S.rounds, S.jurisdiction_rates
        q = (sa.select(r.c.name.label("round"), j.c.code, j.c.name, j.c.orgs, j.c.org_coverage_rate, j.c.single_rate,
                       j.c.work_coverage_rate)
             .join(r, r.c.id == j.c.round_id).where(r.c.replaced.is_(False)).order_by(r.c.id, j.c.id))
        towns = _towns_of(user)
        if towns is not None:
            q = q.where(j.c.code.in_(list(towns)))
        with self.engine.connect() as conn:
            rows = [dict(m) for m in conn.execute(q).mappings()]
        return pd.DataFrame(rows, columns=["round", "code", "name", "orgs", "org_coverage_rate", "single_rate",
                                           "work_coverage_rate"])

    def diff(self, a: str, b: str, *, user: User | None = None) -> dict[str, Any]:
        """The comparison of rounds ``a`` → ``b`` (see :func:`lianxin_geo.store.diff.round_diff`), restricted to
        the towns of a town user or viewer (district rates: the totals of those towns)."""
        with self.engine.connect() as conn:
            return round_diff(conn, round_row(conn, a), round_row(conn, b), towns=_towns_of(user))

    # ------------------------------------------------------------- measures
    def measures(self, round: str | None = None, town: str | None = None,  # noqa: A002 - the CLI's word
                 status: str | None = None, *, user: User | None = None) -> list[dict[str, Any]]:
        """Measures of a round (made or carried into it), a town code and/or a status; only those of the
        user's towns for a town user or viewer."""
        with self.engine.connect() as conn:
            rid = round_row(conn, round)["id"] if round is not None else None
            return list_measures(conn, round_id=rid, town=town, status=status, towns=_towns_of(user))

    def measure(self, measure_id: int, *, user: User | None = None) -> dict[str, Any]:
        """One measure by id (refused when it is of a town ``user`` does not see)."""
        with self.engine.connect() as conn:
            m = get_measure(conn, measure_id)
        if user is not None and not user.sees(m["jurisdiction_code"]):
            raise AuthError(f"措施 {measure_id} 不属于您负责的镇街：无权查看")
        return m

    def set_measure(self, measure_id: int, *, status: str | None = None, owner: str | None = None,
                    due: str | None = None, note: str | None = None,
                    expect_version: int | None = None, user: User | None = None) -> dict[str, Any]:
        """Change a measure when ``expect_version`` is still current; the change goes to the audit.

        Raises
        ------
        StaleVersionError
            Someone else changed the measure since that version (the refusal is audited too).
        AuthError
            ``user`` is a viewer, or a town user and the measure is of another town (audited).
        """
        changes = {"status": status, "owner": owner, "due": due, "note": note}
        os_user, now = who(), _now()
        account = user.name if user else None
        asked = {k: v for k, v in changes.items() if v is not None} | {"expect_version": expect_version}
        refusal = None
        with self.engine.connect() as conn:
            current = get_measure(conn, int(measure_id)) if user is not None else None
        if user is not None and not user.can_edit:
            refusal = f"用户 {user.name}（{user.role_name}）只能查看，不能修改措施"
        elif user is not None and current is not None and not user.sees(current["jurisdiction_code"]):
            refusal = f"措施 {measure_id} 不属于您负责的镇街（{'、'.join(user.towns)}）：不能修改"
        if refusal is not None:
            with writer(self.engine).begin() as conn:
                record(conn, what="measure.set", who=os_user, at=now, target=f"measure:{measure_id}", new=asked,
                       outcome="refused: forbidden", user=account, towns=user.towns if user else ())
            raise AuthError(refusal)
        try:
            with writer(self.engine).begin() as conn:
                return set_measure(conn, int(measure_id), changes=changes, expect_version=expect_version,
                                   user=os_user, now=now, account=account)
        except StaleVersionError:
            with writer(self.engine).begin() as conn:
                record(conn, what="measure.set", who=os_user, at=now, target=f"measure:{measure_id}", new=asked,
                       outcome="refused: stale version", user=account, towns=user.towns if user else ())
            raise

    def audit(self, *, target: str | None = None, what: str | None = None, user: str | None = None,
              limit: int | None = None, by: User | None = None) -> list[dict[str, Any]]:
        """Audit rows, oldest first (of one target, kind of action or account; the last ``limit``).

        Raises
        ------
        AuthError
            ``by`` is given and is not an admin (only 区级管理员 read the audit).
        """
        _need_admin(by, "查看操作日志")
        with self.engine.connect() as conn:
            return entries(conn, target=target, what=what, user=user, limit=limit)

    def record(self, what: str, *, user: User | None, towns: Iterable[str] = (), outcome: str = "ok",
               detail: dict[str, Any] | None = None, round_name: str | None = None,
               target: str | None = None) -> None:
        """Append one audit entry for an event of the app or the CLI (login, import, plan run, export …).

        Parameters
        ----------
        what
            The event, e.g. ``export``, ``plan.joint``, ``page.view``.
        user
            The logged-in account (``None`` in single-user mode).
        towns
            The towns the event concerned (default: the user's towns).
        outcome
            ``ok`` or ``refused: …`` / ``failed: …``.
        detail
            JSON-able details (the format, the files …), stored as ``new``.
        """
        codes = tuple(towns) or (user.towns if user else ())
        with writer(self.engine).begin() as conn:
            record(conn, what=what, who=who(), at=_now(), round_name=round_name, target=target, new=detail,
                   outcome=outcome, user=user.name if user else None, towns=codes)

    # ------------------------------------------------------------- accounts
    def has_accounts(self) -> bool:
        """True when the database holds at least one account (then every reader must log in)."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(S.users)).scalar_one() > 0

    def add_user(self, name: str, role: str, *, towns: Iterable[str] = (), password: str | None = None,
                 by: User | None = None) -> tuple[User, str | None]:
        """Create an account; return it and the one-time password made when ``password`` is ``None``
        (then the user must change it at the first login). ``by``: the admin doing it (audited)."""
        _need_admin(by, "添加用户")
        with writer(self.engine).begin() as conn:
            return create_user(conn, name, role, towns=towns, password=password, actor=by.name if by else None,
                               who=who(), now=_now())

    def users(self, *, by: User | None = None) -> list[dict[str, Any]]:
        """Every account: ``name, role, role_name, towns, disabled, locked_until, last_login,
        must_change_password, created_at`` (admin only when ``by`` is given)."""
        _need_admin(by, "查看用户列表")
        with self.engine.connect() as conn:
            return user_rows(conn)

    def disable_user(self, name: str, *, by: User | None = None) -> None:
        """Disable an account (never deleted: the audit keeps naming it)."""
        _need_admin(by, "停用用户")
        if by is not None and by.name == name:
            raise AuthError("不能停用自己的账号：请由另一位区级管理员操作")
        with writer(self.engine).begin() as conn:
            disable(conn, name, actor=by.name if by else None, who=who(), now=_now())

    def set_password(self, name: str, new_password: str, *, by: User | None = None,
                     must_change: bool = False) -> None:
        """Set a password: any user for themselves, an admin for anyone (``must_change``: change at next login)."""
        if by is not None and by.name != name:
            _need_admin(by, "重设他人密码")
        with writer(self.engine).begin() as conn:
            change_password(conn, name, new_password, must_change=must_change, actor=by.name if by else None,
                            who=who(), now=_now())

    def authenticate(self, name: str, password: str) -> User:
        """Log in: the :class:`User` when the password is right; every success and failure is audited.

        Raises
        ------
        AuthError
            Wrong name or password (``用户名或密码错误``), a disabled account, or one locked after
            :attr:`Settings.lockout_attempts` failures (for :attr:`Settings.lockout_minutes`).
        """
        settings = self.settings or Settings.from_env()
        # The slow argon2 check runs on a read, before the write transaction: a crowd of logins then holds the
        # database's write lock only for the few milliseconds of the bookkeeping, not 0.5 s each.
        with self.engine.connect() as conn:
            row = find_user(conn, str(name or "").strip())
        checked = ("" if row is None else row["password_hash"], check_password(row, password))
        with writer(self.engine).begin() as conn:
            user, reason = login(conn, name, password, settings=settings, who=who(), now=_now(), checked=checked)
        if user is None:
            raise AuthError(reason)
        return user

    # ------------------------------------------------------------- backup
    def backup(self, out: str | os.PathLike[str]) -> Path:
        """Write a complete backup to ``out`` (atomically)."""
        return backup_database(self.engine, Path(out))

    def restore(self, file: str | os.PathLike[str]) -> None:
        """Replace the database with the backup ``file``, then upgrade it if it is older; audited."""
        restore_database(self.engine, Path(file))
        prepare(self.engine, upgrade=True)
        with writer(self.engine).begin() as conn:
            record(conn, what="db.restore", who=who(), at=_now(), new={"file": str(file)})


def _towns_of(user: User | None) -> tuple[str, ...] | None:
    """The towns a query is restricted to (``None``: everything, for no accounts or an admin)."""
    return None if user is None or user.is_admin else tuple(user.towns)


def _need_admin(user: User | None, action: str) -> None:
    """Refuse ``action`` when ``user`` is given and is not an admin."""
    if user is not None and not user.is_admin:
        raise AuthError(f"只有区级管理员可以{action}：当前用户 {user.name}（{user.role_name}）")


def open_store(url: str | os.PathLike[str] | None = None, *, upgrade: bool | None = None,
               backup_dir: str | os.PathLike[str] | None = None) -> Store:
    """Open (and create or upgrade) the database.

    Parameters
    ----------
    url
        A file path (SQLite) or ``postgresql://user@host/dbname``; default ``$LIANXIN_DB``, else ``./lianxin.db``.
    upgrade
        ``None``: upgrade an older schema after a backup (``<db>.bak-<rev>`` for SQLite, a ``pg_dump`` for
        PostgreSQL — refused when pg_dump is missing); ``True``: upgrade even without a backup;
        ``False``: refuse to open an older schema.
    backup_dir
        Folder of the PostgreSQL backup before an upgrade (default: the working folder).
    """
    engine = make_engine(resolve_url(url))
    try:
        backup = prepare(engine, upgrade=upgrade, backup_dir=Path(backup_dir) if backup_dir else None)
    except BaseException:
        engine.dispose()
        raise
    return Store(engine, backup=backup)


"""Opening the database: the URL, the engine (SQLite or PostgreSQL+PostGIS) and schema migrations.

``open_store`` resolves the URL (argument, else ``LIANXIN_DB``, else ``./lianxin.db``; a bare
path is an SQLite file), makes the engine (SQLite: WAL, foreign keys, busy timeout, real
transactions; PostgreSQL: the psycopg driver, PostGIS created if missing) and brings the schema
to the newest Alembic revision — after a backup copy when the database is of an older revision.
"""

from __future__ import annotations

import getpass
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from lianxin_geo.core.errors import LianxinError

__all__ = ["StoreError", "StaleVersionError", "DEFAULT_DB", "resolve_url", "make_engine", "migrate",
           "revisions", "head_revision", "current_revision", "prepare", "who", "pg_binary", "libpq_url",
           "sqlite_path", "writer", "WRITE_OPTION"]

DEFAULT_DB = "lianxin.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 30_000
#: Execution option that marks a writing transaction (``BEGIN IMMEDIATE`` on SQLite).
WRITE_OPTION = "lianxin_write"


class StoreError(LianxinError):
    """A database problem the user can act on (the message says what to do)."""


class StaleVersionError(StoreError):
    """A measure was changed by someone else since it was read (optimistic locking)."""


def who() -> str:
    """The user recorded in the audit table: the OS user for now."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or passwd
        return "unknown"


def resolve_url(url: str | os.PathLike[str] | None = None) -> sa.URL:
    """The database URL: ``url``, else ``$LIANXIN_DB``, else ``./lianxin.db`` (a bare path is SQLite)."""
    text = os.fspath(url) if url is not None else (os.environ.get("LIANXIN_DB") or DEFAULT_DB)
    if "://" not in text:
        return sa.URL.create("sqlite", database=str(Path(text).expanduser().resolve()))
    try:
        parsed = sa.make_url(text)
    except sa.exc.ArgumentError as exc:
        raise StoreError(f"数据库地址 {text!r} 无法解析：请用文件路径或 postgresql://用户@主机/库名") from exc
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise StoreError("SQLite 数据库需要一个文件路径（不支持内存数据库）：请用 --db 路径/lianxin.db")
        return parsed.set(drivername="sqlite")
    raise StoreError(f"不支持的数据库 {backend!r}：只支持 SQLite 文件路径和 postgresql://… 地址")


def sqlite_path(url: sa.URL) -> Path | None:
    """The file of an SQLite URL (``None`` for another backend)."""
    return Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None


def libpq_url(url: sa.URL) -> str:
    """A PostgreSQL URL as the libpq tools (pg_dump, pg_restore) take it."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def pg_binary(name: str) -> str | None:
    """Path of a PostgreSQL client program (``pg_dump`` …): ``PATH`` first, then /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    cands = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                   key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    return str(cands[-1]) if cands else None


def _sqlite_events(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy's "begin" below opens real transactions (DDL included)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # writers take the write lock at once (waiting up to the busy timeout); readers start a deferred
        # transaction and, in WAL mode, read their snapshot while a writer works
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "BEGIN")


def writer(engine: sa.Engine) -> sa.Engine:
    """The engine for a writing transaction: ``with writer(engine).begin() as conn`` (SQLite: BEGIN IMMEDIATE)."""
    return engine.execution_options(**{WRITE_OPTION: True})


def make_engine(url: sa.URL) -> sa.Engine:
    """The engine of ``url`` with the backend's settings (see the module docs)."""
    if url.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is not None and not path.parent.is_dir():
            raise StoreError(f"数据库文件夹不存在：{path.parent}（请先创建该文件夹或换一个 --db 路径）")
        engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        _sqlite_events(engine)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _config(conn: sa.Connection | None = None) -> Any:
    from alembic.config import Config  # alembic is loaded only when a database is opened

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def revisions() -> list[str]:
    """Every schema revision, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def head_revision() -> str:
    """The newest schema revision this version of lianxin-geo writes."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head() or ""


def current_revision(engine: sa.Engine) -> str | None:
    """The revision of the database (``None`` for a database without the schema)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: sa.Engine, target: str = "head") -> None:
    """Upgrade the schema to ``target`` in one transaction."""
    from alembic import command

    with writer(engine).begin() as conn:
        if conn.dialect.name == "postgresql":
            _ensure_postgis(conn)
        command.upgrade(_config(conn), target)


def _ensure_postgis(conn: sa.Connection) -> None:
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
    except sa.exc.DBAPIError as exc:
        raise StoreError("PostgreSQL 数据库中没有 PostGIS 扩展，且当前用户无权创建：请管理员在该库执行 "
                         "CREATE EXTENSION postgis;（Debian 软件包 postgresql-*-postgis-3）") from exc


def _backup_before_upgrade(engine: sa.Engine, rev: str, *, upgrade: bool | None,
                           backup_dir: Path | None) -> Path | None:
    url = engine.url
    path = sqlite_path(url)
    if path is not None:
        out = path.with_name(f"{path.name}.bak-{rev}")
        src = sqlite3.connect(path)
        try:
            dst = sqlite3.connect(out)
            with dst:
                src.backup(dst)
            dst.close()
        finally:
            src.close()
        return out
    pg_dump = pg_binary("pg_dump")
    if pg_dump is None:
        if upgrade is True:
            return None
        raise StoreError(f"数据库版本为 {rev}，需要升级到 {head_revision()}；但找不到 pg_dump，无法先备份。"
                         "请安装 PostgreSQL 客户端（postgresql-client）后重试，或自行备份后运行 "
                         "lianxin-geo db upgrade 明确升级")
    folder = backup_dir or Path.cwd()
    out = folder / f"{url.database}.bak-{rev}.dump"
    proc = subprocess.run([pg_dump, "-Fc", "-f", str(out), libpq_url(url)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise StoreError(f"升级前备份失败（pg_dump）：{proc.stderr.strip()[:500]}；数据库未改动")
    return out


def prepare(engine: sa.Engine, *, upgrade: bool | None = None, backup_dir: Path | None = None) -> Path | None:
    """Bring the database to the head revision; return the backup written before an upgrade (if any).

    Parameters
    ----------
    engine
        The engine of the database.
    upgrade
        ``None`` (default): create a new database, upgrade an older one after a backup (on
        PostgreSQL refuse when ``pg_dump`` is missing); ``True``: upgrade even when no backup can
        be made; ``False``: never change the schema of an existing database (refuse when old).
    backup_dir
        Where the PostgreSQL backup goes (default: the working folder).
    """
    head = head_revision()
    try:
        current = current_revision(engine)
    except sa.exc.OperationalError as exc:
        raise StoreError(f"无法打开数据库 {engine.url.render_as_string()}：{exc.orig}；请检查地址、权限和服务是否运行") from exc
    except sa.exc.DatabaseError as exc:
        raise StoreError(f"{engine.url.render_as_string()} 不是可用的数据库文件（{exc.orig}）：请检查 --db 路径") from exc
    if current == head:
        return None
    if current is None:
        names = set(sa.inspect(engine).get_table_names())
        if names - {"spatial_ref_sys"}:
            raise StoreError("该数据库已有其他表，但不是 lianxin-geo 的数据库：请换一个 --db（新文件或空库）")
        migrate(engine)
        return None
    known = revisions()
    if current not in known:
        raise StoreError(f"数据库版本 {current} 比本程序新（本程序最高 {head}）：请升级 lianxin-geo 后再打开")
    if upgrade is False:
        raise StoreError(f"数据库版本 {current} 较旧（当前 {head}）：请运行 lianxin-geo db upgrade 升级（会先备份）")
    backup = _backup_before_upgrade(engine, current, upgrade=upgrade, backup_dir=backup_dir)
    migrate(engine)
    return backup

"""Backup and restore: SQLite's online backup API, ``pg_dump -Fc`` / ``pg_restore`` for PostgreSQL.

A backup is written to a temporary name beside ``out`` and renamed when complete
(:func:`lianxin_geo.core.files.atomic_path`), so a killed backup never leaves a truncated file.
A restore checks that the file is a lianxin-geo database first, then replaces the database's
content (SQLite: the backup API copies every page in one step, readers see the old or the new
database; PostgreSQL: ``pg_restore --clean --if-exists --single-transaction``).
"""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa

from lianxin_geo.core.files import atomic_path
from lianxin_geo.store.engine import StoreError, libpq_url, pg_binary, sqlite_path

__all__ = ["backup_database", "restore_database"]


def _tool(name: str) -> str:
    path = pg_binary(name)
    if path is None:
        raise StoreError(f"找不到 {name}：请安装 PostgreSQL 客户端（Debian 软件包 postgresql-client）后重试")
    return path


def backup_database(engine: sa.Engine, out: str | Path) -> Path:
    """Write a complete copy of the database to ``out`` (SQLite file or ``pg_dump`` custom format)."""
    out = Path(out)
    path = sqlite_path(engine.url)
    with atomic_path(out) as tmp:
        if path is not None:
            src = sqlite3.connect(path, timeout=30)
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
            finally:
                dst.close()
                src.close()
        else:
            proc = subprocess.run([_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(tmp), libpq_url(engine.url)],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                raise StoreError(f"备份失败（pg_dump）：{proc.stderr.strip()[:500]}")
    return out


def _check_sqlite_backup(file: Path) -> None:
    try:
        con = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            ok = con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{file} 不是 SQLite 数据库备份（{exc}）：请选择 lianxin-geo db backup 写出的文件") from exc
    if not {"alembic_version", "rounds", "measures", "audit"} <= tables:
        raise StoreError(f"{file} 不是 lianxin-geo 的数据库备份：请选择 lianxin-geo db backup 写出的文件")
    if not ok:
        raise StoreError(f"{file} 已损坏（完整性检查未通过）：请选择另一份备份")


def restore_database(engine: sa.Engine, file: str | Path) -> None:
    """Replace the database's content with the backup ``file`` (see the module docs)."""
    file = Path(file)
    if not file.is_file():
        raise StoreError(f"找不到备份文件 {file}：请检查路径")
    path = sqlite_path(engine.url)
    engine.dispose()
    if path is not None:
        _check_sqlite_backup(file)
        src = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        dst = sqlite3.connect(path, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return
    listing = subprocess.run([_tool("pg_restore"), "-l", str(file)], capture_output=True, text=True)
    if listing.returncode != 0 or "alembic_version" not in listing.stdout or "measures" not in listing.stdout:
        raise StoreError(f"{file} 不是 lianxin-geo 的 PostgreSQL 备份（pg_dump -Fc 格式）：请选择 db backup 写出的文件")
    proc = subprocess.run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                           "-d", libpq_url(engine.url), str(file)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise StoreError(f"恢复失败（pg_restore），数据库未改动：{proc.stderr.strip()[:500]}")

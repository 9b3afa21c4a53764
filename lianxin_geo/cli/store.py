"""Database commands of the ``lianxin-geo`` command line: ``round``, ``measures`` and ``db``.

When the database has accounts every command takes ``--user`` (see :mod:`lianxin_geo.cli.users`): the
rows shown are the user's towns, measures are changed only within them, and ``db`` is for admins.

A thin adapter over :mod:`lianxin_geo.store`: every command opens the database given by
``--db`` (else ``$LIANXIN_DB``, else ``./lianxin.db``), does one thing and prints either a
Chinese summary (stderr) and a table (stdout), or with ``--json`` one JSON document on stdout.
Errors are :class:`~lianxin_geo.core.errors.LianxinError` with a Chinese message (exit 1).
The JSON shapes are in ``docs/cli.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from lianxin_geo.cli._common import emit_json, err, progress_printer
from lianxin_geo.cli.users import UserOpt, db_init, login_user
from lianxin_geo.present.style import pct, pp
from lianxin_geo.store import (
    MEASURE_STATUSES, AuthError, StaleVersionError, Store, User, head_revision, import_files, open_store,
)

__all__ = ["db_app", "measures_app", "round_app", "DbOpt"]

round_app = typer.Typer(help="台账轮次：import 导入 / list 列表 / diff 比较。Ledger rounds in the database.",
                        no_args_is_help=True)
measures_app = typer.Typer(help="一企一策措施：list 列表 / set 更新。Measures tracked to closure.", no_args_is_help=True)
db_app = typer.Typer(help="数据库：init 建库并创建管理员 / backup 备份 / restore 恢复 / upgrade 升级。"
                     "Database init, backup, restore, upgrade.", no_args_is_help=True)
db_app.command("init")(db_init)

DbOpt = Annotated[Optional[str], typer.Option(
    "--db", help="数据库：文件路径（SQLite）或 postgresql://用户@主机/库名；缺省 $LIANXIN_DB，否则 ./lianxin.db "
    "/ database file or URL")]
JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON 到标准输出 / print JSON on stdout")]
_FileOpt = Optional[Path]
out = Console(highlight=False, soft_wrap=True)


def _admin(store: Store, name: str | None, action: str) -> User | None:
    """Log in (when the database has accounts) and require an admin for ``action``."""
    user = login_user(store, name)
    if user is not None and not user.is_admin:
        store.record(f"db.{action}", user=user, outcome="refused: forbidden")
        raise AuthError(f"只有区级管理员可以{ {'backup': '备份', 'restore': '恢复', 'upgrade': '升级'}[action] }数据库")
    return user


# ----------------------------------------------------------------- round
@round_app.command("import")
def round_import(
    round_: Annotated[str, typer.Option("--round", help="轮次名称，如 2026-06 / round name")],
    orgs: Annotated[_FileOpt, typer.Option("--orgs", help="组织台账 .xlsx/.xls/.csv / organization ledger")] = None,
    buildings: Annotated[_FileOpt, typer.Option("--buildings", help="商务楼宇台账 / buildings ledger")] = None,
    parks: Annotated[_FileOpt, typer.Option("--parks", help="园区台账 / parks ledger")] = None,
    centers: Annotated[_FileOpt, typer.Option("--centers", help="党群活动服务中心台账 / service centers")] = None,
    boundaries: Annotated[_FileOpt, typer.Option("--boundaries", help="乡镇/街道边界文件 / boundaries file")] = None,
    boundaries_crs: Annotated[str, typer.Option("--boundaries-crs", help="边界坐标系 WGS84/GCJ02/BD09")] = "WGS84",
    policy: Annotated[Optional[str], typer.Option("--policy", help="政策配置名称或 TOML 文件 / profile")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="未提供的台账用内置演示数据（合成）/ use the demo")] = False,
    db: DbOpt = None,
    replace: Annotated[bool, typer.Option("--replace", help="替换同名轮次（旧轮次保留在历史中）/ replace")] = False,
    user: UserOpt = None,
    json_: JsonOpt = False,
) -> None:
    """导入一轮台账：校验、定位、评估并存入数据库（一个事务）/ import a ledger round into the database."""
    with open_store(db) as store:
        actor = login_user(store, user)
        info = import_files(store, round_, orgs=orgs, buildings=buildings, parks=parks, centers=centers,
                            boundaries=boundaries, policy=policy, boundaries_crs=boundaries_crs, replace=replace,
                            demo=demo, progress=progress_printer(json_), user=actor)
    if json_:
        emit_json(info.to_json())
        return
    d, m = info.district, info.measures
    err.print(f"[green]已导入轮次 {escape(info.name)}[/green]：共 {info.rows_in} 行，接受 {info.accepted}，拒绝 "
              f"{info.rejected}；组织 {info.orgs} 个；组织覆盖率 {pct(d['org_coverage_rate'])}，单独组建率 "
              f"{pct(d['single_rate'])}，工作覆盖率 {pct(d['work_coverage_rate'])}\n一企一策措施：新建 "
              f"{m.get('created', 0)}，结转 {m.get('carried', 0)}，可销号 {m.get('closable', 0)}（{info.seconds} 秒）")


@round_app.command("list")
def round_list(
    db: DbOpt = None,
    history: Annotated[bool, typer.Option("--history", help="也列出已被替换的轮次 / include replaced")] = False,
    user: UserOpt = None,
    json_: JsonOpt = False,
) -> None:
    """列出数据库中的轮次：日期、文件与哈希、数量和覆盖率 / list the rounds."""
    with open_store(db) as store:
        rounds = store.rounds(history=history, user=login_user(store, user))
    if json_:
        emit_json([r.to_json() for r in rounds])
        return
    if not rounds:
        err.print("数据库中还没有轮次：请先运行 lianxin-geo round import --round 2026-06 --orgs 台账.xlsx")
        return
    for r in rounds:
        files = "，".join(f"{k} {v.get('name', v.get('source'))}" + (f"（sha256 {v['sha256'][:12]}…）"
                                                                      if "sha256" in v else "")
                         for k, v in r.files.items())
        flag = f"〔已被替换 → {r.superseded_by}〕" if r.replaced else ""
        when = r.created_at[:16].replace("T", " ")
        out.print(f"{escape(r.name)}{flag}  {when} UTC  {escape(r.created_by)}  组织 {r.orgs}（接受 "
                  f"{r.accepted}/拒绝 {r.rejected}）  组织覆盖率 {pct(r.district['org_coverage_rate'])}  单独组建率 "
                  f"{pct(r.district['single_rate'])}  工作覆盖率 {pct(r.district['work_coverage_rate'])}\n    "
                  f"{escape(files)}", markup=False)


@round_app.command("diff")
def round_diff(
    a: Annotated[str, typer.Argument(help="较早的轮次 / from round")],
    b: Annotated[str, typer.Argument(help="较新的轮次 / to round")],
    db: DbOpt = None,
    user: UserOpt = None,
    json_: JsonOpt = False,
) -> None:
    """比较两轮台账：新增、注销、变更的组织，覆盖状态变化，覆盖率变化 / compare two rounds."""
    with open_store(db) as store:
        doc = store.diff(a, b, user=login_user(store, user))
    if json_:
        emit_json(doc)
        return
    d = doc["district"]
    err.print(f"[bold]{escape(a)} → {escape(b)}[/bold]：新增组织 {len(doc['orgs_new'])}，注销/未再出现 "
              f"{len(doc['orgs_closed'])}，信息变更 {len(doc['orgs_changed'])}，覆盖状态变化 "
              f"{len(doc['status_changes'])}；疑似同一组织 {len(doc['suspected_same'])} 对（请人工核实）")
    for key, label in (("org_coverage_rate", "组织覆盖率"), ("single_rate", "单独组建率"),
                       ("work_coverage_rate", "工作覆盖率")):
        out.print(f"全区{label}：{pct(d[key]['from'])} → {pct(d[key]['to'])}（{pp(d[key]['delta'])}）", markup=False)
    for j in doc["jurisdictions"]:
        r = j["org_coverage_rate"]
        out.print(f"  {j['name']}（{j['code']}）组织覆盖率 {pct(r['from'])} → {pct(r['to'])}（{pp(r['delta'])}）",
                  markup=False)


# ----------------------------------------------------------------- measures
@measures_app.command("list")
def measures_list(
    round_: Annotated[Optional[str], typer.Option("--round", help="轮次 / round")] = None,
    town: Annotated[Optional[str], typer.Option("--town", help="镇街代码（9位）/ town code")] = None,
    status: Annotated[Optional[str], typer.Option(
        "--status", help="状态：" + "/".join(MEASURE_STATUSES) + " / status")] = None,
    db: DbOpt = None,
    user: UserOpt = None,
    json_: JsonOpt = False,
) -> None:
    """列出一企一策措施（可按轮次、镇街、状态筛选）/ list measures."""
    with open_store(db) as store:
        rows = store.measures(round=round_, town=town, status=status, user=login_user(store, user))
    if json_:
        emit_json(rows)
        return
    err.print(f"共 {len(rows)} 条措施")
    for m in rows:
        out.print(f"#{m['id']} v{m['version']} 〔{m['status']}〕 {m['org_name'] or m['org_id']}（{m['jurisdiction_code']}）"
                  f"：{m['action']} — {m['measure']}；责任人 {m['owner'] or '未定'}，期限 {m['due'] or '未定'}"
                  + (f"；备注 {m['note']}" if m["note"] else ""), markup=False)


@measures_app.command("set")
def measures_set(
    measure_id: Annotated[int, typer.Argument(help="措施编号 / measure id")],
    status: Annotated[Optional[str], typer.Option(
        "--status", help="状态：" + "/".join(MEASURE_STATUSES) + " / status")] = None,
    owner: Annotated[Optional[str], typer.Option("--owner", help="责任人 / owner")] = None,
    due: Annotated[Optional[str], typer.Option("--due", help="期限 YYYY-MM-DD / due date")] = None,
    note: Annotated[Optional[str], typer.Option("--note", help="备注 / note")] = None,
    expect_version: Annotated[Optional[int], typer.Option(
        "--expect-version", help="您看到的版本号；已被他人修改时拒绝保存 / the version you read")] = None,
    db: DbOpt = None,
    user: UserOpt = None,
    json_: JsonOpt = False,
) -> None:
    """更新一条措施的状态、责任人、期限或备注（带版本检查）/ update a measure (optimistic locking)."""
    with open_store(db) as store:
        try:
            row = store.set_measure(measure_id, status=status, owner=owner, due=due, note=note,
                                    expect_version=expect_version, user=login_user(store, user))
        except StaleVersionError as exc:  # the same refusal, with how to do it from the command line
            raise StaleVersionError(f"{exc}（命令行：measures list 查看最新内容，--expect-version 填最新版本号）") from exc
    if json_:
        emit_json(row)
        return
    err.print(f"[green]已更新措施 #{row['id']}[/green]（第 {row['version']} 版）：状态 {escape(row['status'])}，"
              f"责任人 {escape(row['owner'] or '未定')}，期限 {escape(row['due'] or '未定')}")


# ----------------------------------------------------------------- db
@db_app.command("backup")
def db_backup(
    out_: Annotated[Path, typer.Option("--out", help="备份文件 / backup file")],
    db: DbOpt = None,
    user: UserOpt = None,
    json_: JsonOpt = False,
) -> None:
    """备份数据库（SQLite 在线备份；PostgreSQL 用 pg_dump）/ back the database up."""
    with open_store(db) as store:
        actor = _admin(store, user, "backup")
        path = store.backup(out_)
        store.record("db.backup", user=actor, detail={"out": str(path)})
        backend = store.backend
    doc = {"out": str(path), "bytes": path.stat().st_size, "backend": backend}
    if json_:
        emit_json(doc)
        return
    err.print(f"[green]已备份到 {escape(str(path))}[/green]（{doc['bytes']} 字节）")


@db_app.command("restore")
def db_restore(
    file: Annotated[Path, typer.Argument(help="db backup 写出的备份文件 / backup file")],
    db: DbOpt = None,
    user: UserOpt = None,
    json_: JsonOpt = False,
) -> None:
    """用备份文件替换数据库的全部内容 / replace the database with a backup."""
    with open_store(db) as store:
        _admin(store, user, "restore")
        store.restore(file)
        doc = {"restored": str(file), "rounds": [r.name for r in store.rounds()], "revision": store.revision()}
    if json_:
        emit_json(doc)
        return
    err.print(f"[green]已从 {escape(str(file))} 恢复[/green]：轮次 {escape('、'.join(doc['rounds']) or '无')}")


@db_app.command("upgrade")
def db_upgrade(db: DbOpt = None, user: UserOpt = None, json_: JsonOpt = False) -> None:
    """把数据库结构升级到本程序的版本（SQLite 先自动备份）/ upgrade the schema."""
    with open_store(db, upgrade=True) as store:
        _admin(store, user, "upgrade")
        doc = {"revision": store.revision(), "head": head_revision(),
               "backup": str(store.upgrade_backup) if store.upgrade_backup else None}
    if json_:
        emit_json(doc)
        return
    extra = f"；升级前备份：{doc['backup']}" if doc["backup"] else ""
    err.print(f"[green]数据库结构为最新版本 {doc['revision']}[/green]{escape(extra)}")

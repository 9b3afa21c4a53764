"""Database commands of the ``lianxin-geo`` command line: ``round``, ``measures`` and ``db``."""

from __future__ import annotations

import typer

__all__ = ["db_app", "measures_app", "round_app"]

round_app = typer.Typer(help="台账轮次：import 导入 / list 列表 / diff 比较。Ledger rounds in the database.",
                        no_args_is_help=True)
measures_app = typer.Typer(help="一企一策措施：list 列表 / set 更新。Measures tracked to closure.", no_args_is_help=True)
db_app = typer.Typer(help="数据库：backup 备份 / restore 恢复。Database backup and restore.", no_args_is_help=True)

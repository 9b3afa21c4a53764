"""docs/cli.md stays true to the command line: every command and every option of it is documented there."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from lianxin_geo.cli.main import app

DOC = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")


def _commands(cmd, path: tuple[str, ...] = ()):
    if hasattr(cmd, "commands"):  # a group (typer's own click: no isinstance against the click package)
        for name, sub in cmd.commands.items():
            yield from _commands(sub, (*path, name))
    else:
        yield " ".join(path), cmd


COMMANDS = list(_commands(typer.main.get_command(app)))


def test_there_are_commands_to_check():
    names = [name for name, _ in COMMANDS]
    assert {"run", "assess", "plan joint", "city run", "round import"} <= set(names)


def test_every_command_and_option_is_in_docs_cli_md():
    missing = []
    for name, cmd in COMMANDS:
        if f"`{name}`" not in DOC and f"lianxin-geo {name}" not in DOC:
            missing.append(f"command {name}")
        for param in cmd.params:
            for opt in [*getattr(param, "opts", []), *getattr(param, "secondary_opts", [])]:
                if opt.startswith("--") and opt != "--help" and not re.search(re.escape(opt) + r"(?![\w-])", DOC):
                    missing.append(f"{name} {opt}")
    assert missing == [], "docs/cli.md 缺少：" + "、".join(missing)

"""Where the bundled data lives (top-level ``data/`` in a checkout, ``_bundled_data`` in a wheel)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent  # lianxin_geo/core
_PACKAGE = _HERE.parent  # lianxin_geo


@cache
def data_dir() -> Path:
    """Return the folder holding ``boundaries/``, ``buildings/`` and ``templates/``.

    ``LIANXIN_GEO_DATA`` overrides the search; otherwise the wheel's bundled copy
    is used, then the checkout's top-level ``data/``.
    """
    env = os.environ.get("LIANXIN_GEO_DATA")
    candidates = [Path(env)] if env else []
    candidates += [_PACKAGE / "_bundled_data", _PACKAGE.parent / "data"]
    for c in candidates:
        if (c / "boundaries").is_dir():
            return c
    raise FileNotFoundError(
        "找不到内置数据目录 data/boundaries：请在项目目录中运行，或设置环境变量 LIANXIN_GEO_DATA"
    )


def package_file(*parts: str) -> Path:
    """Return a file shipped inside ``lianxin_geo.core`` (policies, reference tables)."""
    return _HERE.joinpath(*parts)

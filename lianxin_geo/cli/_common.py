"""What every command of the command line shares: the stderr console, progress lines and JSON output."""

from __future__ import annotations

import json
import sys
from typing import Any, Callable

from rich.console import Console
from rich.markup import escape

from lianxin_geo.core.jsonable import jsonable

__all__ = ["err", "progress_printer", "emit_json"]

err = Console(stderr=True, highlight=False)


def progress_printer(quiet: bool) -> Callable[..., None]:
    """A progress callback for the API, ``progress(message, fraction=None)``, drawing a bar line on stderr.

    One line per step (no cursor tricks), so the output reads the same in a terminal, a log file or a
    scheduled task.
    """

    def report(message: str, fraction: float | None = None, *_a: Any, **_k: Any) -> None:
        if quiet:
            return
        message = escape(str(message))
        if isinstance(fraction, (int, float)) and not isinstance(fraction, bool):
            f = min(max(float(fraction), 0.0), 1.0)
            filled = int(round(20 * f))
            bar = "█" * filled + "░" * (20 - filled)
            err.print(f"[dim]{bar} {100 * f:3.0f}%  {message}[/dim]", markup=True, highlight=False)
        else:
            err.print(f"[dim]…  {message}[/dim]", markup=True, highlight=False)

    return report


def emit_json(doc: Any) -> None:
    """Print one JSON document on stdout (no NaN, UTF-8 text as is)."""
    sys.stdout.write(json.dumps(jsonable(doc), ensure_ascii=False, indent=2, allow_nan=False))
    sys.stdout.write("\n")

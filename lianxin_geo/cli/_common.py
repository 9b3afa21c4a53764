"""What every command of the command line shares: the stderr console, progress lines and JSON output."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Callable, Sequence

from rich.console import Console
from rich.markup import escape

from lianxin_geo.core.engine import Engine
from lianxin_geo.core.jsonable import jsonable
from lianxin_geo.ingest.tabular import estimate_rows
from lianxin_geo.present.export import export_costs, export_jobs

__all__ = ["err", "progress_printer", "emit_json", "prestart_for_run"]

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


def prestart_for_run(engine: Engine, orgs: str | os.PathLike | None, formats: Sequence[str], *,
                     demo_orgs: int = 0) -> bool:
    """Start the local cluster now, in the background, when a run's files alone will be worth worker processes.

    The same decision :func:`lianxin_geo.pipeline.prepare_engine` takes once the workspace is loaded, taken
    before it is read, from the orgs ledger's estimated size (:func:`~lianxin_geo.ingest.tabular.estimate_rows`;
    ``demo_orgs`` when no orgs ledger is given): the workers start while the ledgers are read. A small ledger,
    ``sync`` or a ``tcp://`` scheduler starts nothing.

    Returns
    -------
    bool
        Whether the start was asked for.
    """
    n_orgs = (estimate_rows(orgs) or 0) if orgs is not None else demo_orgs
    costs = export_costs(n_orgs, export_jobs(formats))
    if not costs or engine.in_process(len(costs), sum(costs), longest=max(costs)):
        return False
    engine.prestart()
    return True

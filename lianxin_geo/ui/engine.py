"""The app's parallel engine: the same :class:`~lianxin_geo.core.engine.Engine` as the command line's.

The scheduler comes from ``$LIANXIN_SCHEDULER`` (``local``, the default: the cores of the server, worker processes
only for jobs that pay for them; ``sync``; or ``tcp://HOST:PORT`` of an existing Dask cluster). One engine per
server process and scheduler, shared by every session, so a local cluster starts once. Pages pass
``engine=app_engine()`` to the planners (through :mod:`lianxin_geo.ui.state`); a plan with failed towns is
``partial`` and the pages label it 部分结果 (:func:`partial_message`).
"""

from __future__ import annotations

import os

import streamlit as st

from lianxin_geo.core.engine import SCHEDULER_ENV, Engine, TaskFailure, get_engine

__all__ = ["app_engine", "partial_message"]


@st.cache_resource(show_spinner=False, max_entries=4)
def _engine(scheduler: str) -> Engine:
    return get_engine(scheduler)


def app_engine() -> Engine:
    """The engine of ``$LIANXIN_SCHEDULER`` (default ``local``), created once per server process."""
    return _engine((os.environ.get(SCHEDULER_ENV) or "local").strip())


def partial_message(failures: tuple[TaskFailure, ...] | list[TaskFailure]) -> str | None:
    """The Chinese 部分结果 warning for a plan with failed towns (``None`` when the plan is complete)."""
    if not failures:
        return None
    towns = "；".join(f"{f.label}：{f.reason}" for f in failures)
    return f"部分结果：{len(failures)} 项计算失败，以下镇街未纳入本次方案（其余已完成）。{towns}"

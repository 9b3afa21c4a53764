"""Streamlit pages of lianxin-geo (thin front end over the public API).

One module per page (``overview``, ``data``, ``joint``, ``routes``, ``coverage``,
``exports``), each with a ``render()`` function and runnable as a Streamlit page
file; shared state, cached loaders and the sidebar live in :mod:`._state`.
Importing :mod:`lianxin_geo` never imports Streamlit: only these modules do.
"""

from __future__ import annotations

__all__ = ["PAGES"]

#: (file, title, icon, url path) of every page, in navigation order.
PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("overview.py", "总览", ":material/dashboard:", "overview"),
    ("data.py", "数据", ":material/table_view:", "data"),
    ("joint.py", "联建方案", ":material/hub:", "joint"),
    ("routes.py", "指导员路线", ":material/route:", "routes"),
    ("coverage.py", "阵地与覆盖", ":material/location_on:", "coverage"),
    ("exports.py", "导出", ":material/download:", "exports"),
)

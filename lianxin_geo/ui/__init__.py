"""Streamlit pages of lianxin-geo (thin front end over the workspace, the pipeline and the presenters).

One module per page (``overview``, ``cockpit`` (the big-screen 驾驶舱), ``data``, ``joint``, ``routes``,
``coverage``, ``progress``, ``exports``; for admins ``users`` and ``audit``), each with a ``render()``
function and runnable as a Streamlit page file. Every page starts with
:func:`~lianxin_geo.ui.widgets.preamble`; session inputs (:class:`~lianxin_geo.ui.state.Source`)
and cached results live in :mod:`~lianxin_geo.ui.state`; host, folder and upload safety in
:mod:`~lianxin_geo.ui.serving`; login, roles and single-user mode in :mod:`~lianxin_geo.ui.auth`;
the one selection every page reads in :mod:`~lianxin_geo.ui.selection`, with :mod:`~lianxin_geo.ui.search`,
:mod:`~lianxin_geo.ui.cards`, :mod:`~lianxin_geo.ui.charts` and :mod:`~lianxin_geo.ui.screen_export` beside it.
Importing :mod:`lianxin_geo` never imports Streamlit: only this package does.
"""

from __future__ import annotations

import re
from typing import Iterable
from urllib.parse import unquote, urlparse

from lianxin_geo.store.access import User
from lianxin_geo.ui.serving import PrivateFolder, allowed_hosts, host_allowed
from lianxin_geo.ui.state import PlanRun, Source
from lianxin_geo.ui.widgets import MapChoice, Page, preamble

__all__ = ["ADMIN_PAGES", "PAGES", "MapChoice", "Page", "PlanRun", "PrivateFolder", "Source", "allowed_hosts",
           "host_allowed", "pages_for", "preamble", "unknown_path"]

#: (file, title, icon, url path) of every page, in navigation order.
PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("overview.py", "总览", ":material/dashboard:", "overview"),
    ("cockpit.py", "驾驶舱", ":material/monitoring:", "cockpit"),
    ("city.py", "全市", ":material/location_city:", "city"),
    ("data.py", "数据", ":material/table_view:", "data"),
    ("joint.py", "联建方案", ":material/hub:", "joint"),
    ("routes.py", "指导员路线", ":material/route:", "routes"),
    ("coverage.py", "阵地与覆盖", ":material/location_on:", "coverage"),
    ("progress.py", "进展", ":material/timeline:", "progress"),
    ("exports.py", "导出", ":material/download:", "exports"),
)
#: The pages of a 区级管理员 only (in the navigation of admins; each page refuses anyone else itself).
ADMIN_PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("users.py", "用户管理", ":material/manage_accounts:", "users"),
    ("audit.py", "操作日志", ":material/history:", "audit"),
)


#: Pages that show the whole area (every district): not in the navigation of a user scoped to some towns.
_WHOLE_AREA_PAGES = frozenset({"city.py"})


def pages_for(user: User | None) -> tuple[tuple[str, str, str, str], ...]:
    """The navigation of ``user``: every page, and the admin pages for a 区级管理员 only (none without accounts);
    a user scoped to some towns (镇街用户, 只读) does not get the whole-area pages (全市)."""
    if user is not None and user.is_admin:
        return PAGES + ADMIN_PAGES
    return PAGES if user is None else tuple(p for p in PAGES if p[0] not in _WHOLE_AREA_PAGES)


_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def unknown_path(url: str | None, known: Iterable[str], *, base: str = "") -> str | None:
    """The page path of ``url`` when it names no page (``None`` for ``/``, a known page or an odd path).

    Streamlit answers an unknown path with an English dialog; the app registers a hidden Chinese 页面不存在 page
    at this path instead. Only one plain segment (letters, digits, ``-``, ``_``) is taken: anything else is left
    to Streamlit. ``base`` is the server's ``baseUrlPath`` (not a page).
    """
    if not url:
        return None
    path = unquote(urlparse(url).path).strip("/")
    prefix = base.strip("/")
    if prefix and (path == prefix or path.startswith(prefix + "/")):
        path = path[len(prefix):].strip("/")
    name = path.rsplit("/", 1)[-1] if path else ""
    if not name or not _PATH_SEGMENT.match(name) or name in set(known):
        return None
    return name

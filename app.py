"""lianxin-geo 两新党建地理规划 — Streamlit entry point (login, then the navigation of the user's role).

Run: ``streamlit run app.py`` (or ``bash scripts/app.sh``). Pages live in ``lianxin_geo/ui/``; each checks the
request's Host header first (see ``lianxin_geo.ui.serving``). When the database has accounts, nothing but the
login page is shown until the user is authenticated (``lianxin_geo.ui.auth``); without accounts the app runs in
single-user mode on 127.0.0.1 only.

Addresses: the first page (总览) opens at ``/`` and also at its own path (``/overview``, a hidden alias), so a
bookmarked or typed page path never meets Streamlit's English "Page not found" dialog; any other unknown path
gets a Chinese 页面不存在 page with a link back (:func:`lianxin_geo.ui.unknown_path`).
"""

from pathlib import Path

import streamlit as st

from lianxin_geo.ui import pages_for, unknown_path
from lianxin_geo.ui.auth import require_login, user_sidebar
from lianxin_geo.ui.widgets import guard_host, markdown_text

st.set_page_config(page_title="两新党建地理规划", page_icon="🗺️", layout="wide")
guard_host()
user = require_login()
user_sidebar(user)
_UI = Path(__file__).resolve().parent / "lianxin_geo" / "ui"
entries = pages_for(user)
pages = [st.Page(str(_UI / f), title=t, icon=i, url_path=f"{u}-home" if n == 0 else u, default=(n == 0))
         for n, (f, t, i, u) in enumerate(entries)]
f0, t0, i0, u0 = entries[0]
hidden = [st.Page(str(_UI / f0), title=t0, icon=i0, url_path=u0, visibility="hidden")]
missing = unknown_path(st.context.url, [p.url_path for p in pages + hidden] + [f"{u0}-home"],
                       base=st.get_option("server.baseUrlPath") or "")
if missing is not None:
    def _not_found() -> None:
        st.title("页面不存在")
        st.warning(f"没有地址为“/{markdown_text(missing)}”的页面：请从左侧导航选择页面。")
        st.page_link(pages[0], label=f"返回{t0}", icon=":material/arrow_back:")

    hidden.append(st.Page(_not_found, title="页面不存在", url_path=missing, visibility="hidden"))
st.navigation(pages + hidden).run()

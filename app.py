"""lianxin-geo 两新党建地理规划 — Streamlit entry point (login, then the navigation of the user's role).

Run: ``streamlit run app.py`` (or ``bash scripts/app.sh``). Pages live in ``lianxin_geo/ui/``; each checks the
request's Host header first (see ``lianxin_geo.ui.serving``). When the database has accounts, nothing but the
login page is shown until the user is authenticated (``lianxin_geo.ui.auth``); without accounts the app runs in
single-user mode on 127.0.0.1 only.
"""

from pathlib import Path

import streamlit as st

from lianxin_geo.ui import pages_for
from lianxin_geo.ui.auth import require_login, user_sidebar
from lianxin_geo.ui.widgets import guard_host

st.set_page_config(page_title="两新党建地理规划", page_icon="🗺️", layout="wide")
guard_host()
user = require_login()
user_sidebar(user)
_UI = Path(__file__).resolve().parent / "lianxin_geo" / "ui"
pages = [st.Page(str(_UI / f), title=t, icon=i, url_path=u, default=(n == 0))
         for n, (f, t, i, u) in enumerate(pages_for(user))]
st.navigation(pages).run()

"""lianxin-geo 两新党建地理规划 — Streamlit entry point (navigation only).

Run: ``streamlit run app.py`` (or ``bash scripts/app.sh``). Pages live in ``lianxin_geo/ui/``; each checks the
request's Host header first (see ``lianxin_geo.ui.serving``).
"""

from pathlib import Path

import streamlit as st

from lianxin_geo.ui import PAGES
from lianxin_geo.ui.widgets import guard_host

st.set_page_config(page_title="两新党建地理规划", page_icon="🗺️", layout="wide")
guard_host()
_UI = Path(__file__).resolve().parent / "lianxin_geo" / "ui"
pages = [st.Page(str(_UI / f), title=t, icon=i, url_path=u, default=(n == 0)) for n, (f, t, i, u) in enumerate(PAGES)]
st.navigation(pages).run()

"""Leaflet and plugin assets served locally: no CDN request, ever.

folium names every JavaScript/CSS file an element needs in ``default_js`` /
``default_css`` (CDN addresses by default). :func:`localize` rewrites those
lists on a built map so that

* in the Streamlit app the files come from the app's own server (the
  ``lianxin_geo/static`` folder registered as a static component, see
  :func:`streamlit_asset_base`), and
* in an exported HTML file they are inlined (:func:`inline_html`), so the file
  opens on an offline intranet machine.

Elements whose assets are not vendored (awesome-markers, bootstrap, jQuery …)
lose them: the project's layers never use them (circle markers on a canvas).
Importing this module does not import Streamlit.

A stand-alone page also carries a Content-Security-Policy (:func:`add_csp`): only its own
inline scripts run (each allowed by its SHA-256 hash), no inline event handler or
``javascript:`` URL ever does, and nothing is fetched but the base map's tiles, if any.
:func:`unsafe_markup` finds handler attributes and ``javascript:`` URLs in a page.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterable

__all__ = [
    "STATIC_DIR",
    "ASSETS",
    "asset_path",
    "localize",
    "inline_html",
    "streamlit_asset_base",
    "external_urls",
    "CSP_DIRECTIVES",
    "content_security_policy",
    "add_csp",
    "unsafe_markup",
]

STATIC_DIR = Path(__file__).resolve().parent / "static"

#: folium asset name -> vendored file (relative to :data:`STATIC_DIR`).
ASSETS: dict[str, str] = {
    "leaflet": "leaflet/leaflet.js",
    "leaflet_css": "leaflet/leaflet.css",
    "markerclusterjs": "markercluster/leaflet.markercluster.js",
    "markerclustercss": "markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "markercluster/MarkerCluster.Default.css",
}

_COMPONENT_NAME = "assets"
_URL_RE = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']((?:https?:)?//[^"']+)["']""",
                     re.IGNORECASE)


def asset_path(name: str) -> Path:
    """Return the vendored file of a folium asset name (``leaflet``, ``leaflet_css`` …)."""
    return STATIC_DIR / ASSETS[name]


def _walk(element) -> Iterable[object]:
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def localize(fmap, *, base_url: str | None = None) -> None:
    """Point every JS/CSS asset of ``fmap`` and its children at the local copies.

    Parameters
    ----------
    fmap
        A ``folium.Map`` (modified in place).
    base_url
        URL prefix of the vendored folder (the app's component route). ``None``
        keeps ``file:`` paths, which :func:`inline_html` replaces by the file
        contents.
    """
    for el in _walk(fmap):
        for attr in ("default_js", "default_css"):
            links = getattr(el, attr, None)
            if not links:
                continue
            kept = []
            for name, _url in links:
                if name not in ASSETS:
                    continue  # not vendored and not needed by our layers: drop (never fetch a CDN)
                url = (base_url.rstrip("/") + "/" + ASSETS[name]) if base_url else asset_path(name).as_uri()
                kept.append((name, url))
            setattr(el, attr, kept)


@cache
def _read(path: str) -> str:
    text = Path(path).read_text(encoding="utf-8")
    return re.sub(r"/[/*]# sourceMappingURL=\S+", "", text)


def _inline_css(path: Path) -> str:
    css = _read(str(path))
    # leaflet.css refers to images/layers.png etc.: embed them as data URIs
    def repl(m: re.Match) -> str:
        rel = m.group(1).strip("'\"")
        if rel.startswith("data:"):
            return m.group(0)
        img = (path.parent / rel).resolve()
        if not img.is_file():
            return m.group(0)
        data = base64.b64encode(img.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\(([^)]+)\)", repl, css)


def inline_html(html: str) -> str:
    """Replace ``<script src=file:…>`` / ``<link href=file:…>`` of vendored assets by their contents."""
    for name, rel in ASSETS.items():
        path = STATIC_DIR / rel
        uri = path.as_uri()
        if rel.endswith(".js"):
            pat = re.compile(r"<script[^>]*src=\"" + re.escape(uri) + r"\"[^>]*>\s*</script>")
            body = _read(str(path)).replace("</script", "<\\/script")
            html = pat.sub(lambda _m, b=body, n=name: f"<script data-asset=\"{n}\">{b}</script>", html)
        else:
            pat = re.compile(r"<link[^>]*href=\"" + re.escape(uri) + r"\"[^>]*/?>")
            body = _inline_css(path)
            html = pat.sub(lambda _m, b=body, n=name: f"<style data-asset=\"{n}\">{b}</style>", html)
    return html


def external_urls(html: str) -> list[str]:
    """Every script/link/img/iframe address that points at another host (used by tests: must be empty offline)."""
    return [m.group(1) for m in _URL_RE.finditer(html)]


# ---------------------------------------------------------------- Content-Security-Policy
#: The policy of a stand-alone page, before :func:`content_security_policy` adds the hashes of its scripts
#: (``script-src``) and the hosts of its base-map tiles (``img-src``). Styles stay ``'unsafe-inline'``: the
#: legend, notes and labels carry ``style`` attributes and a style cannot run code.
CSP_DIRECTIVES: dict[str, tuple[str, ...]] = {
    "default-src": ("'none'",),
    "script-src": (),
    "style-src": ("'unsafe-inline'",),
    "img-src": ("data:", "blob:"),
    "font-src": ("data:",),
    "connect-src": ("'none'",),
    "base-uri": ("'none'",),
    "form-action": ("'none'",),
}

_SCRIPT_RE = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_TILE_RE = re.compile(r"""L\.tileLayer\(\s*["'](https?://[^/"']+)""")
_URL_ATTRS = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"})


class _UnsafeTags(HTMLParser):
    """Collects the tags with an ``on…`` attribute or a ``javascript:`` URL (attributes read as a browser does)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            url = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if name.startswith("on") or (name in _URL_ATTRS and url.startswith("javascript:")):
                self.found.append(str(self.get_starttag_text())[:160])
                return

    handle_startendtag = handle_starttag


def _tile_source(origin: str) -> str:
    """A CSP host source for a tile URL's ``scheme://host``: ``{s}`` subdomains become ``*.``."""
    scheme, host = origin.split("://", 1)
    if "{" in host:
        host = "*." + host.split(".", 1)[1]
    return f"{scheme}://{host}"


def content_security_policy(html: str) -> str:
    """The policy for ``html``: :data:`CSP_DIRECTIVES`, every inline script's ``'sha256-…'`` hash, tile hosts.

    Raises
    ------
    RuntimeError
        If a script still loads a file (``src=``): a stand-alone page inlines every script.
    """
    hashes = []
    for m in _SCRIPT_RE.finditer(html):
        if re.search(r"\bsrc\s*=", m.group(1), re.IGNORECASE):
            raise RuntimeError("HTML 地图仍有外部脚本（应当内嵌）：" + m.group(0)[:120])
        digest = base64.b64encode(hashlib.sha256(m.group(2).encode("utf-8")).digest()).decode("ascii")
        hashes.append(f"'sha256-{digest}'")
    tiles = sorted({_tile_source(o) for o in _TILE_RE.findall(html)})
    directives = dict(CSP_DIRECTIVES)
    directives["script-src"] = tuple(dict.fromkeys(hashes)) or ("'none'",)
    directives["img-src"] = directives["img-src"] + tuple(tiles)
    return "; ".join(f"{k} {' '.join(v)}" for k, v in directives.items())


def add_csp(html: str) -> str:
    """``html`` with a ``<meta http-equiv="Content-Security-Policy">`` first in its ``<head>``.

    Call it on the finished page (every script inlined): a script added afterwards would not run.
    """
    meta = f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy(html)}">'
    head = re.search(r"<head\b[^>]*>", html, re.IGNORECASE)
    if head is None:
        raise RuntimeError("HTML 地图没有 <head>，无法加入内容安全策略")
    return html[:head.end()] + meta + html[head.end():]


def unsafe_markup(html: str) -> list[str]:
    """Tags of ``html`` with an inline event handler (``on…=``) or a ``javascript:`` URL, outside the vendored
    library code; the HTML fragments inside the page's own scripts (popups, icons) are searched too.

    A page built from escaped data has none (:func:`lianxin_geo.present.style.esc`); the exports check it.
    """
    parser = _UnsafeTags()
    parser.feed(html)
    for m in _SCRIPT_RE.finditer(html):  # the fragments the page's own scripts insert (popups, icons)
        if "data-asset" not in m.group(1):
            parser.feed(m.group(2).replace('\\"', '"'))
    parser.close()
    return parser.found


@cache
def streamlit_asset_base() -> str:
    """Register :data:`STATIC_DIR` with Streamlit and return its URL relative to a component frame.

    The folder is declared as a (never rendered) Streamlit component, so the app
    server serves it at ``/component/lianxin_geo.present.assets.assets/…`` on its own
    host and port. streamlit-folium loads the map's scripts inside its own
    component frame (``/component/streamlit_folium.st_folium/index.html``), so
    the relative prefix ``../lianxin_geo.present.assets.assets`` resolves there, also
    behind a ``server.baseUrlPath``.
    """
    import streamlit.components.v1 as components

    components.declare_component(_COMPONENT_NAME, path=str(STATIC_DIR))
    return f"../{__name__}.{_COMPONENT_NAME}"

"""Browser timings of the app's interactions (issue 15): before and after, with ratios.

Starts ``streamlit run app.py`` on the 5,000-org demo for each checkout (``--before``, default
``/tmp/before``, and ``--after``, default this repository; each with ``PYTHONPATH`` set to its
own root and the same interpreter), drives it with headless Chromium (Playwright, the system
``/usr/bin/chromium``) and times, from the user's action to the updated map being drawn:

* ``首次地图（冷）`` — the first visit of the server (the data are read and assessed);
* ``首次地图（热）`` — a new session once the server is warm;
* ``选择乡镇`` — a town picked in the sidebar's 乡镇/街道 filter;
* ``回到全区`` — the town removed again (the whole district);
* ``地图点选下钻`` — a click on a town of the map (only where the app supports it);
* ``选择联建单元`` / ``选择指导员路线`` — one unit / one instructor picked after the plan is made.

"The updated map is drawn" means: a Leaflet map object that was not on the page before the action exists
in the map's frame and has drawn its layers — or, where the app keeps its map and swaps the selection's
layers in (``window.__lx_fg``), new selection layers are on it. Typing into a field is not timed: the clock
starts when the option is taken (Enter, a click), as a user's choice is made. A step the
checkout does not support is reported as ``不支持``. Run::

    .venv/bin/python benchmarks/ui_timings.py              # before and after, ratios
    .venv/bin/python benchmarks/ui_timings.py --only after # one side
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
TOWN = "李桥镇"
STEPS = ("首次地图（冷）", "首次地图（热）", "选择乡镇", "回到全区", "地图点选下钻", "选择联建单元", "选择指导员路线")

_MARK_JS = """() => { window.__lxOld = window.map || null; window.__lxOldFg = (window.__lx_fg || [])[0] || null;
  return !!window.map; }"""
# a new map drawn (a rebuilt iframe), or — where the app swaps the selection's layers into the map it keeps —
# new selection layers on the map
_NEW_MAP_JS = """() => {
  const m = window.map;
  if (!m || !m._loaded) return false;
  const pane = m.getPane('overlayPane');
  const drawn = !!pane && pane.childElementCount > 0;
  if (m !== window.__lxOld) return drawn && (!window.__lx_fg || window.__lx_fg.length > 0);
  const fg = (window.__lx_fg || [])[0];
  return !!fg && fg !== window.__lxOldFg && drawn;
}"""
_TOWN_XY_JS = """(name) => {
  const m = window.map; let out = null;
  if (!m) return null;
  m.eachLayer(l => {
    if (!out && l.feature && l.feature.properties && l.feature.properties.name === name && l.getBounds) {
      const p = m.latLngToContainerPoint(l.getBounds().getCenter());
      out = [p.x, p.y];
    }
  });
  return out;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(root: Path, orgs: int, log: Path) -> Iterator[str]:
    """``streamlit run app.py`` of ``root`` on a free port (its own database, the demo of ``orgs`` orgs)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIANXIN_GEO_", "STREAMLIT_"))}
    env.update(PYTHONPATH=str(root), LIANXIN_GEO_DEMO_ORGS=str(orgs),
               LIANXIN_DB=str(log.with_suffix(".db")))
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                                 "--server.address", "127.0.0.1", "--server.headless", "true",
                                 "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
                                cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 90
            while time.time() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                        break
                except OSError:
                    time.sleep(0.3)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _map_frames(page) -> list:
    return [f for f in page.frames if f != page.main_frame]


def mark_maps(page) -> None:
    """Remember the map objects now on the page (a later :func:`wait_new_map` waits for another one)."""
    for f in _map_frames(page):
        try:
            f.evaluate(_MARK_JS)
        except Exception:  # noqa: BLE001 - a frame being replaced
            pass


def wait_idle(page, timeout: float = 120.0) -> None:
    """Until Streamlit's running indicator is gone."""
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=timeout * 1000)


def wait_new_map(page, t0: float, timeout: float = 120.0) -> float:
    """Seconds from ``t0`` until a map not marked by :func:`mark_maps` has drawn its layers and the run is over."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for f in _map_frames(page):
            try:
                if f.evaluate(_NEW_MAP_JS):
                    return time.perf_counter() - t0
            except Exception:  # noqa: BLE001 - a frame being replaced
                pass
        page.wait_for_timeout(15)
    raise TimeoutError("地图在规定时间内没有更新")


def _timed(page, action: Callable[[], None], timeout: float = 120.0,
           prepare: Callable[[], None] | None = None) -> float:
    """Seconds from ``action`` (after ``prepare``, untimed: typing into a field) to the updated map."""
    if prepare is not None:
        prepare()
    mark_maps(page)
    t0 = time.perf_counter()
    action()
    t = wait_new_map(page, t0, timeout=timeout)
    wait_idle(page)
    return t


def _widget(page, label: str, *, exact: bool = True):
    """The select or multiselect widget whose label is ``label`` (or starts with it: ``exact=False``)."""
    return page.locator('[data-testid="stMultiSelect"], [data-testid="stSelectbox"]').filter(
        has=page.get_by_text(label, exact=exact)).first


def _type(page, label: str, option: str) -> None:
    """Type ``option`` into the select or multiselect labelled ``label`` (not yet taken)."""
    _widget(page, label).locator("input").first.click()
    page.keyboard.type(option)
    page.wait_for_timeout(300)


def _take(page) -> None:
    """Take the highlighted option and close the list: the user's action that is timed."""
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")


def _open(page, url: str) -> float:
    t0 = time.perf_counter()
    page.goto(url)
    return wait_new_map(page, t0, timeout=300)


def _nav(page, title: str) -> None:
    page.get_by_role("link", name=title).first.click()
    page.wait_for_selector("h1", timeout=60000)
    page.wait_for_timeout(500)
    wait_idle(page, timeout=300)


def _plan_then_pick(page, title: str, button: str, label: str) -> float | None:
    _nav(page, title)
    page.get_by_role("button", name=button).click()
    box = _widget(page, label, exact=False)
    try:
        box.wait_for(timeout=600_000)  # the plan is made
    except Exception:  # noqa: BLE001 - no such chooser on this page
        return None
    wait_idle(page, timeout=600)
    page.wait_for_timeout(1000)
    opts = page.get_by_role("option")
    for _ in range(3):  # a click while the page is still being redrawn may not open the list
        box.locator("input").first.click()
        try:
            opts.nth(1).wait_for(timeout=10000)
            break
        except Exception:  # noqa: BLE001 - try again
            page.keyboard.press("Escape")
            wait_idle(page)
    else:
        return None
    mark_maps(page)
    t0 = time.perf_counter()
    opts.nth(1).click()
    t = wait_new_map(page, t0)
    wait_idle(page)
    return t


def run(url: str) -> dict[str, float | None]:
    """Every step's seconds on the app at ``url`` (``None``: not supported)."""
    from playwright.sync_api import sync_playwright

    out: dict[str, float | None] = dict.fromkeys(STEPS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
        page = ctx.new_page()
        out["首次地图（冷）"] = _open(page, url)
        page.close()
        page = ctx.new_page()
        out["首次地图（热）"] = _open(page, url)
        out["选择乡镇"] = _timed(page, lambda: _take(page), prepare=lambda: _type(page, "乡镇/街道", TOWN))

        def clear() -> None:
            page.keyboard.press("Backspace")
            page.keyboard.press("Escape")
        out["回到全区"] = _timed(page, clear,
                               prepare=lambda: _widget(page, "乡镇/街道").locator("input").first.click())
        frame = next((f for f in _map_frames(page) if f.evaluate("() => !!window.map")), None)
        if frame is not None:
            frame.frame_element().scroll_into_view_if_needed()
            page.wait_for_timeout(300)
        xy = frame.evaluate(_TOWN_XY_JS, TOWN) if frame is not None else None
        if xy is not None:
            box = frame.frame_element().bounding_box()
            try:
                out["地图点选下钻"] = _timed(page, lambda: page.mouse.click(box["x"] + xy[0], box["y"] + xy[1]),
                                            timeout=10)
            except TimeoutError:
                out["地图点选下钻"] = None  # the click changes nothing: not supported
        for step, (title, button, label) in {
                "选择联建单元": ("联建方案", "生成联建方案", "查看一个联建单元"),
                "选择指导员路线": ("指导员路线", "生成路线", "查看一名指导员的路线")}.items():
            try:
                out[step] = _plan_then_pick(page, title, button, label)
            except Exception as exc:  # noqa: BLE001 - report and go on
                print(f"  {step}: 未能完成（{type(exc).__name__}: {str(exc)[:120]}）", file=sys.stderr)
        browser.close()
    return out


def _fmt(v: float | None) -> str:
    return "不支持" if v is None else f"{v:6.2f} 秒"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", default="/tmp/before", help="未改动的代码目录")
    ap.add_argument("--after", default=str(ROOT), help="改动后的代码目录")
    ap.add_argument("--only", choices=("before", "after"), help="只测一侧")
    ap.add_argument("--orgs", type=int, default=5000, help="演示数据的组织数")
    args = ap.parse_args(argv)
    sides = [s for s in ("before", "after") if args.only in (None, s)]
    results: dict[str, dict[str, float | None]] = {}
    with tempfile.TemporaryDirectory(prefix="ui_timings_") as tmp:
        for side in sides:
            root = Path(getattr(args, side))
            print(f"== {side}: {root}", file=sys.stderr)
            with serve(root, args.orgs, Path(tmp) / f"{side}.log") as url:
                results[side] = run(url)
    print(f"{'步骤':<12}" + "".join(f"{s:>12}" for s in sides) + ("    之前/之后" if len(sides) == 2 else ""))
    for step in STEPS:
        vals = [results[s][step] for s in sides]
        line = f"{step:<12}" + "".join(f"{_fmt(v):>12}" for v in vals)
        if len(sides) == 2 and None not in vals and vals[1]:
            line += f"    {vals[0] / vals[1]:6.1f}×"
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

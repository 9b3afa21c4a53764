"""Shared helpers of the headless-Chromium tests."""

from __future__ import annotations

#: The app's script state: ``stApp``'s ``data-test-script-state`` is "running" while a run (or a fragment's run)
#: goes on. The status widget cannot tell: ``client.toolbarMode = "minimal"`` never shows it, so waiting for it to
#: disappear does not wait at all (``benchmarks/load.py`` uses the same state).
SCRIPT_STATE_JS = "document.querySelector('[data-testid=\"stApp\"]')?.getAttribute('data-test-script-state')"


def wait_idle(page, timeout: float = 120_000) -> None:
    """Wait until the page's script run has finished (a run asked for by the last action has started by then)."""
    page.wait_for_timeout(300)
    page.wait_for_function(f"() => {SCRIPT_STATE_JS} === 'notRunning'", timeout=timeout)


def map_frame(page, timeout: float = 120.0, *, filled: bool = True):
    """The map's frame once the selection's script has run (``window.__lx_fg`` defined; with ``filled``, holding
    layers)."""
    import time

    test = "() => !!window.map && Array.isArray(window.__lx_fg)" + (" && window.__lx_fg.length > 0" if filled else "")
    deadline = time.time() + timeout
    while time.time() < deadline:
        for fr in page.frames:
            if "st_folium" in fr.url:
                try:
                    if fr.evaluate(test):
                        return fr
                except Exception:  # noqa: BLE001 - the frame is loading
                    pass
        page.wait_for_timeout(150)
    raise AssertionError("地图没有绘制出来")

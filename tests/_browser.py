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

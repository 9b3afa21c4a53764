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


def file_input(page, label: str):
    """The file input of the uploader labelled ``label`` (not simply the first on the page: the page draws its
    elements as they come, so the first input found may belong to another uploader)."""
    return page.get_by_test_id("stFileUploader").filter(has_text=label).locator("input[type=file]")


class Relay:
    """A loopback TCP relay to ``port`` whose connections can all be cut at once: a real network blip between the
    browser and the app (the browser reconnects to :attr:`port`, the relay stays up).

    ``accepted`` counts the connections made through it.
    """

    def __init__(self, port: int) -> None:
        import socket
        import threading

        self._target = port
        self._srv = socket.socket()
        self._srv.bind(("127.0.0.1", 0))
        self._srv.listen(64)
        self.port = self._srv.getsockname()[1]
        self._lock = threading.Lock()
        self._conns: list = []
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import socket
        import threading

        while True:
            try:
                client, _ = self._srv.accept()
                upstream = socket.create_connection(("127.0.0.1", self._target))
            except OSError:
                return
            with self._lock:
                self._conns += [client, upstream]
                self.accepted += 1
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b) -> None:
        import socket

        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        """Drop every connection now (both ends see the connection reset)."""
        import socket

        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self._srv.close()
        self.cut()

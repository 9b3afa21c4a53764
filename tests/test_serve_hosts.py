"""A real ``streamlit run app.py`` on a free loopback port: requests naming another host never get the app
(DNS rebinding), and uploads live in a private folder that goes away with the session.

Two layers refuse a foreign ``Host`` header:

* Streamlit's ``server.allowedHosts`` (``.streamlit/config.toml``, read next to ``app.py``) refuses the
  WebSocket that carries the app (HTTP 403);
* every page checks the header again (``lianxin_geo.ui.widgets.guard_host``), which holds when that file is
  not read: tested by serving ``app.py`` through a link in a folder without ``.streamlit``.

The WebSocket tests speak Streamlit's protocol directly (no browser); the upload test drives headless Chromium.
"""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator, Sequence

import pytest

from _browser import Relay, file_input, wait_idle

pytest.importorskip("streamlit")
websockets_client = pytest.importorskip("websockets.sync.client")

ROOT = Path(__file__).resolve().parents[1]
LEDGER = ROOT / "tests" / "data" / "orgs_problems.csv"
CHROMIUM = "/usr/bin/chromium"
REFUSED = "拒绝访问".encode()
pytestmark = pytest.mark.slow


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: Command-line settings of a test server besides port and address (``serve_app(flags=...)`` replaces them).
HEADLESS_FLAGS = ("--server.headless", "true", "--browser.gatherUsageStats", "false")


@contextlib.contextmanager
def serve_app(script: Path, cwd: Path, log: Path, *, flags: Sequence[str] = HEADLESS_FLAGS, **env: str) -> Iterator[int]:
    """Run ``streamlit run script`` on 127.0.0.1 and a free port until the block ends; yield the port.

    The app's input variables and any ``STREAMLIT_*`` setting are cleared, then ``env`` is applied (the demo has
    300 orgs unless set). ``flags`` are the command-line settings besides port, address and file watcher (pass
    ``()`` to let ``.streamlit/config.toml`` in ``cwd`` decide everything).
    """
    port = free_port()
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith(("LIANXIN_GEO_", "LIANXIN_DATA_DIR", "STREAMLIT_"))}
    environ.update({"LIANXIN_GEO_DEMO_ORGS": "300", **env})
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.fileWatcherType", "none", *flags],
            cwd=cwd, env=environ, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 60
            while time.time() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.3)
            else:
                pytest.fail("streamlit 未能在 60 秒内启动：" + log.read_text()[-2000:])
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _handshake_status(port: int, host: str) -> str:
    """Status line of a WebSocket upgrade request to the app's stream with ``Host: host``."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request.encode())
        return s.recv(4096).decode("latin-1").split("\r\n")[0]


def _run_app(port: int, host: str, wait: float = 120.0) -> bytes:
    """Open a session as ``host`` (connected to 127.0.0.1), run the app once, return every message it sent."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    sock = socket.create_connection(("127.0.0.1", port))
    got = []
    with websockets_client.connect(f"ws://{host}:{port}/_stcore/stream", sock=sock, subprotocols=["streamlit"],
                                   open_timeout=10, max_size=None) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_script_hash = ""
        ws.send(msg.SerializeToString())
        deadline = time.time() + wait
        while time.time() < deadline:
            raw = ws.recv(timeout=deadline - time.time())
            got.append(raw)
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            if fm.WhichOneof("type") == "script_finished":
                break
    return b"".join(got)


def test_config_refuses_a_foreign_host(tmp_path):
    with serve_app(ROOT / "app.py", ROOT, tmp_path / "streamlit.log") as port:
        for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1.evil.example:{port}"):
            assert " 403 " in _handshake_status(port, host), host
        for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
            assert " 101 " in _handshake_status(port, host), host
        with pytest.raises(Exception, match="403"):
            _run_app(port, "evil.example")
        page = _run_app(port, "127.0.0.1")
        assert "示意边界".encode() in page and REFUSED not in page


def test_every_page_refuses_a_foreign_host_without_the_config(tmp_path):
    """Served from a folder with no ``.streamlit/config.toml``: the WebSocket opens, the page refuses."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "app.py").symlink_to(ROOT / "app.py")
    with serve_app(elsewhere / "app.py", elsewhere, tmp_path / "streamlit.log", PYTHONPATH=str(ROOT)) as port:
        assert " 101 " in _handshake_status(port, f"evil.example:{port}")  # Streamlit alone would serve it
        refused = _run_app(port, "evil.example")
        assert REFUSED in refused
        assert "示意边界".encode() not in refused and "总览".encode() not in refused
        page = _run_app(port, "localhost")
        assert "示意边界".encode() in page and REFUSED not in page


# ---------------------------------------------------------------- uploads, in a real browser
def _session_folders(tmpdir: Path) -> list[Path]:
    return sorted(tmpdir.glob("lianxin-geo-session-*"))


def _stored_uploads(tmpdir: Path) -> list[Path]:
    """The finished uploads in the session folders (a ``.part`` file is still being written)."""
    return [f for d in _session_folders(tmpdir) for f in d.glob("*") if not f.name.endswith(".part")]


@pytest.mark.browser
def test_upload_folder_is_private_outlives_a_dropped_connection_and_goes_with_the_session(tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"没有可用的浏览器：{CHROMIUM} 不存在 / no Chromium installed")
    playwright_api = pytest.importorskip("playwright.sync_api")
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    stale = tmpdir / "lianxin-geo-session-stale"  # left by a crashed server two days ago
    stale.mkdir(mode=0o700)
    os.utime(stale, (time.time() - 48 * 3600,) * 2)
    grace = 4.0
    with serve_app(ROOT / "app.py", ROOT, tmp_path / "streamlit.log", TMPDIR=str(tmpdir),
                   LIANXIN_UPLOAD_GRACE_S=str(grace)) as port, playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--host-resolver-rules="
                                          "MAP evil.example 127.0.0.1"])
        relay = Relay(port)  # the network between the browser and the app, which can drop
        try:
            # DNS rebinding: a page on evil.example that resolves to this machine gets no app
            rebound = browser.new_page()
            rebound.goto(f"http://evil.example:{port}/", wait_until="domcontentloaded")
            rebound.wait_for_timeout(8000)
            assert "示意边界" not in rebound.content() and "总览" not in rebound.inner_text("body")
            rebound.close()

            ctx = browser.new_context(locale="zh-CN")
            page = ctx.new_page()
            page.goto(f"http://127.0.0.1:{relay.port}/data", wait_until="domcontentloaded")
            page.get_by_text("上传台账与边界").first.wait_for(timeout=120_000)
            assert not stale.exists()  # swept at start: older than 24 hours
            assert page.get_by_text("本机文件夹路径").count() == 0  # no LIANXIN_DATA_DIR: no folder box
            file_input(page, "两新组织台账").set_input_files(
                {"name": "我的台账.csv", "mimeType": "text/csv", "buffer": LEDGER.read_bytes()})
            page.get_by_text("我的台账.csv").first.wait_for(timeout=30_000)
            page.get_by_role("button", name="载入", exact=True).click()
            # the 已载入 heading is on the page before the click too, and the folder is made just before the file
            # is written into it: wait for the file itself, not for the folder
            deadline = time.time() + 60
            while not _stored_uploads(tmpdir) and time.time() < deadline:
                time.sleep(0.5)
            folders = _session_folders(tmpdir)
            assert len(folders) == 1, folders
            st = os.lstat(folders[0])
            assert stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == os.geteuid()
            assert [f.suffix for f in folders[0].iterdir()] == [".csv"]
            wait_idle(page)

            # the network drops; the browser reconnects to its session, whose upload is still there
            before = relay.accepted
            relay.cut()
            deadline = time.time() + 60
            while relay.accepted == before and time.time() < deadline:
                time.sleep(0.2)
            assert relay.accepted > before, "浏览器没有重新连接"
            time.sleep(2 * grace)  # longer than the grace: a connected session keeps its folder however long
            assert [f.suffix for f in folders[0].iterdir()] == [".csv"]
            page.get_by_role("link", name="总览").click()  # a page that reads the loaded ledgers
            wait_idle(page)
            page.get_by_text("组织覆盖率").first.wait_for(timeout=120_000)
            assert page.get_by_text("已随上一次会话结束被删除").count() == 0

            ctx.close()  # the session ends: its folder goes once the grace is over
            deadline = time.time() + 60
            while _session_folders(tmpdir) and time.time() < deadline:
                time.sleep(0.5)
            assert _session_folders(tmpdir) == []
        finally:
            relay.close()
            browser.close()

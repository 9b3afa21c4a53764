"""The safe settings of ``.streamlit/config.toml`` hold in a real server and a real browser (issue 14).

A real ``streamlit run`` on a free loopback port, started with the shipped config file and **no** command-line
setting that would mask it (``serve_app`` of ``tests/test_serve_hosts.py`` passes ``--browser.gatherUsageStats
false`` itself, so the usage-statistics check needs this launcher):

* no usage statistics: the session's config says so and headless Chromium sends no request to a statistics host
  (nor to any other host) while the app runs;
* upload limit (``server.maxUploadSize``): the browser refuses a ledger over the limit, and the server refuses it
  too (HTTP 413) when a client skips the browser's check;
* XSRF (``server.enableXsrfProtection``): an upload without the XSRF cookie and token is refused (HTTP 403);
* error details hidden (``client.showErrorDetails = "none"``): a page that raises shows no traceback, no file
  path and not the exception's message.

Each check has its control, so that it can fail: the same probe served with ``--client.showErrorDetails full
--browser.gatherUsageStats true`` shows the traceback and asks ``data.streamlit.io`` for its statistics address.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse

import pytest

pytest.importorskip("streamlit")
websockets_client = pytest.importorskip("websockets.sync.client")
from test_serve_hosts import serve_app  # noqa: E402  (the host tests' server launcher)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LIMIT_MB = 50  # .streamlit/config.toml server.maxUploadSize (checked below against the file)
SECRET = "机密异常说明-7d1f"
PROBE = f'''
import streamlit as st
st.title("探针页")
st.file_uploader("台账文件")
if st.query_params.get("boom"):
    raise RuntimeError("{SECRET}")
st.write("探针完成")
'''


def serve(script: Path, log: Path, *flags: str):
    """``streamlit run script`` from the checkout (so ``.streamlit/config.toml`` is read) with only the port, the
    address and ``flags`` on the command line (``serve_app`` of the host tests); yield the port."""
    return serve_app(script, ROOT, log, flags=flags)


@pytest.fixture(scope="module")
def app_port(tmp_path_factory) -> Iterator[int]:
    with serve(ROOT / "app.py", tmp_path_factory.mktemp("hardening") / "streamlit.log") as port:
        yield port


@pytest.fixture(scope="module")
def probe(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("probe") / "probe_page.py"
    path.write_text(PROBE, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"没有可用的浏览器：{CHROMIUM} 不存在 / no Chromium installed")
    api = pytest.importorskip("playwright.sync_api")
    with api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def test_the_config_file_says_what_is_tested():
    import tomllib

    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg["server"]["maxUploadSize"] == LIMIT_MB and cfg["server"]["enableXsrfProtection"] is True
    assert cfg["browser"]["gatherUsageStats"] is False and cfg["client"]["showErrorDetails"] == "none"


# ---------------------------------------------------------------- the session (WebSocket, no browser)
@contextlib.contextmanager
def session(port: int) -> Iterator[object]:
    """Open an app session over the WebSocket and run the script once; yield its ``NewSession`` message."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    with websockets_client.connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                                   open_timeout=10, max_size=None) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_script_hash = ""
        ws.send(msg.SerializeToString())
        deadline = time.time() + 60
        while time.time() < deadline:
            fm = ForwardMsg()
            fm.ParseFromString(ws.recv(timeout=deadline - time.time()))
            if fm.WhichOneof("type") == "new_session":
                yield fm.new_session
                return
        pytest.fail("没有收到 NewSession 消息")


def _xsrf_cookie(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=10) as r:
        for header in r.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name.strip() == "_streamlit_xsrf":
                return rest.split(";")[0]
    pytest.fail("服务器没有下发 XSRF cookie")


def _upload(port: int, session_id: str, size: int, *, method: str = "PUT", cookie: str | None = None,
            token: str | None = None) -> tuple[int, str]:
    """Send a one-file multipart upload of ``size`` bytes; return the HTTP status and the start of the reply."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"台账.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + b"a" * size + f"\r\n--{boundary}--\r\n".encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    if cookie is not None:
        headers["Cookie"] = f"_streamlit_xsrf={cookie}"
    if token is not None:
        headers["X-Xsrftoken"] = token
    req = urllib.request.Request(f"http://127.0.0.1:{port}/_stcore/upload_file/{session_id}/{uuid.uuid4().hex}",
                                 data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read(300).decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read(300).decode("utf-8", "replace")


def _oversize_status(port: int, session_id: str, cookie: str, size: int) -> str:
    """Status line of an upload announcing ``size`` bytes (XSRF right): the server answers from the headers,
    before the body, so the body is sent in chunks only while no answer has come (a raw socket: urllib would
    fail on the reset that follows the refusal)."""
    boundary = uuid.uuid4().hex
    head = (f"PUT /_stcore/upload_file/{session_id}/{uuid.uuid4().hex} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {size}\r\n"
            f"Cookie: _streamlit_xsrf={cookie}\r\nX-Xsrftoken: {cookie}\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head.encode())
        sent = 0
        while sent < size:
            readable, _, _ = select.select([s], [], [], 0)
            if readable:
                break
            try:
                sent += s.send(b"a" * min(1 << 20, size - sent))
            except OSError:
                break
        return s.recv(4096).decode("latin-1").split("\r\n")[0]


def test_session_config_and_uploads_on_the_server(app_port):
    with session(app_port) as new_session:
        assert new_session.config.gather_usage_stats is False
        sid = new_session.initialize.session_id
        assert sid
        cookie = _xsrf_cookie(app_port)
        # XSRF: without the cookie and the token, or with only one of them, an upload is refused
        for kwargs in ({}, {"cookie": cookie}, {"token": cookie}):
            status, text = _upload(app_port, sid, 1000, **kwargs)
            assert status == 403 and "XSRF" in text, (kwargs, status, text)
        assert _upload(app_port, sid, 0, method="DELETE")[0] == 403  # nor can a file be removed
        status, _ = _upload(app_port, sid, 1000, method="POST")
        assert status in (403, 405), status  # POST is no upload method (Streamlit 1.67: 405)
        # with both, a small file is taken (the control: 403 above came from the XSRF check) ...
        assert _upload(app_port, sid, 1000, cookie=cookie, token=cookie)[0] == 204
        # ... and a file over server.maxUploadSize is refused by the server itself
        assert " 413 " in _oversize_status(app_port, sid, cookie, LIMIT_MB * 1024 * 1024 + 1024)
        assert _upload(app_port, sid, LIMIT_MB * 1024 * 1024 - 4096, cookie=cookie, token=cookie)[0] == 204
        assert _upload(app_port, "no-such-session", 1000, cookie=cookie, token=cookie)[0] == 400


# ---------------------------------------------------------------- in the browser
def _outside(urls: list[str]) -> list[str]:
    return sorted({u for u in urls if urlparse(u).scheme in ("http", "https", "ws", "wss")
                   and urlparse(u).hostname not in ("127.0.0.1", "localhost")})


def test_no_statistics_and_uploads_over_the_limit_refused_in_the_browser(app_port, browser, tmp_path):
    ctx = browser.new_context(locale="zh-CN")
    page = ctx.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(f"http://127.0.0.1:{app_port}/data", wait_until="domcontentloaded")
        page.get_by_text("上传台账与边界").first.wait_for(timeout=120_000)
        big = tmp_path / "超大台账.csv"
        with big.open("wb") as fh:
            fh.write("单位名称\n".encode())
            fh.truncate(LIMIT_MB * 1024 * 1024 + 1024)
        page.locator("input[type=file]").first.set_input_files(str(big))
        page.get_by_text(f"File must be {LIMIT_MB:.1f}MB or smaller").first.wait_for(timeout=30_000)
        page.wait_for_timeout(3000)  # let any deferred request (statistics, fonts …) go out
        assert not [u for u in requests if "/_stcore/upload_file/" in u]  # refused before sending a byte
        assert _outside(requests) == [], _outside(requests)
        assert not [u for u in requests if "streamlit.io" in u or "fivetran" in u or "segment" in u]
    finally:
        ctx.close()


def _probe_page(browser, port: int) -> tuple[str, list[str]]:
    """Open the probe with ``?boom=1``; return the page's visible text once the exception shows, and the requests."""
    ctx = browser.new_context(locale="zh-CN")
    page = ctx.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(f"http://127.0.0.1:{port}/?boom=1", wait_until="domcontentloaded")
        page.get_by_text("探针页").first.wait_for(timeout=60_000)
        page.locator("[data-testid='stException'], [data-testid='stAlert']").first.wait_for(timeout=60_000)
        page.wait_for_timeout(3000)
        return page.inner_text("body"), requests
    finally:
        ctx.close()


def test_a_failing_page_shows_no_details(probe, browser, tmp_path):
    with serve(probe, tmp_path / "streamlit.log") as port:
        text, requests = _probe_page(browser, port)
    assert "探针完成" not in text  # it did raise
    for leak in (SECRET, "Traceback", "RuntimeError", str(probe), "probe_page.py", str(ROOT), "site-packages"):
        assert leak not in text, leak
    assert _outside(requests) == []


def test_control_the_checks_can_fail(probe, browser, tmp_path):
    """Served with the unsafe settings, the same checks see the traceback and a statistics request."""
    with serve(probe, tmp_path / "streamlit.log", "--client.showErrorDetails", "full",
               "--browser.gatherUsageStats", "true") as port:
        with session(port) as new_session:
            assert new_session.config.gather_usage_stats is True
        text, requests = _probe_page(browser, port)
    assert SECRET in text and "probe_page.py" in text
    assert any("streamlit.io" in u for u in _outside(requests)), requests

"""Load test (issue 14): concurrent logged-in town users browse, plan and export against one real app server.

Run ``.venv/bin/python benchmarks/load.py [--users 20] [--seconds 600] [--orgs 600] [--sample 3] [--churn N]
[--json F] [--log F]``;
the short mode of the test suite is ``--users 2 --seconds 30`` (``tests/test_load_short.py``).

What it does, on loopback only (the server listens on 127.0.0.1 and the browser reaches nothing else):

1. a new SQLite database in a temporary folder (``LIANXIN_DB``) with, created through the Store API
   (:meth:`lianxin_geo.store.Store.add_user`), one 区级管理员 and one 镇街用户 per simulated user, each of a
   different town of the demo district (the towns with the most organizations first; more users than towns
   share them round-robin);
2. ``streamlit run app.py`` on a free loopback port with the shipped ``.streamlit/config.toml`` and the demo
   ledger of ``--orgs`` organizations;
3. one headless Chromium (``/usr/bin/chromium``) with one browser context per user, started evenly over
   ``--ramp`` seconds (default: 20, at most a quarter of the run), all running at once: each logs in
   on the login page (用户名 / 密码 / 登录), then loops until the time is up over every page of the navigation
   (clicking the sidebar links: one Streamlit session per user), generates a joint-unit plan (联建方案 →
   生成联建方案) and an export (导出 → 生成 → 下载, alternately the HTML map and the Excel tables: the user waits
   for the new file's "生成" time line, then downloads it; a download that fails, is canceled or is empty is an
   error); with ``--churn N`` every user logs out after every N rounds, closes its browser context and logs in
   again in a new one (new Streamlit sessions: memory must not grow per session);
4. meanwhile the server's resident memory (RSS of the process and its children, psutil) every ``--sample``
   seconds; the warm-up ends when every user has finished one full round of the pages (not before the first
   third of the run).

The report: actions and HTTP requests, errors (an exception box on a page, a failed request or HTTP status
≥ 400, a JavaScript error, a timeout, a file that is not offered for download, a traceback in the server's log,
a request to another host — the goal is 0; requests the browser itself cancels because the page moved on are
counted apart), the server's RSS over time (first,
last, max, and the least-squares slope after the warm-up: goal ≈ 0 MB/min), and per
page p50/p95/max seconds (the slowest page first). Exit code 1 when there was an error.

Without ``Store.add_user`` (a checkout before the accounts landed) it runs in single-user mode and says so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lianxin_geo.store import open_store  # noqa: E402
from lianxin_geo.workspace import load_workspace  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]
#: Rounds of the pages every user finishes even when the time is up (``--min-rounds``; a short check run).
MIN_ROUNDS = [0]
#: (navigation title, text that shows the page is drawn) of every page a user browses.
PAGES: tuple[tuple[str, str], ...] = (
    ("总览", "覆盖率地图"), ("数据", "校验报告"), ("联建方案", "生成联建方案"), ("指导员路线", "生成路线"),
    ("阵地与覆盖", "各乡镇/街道阵地覆盖"), ("进展", "进展"), ("导出", "离线 HTML 地图（脚本内嵌）"),
)
EXPORTS = ("html", "xlsx")
LOOPBACK = ("127.0.0.1", "localhost")


# ---------------------------------------------------------------- the server
def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    """``streamlit run app.py`` on 127.0.0.1:``port``; returns once ``/_stcore/health`` answers."""
    out = log.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit("服务器启动失败：" + log.read_text()[-2000:])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("服务器未能在 90 秒内启动：" + log.read_text()[-2000:])


class MemorySampler(threading.Thread):
    """Samples the RSS (MB) of a process and its children every ``every`` seconds: ``samples`` = [(s, MB)]."""

    def __init__(self, pid: int, every: float) -> None:
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.every = every
        self.samples: list[tuple[float, float]] = []
        self.t0 = time.time()
        self._halt = threading.Event()
        self.cpu: dict[str, dict[int, float]] = {"server": {}, "browser": {}}  # CPU seconds seen per process
        self.load: list[float] = []  # the machine's 1-minute load average at every sample

    def _cpu(self) -> None:
        """CPU seconds of the server's processes and of the rest of this run's process tree (the browser)."""
        server = {self.proc.pid, *(c.pid for c in self.proc.children(recursive=True))}
        for p in psutil.Process().children(recursive=True):
            try:
                t = p.cpu_times()
            except psutil.Error:
                continue
            self.cpu["server" if p.pid in server else "browser"][p.pid] = t.user + t.system

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds used so far by the server and by the browser (every process seen)."""
        return {k: round(sum(v.values()), 1) for k, v in self.cpu.items()}

    def rss_mb(self) -> float:
        procs = [self.proc, *self.proc.children(recursive=True)]
        total = 0
        for p in procs:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        return total / 2**20

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                self.samples.append((time.time() - self.t0, self.rss_mb()))
                self._cpu()
                self.load.append(os.getloadavg()[0])
            except psutil.Error:
                return
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=10)


# ---------------------------------------------------------------- accounts
@dataclass(frozen=True)
class Account:
    name: str
    password: str
    town: str | None
    town_name: str | None


def make_accounts(db_url: str, n: int, orgs: int) -> tuple[list[Account], str]:
    """One admin and ``n`` town users (different towns first) in a new database; returns them and a note."""
    ws = load_workspace(demo_orgs=orgs)
    names = dict(zip(ws.district.jurisdictions["code"], ws.district.jurisdictions["name"]))
    towns = list(ws.orgs["jurisdiction_code"].value_counts().index)
    towns += [c for c in names if c not in towns]
    store = open_store(db_url)
    if not hasattr(store, "add_user"):
        return [Account(f"单用户{i + 1}", "", None, None) for i in range(n)], \
            "数据库没有账号功能（Store.add_user 不存在）：以单用户模式运行，未登录"
    store.add_user("load_admin", "admin", password=secrets.token_urlsafe(12))
    out = []
    for i in range(n):
        code = towns[i % len(towns)]
        acc = Account(f"town{i + 1:02d}", secrets.token_urlsafe(12), code, names.get(code, code))
        store.add_user(acc.name, "town", towns=(acc.town,), password=acc.password)
        out.append(acc)
    distinct = len({a.town for a in out})
    return out, f"{n} 个镇街用户（{distinct} 个不同镇街）+ 1 个区级管理员，经 Store.add_user 创建"


# ---------------------------------------------------------------- the users
@dataclass
class Tally:
    """What every user did (shared by the users: asyncio runs them on one thread)."""

    timings: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    actions: int = 0
    http: int = 0
    outside: set[str] = field(default_factory=set)
    logins: int = 0
    logouts: int = 0
    sessions: int = 0
    aborted: int = 0
    first_round: dict[str, float] = field(default_factory=dict)  # user -> when it finished its first full round

    def time(self, what: str, seconds: float) -> None:
        self.timings.setdefault(what, []).append(seconds)
        self.actions += 1

    def error(self, who: str, what: str, detail: str) -> None:
        self.errors.append(f"{who} {what}: {detail[:300]}")


#: The app's script state: ``stApp``'s ``data-test-script-state`` ("running" while a run or fragment run goes on;
#: the status widget cannot tell, it is hidden by ``client.toolbarMode = "minimal"``).
_SCRIPT_STATE = "document.querySelector('[data-testid=\"stApp\"]')?.getAttribute('data-test-script-state')"


async def _idle(page, timeout_ms: float) -> None:
    """Wait until the page's script run has finished (a run requested by the last click has started by then)."""
    await page.wait_for_timeout(300)
    await page.wait_for_function(f"() => {_SCRIPT_STATE} === 'notRunning'", timeout=timeout_ms)


async def _exceptions(page) -> int:
    return await page.locator("[data-testid='stException']").count()


async def _login(page, acc: Account, base: str, tally: Tally, timeout_ms: float) -> None:
    t = time.perf_counter()
    await page.goto(base, wait_until="domcontentloaded", timeout=timeout_ms)
    if acc.town is None:  # single-user mode
        await page.get_by_role("heading", name="总览").first.wait_for(timeout=timeout_ms)
    else:
        await page.get_by_label("用户名").fill(acc.name, timeout=timeout_ms)
        await page.get_by_label("密码").fill(acc.password)
        await page.get_by_role("button", name="登录").click()
        await page.get_by_role("button", name="退出登录").wait_for(timeout=timeout_ms)
        await page.get_by_role("heading", name="总览").first.wait_for(timeout=timeout_ms)
        tally.logins += 1
    await _idle(page, timeout_ms)
    tally.time("登录", time.perf_counter() - t)


async def _visit(page, title: str, mark: str, tally: Tally, timeout_ms: float) -> None:
    t = time.perf_counter()
    await page.get_by_role("link", name=title).first.click()
    await page.get_by_role("heading", name=title).first.wait_for(timeout=timeout_ms)
    await page.get_by_text(mark).first.wait_for(timeout=timeout_ms)
    await _idle(page, timeout_ms)
    tally.time(title, time.perf_counter() - t)


async def _plan(page, tally: Tally, timeout_ms: float) -> None:
    t = time.perf_counter()
    await page.get_by_role("button", name="生成联建方案").click()
    await page.get_by_text("联建单元一览").first.wait_for(timeout=timeout_ms)
    await _idle(page, timeout_ms)
    tally.time("生成联建方案", time.perf_counter() - t)


async def _made(page, fmt: str) -> str:
    """The "made at … (count)" line of the format's last file on the 导出 page ("" when there is none)."""
    box = page.locator(f".st-key-ex_made_{fmt}")
    return (await box.first.inner_text()) if await box.count() else ""


async def _export(page, fmt: str, tally: Tally, timeout_ms: float) -> None:
    """Generate the file, then download it as a planner would: the file must arrive, non-empty.

    The 下载 button of the previous 生成 may still be on the page; the user waits for the new one (its "made"
    line changes and the page is idle), as a planner waits for the new time to show. A download that fails or is
    canceled raises (an error of the run).
    """
    t = time.perf_counter()
    before = await _made(page, fmt)
    await page.locator(f".st-key-ex_make_{fmt} button").click()
    await page.wait_for_function(
        "([sel, old]) => { const e = document.querySelector(sel); return e && e.innerText !== old; }",
        arg=[f".st-key-ex_made_{fmt}", before], timeout=timeout_ms)
    button = page.locator(f".st-key-ex_dl_{fmt} button")
    await button.wait_for(timeout=timeout_ms)
    await _idle(page, timeout_ms)
    async with page.expect_download(timeout=timeout_ms) as info:
        await button.click()
    download = await info.value
    failure = await download.failure()
    if failure is not None:
        raise RuntimeError(f"导出 {fmt}：下载失败（{failure}）")
    path = await download.path()
    if path is None or os.path.getsize(path) == 0:
        raise RuntimeError(f"导出 {fmt}：下载的文件为空")
    tally.time(f"导出 {fmt}", time.perf_counter() - t)


async def _logout(page, acc: Account, timeout_ms: float) -> None:
    """Click 退出登录 and wait for the login page (single-user mode: nothing to do)."""
    if acc.town is None:
        return
    await page.get_by_role("button", name="退出登录").click()
    await page.get_by_role("button", name="登录").wait_for(timeout=timeout_ms)


async def one_user(browser, acc: Account, base: str, until: float, tally: Tally, timeout_ms: float,
                   delay: float = 0.0, churn: int = 0) -> None:
    """After ``delay`` seconds (the ramp-up), log in, then browse / plan / export until ``until`` (each failure
    is counted and the user goes on). With ``churn`` > 0, after every ``churn`` rounds of the pages the user logs
    out and closes the browser context, and a new context logs in (a new Streamlit session): sessions come and go.
    """
    await asyncio.sleep(delay)
    rounds = 0
    while _going(until, rounds) and rounds >= 0:
        rounds = await _session(browser, acc, base, until, tally, timeout_ms, rounds, churn)
        if rounds < 0:
            return


def _going(until: float, rounds: int) -> bool:
    """Whether a user goes on: the time is not up, or it has not finished ``--min-rounds`` rounds of the pages."""
    return time.time() < until or 0 <= rounds < MIN_ROUNDS[0]


async def _session(browser, acc: Account, base: str, until: float, tally: Tally, timeout_ms: float, rounds: int,
                   churn: int) -> int:
    """One browser context (one Streamlit session) of ``acc``: log in, run rounds of the pages until ``until``
    or, with ``churn``, until ``churn`` more rounds are done, then log out. Returns the rounds done so far
    (-1: the login failed, the user stops)."""
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN", accept_downloads=True)
    ctx.set_default_timeout(timeout_ms)
    ctx.set_default_navigation_timeout(timeout_ms)
    page = await ctx.new_page()
    tally.sessions += 1

    def on_response(r) -> None:
        tally.http += 1
        if r.status >= 400:
            tally.error(acc.name, "HTTP", f"{r.status} {r.url}")

    def on_request(r) -> None:
        u = urlparse(r.url)
        if u.scheme in ("http", "https", "ws", "wss") and u.hostname not in LOOPBACK:
            tally.outside.add(r.url)

    def on_failed(r) -> None:
        if "ERR_ABORTED" in str(r.failure):  # the browser cancelled it (the page moved on, or a download began)
            tally.aborted += 1
        elif "/_stcore/stream" not in r.url:
            tally.error(acc.name, "请求失败", f"{r.url} {r.failure}")

    page.on("response", on_response)
    page.on("request", on_request)
    page.on("requestfailed", on_failed)
    where = {"step": "登录"}  # what the user was doing: named with a script error of the page
    page.on("pageerror", lambda e: tally.error(acc.name, f"脚本错误（{where['step']}）", str(e)))
    stop_at = rounds + churn if churn > 0 else None
    try:
        try:
            await _login(page, acc, base, tally, timeout_ms)
        except Exception as exc:  # noqa: BLE001 - counted, the user stops
            tally.error(acc.name, "登录", repr(exc))
            return -1
        while _going(until, rounds) and (stop_at is None or rounds < stop_at):
            for title, mark in PAGES:
                if not _going(until, rounds):
                    break
                step = where["step"] = title
                try:
                    await _visit(page, title, mark, tally, timeout_ms)
                    if title == "联建方案":
                        step = where["step"] = "生成联建方案"
                        await _plan(page, tally, timeout_ms)
                    elif title == "导出":
                        fmt = EXPORTS[rounds % len(EXPORTS)]
                        step = where["step"] = f"导出 {fmt}"
                        await _export(page, fmt, tally, timeout_ms)
                    if await _exceptions(page):
                        tally.error(acc.name, step, "页面出现异常框")
                except Exception as exc:  # noqa: BLE001 - counted, the user goes on from the next page
                    tally.error(acc.name, step, repr(exc).splitlines()[0])
            else:  # a full round of the pages
                tally.first_round.setdefault(acc.name, time.time())
            rounds += 1
        if stop_at is not None and time.time() < until:
            try:
                await _logout(page, acc, timeout_ms)
                tally.logouts += 1
            except Exception as exc:  # noqa: BLE001 - counted; the context is closed anyway
                tally.error(acc.name, "退出登录", repr(exc).splitlines()[0])
    finally:
        await ctx.close()
    return rounds


async def drive(accounts: list[Account], base: str, seconds: float, timeout_ms: float, ramp: float,
                churn: int = 0) -> Tally:
    """Every user in one Chromium (one context each; they start evenly over ``ramp`` seconds) until ``seconds``
    have passed."""
    from playwright.async_api import async_playwright

    tally = Tally()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            until = time.time() + seconds
            step = ramp / len(accounts) if accounts else 0.0
            await asyncio.gather(*(one_user(browser, a, base, until, tally, timeout_ms, delay=i * step,
                                            churn=churn) for i, a in enumerate(accounts)))
        finally:
            await browser.close()
    return tally


# ---------------------------------------------------------------- the report
def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def memory_figures(samples: list[tuple[float, float]], seconds: float, warm_end: float | None) -> dict[str, Any]:
    """First/last/max RSS and the least-squares slope (MB/min) of the samples after the warm-up.

    The warm-up ends when every user has finished one full round of the pages (``warm_end``, seconds after the
    first sample; ``None``: some user never did) and not before the first third of the run. When a user never
    finished a round, the slope is over the last two thirds and ``warmed_up`` is false: it includes first loads.
    """
    if not samples:
        return {"samples": 0}
    start = max(seconds / 3, warm_end if warm_end is not None else 0.0)
    warm = [(t, m) for t, m in samples if t >= start]
    if len(warm) < 2:
        warm = [(t, m) for t, m in samples if t >= seconds / 3] or samples
    slope = 0.0
    if len(warm) >= 2:
        tm = statistics.fmean(t for t, _ in warm)
        mm = statistics.fmean(m for _, m in warm)
        den = sum((t - tm) ** 2 for t, _ in warm)
        slope = sum((t - tm) * (m - mm) for t, m in warm) / den * 60 if den else 0.0
    return {"samples": len(samples), "warmed_up": warm_end is not None and warm[0][0] >= warm_end,
            "warmup_end_s": round(warm[0][0], 1), "first_mb": round(samples[0][1], 1),
            "last_mb": round(samples[-1][1], 1),
            "max_mb": round(max(m for _, m in samples), 1), "after_warmup_first_mb": round(warm[0][1], 1),
            "slope_mb_per_min_after_warmup": round(slope, 2),
            "series": [(round(t, 1), round(m, 1)) for t, m in samples]}


def report(tally: Tally, mem: dict[str, Any], *, users: int, seconds: float, note: str,
           after_close_mb: float | None, churn: int = 0) -> dict[str, Any]:
    pages = {k: {"n": len(v), "p50_s": round(_pct(v, 0.5), 2), "p95_s": round(_pct(v, 0.95), 2),
                 "max_s": round(max(v), 2)} for k, v in tally.timings.items()}
    slowest = max(pages, key=lambda k: pages[k]["p95_s"]) if pages else None
    return {"users": users, "seconds": seconds, "accounts": note, "logins": tally.logins, "churn_rounds": churn,
            "sessions": tally.sessions, "logouts": tally.logouts,
            "actions": tally.actions, "http_requests": tally.http, "aborted_by_browser": tally.aborted,
            "errors": len(tally.errors),
            "error_list": tally.errors[:50], "outside_requests": sorted(tally.outside),
            "memory": mem, "rss_after_sessions_closed_mb": after_close_mb, "pages": pages, "slowest": slowest}


def print_report(r: dict[str, Any]) -> None:
    m = r["memory"]
    print(f"负载测试：{r['users']} 个并发用户，{r['seconds']:.0f} 秒（仅本机 127.0.0.1）")
    print(f"账号：{r['accounts']}；成功登录 {r['logins']} 次")
    if r.get("churn_rounds"):
        print(f"会话轮换：每 {r['churn_rounds']} 轮页面退出登录、关闭浏览器上下文并重新登录；共 {r['sessions']} 个会话，"
              f"退出登录 {r['logouts']} 次")
    print(f"操作 {r['actions']} 次，HTTP 请求 {r['http_requests']} 个（浏览器因翻页取消 {r['aborted_by_browser']} 个），"
          f"错误 {r['errors']} 个（目标 0），访问外部地址 {len(r['outside_requests'])} 个")
    for e in r["error_list"][:10]:
        print("  错误：" + e)
    if m.get("samples"):
        warm = ("预热后" if m["warmed_up"] else "预热未完成（有用户还没走完一轮页面），后三分之二") + \
            f"（第 {m['warmup_end_s']:.0f} 秒起，{m['after_warmup_first_mb']} MB）"
        print(f"服务器内存 RSS：开始 {m['first_mb']} MB，结束 {m['last_mb']} MB，最高 {m['max_mb']} MB；"
              f"{warm}斜率 {m['slope_mb_per_min_after_warmup']} MB/分钟，采样 {m['samples']} 次")
    if r["rss_after_sessions_closed_mb"] is not None:
        print(f"全部会话关闭后 RSS：{r['rss_after_sessions_closed_mb']} MB")
    if r.get("cpu_seconds"):
        c = r["cpu_seconds"]
        print(f"CPU 时间：服务器 {c['server']} 秒，浏览器 {c['browser']} 秒（{r['seconds']:.0f} 秒内）")
    if r.get("load_average_1min"):
        la = r["load_average_1min"]
        print(f"机器负载（1 分钟平均，{la['cores']} 核）：最低 {la['min']}，平均 {la['mean']}，最高 {la['max']}")
    print(f"{'页面/操作':<12}{'次数':>6}{'p50 秒':>9}{'p95 秒':>9}{'最长 秒':>9}")
    for k, v in sorted(r["pages"].items(), key=lambda kv: -kv[1]["p95_s"]):
        print(f"{k:<12}{v['n']:>6}{v['p50_s']:>9}{v['p95_s']:>9}{v['max_s']:>9}")
    if r["slowest"]:
        print(f"最慢：{r['slowest']}（p95 {r['pages'][r['slowest']]['p95_s']} 秒）")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=20, help="并发用户数（默认 20）")
    ap.add_argument("--seconds", type=float, default=600, help="持续秒数（默认 600）")
    ap.add_argument("--orgs", type=int, default=600, help="演示台账的组织数（默认 600）")
    ap.add_argument("--sample", type=float, default=3.0, help="内存采样间隔秒数（默认 3）")
    ap.add_argument("--timeout", type=float, default=240.0, help="单个操作的超时秒数（默认 240）")
    ap.add_argument("--ramp", type=float, help="用户在多少秒内陆续开始（默认 min(20, 持续秒数/4)）")
    ap.add_argument("--churn", type=int, default=0,
                    help="每个用户每走完几轮页面就退出登录并以新会话重新登录（默认 0：不轮换）")
    ap.add_argument("--min-rounds", type=int, default=0,
                    help="每个用户至少走完几轮页面，时间到了也走完（默认 0；短时检查用 1）")
    ap.add_argument("--json", type=Path, help="把结果另存为 JSON")
    ap.add_argument("--log", type=Path, help="把服务器日志另存到此文件")
    args = ap.parse_args(argv)
    MIN_ROUNDS[0] = max(0, args.min_rounds)
    if not os.path.exists(CHROMIUM):
        print(f"没有可用的浏览器：{CHROMIUM} 不存在", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="lianxin-load-") as tmp:
        db = f"sqlite:///{Path(tmp) / 'load.db'}"
        accounts, note = make_accounts(db, args.users, args.orgs)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LIANXIN_GEO_", "LIANXIN_DATA_DIR",
                                                                          "LIANXIN_USER", "LIANXIN_PASSWORD"))}
        env.update({"LIANXIN_DB": db, "LIANXIN_GEO_DEMO_ORGS": str(args.orgs), "TMPDIR": tmp})
        port = free_port()
        proc = start_server(port, env, Path(tmp) / "streamlit.log")
        sampler = MemorySampler(proc.pid, args.sample)
        sampler.start()
        after_close = None
        try:
            ramp = args.ramp if args.ramp is not None else min(20.0, args.seconds / 4)
            tally = asyncio.run(drive(accounts, f"http://127.0.0.1:{port}/", args.seconds, args.timeout * 1000,
                                      ramp, churn=max(0, args.churn)))
            time.sleep(max(args.sample, 5))  # the sessions end with their browser contexts
            after_close = round(sampler.rss_mb(), 1)
        finally:
            try:
                sampler.stop()
            finally:  # the server never outlives the run
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        done = len(tally.first_round) == len(accounts)
        warm_end = max(tally.first_round.values()) - sampler.t0 if done else None
        r = report(tally, memory_figures(sampler.samples, args.seconds, warm_end), users=args.users,
                   seconds=args.seconds, note=note, after_close_mb=after_close, churn=max(0, args.churn))
        if tally.outside:
            tally.errors.append("请求离开了本机：" + "、".join(sorted(tally.outside)[:5]))
        log = (Path(tmp) / "streamlit.log").read_text(encoding="utf-8", errors="replace")
        if args.log:
            args.log.write_text(log, encoding="utf-8")
        if "Traceback" in log:
            tally.errors.append("服务器日志有异常：" + log[log.index("Traceback"):][:500])
        r["errors"], r["error_list"] = len(tally.errors), tally.errors[:50]
        r["cpu_seconds"] = sampler.cpu_seconds()
        if sampler.load:
            la = sampler.load
            r["load_average_1min"] = {"min": round(min(la), 2), "mean": round(statistics.fmean(la), 2),
                                      "max": round(max(la), 2), "cores": os.cpu_count()}
    print_report(r)
    if args.json:
        args.json.write_text(json.dumps(r, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if r["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""The load test's short mode (issue 14): 2 logged-in town users for 30 seconds against a real server, 0 errors.

Runs ``benchmarks/load.py --users 2 --seconds 30`` (headless Chromium, loopback only) and reads its JSON report.
The long run (20 users, 10 minutes) is run by hand; its figures are in ``docs/deploy.md``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[1]


def test_short_load_run_has_no_error(tmp_path):
    if not os.path.exists("/usr/bin/chromium"):
        pytest.skip("没有可用的浏览器：/usr/bin/chromium 不存在 / no Chromium installed")
    pytest.importorskip("playwright.async_api")
    out = tmp_path / "load.json"
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "load.py"), "--users", "2", "--seconds", "30",
                          "--orgs", "300", "--sample", "2", "--min-rounds", "1", "--json", str(out)],
                         capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert out.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    r = json.loads(out.read_text(encoding="utf-8"))
    assert r["errors"] == 0, r["error_list"]
    assert run.returncode == 0, run.stdout[-3000:]
    assert "Store.add_user" in r["accounts"] and r["logins"] == 2  # logged in as two town users
    assert r["outside_requests"] == []
    # every page was drawn at least once, a plan generated and a file exported
    for what in ("登录", "总览", "数据", "联建方案", "指导员路线", "阵地与覆盖", "进展", "导出", "生成联建方案", "导出 html"):
        assert r["pages"].get(what, {}).get("n", 0) >= 1, (what, r["pages"])
    assert r["http_requests"] > 50 and r["actions"] >= 12
    mem = r["memory"]
    assert mem["samples"] >= 10 and 30 < mem["first_mb"] <= mem["max_mb"] < 4000
    assert "最慢" in run.stdout and "服务器内存 RSS" in run.stdout
    # where the time went: the server's and the browser's CPU seconds, and the machine's load average
    assert r["cpu_seconds"]["server"] > 0 and r["cpu_seconds"]["browser"] > 0
    assert 0 <= r["load_average_1min"]["min"] <= r["load_average_1min"]["max"]
    assert "CPU 时间" in run.stdout and "机器负载" in run.stdout

#!/usr/bin/env bash
# 运行全部测试 / run the whole test suite (what CI runs).
# Usage: bash scripts/test.sh [extra pytest options]
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
ensure_browser   # headless Chromium for tests/test_browser.py (skipped with a message where it cannot be installed)
ensure_postgres  # PostgreSQL + PostGIS on a local socket for the storage tests (LIANXIN_TEST_PG; skipped with a message)
ensure_venv "all,test,bench"
# One worker per core (pytest-xdist); work stealing spreads the long end-to-end tests over the workers.
exec .venv/bin/python -m pytest -q -n auto --dist worksteal "$@"

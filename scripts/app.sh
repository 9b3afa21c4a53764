#!/usr/bin/env bash
# 运行 lianxin-geo 应用（内置顺义演示数据）/ run the app on the embedded Shunyi demo.
# Usage: bash scripts/app.sh [extra streamlit options, e.g. --server.port 8600]
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
ensure_venv "app,solvers,export"
echo "==> 浏览器打开 http://localhost:8501 （Ctrl+C 退出）/ open http://localhost:8501"
exec .venv/bin/python -m streamlit run app.py "$@"

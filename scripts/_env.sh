# Shared set-up for scripts/app.sh and scripts/test.sh: a project-local virtual
# environment (.venv) with the pinned dependencies, created or refreshed as needed.
# Sourced, not run. Needs only Python >= 3.11 and access to PyPI (or a mirror pip is configured for).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
  for cand in "${PYTHON:-}" python3.11 python3.12 python3.13 python3 python; do
    [ -n "$cand" ] || continue
    if command -v "$cand" >/dev/null 2>&1 &&
       "$cand" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$cand"; return 0
    fi
  done
  echo "需要 Python 3.11 或更新版本 / Python >= 3.11 is required" >&2
  return 1
}

ensure_venv() {
  # $1: extras to install, e.g. "app" or "all,test"
  local extras="$1"
  local py
  py="$(find_python)"
  if [ ! -x .venv/bin/python ]; then
    echo "==> 创建虚拟环境 .venv / creating .venv"
    "$py" -m venv .venv
  fi
  local stamp=".venv/.lianxin-installed-${extras//,/_}"
  local want
  want="$(cat pyproject.toml constraints.txt 2>/dev/null | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "==> 安装依赖 / installing dependencies ($extras)"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
    .venv/bin/python -m pip install --quiet --disable-pip-version-check \
      -c constraints.txt -e ".[${extras}]"
    echo "$want" > "$stamp"
  fi
}

ensure_browser() {
  # The browser test drives Debian's Chromium; install it when we can (root on Debian/Ubuntu).
  if [ -x /usr/bin/chromium ] || [ -n "${LIANXIN_NO_BROWSER:-}" ]; then
    return 0
  fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> 安装无头浏览器 / installing chromium for the browser test"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
           chromium chromium-driver fonts-wqy-zenhei >/dev/null; }; then
      echo "    无法安装 chromium，浏览器测试将跳过 / could not install chromium: the browser test will skip" >&2
    fi
  else
    echo "    未安装 chromium 且无 root 权限，浏览器测试将跳过 / no chromium and not root: the browser test will skip" >&2
  fi
}

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

# ---------------------------------------------------------------------------------------------------------------
# PostgreSQL + PostGIS for the storage tests (issue 13). ensure_postgres installs the Debian packages when it can
# (root with apt-get), starts a project-local cluster in .pgdata/ that listens ONLY on a unix socket in that folder,
# makes PostGIS available in every new database (template1), and exports
#   LIANXIN_TEST_PG=postgresql+psycopg://postgres@/postgres?host=<socket dir>&port=<port>
# for pytest (tests/_db.py). Idempotent: a running cluster is reused; a stale postmaster.pid left by a killed run is
# cleared. It never fails the test command: when PostgreSQL cannot be had it says why and the PostgreSQL tests skip.
# LIANXIN_NO_POSTGRES=1 skips it; a LIANXIN_TEST_PG already set is used as is. LIANXIN_PG_PORT overrides the port.

_pg_say() { echo "    $*" >&2; }

_pg_skip() {
  _pg_say "PostgreSQL 测试将跳过 / the PostgreSQL tests will skip: $*"
  unset LIANXIN_TEST_PG
  return 0
}

_pg_bindir() {
  # The newest installed server that has initdb (Debian: /usr/lib/postgresql/<ver>/bin), else initdb on PATH.
  local d ver best="" bestver=0
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] || continue
    ver="$(basename "$(dirname "$d")")"
    ver="${ver%%.*}"
    if [ "$ver" -gt "$bestver" ] 2>/dev/null; then best="$d"; bestver="$ver"; fi
  done
  if [ -z "$best" ] && command -v initdb >/dev/null 2>&1; then
    best="$(dirname "$(readlink -f "$(command -v initdb)")")"
  fi
  [ -n "$best" ] && echo "$best"
}

_pg_has_postgis() {
  # $1: bindir. PostGIS is installed when its control file sits in the server's extension folder.
  local share
  share="$("$1/pg_config" --sharedir 2>/dev/null)" || share=""
  [ -n "$share" ] && ls "$share"/extension/postgis.control >/dev/null 2>&1
}

_pg_install() {
  # Root on Debian/Ubuntu: the server (meta package) and the PostGIS build for the version it brings.
  local bindir ver
  local aptlog="${TMPDIR:-/tmp}/lianxin-pg-apt.log"
  echo "==> 安装 PostgreSQL + PostGIS / installing PostgreSQL + PostGIS (Debian packages; log: $aptlog)"
  if [ -z "$(_pg_bindir)" ]; then
    apt-get update -qq >"$aptlog" 2>&1 || return 1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >>"$aptlog" 2>&1 || return 1
  fi
  bindir="$(_pg_bindir)" || return 1
  ver="$(basename "$(dirname "$bindir")")"
  if ! _pg_has_postgis "$bindir"; then
    if ! apt-cache show "postgresql-${ver}-postgis-3" >/dev/null 2>&1; then
      apt-get update -qq >>"$aptlog" 2>&1 || return 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-${ver}-postgis-3" >>"$aptlog" 2>&1 || return 1
  fi
}

_pg_as_owner() {
  # Run a server command as the cluster owner: the postgres OS user when we are root (postgres refuses root).
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

_pg_clear_stale() {
  # $1: data dir, $2: socket dir. A postmaster.pid whose process is gone (or is no postgres of this data dir, as
  # after a container restart that reused the PID) is stale: remove it and the socket lock so the start succeeds.
  local data="$1" sock="$2" pid
  [ -f "$data/postmaster.pid" ] || return 0
  pid="$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] &&
     tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "$data"; then
    return 0   # a live server of this cluster (maybe still starting or stopping): leave it to pg_ctl
  fi
  _pg_say "清除过期的 postmaster.pid / removing a stale postmaster.pid (pid ${pid:-?})"
  rm -f "$data/postmaster.pid" "$sock"/.s.PGSQL.*
}

ensure_postgres() {
  if [ -n "${LIANXIN_NO_POSTGRES:-}" ]; then _pg_skip "LIANXIN_NO_POSTGRES 已设置 / LIANXIN_NO_POSTGRES is set"; return 0; fi
  if [ -n "${LIANXIN_TEST_PG:-}" ]; then
    _pg_say "使用已设置的 LIANXIN_TEST_PG / using the given LIANXIN_TEST_PG"; return 0
  fi
  local bindir
  bindir="$(_pg_bindir || true)"
  if [ -z "$bindir" ] || ! _pg_has_postgis "$bindir"; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      _pg_install || { _pg_skip "无法安装 postgresql / postgis 软件包 (apt-get 失败，见 ${TMPDIR:-/tmp}/lianxin-pg-apt.log) / apt-get could not install them"; return 0; }
      bindir="$(_pg_bindir || true)"
    elif [ -z "$bindir" ]; then
      _pg_skip "未安装 PostgreSQL，且无 root 或 apt-get 无法安装 / PostgreSQL is not installed and cannot be (not root or no apt-get)"
      return 0
    else
      _pg_skip "未安装 PostGIS，且无 root 或 apt-get 无法安装 / PostGIS is not installed and cannot be (not root or no apt-get)"
      return 0
    fi
  fi
  if [ -z "$bindir" ] || ! _pg_has_postgis "$bindir"; then
    _pg_skip "安装后仍找不到 PostgreSQL 或 PostGIS / PostgreSQL or PostGIS still missing after the install"; return 0
  fi
  if [ "$(id -u)" = "0" ] && ! id postgres >/dev/null 2>&1; then
    _pg_skip "以 root 运行但没有 postgres 系统用户 / running as root but there is no postgres OS user"; return 0
  fi

  # The cluster lives in .pgdata/ (git-ignored). A unix socket path must stay under ~100 bytes and the postgres
  # user must be able to reach the folder: otherwise fall back to a per-checkout folder under $TMPDIR.
  local base="$ROOT/.pgdata"
  local port="${LIANXIN_PG_PORT:-54329}"
  if [ "${#base}" -gt 80 ] ||
     { [ "$(id -u)" = "0" ] && ! runuser -u postgres -- test -x "$ROOT" 2>/dev/null; }; then
    base="${TMPDIR:-/tmp}/lianxin-pg-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
  fi
  local data="$base/data" sock="$base" log="$base/server.log"
  mkdir -p "$base" 2>/dev/null || { _pg_skip "无法创建 / cannot create $base"; return 0; }
  if [ "$(id -u)" = "0" ]; then chown -R postgres: "$base"; chmod 0700 "$base"; fi
  local ver
  ver="$("$bindir/postgres" -V 2>/dev/null | awk '{print $3}')"   # "postgres (PostgreSQL) 15.14 ..." -> 15.14
  ver="${ver%%.*}"
  if [ -n "$ver" ] && [ -s "$data/PG_VERSION" ] && [ "$(cat "$data/PG_VERSION")" != "$ver" ] &&
     ! "$bindir/pg_isready" -q -h "$sock" -p "$port" 2>/dev/null; then
    echo "==> 测试集群版本不同，重新初始化 / the test cluster is of another PostgreSQL version: re-initialising"
    rm -rf "$data"
  fi

  if [ ! -s "$data/PG_VERSION" ]; then
    echo "==> 初始化测试用 PostgreSQL 集群 / initdb a test cluster in $data"
    rm -rf "$data"
    if ! _pg_as_owner "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
         --no-sync >"$base/initdb.log" 2>&1; then
      _pg_skip "initdb 失败，见 / initdb failed, see $base/initdb.log"; return 0
    fi
  fi

  local opts="-c listen_addresses='' -c unix_socket_directories='$sock' -p $port -c fsync=off"
  opts="$opts -c synchronous_commit=off -c full_page_writes=off"
  if ! "$bindir/pg_isready" -q -h "$sock" -p "$port" -U postgres 2>/dev/null; then
    _pg_clear_stale "$data" "$sock"
    echo "==> 启动测试用 PostgreSQL / starting the test PostgreSQL (socket $sock, port $port)"
    if ! _pg_as_owner "$bindir/pg_ctl" -D "$data" -l "$log" -o "$opts" -w -t 60 start >/dev/null 2>&1; then
      _pg_skip "PostgreSQL 启动失败，见 / the server did not start, see $log"; return 0
    fi
  fi
  local i
  for i in $(seq 1 30); do
    "$bindir/pg_isready" -q -h "$sock" -p "$port" -U postgres 2>/dev/null && break
    sleep 1
  done
  if ! "$bindir/pg_isready" -q -h "$sock" -p "$port" -U postgres 2>/dev/null; then
    _pg_skip "PostgreSQL 未就绪，见 / the server is not ready, see $log"; return 0
  fi
  # PostGIS in template1 (so every database the tests create has it) and in the postgres database itself.
  local db
  for db in template1 postgres; do
    if ! "$bindir/psql" -X -q -h "$sock" -p "$port" -U postgres -d "$db" -v ON_ERROR_STOP=1 \
         -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null 2>"$base/postgis.err"; then
      _pg_skip "CREATE EXTENSION postgis 失败 ($db)，见 / failed, see $base/postgis.err"; return 0
    fi
  done
  export LIANXIN_TEST_PG="postgresql+psycopg://postgres@/postgres?host=${sock}&port=${port}"
  _pg_say "PostgreSQL + PostGIS 就绪 / ready: LIANXIN_TEST_PG=$LIANXIN_TEST_PG"
}

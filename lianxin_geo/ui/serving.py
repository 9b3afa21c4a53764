"""Safe serving of the app: which hosts may use it, which server folders it may read, where uploads live.

Pure functions (no Streamlit import), so each rule is tested on its own:

* **Hosts** (DNS rebinding): Streamlit's ``server.allowedHosts`` (set in
  ``.streamlit/config.toml``) refuses the app's WebSocket for any other ``Host``
  header. That file is read from the folder Streamlit starts in, so every page
  checks the ``Host`` header again (:func:`allowed_hosts`, :func:`host_allowed`):
  this machine's names, the configured ``server.address`` /
  ``browser.serverAddress`` and the entries of ``server.allowedHosts``.
* **Server folders**: the "本机文件夹路径" box reads only inside the folder named by
  ``LIANXIN_DATA_DIR`` (:func:`data_dir`; unset: the box is not shown), symbolic
  links resolved (:func:`resolve_inside`, :func:`scan_folder`).
* **Uploads**: one private folder per session, made by :func:`tempfile.mkdtemp`
  (mode 0700, owned by the server's user, checked by :func:`check_private`),
  kept while the session lives (:class:`SessionFolders`: a dropped connection that
  comes back within :data:`UPLOAD_GRACE_S` keeps its files), removed after that,
  at exit (:class:`PrivateFolder`) or, after a crash, by
  :func:`sweep_stale_folders` on the next start once older than
  :data:`RETENTION_S` (24 hours).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
import threading
import time
import weakref
from pathlib import Path
from typing import Callable, Iterable, Mapping
from urllib.parse import urlparse

from lianxin_geo.core.errors import LianxinError

__all__ = [
    "DATA_DIR_ENV",
    "LOOPBACK_HOSTS",
    "RETENTION_S",
    "UPLOAD_GRACE_ENV",
    "UPLOAD_GRACE_S",
    "UPLOAD_PREFIX",
    "PrivateFolder",
    "SessionFolders",
    "allowed_hosts",
    "check_private",
    "data_dir",
    "host_allowed",
    "resolve_inside",
    "scan_folder",
    "sweep_stale_folders",
    "upload_grace_s",
]

#: Environment variable naming the only server folder the app may read paths from.
DATA_DIR_ENV = "LIANXIN_DATA_DIR"
#: Names of this machine that are always accepted in the ``Host`` header.
LOOPBACK_HOSTS: frozenset[str] = frozenset({"localhost", "127.0.0.1", "::1"})
#: Prefix of the per-session upload folders in the system temporary folder.
UPLOAD_PREFIX = "lianxin-geo-session-"
#: Age after which a session upload folder left by a crashed server is deleted on the next start (seconds).
RETENTION_S = 24 * 3600
#: Seconds a session's uploads outlive its connection. Streamlit keeps a disconnected session two minutes for the
#: browser to come back (a network blip, a laptop lid closed); a session that came back keeps its files.
UPLOAD_GRACE_S = 180.0
#: Environment variable overriding :data:`UPLOAD_GRACE_S` (seconds, ≥ 0).
UPLOAD_GRACE_ENV = "LIANXIN_UPLOAD_GRACE_S"
#: Addresses that mean "every interface", not a host name a browser uses.
_ANY_ADDRESS = frozenset({"", "0.0.0.0", "::"})

#: Ledger kinds and the words (English or Chinese) their file names contain; ledgers are tables, boundaries maps.
_FOLDER_WORDS: dict[str, tuple[str, ...]] = {
    "orgs": ("orgs", "组织"), "buildings": ("buildings", "楼宇"), "parks": ("parks", "园区"),
    "centers": ("centers", "阵地", "服务中心"), "boundaries": ("boundaries", "边界")}
_LEDGER_SUFFIXES = (".xlsx", ".xls", ".csv")
_BOUNDARY_SUFFIXES = (".geojson", ".json", ".gpkg", ".kml", ".shp", ".zip")


# ---------------------------------------------------------------- hosts
def allowed_hosts(*, address: str | None, server_address: str | None, configured: Iterable[str]) -> frozenset[str]:
    """The host names (lower case, patterns allowed) the app answers to.

    Parameters
    ----------
    address
        Streamlit's ``server.address`` (ignored when it means every interface).
    server_address
        Streamlit's ``browser.serverAddress``.
    configured
        Streamlit's ``server.allowedHosts``: names, ``*.example.com`` patterns or ``*`` (any host).
    """
    names = set(LOOPBACK_HOSTS)
    for value in (address, server_address, *configured):
        text = str(value or "").strip().lower().rstrip(".")
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        if text not in _ANY_ADDRESS:
            names.add(text)
    return frozenset(names)


def host_allowed(host: str | None, allowed: Iterable[str]) -> bool:
    """True when the ``Host`` header ``host`` (port ignored) names one of ``allowed``.

    A missing or malformed header (user info, path, bad port) is refused. ``*`` in
    ``allowed`` accepts any well-formed host, ``*.example.com`` its subdomains.
    """
    if not host:
        return False
    try:
        parsed = urlparse(f"//{host.strip()}")
        name = parsed.hostname
        _ = parsed.port  # validates the port
    except ValueError:
        return False
    if not name or parsed.username or parsed.password or parsed.path or parsed.query or parsed.fragment:
        return False
    name = name.lower().rstrip(".")
    for pattern in allowed:
        if pattern == "*" or name == pattern or (pattern.startswith("*.") and name.endswith(pattern[1:])):
            return True
    return False


# ---------------------------------------------------------------- server folders
def data_dir(environ: dict[str, str] | None = None) -> Path | None:
    """The folder named by ``LIANXIN_DATA_DIR`` (symbolic links resolved), or ``None`` when unset.

    Raises
    ------
    LianxinError
        When the variable names no existing folder.
    """
    value = (os.environ if environ is None else environ).get(DATA_DIR_ENV, "").strip()
    if not value:
        return None
    root = Path(value).expanduser().resolve()
    if not root.is_dir():
        raise LianxinError(f"环境变量 {DATA_DIR_ENV} 指向的文件夹 {value!r} 不存在：请改为服务器上的数据文件夹，或删除该变量")
    return root


def resolve_inside(root: Path, text: str) -> Path:
    """The folder ``text`` (relative to ``root`` or absolute), symbolic links resolved, if it lies inside ``root``.

    Raises
    ------
    LianxinError
        When the folder lies outside ``root`` or does not exist.
    """
    root = root.resolve()
    path = (root / text.strip()).resolve()
    if path != root and root not in path.parents:
        raise LianxinError(f"文件夹 {text!r} 不在允许读取的数据文件夹 {root} 之内：只能读取该文件夹及其子文件夹")
    if not path.is_dir():
        raise LianxinError(f"数据文件夹中没有子文件夹 {text!r}：请检查路径")
    return path


def scan_folder(folder: Path, root: Path) -> dict[str, Path]:
    """Ledger and boundary files of ``folder`` by kind (first match in name order), never a file outside ``root``.

    A file counts for a kind when its name contains one of the kind's words
    (``orgs``/``组织``, ``buildings``/``楼宇``, ``parks``/``园区``, ``centers``/``阵地``/``服务中心``,
    ``boundaries``/``边界``) and it has a ledger (.xlsx/.xls/.csv) or boundary suffix.
    """
    root = root.resolve()
    found: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        real = p.resolve()
        if not real.is_file() or root not in real.parents:
            continue  # a symbolic link out of the data folder is not followed
        low, suffix = p.name.lower(), p.suffix.lower()
        for kind, words in _FOLDER_WORDS.items():
            wanted = _BOUNDARY_SUFFIXES if kind == "boundaries" else _LEDGER_SUFFIXES
            if kind not in found and suffix in wanted and any(w in low for w in words):
                found[kind] = real
    return found


# ---------------------------------------------------------------- private upload folders
def check_private(path: Path) -> Path:
    """``path`` if it is a real folder (no symbolic link) owned by this process's user with mode 0700.

    Raises
    ------
    LianxinError
        Otherwise: someone else could read or replace the uploads.
    """
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise LianxinError(f"上传文件夹 {path} 不是普通文件夹（可能是符号链接）：拒绝使用")
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        raise LianxinError(f"上传文件夹 {path} 不属于运行本应用的用户：拒绝使用")
    if stat.S_IMODE(st.st_mode) & 0o077:
        raise LianxinError(f"上传文件夹 {path} 的权限 {stat.S_IMODE(st.st_mode):o} 允许其他用户访问：拒绝使用")
    return path


def _remove(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


class PrivateFolder:
    """A new private folder for one session's uploads, removed by :meth:`remove`, on garbage collection or at exit.

    Parameters
    ----------
    base
        Where to create it (default: the system temporary folder).
    """

    def __init__(self, base: str | os.PathLike[str] | None = None) -> None:
        self.path = check_private(Path(tempfile.mkdtemp(prefix=UPLOAD_PREFIX, dir=base)))
        self._finalizer = weakref.finalize(self, _remove, str(self.path))

    def touch(self) -> None:
        """Mark the folder as in use (its age counts from now for :func:`sweep_stale_folders`)."""
        with contextlib.suppress(OSError):
            os.utime(self.path)

    def remove(self) -> None:
        """Delete the folder and everything in it (again: a no-op)."""
        self._finalizer()

    @property
    def removed(self) -> bool:
        """True once the folder has been deleted."""
        return not self._finalizer.alive


def upload_grace_s(environ: Mapping[str, str] | None = None) -> float:
    """Seconds a session's uploads outlive its connection: ``$LIANXIN_UPLOAD_GRACE_S``, else :data:`UPLOAD_GRACE_S`.

    Raises
    ------
    LianxinError
        The variable is set but is not a number of seconds ≥ 0.
    """
    text = (os.environ if environ is None else environ).get(UPLOAD_GRACE_ENV, "").strip()
    if not text:
        return UPLOAD_GRACE_S
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise LianxinError(f"环境变量 {UPLOAD_GRACE_ENV}={text!r} 不是有效的秒数：请写一个不小于 0 的数，"
                           f"或删除它（缺省 {UPLOAD_GRACE_S:g} 秒）")
    return value


class SessionFolders:
    """The private upload folder of each browser session, kept while the session lives.

    Streamlit drops a session's resources the moment its connection drops, even when the browser
    reconnects to the same session a few seconds later; its uploads would go with them. Here a folder
    stays while ``is_active(session)`` says the session is connected, and for ``grace_s`` seconds after
    it was last seen so; :meth:`reap` (called every :attr:`poll_s` seconds by the app) removes the rest.

    Parameters
    ----------
    is_active
        ``is_active(session_id) -> bool``: the session is connected now (Streamlit's
        ``Runtime.is_active_session``; safe from any thread).
    grace_s
        Seconds a folder outlives its session's last connection.
    base
        Where the folders are made (default: the system temporary folder).
    clock
        Monotonic seconds (tests pass their own).
    """

    def __init__(self, is_active: Callable[[str], bool], *, grace_s: float = UPLOAD_GRACE_S,
                 base: str | os.PathLike[str] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._is_active = is_active
        self.grace_s = float(grace_s)
        self._base = base
        self._clock = clock
        self._lock = threading.Lock()
        self._folders: dict[str, PrivateFolder] = {}
        self._seen: dict[str, float] = {}

    @property
    def poll_s(self) -> float:
        """How often :meth:`reap` should run: a third of the grace, between 0.5 and 30 seconds."""
        return min(30.0, max(0.5, self.grace_s / 3))

    def folder(self, session_id: str) -> PrivateFolder:
        """The session's folder, made on first use (a folder removed meanwhile is made again)."""
        with self._lock:
            f = self._folders.get(session_id)
            if f is None or f.removed:
                f = self._folders[session_id] = PrivateFolder(self._base)
            self._seen[session_id] = self._clock()
            return f

    def reap(self) -> list[Path]:
        """Remove the folders of sessions not connected for ``grace_s`` seconds; return their paths."""
        now = self._clock()
        with self._lock:
            sessions = list(self._folders)
        gone = []
        for sid in sessions:
            try:
                active = bool(self._is_active(sid))
            except Exception:  # noqa: BLE001 - a runtime shutting down: the grace still applies
                active = False
            with self._lock:
                if sid not in self._folders:
                    continue
                if active:
                    self._seen[sid] = now
                    continue
                if now - self._seen.get(sid, now) < self.grace_s:
                    continue
                f = self._folders.pop(sid)
                self._seen.pop(sid, None)
            f.remove()
            gone.append(f.path)
        return gone

    def remove_all(self) -> None:
        """Remove every folder (the server stops)."""
        with self._lock:
            folders, self._folders = list(self._folders.values()), {}
            self._seen.clear()
        for f in folders:
            f.remove()

    def __len__(self) -> int:
        with self._lock:
            return len(self._folders)


def sweep_stale_folders(base: str | os.PathLike[str] | None = None, *, max_age_s: float = RETENTION_S,
                        now: float | None = None) -> list[Path]:
    """Delete session upload folders older than ``max_age_s`` left behind by a crash; return them.

    Only real folders named ``lianxin-geo-session-*`` and owned by this user are touched.
    """
    base_path = Path(base or tempfile.gettempdir())
    now = time.time() if now is None else now
    gone = []
    for p in base_path.glob(UPLOAD_PREFIX + "*"):
        try:
            st = os.lstat(p)
        except OSError:
            continue
        mine = not hasattr(os, "geteuid") or st.st_uid == os.geteuid()
        if stat.S_ISDIR(st.st_mode) and mine and now - st.st_mtime > max_age_s:
            _remove(str(p))
            gone.append(p)
    return gone

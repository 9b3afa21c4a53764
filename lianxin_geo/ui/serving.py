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
  removed when the session ends (:class:`PrivateFolder`) or, after a crash, by
  :func:`sweep_stale_folders` on the next start once older than
  :data:`RETENTION_S` (24 hours).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
import time
import weakref
from pathlib import Path
from typing import Iterable
from urllib.parse import urlparse

from lianxin_geo.core.errors import LianxinError

__all__ = [
    "DATA_DIR_ENV",
    "LOOPBACK_HOSTS",
    "RETENTION_S",
    "UPLOAD_PREFIX",
    "PrivateFolder",
    "allowed_hosts",
    "check_private",
    "data_dir",
    "host_allowed",
    "resolve_inside",
    "scan_folder",
    "sweep_stale_folders",
]

#: Environment variable naming the only server folder the app may read paths from.
DATA_DIR_ENV = "LIANXIN_DATA_DIR"
#: Names of this machine that are always accepted in the ``Host`` header.
LOOPBACK_HOSTS: frozenset[str] = frozenset({"localhost", "127.0.0.1", "::1"})
#: Prefix of the per-session upload folders in the system temporary folder.
UPLOAD_PREFIX = "lianxin-geo-session-"
#: Age after which a session upload folder left by a crashed server is deleted on the next start (seconds).
RETENTION_S = 24 * 3600
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

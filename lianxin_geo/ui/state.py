"""Session state and cached results of the Streamlit pages (thin: calls the workspace and the pipeline only).

Caching and privacy
-------------------
* Every input is a :class:`Source`: its path, the SHA-256 of its content, the
  name to show and its kind. The workspace is cached on the content hashes, the
  profile and the demo size (:func:`workspace_key`), never on object ids, so a
  result can only be reached by someone who gives the very same bytes, and no
  page lists other users' uploads.
* Uploaded bytes go to this session's private folder
  (:class:`lianxin_geo.ui.serving.PrivateFolder`: ``mkdtemp``, mode 0700), kept
  by :class:`lianxin_geo.ui.serving.SessionFolders` while the session is connected and
  for :data:`~lianxin_geo.ui.serving.UPLOAD_GRACE_S` after (a dropped connection that
  comes back keeps its files), then deleted by a background thread; folders a crashed
  server left behind are deleted on the next start once older than 24 hours.
* Plans are cached on the workspace key and their parameters; each plan kept in
  the session carries that key as a digest (:class:`PlanRun`), which is what the
  export page caches its files on.

Accounts
--------
When the database has accounts, the logged-in user (:data:`USER_KEY`, set by
:mod:`lianxin_geo.ui.auth`) decides what data the pages get: :func:`workspace` and
:func:`round_workspace` return :func:`lianxin_geo.store.scope_workspace` of the unscoped
(cached) workspace, and :func:`workspace_key` ends with the user's scope, so an
assessment, a plan or an export cached for one scope is never served to another.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import streamlit as st
from streamlit import runtime as st_runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from lianxin_geo.assessment import Assessment
from lianxin_geo.core.errors import LianxinError
from lianxin_geo.core.policy import Profile
from lianxin_geo.pipeline import run_assessment, run_coverage, run_joint, run_routes
from lianxin_geo.store import RoundInfo, Store, open_store, resolve_url
from lianxin_geo.store.access import User, scope_workspace
from lianxin_geo.plan.coverage import CoveragePlan
from lianxin_geo.plan.joint import JointPlan
from lianxin_geo.plan.routes import InstructorPlan
from lianxin_geo.ui.engine import app_engine
from lianxin_geo.ui.serving import (
    UPLOAD_GRACE_S,
    PrivateFolder,
    SessionFolders,
    sweep_stale_folders,
    upload_grace_s,
)
from lianxin_geo.workspace import DEFAULT_DEMO_ORGS, Workspace, load_workspace

_log = logging.getLogger(__name__)

__all__ = [
    "ENV",
    "INPUT_KINDS",
    "USER_KEY",
    "KINDS",
    "PLAN_ENTRIES",
    "PlanRun",
    "SCOPED_ENTRIES",
    "SCOPED_TTL_S",
    "Source",
    "assessment",
    "choose_round",
    "chosen_round",
    "coverage_plan",
    "current_user",
    "db_url",
    "db_url_display",
    "init_state",
    "joint_plan",
    "kept_plans",
    "policy_source",
    "reset_sources",
    "round_workspace",
    "route_plan",
    "save_upload",
    "scope",
    "set_demo",
    "set_policy_source",
    "set_sources",
    "sources",
    "store",
    "use_demo",
    "workspace",
    "workspace_key",
]

#: Ledger kinds and their Chinese names, in the order the data page shows them.
KINDS: dict[str, str] = {"orgs": "两新组织台账", "buildings": "商务楼宇台账", "parks": "园区台账",
                         "centers": "党群活动服务中心台账"}
#: Every input a workspace reads from a file: the four ledgers and the boundaries.
INPUT_KINDS: tuple[str, ...] = (*KINDS, "boundaries")
#: Environment variables read at start: a ledger path per kind, the boundary file.
ENV: dict[str, str] = {"orgs": "LIANXIN_GEO_ORGS", "buildings": "LIANXIN_GEO_BUILDINGS",
                       "parks": "LIANXIN_GEO_PARKS", "centers": "LIANXIN_GEO_CENTERS",
                       "boundaries": "LIANXIN_GEO_BOUNDARIES"}
_DEMO_ORGS_ENV = "LIANXIN_GEO_DEMO_ORGS"
#: Entries of the per-scope caches (a user's view of a workspace and its assessment): one per logged-in scope
#: and workspace, so that 20 town users browsing at once never evict each other (an LRU smaller than the number
#: of active scopes recomputes on every page view); dropped after :data:`SCOPED_TTL_S` seconds without use.
SCOPED_ENTRIES = 64
#: Entries of each plan cache (joint units, routes, coverage): a few parameter sets per active scope.
PLAN_ENTRIES = 96
#: Seconds a per-scope cache entry (scoped workspace, assessment, plan) lives: the memory is bounded by
#: the entries and by time (an idle user's results do not stay for the server's lifetime).
SCOPED_TTL_S = 3600
#: Session key of the logged-in :class:`~lianxin_geo.store.User` (set only by :mod:`lianxin_geo.ui.auth`).
USER_KEY = "auth_user"


@dataclass(frozen=True)
class Source:
    """One input file of the session.

    Attributes
    ----------
    path
        Where the file is on this machine.
    sha256
        Hex SHA-256 of its content: what caches are keyed on.
    name
        The name shown to the user (the uploaded file's name).
    kind
        ``orgs``, ``buildings``, ``parks``, ``centers``, ``boundaries`` or ``policy``.
    """

    path: str
    sha256: str
    name: str
    kind: str

    @classmethod
    def from_file(cls, kind: str, path: str | os.PathLike[str], *, name: str | None = None) -> "Source":
        """Describe an existing file (its content is hashed)."""
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        return cls(path=os.fspath(path), sha256=h.hexdigest(), name=name or Path(path).name, kind=kind)

    @property
    def exists(self) -> bool:
        """True while the file is still there (an upload is deleted when its session ends)."""
        return os.path.isfile(self.path)


@dataclass(frozen=True)
class PlanRun:
    """A plan kept in the session, the digest of what made it (workspace key and parameters) and of its workspace."""

    kind: str
    key: str
    workspace: str
    plan: Any


def _digest(key: tuple) -> str:
    return hashlib.sha256(repr(key).encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------- session inputs
@st.cache_resource(show_spinner=False)
def _swept_at_start() -> int:
    """Delete upload folders older than 24 h that a crashed server left behind (once per server process)."""
    return len(sweep_stale_folders())


def _is_active(session_id: str) -> bool:
    """The session is connected now (Streamlit's runtime; safe from any thread)."""
    return st_runtime.exists() and st_runtime.get_instance().is_active_session(session_id)


def _reap_forever(folders: SessionFolders) -> None:
    while True:
        time.sleep(folders.poll_s)
        try:
            folders.reap()
        except Exception:  # noqa: BLE001 - never let the reaper die: the next round tries again
            _log.exception("清理会话上传文件夹失败 / reaping upload folders failed")


@st.cache_resource(show_spinner=False)
def _folders() -> SessionFolders:
    """The upload folders of every session of this server, reaped by one background thread."""
    try:
        grace = upload_grace_s()
    except LianxinError as exc:  # the operator's setting: the server log says so, the default applies
        _log.warning("%s", exc)
        grace = UPLOAD_GRACE_S
    folders = SessionFolders(_is_active, grace_s=grace)
    threading.Thread(target=_reap_forever, args=(folders,), name="lianxin-upload-reaper", daemon=True).start()
    return folders


def _session_folder() -> PrivateFolder:
    """This session's private upload folder: it outlives a dropped connection that comes back (see
    :class:`~lianxin_geo.ui.serving.SessionFolders`) and goes a few minutes after the session ends."""
    ctx = get_script_run_ctx()
    return _folders().folder(ctx.session_id if ctx is not None else "bare")


def init_state() -> None:
    """Initialise the session keys once (sources from the environment, default profile)."""
    _swept_at_start()
    ss = st.session_state
    if "sources" not in ss:
        found: dict[str, Source | None] = {}
        for kind, var in ENV.items():
            p = os.environ.get(var)
            found[kind] = Source.from_file(kind, p) if p and os.path.isfile(p) else None
        ss["sources"] = found
    ss.setdefault("policy", None)
    ss.setdefault("policy_file", None)
    ss.setdefault("boundaries_crs", "WGS84")
    ss.setdefault("plans", {})
    ss.setdefault("demo", False)
    ss.setdefault("round", None)  # (database URL, round name, round id) of the stored round in use, or None


def sources() -> dict[str, Source | None]:
    """The session's input files by kind (``None``: not given; see :func:`load_workspace` for the demo rule)."""
    init_state()
    return dict(st.session_state["sources"])


def set_sources(changed: Mapping[str, Source | None], *, boundaries_crs: str | None = None) -> None:
    """Replace some inputs (and the datum of the boundary file).

    A new ledger switches the demo fill-in off: once the user's ledgers are loaded, the layers not given are
    empty (the 载入演示数据 button turns it back on).
    """
    merged = sources()
    merged.update(changed)
    st.session_state["sources"] = merged
    if any(k in KINDS and v is not None for k, v in changed.items()):
        st.session_state["demo"] = False
    if boundaries_crs is not None:
        st.session_state["boundaries_crs"] = boundaries_crs


def reset_sources() -> None:
    """Back to the demo for every ledger and the bundled boundaries."""
    st.session_state["sources"] = {k: None for k in INPUT_KINDS}
    st.session_state["demo"] = False


def use_demo() -> bool:
    """True when the user asked for the demo to fill the ledgers not uploaded (载入演示数据)."""
    init_state()
    return bool(st.session_state["demo"])


def set_demo(on: bool) -> None:
    """Fill (``True``) or stop filling the ledgers not uploaded with the synthetic demo."""
    init_state()
    st.session_state["demo"] = bool(on)


def policy_source() -> Source | None:
    """The uploaded policy TOML in force, if any."""
    init_state()
    return st.session_state.get("policy_file")


def set_policy_source(src: Source | None) -> None:
    """Use an uploaded policy TOML (``None``: the profile chosen by name)."""
    st.session_state["policy_file"] = src


def save_upload(kind: str, name: str, data: bytes) -> Source:
    """Store uploaded bytes in this session's private folder, named by their content hash."""
    folder = _session_folder()
    folder.touch()
    sha = hashlib.sha256(data).hexdigest()
    path = folder.path / f"{sha}{Path(name).suffix.lower()[:8]}"
    if not path.exists():  # written under a temporary name first: a killed write never leaves half a file
        part = path.with_name(f".{path.name}.{os.getpid()}.part")
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(part, path)
    return Source(path=str(path), sha256=sha, name=name, kind=kind)


def _drop_missing() -> list[str]:
    """Forget inputs whose file is gone (uploads of an ended session); return their names."""
    ss = st.session_state
    gone = [s.name for s in ss["sources"].values() if s is not None and not s.exists]
    if gone:
        ss["sources"] = {k: (s if s is None or s.exists else None) for k, s in ss["sources"].items()}
    pol = ss.get("policy_file")
    if pol is not None and not pol.exists:
        gone.append(pol.name)
        ss["policy_file"] = None
    return gone


# ---------------------------------------------------------------- workspace
def db_url() -> str:
    """The database the app works with: ``$LIANXIN_DB``, else ``./lianxin.db`` (as the CLI's ``--db`` default)."""
    return str(resolve_url(None).render_as_string(hide_password=False))


@st.cache_resource(show_spinner="正在打开数据库…", max_entries=4)
def _open(url: str) -> Store:
    return open_store(url)


def store() -> Store:
    """The app's database (opened once per server, created or upgraded on first use)."""
    return _open(db_url())


def db_url_display() -> str:
    """The database as it may be shown: the SQLite file, or the PostgreSQL URL without its password."""
    url = resolve_url(None)
    return str(url.database) if url.get_backend_name() == "sqlite" else url.render_as_string(hide_password=True)


def current_user() -> User | None:
    """The logged-in user of this session (``None``: not logged in, or single-user mode)."""
    user = st.session_state.get(USER_KEY)
    return user if isinstance(user, User) else None


def scope() -> tuple:
    """What the current user may see, as a cache key part: ``("all",)`` or ``("towns", sorted town codes)``.

    The data a user sees depend on its towns only (:func:`lianxin_geo.store.scope_workspace`), so the users of
    the same towns share the scoped workspace, its assessment, plans and export files: the second user of a
    town finds them made; a user of other towns has another key and never reaches them.
    """
    user = current_user()
    if user is None or user.is_admin:
        return ("all",)
    return ("towns", tuple(sorted(user.towns)))


@st.cache_resource(show_spinner=False, max_entries=SCOPED_ENTRIES, ttl=SCOPED_TTL_S)
def _scoped(key: tuple, scope_key: tuple, _ws: Workspace, _user: User | None) -> Workspace:
    return scope_workspace(_ws, _user)


def _for_user(key: tuple, ws: Workspace) -> Workspace:
    """``ws`` as the current user may see it (cached per workspace and scope)."""
    sc = scope()
    return ws if sc == ("all",) else _scoped(key, sc, ws, current_user())


def round_workspace(name: str) -> Workspace:
    """The stored round ``name`` as the current user may see it (cached on the database, the name, the round's
    id and the user's scope)."""
    info = store().round_info(name)
    key = ("round", db_url(), info.name, int(info.id), 0)
    return _for_user(key, _load_round(key))


def chosen_round() -> tuple[str, str, int] | None:
    """``(database URL, round name, round id)`` of the stored round the pages work on, or ``None`` (the loaded files)."""
    init_state()
    return st.session_state["round"]


def choose_round(info: RoundInfo | None) -> None:
    """Work on a stored round (``None``: on the loaded files again); plans of the previous data are dropped."""
    init_state()
    st.session_state["round"] = None if info is None else (db_url(), info.name, int(info.id))
    st.session_state["plans"] = {}


def workspace_key() -> tuple:
    """What identifies the workspace the pages see: :func:`_load_key` and the user's :func:`scope` (last)."""
    return (*_load_key(), scope())


def _load_key() -> tuple:
    """What identifies the loaded workspace: content hashes of every input, the profile, datum, demo fill-in and
    demo size (last); for a stored round, the database, the round and its id (a replaced round has a new id)."""
    init_state()
    ss = st.session_state
    if ss["round"] is not None:
        url, name, rid = ss["round"]
        return ("round", url, name, rid, 0)
    pol = ss["policy_file"]
    policy = ("file", pol.sha256) if pol is not None else ("name", ss["policy"])
    demo_n = int(os.environ.get(_DEMO_ORGS_ENV, "0") or 0)
    hashes = tuple((k, s.sha256 if s is not None else None) for k, s in sorted(ss["sources"].items()))
    return (hashes, policy, ss["boundaries_crs"], bool(ss["demo"]), demo_n)


@st.cache_resource(show_spinner="正在读取、校验并定位台账…", max_entries=8)
def _load(key: tuple, _paths: Mapping[str, str | None], _policy: str | None, boundaries_crs: str,
          demo_orgs: int, demo: bool) -> Workspace:
    return load_workspace(orgs=_paths.get("orgs"), buildings=_paths.get("buildings"), parks=_paths.get("parks"),
                          centers=_paths.get("centers"), boundaries=_paths.get("boundaries"), policy=_policy,
                          boundaries_crs=boundaries_crs, demo_orgs=demo_orgs or DEFAULT_DEMO_ORGS,
                          demo=True if demo else None)


@st.cache_resource(show_spinner="正在从数据库读取台账轮次…", max_entries=4)
def _load_round(key: tuple) -> Workspace:
    _, url, name, _rid, _ = key
    return _open(url).load_round(name)


def workspace() -> Workspace:
    """The session's workspace (cached on content hashes and the profile), or the chosen stored round, as the
    logged-in user may see it (:func:`lianxin_geo.store.scope_workspace`: a town user or a viewer gets its towns).

    An input whose file is gone is dropped with a warning (its layer is empty, or the demo when no ledger is
    left or the user asked for the demo).
    """
    init_state()
    if st.session_state["round"] is not None:
        key = _load_key()
        return _for_user(key, _load_round(key))
    gone = _drop_missing()
    if gone:
        st.warning("以下文件已随上一次会话结束被删除，请在“数据”页重新上传：" + "、".join(gone))
    key = _load_key()
    ss = st.session_state
    paths = {k: (s.path if s is not None else None) for k, s in ss["sources"].items()}
    pol = ss["policy_file"].path if ss["policy_file"] is not None else ss["policy"]
    try:
        loaded = _load(key, paths, pol, ss["boundaries_crs"], key[-1], bool(ss["demo"]))
    except LianxinError as exc:  # name the files as the user named them, not by the stored content hash
        exc.args = (_user_names(str(exc)), *exc.args[1:])
        raise
    return _for_user(key, loaded)


def _user_names(text: str) -> str:
    """``text`` with the stored uploads' paths and file names (content hashes) replaced by the names the user
    gave them."""
    ss = st.session_state
    for src in [*ss["sources"].values(), ss["policy_file"]]:
        if src is not None:
            text = text.replace(src.path, src.name).replace(Path(src.path).name, src.name)
    return text


@st.cache_resource(show_spinner="正在评估覆盖情况…", max_entries=SCOPED_ENTRIES, ttl=SCOPED_TTL_S)
def _assess(key: tuple, _ws: Workspace) -> Assessment:
    return run_assessment(_ws)


def assessment() -> Assessment | None:
    """The assessment of the workspace (``None``, with a warning, when the data do not allow one)."""
    try:
        ws = workspace()  # first: it drops inputs whose file is gone, which changes the key
        return _assess(workspace_key(), ws)
    except (LianxinError, ValueError) as exc:  # the user's data: say so, keep the maps usable
        st.warning(f"覆盖评估未能完成（{exc}）：地图按台账中的党组织状态着色。")
        return None


# ---------------------------------------------------------------- plans
def _changed_profile(ws: Workspace, changes: Mapping[str, Any]) -> Profile:
    base = ws.profile
    real = {k: v for k, v in changes.items() if k in base and base.get(k) != v}
    return base.with_values(real, note="页面参数") if real else base


def _keep(kind: str, key: tuple, plan: Any) -> Any:
    st.session_state["plans"][kind] = PlanRun(kind=kind, key=_digest(key), workspace=_digest(key[0]), plan=plan)
    return plan


def kept_plans() -> dict[str, PlanRun]:
    """The plans generated on the plan pages of this session for the workspace now loaded, by kind."""
    current = _digest(workspace_key())
    return {k: r for k, r in st.session_state["plans"].items() if r is not None and r.workspace == current}


@st.cache_resource(show_spinner="正在生成联建方案…", max_entries=PLAN_ENTRIES, ttl=SCOPED_TTL_S)
def _joint(key: tuple, _ws: Workspace, _a: Assessment | None) -> JointPlan:
    _, changes, reoptimize, cross_town, time_limit_s = key
    return run_joint(_ws, assessment=_a, profile=_changed_profile(_ws, dict(changes)), reoptimize=reoptimize,
                     cross_town=cross_town, seed=0, time_limit_s=time_limit_s, engine=app_engine())


def joint_plan(changes: Mapping[str, Any], *, reoptimize: bool, cross_town: bool,
               time_limit_s: float = 10.0) -> JointPlan:
    """Generate (or take from the cache) the joint-unit plan for these parameters; keep it in the session."""
    ws = workspace()  # before the key: loading drops inputs whose file is gone
    key = (workspace_key(), tuple(sorted(changes.items())), bool(reoptimize), bool(cross_town), float(time_limit_s))
    return _keep("joint", key, _joint(key, ws, assessment()))


@st.cache_resource(show_spinner="正在规划指导员路线…", max_entries=PLAN_ENTRIES, ttl=SCOPED_TTL_S)
def _routes(key: tuple, _ws: Workspace, _a: Assessment | None,
            _joint_plan: JointPlan | None) -> InstructorPlan:
    _, changes, cross_town, time_limit_s, _joint_key = key
    return run_routes(_ws, assessment=_a, joint=_joint_plan, profile=_changed_profile(_ws, dict(changes)),
                      time_limit_s=time_limit_s, cross_town=cross_town, seed=0,
                      joint_time_limit_s=min(10.0, time_limit_s * 2),  # keep the page responsive
                      engine=app_engine())


def route_plan(changes: Mapping[str, Any], *, cross_town: bool = False, time_limit_s: float = 5.0) -> InstructorPlan:
    """Generate (or take from the cache) the instructor routes; keep them in the session.

    The routes include the new units of the joint plan generated on the 联建方案 page, when there is one;
    whether new units are visited at all is the pipeline's rule (``instructors.include_new_units``).
    """
    ws = workspace()  # before the keys: loading drops inputs whose file is gone
    joint = kept_plans().get("joint")
    key = (workspace_key(), tuple(sorted(changes.items())), bool(cross_town), float(time_limit_s),
           joint.key if joint is not None else None)
    return _keep("routes", key, _routes(key, ws, assessment(), joint.plan if joint is not None else None))


@st.cache_resource(show_spinner="正在计算阵地覆盖与选址…", max_entries=PLAN_ENTRIES, ttl=SCOPED_TTL_S)
def _coverage(key: tuple, _ws: Workspace) -> CoveragePlan:
    _, changes, k, hex_resolution = key
    return run_coverage(_ws, k=k, profile=_changed_profile(_ws, dict(changes)), hex_resolution=hex_resolution,
                        time_limit_s=10.0, seed=0, engine=app_engine())


def coverage_plan(changes: Mapping[str, Any], *, k: int, hex_resolution: int = 8) -> CoveragePlan:
    """Generate (or take from the cache) the coverage plan for these parameters; keep it in the session."""
    ws = workspace()  # before the key: loading drops inputs whose file is gone
    key = (workspace_key(), tuple(sorted(changes.items())), int(k), int(hex_resolution))
    return _keep("coverage", key, _coverage(key, ws))

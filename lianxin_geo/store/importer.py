"""Importing a round from files: read, validate and locate as ``load_workspace`` does, then store."""

from __future__ import annotations

import os
from typing import Callable

from lianxin_geo.store.access import User
from lianxin_geo.store.engine import StoreError
from lianxin_geo.store.store import RoundInfo, Store
from lianxin_geo.workspace import DEFAULT_DEMO_ORGS, DEFAULT_DEMO_SEED, load_workspace

__all__ = ["import_files"]

PathLike = str | os.PathLike[str]


def import_files(store: Store, name: str, *, orgs: PathLike | None = None, buildings: PathLike | None = None,
                 parks: PathLike | None = None, centers: PathLike | None = None,
                 boundaries: PathLike | None = None, policy: PathLike | None = None, boundaries_crs: str = "WGS84",
                 replace: bool = False, demo: bool = False, demo_orgs: int = DEFAULT_DEMO_ORGS,
                 demo_seed: int = DEFAULT_DEMO_SEED, progress: Callable[..., None] | None = None,
                 user: User | None = None) -> RoundInfo:
    """Read the ledger files and import them as round ``name``.

    With user files the layers not given are empty (``load_workspace(..., use_demo=False)``);
    ``demo=True`` fills them (or everything, with no file) with the synthetic Shunyi demo.

    Parameters
    ----------
    store
        The open store.
    name
        The round's name.
    orgs, buildings, parks, centers, boundaries, policy, boundaries_crs
        As for :func:`lianxin_geo.workspace.load_workspace`.
    replace
        Replace an existing round of that name (kept in the history).
    demo, demo_orgs, demo_seed
        Use the synthetic demo for the layers not given, its size and seed.
    progress
        ``progress(message, fraction=None)``.
    user
        The logged-in account (only an admin imports; ``None``: no accounts).
    """
    given = {"orgs": orgs, "buildings": buildings, "parks": parks, "centers": centers}
    if not demo and orgs is None:
        raise StoreError("导入轮次需要组织台账：请给出 --orgs 文件（或用 --demo 导入演示数据）")
    ws = load_workspace(**given, boundaries=boundaries, policy=policy, boundaries_crs=boundaries_crs,
                        demo_orgs=demo_orgs, demo_seed=demo_seed, demo=True if demo else None, use_demo=demo,
                        progress=(lambda msg: progress(msg, None)) if progress else None)
    files = {k: v for k, v in {**given, "boundaries": boundaries, "policy": policy}.items() if v is not None}
    return store.import_round(name, ws, replace=replace, files=files, progress=progress, user=user)

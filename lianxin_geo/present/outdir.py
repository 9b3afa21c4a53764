"""Output folders that are complete or absent: a run is written beside its folder, then swapped in.

A run's files go into a new sibling folder ``<DIR>.lianxin-tmp-<random>``. When
every file is written, :func:`write_manifest` adds ``manifest.json`` (each file's
name, size and SHA-256, and the time the run finished) as the last file, and the
folder is swapped in: the previous ``DIR`` is renamed aside (to another
``<DIR>.lianxin-tmp-*`` name), the new folder is renamed to ``DIR`` and the old
one deleted. A run killed at any moment therefore leaves under ``DIR`` either
nothing or the complete previous (or new) run; ``*.lianxin-tmp-*`` siblings are
all that can stay behind, and the next run removes them.

**Readers** (scripts that pick up a run's files) should check the manifest
first: :func:`verify_manifest` returns ``[]`` only when ``manifest.json`` is there
and every file matches its size and hash.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Iterable, Iterator

from lianxin_geo.core.errors import LianxinError
from lianxin_geo.core.files import TEMP_PREFIX, atomic_write_text

__all__ = ["MANIFEST_NAME", "staged_folder", "write_manifest", "verify_manifest", "remove_stale_stages"]

#: Name of the completion manifest, the last file of every run folder.
MANIFEST_NAME = "manifest.json"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST_NAME)


def write_manifest(folder: str | os.PathLike[str]) -> Path:
    """Write ``manifest.json`` into ``folder``: every file's relative name, size and SHA-256, and the time now."""
    d = Path(folder)
    entries = [{"name": p.relative_to(d).as_posix(), "size": p.stat().st_size, "sha256": _sha256(p)}
               for p in _files(d)]
    doc = {"generator": "lianxin-geo", "manifest_version": 1,
           "finished": _dt.datetime.now().astimezone().isoformat(timespec="seconds"), "files": entries}
    return atomic_write_text(d / MANIFEST_NAME, json.dumps(doc, ensure_ascii=False, indent=2))


def verify_manifest(folder: str | os.PathLike[str]) -> list[str]:
    """Problems of a run folder against its manifest (Chinese, one per file); ``[]`` when it is complete."""
    d = Path(folder)
    path = d / MANIFEST_NAME
    if not path.is_file():
        return [f"{d} 中没有 {MANIFEST_NAME}：这次运行没有完成，文件不可用"]
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        entries = {e["name"]: e for e in doc["files"]}
    except (ValueError, KeyError, TypeError) as exc:
        return [f"{path} 无法读取（{exc}）：这次运行的文件不可用"]
    problems = []
    for name, e in entries.items():
        p = d / name
        if not p.is_file():
            problems.append(f"缺少文件 {name}")
        elif p.stat().st_size != e.get("size") or _sha256(p) != e.get("sha256"):
            problems.append(f"文件 {name} 与清单不符（大小或校验和不同）")
    for p in _files(d):
        if p.relative_to(d).as_posix() not in entries:
            problems.append(f"清单中没有文件 {p.relative_to(d).as_posix()}（不是这次运行写出的）")
    return problems


def _stages(final: Path) -> list[Path]:
    prefix = final.name + TEMP_PREFIX
    if not final.parent.is_dir():
        return []
    return [p for p in final.parent.iterdir() if p.name.startswith(prefix)]


def remove_stale_stages(folder: str | os.PathLike[str]) -> int:
    """Delete the ``<folder>.lianxin-tmp-*`` siblings left by interrupted runs; return how many."""
    n = 0
    for p in _stages(Path(folder)):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                p.unlink()
        n += 1
    return n


def _check_replaceable(final: Path, known: set[str]) -> None:
    """Refuse to replace a folder holding files this tool did not write (they would be deleted)."""
    if not final.exists():
        return
    if not final.is_dir():
        raise LianxinError(f"输出位置 {final} 已存在且不是文件夹：请换一个文件夹名")
    manifest = final / MANIFEST_NAME
    if manifest.is_file():
        with contextlib.suppress(ValueError, KeyError, TypeError, OSError):
            known = known | {e["name"].split("/", 1)[0]
                             for e in json.loads(manifest.read_text(encoding="utf-8"))["files"]}
    foreign = sorted(p.name for p in final.iterdir()
                     if p.name not in known and p.name != MANIFEST_NAME and not p.name.startswith(TEMP_PREFIX))
    if foreign:
        shown = "、".join(foreign[:5]) + ("等" if len(foreign) > 5 else "")
        raise LianxinError(f"输出文件夹 {final} 中有不是 lianxin-geo 写出的文件（{shown}）：整个文件夹会被新结果替换，"
                           "为免误删，请指定一个新的或空的文件夹")


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError, AttributeError):  # not possible on Windows: the renames are still atomic
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _sibling_name(final: Path, tag: str = "") -> Path:
    return final.parent / f"{final.name}{TEMP_PREFIX}{tag}{secrets.token_hex(4)}"


def _new_stage(final: Path) -> Path:
    while True:
        p = _sibling_name(final)
        try:
            p.mkdir()  # exclusive: fails if the name exists; mode from the umask, like any folder the user makes
            return p
        except FileExistsError:
            continue


@contextlib.contextmanager
def staged_folder(folder: str | os.PathLike[str], *, known: Iterable[str] = ()) -> Iterator[Path]:
    """Yield a new empty folder beside ``folder``; when the block succeeds, write the manifest and swap it in.

    Parameters
    ----------
    folder
        The run's folder. It may be missing, empty, or hold a previous run.
    known
        Names (top level) a previous run may have written besides those in its manifest.

    Raises
    ------
    LianxinError
        When ``folder`` exists and holds anything else (it would be deleted with the old run).
    """
    final = Path(folder)
    final.parent.mkdir(parents=True, exist_ok=True)
    _check_replaceable(final, set(known))
    remove_stale_stages(final)
    stage = _new_stage(final)
    aside = None
    try:
        yield stage
        write_manifest(stage)
        _fsync_dir(stage)
        if final.exists():
            aside = _sibling_name(final, "old-")
            os.rename(final, aside)
        os.rename(stage, final)
        _fsync_dir(final.parent)
    except BaseException:
        if aside is not None and aside.exists() and not final.exists():
            with contextlib.suppress(OSError):
                os.rename(aside, final)  # put the previous run back
        shutil.rmtree(stage, ignore_errors=True)
        raise
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)

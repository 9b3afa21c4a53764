"""Writing files safely: nothing truncated under a final name, no formula from a cell.

* :func:`atomic_path` yields a temporary path in the target's folder; the file is
  renamed onto its final name only when the block finishes without an error
  (``os.replace`` is atomic on one file system). A kill at any moment leaves the
  old file or the new one, never half of one; a stray ``.lianxin-tmp-*`` file is
  all that can remain, and :func:`remove_stale_temps` clears those.
* :func:`neutral_text` applies the spreadsheet formula guard to one value, and
  :func:`write_csv` applies it to every text cell of a table before writing it
  (atomically) as UTF-8 with a BOM, so Excel opens Chinese text correctly.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

__all__ = [
    "DANGEROUS_PREFIXES",
    "TEMP_PREFIX",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "is_dangerous",
    "neutral_text",
    "neutralise_frame",
    "remove_stale_temps",
    "write_csv",
]

#: First characters that make spreadsheet programs treat text as a formula (ASCII and full-width forms).
DANGEROUS_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
#: Prefix of the temporary files written beside their final name.
TEMP_PREFIX = ".lianxin-tmp-"


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: The process's umask, read once at import (``os.umask`` can only be read by setting it).
_UMASK = _read_umask()


def is_dangerous(text: str) -> bool:
    """True when a spreadsheet program could read ``text`` as a formula."""
    return text.startswith(DANGEROUS_PREFIXES)


def neutral_text(value: Any) -> Any:
    """``value`` unchanged unless it is text a spreadsheet would run: then it gets a leading apostrophe."""
    if isinstance(value, str) and is_dangerous(value):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and headers cannot run as formulas in a spreadsheet."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutral_text)
    out.columns = [neutral_text(str(c)) for c in out.columns]
    return out


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` when the block succeeds.

    On an error the temporary file is removed and ``path`` keeps its old content (if any).
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=final.suffix, dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; a written file gets the usual permissions
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode(encoding))


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` as CSV (UTF-8 with BOM) atomically, every text cell guarded against formulas."""
    data = neutralise_frame(frame).to_csv(index=False).encode("utf-8-sig")
    return atomic_write_bytes(path, data)


def remove_stale_temps(folder: str | os.PathLike[str], *, older_than_s: float = 3600.0) -> int:
    """Delete temporary files left in ``folder`` by an interrupted write; return how many.

    Parameters
    ----------
    folder
        The folder written into.
    older_than_s
        Only files last modified at least this long ago go, so the temporary file of a
        write still running (another process, another page) is never removed.
    """
    cutoff = time.time() - float(older_than_s)
    n = 0
    for p in Path(folder).glob(TEMP_PREFIX + "*"):
        with contextlib.suppress(OSError):
            if p.is_file() and p.stat().st_mtime <= cutoff:
                p.unlink()
                n += 1
    return n

"""Valid, unique synthetic 统一社会信用代码 (GB 32100-2015 with a GB 11714 organization code inside)."""

from __future__ import annotations

import numpy as np

from lianxin_geo.ingest.creditcode import CHARSET, WEIGHTS
from lianxin_geo.ingest.demo.base import _duplicated

__all__: list[str] = []

#: GB 11714 value (digits 0-9, letters A=10 … Z=35) of every character of the GB 32100 set, and back.
_GB11714_VALUE = np.array([int(ch) if ch.isdigit() else ord(ch) - 55 for ch in CHARSET], dtype=np.int64)
_CHARSET_INDEX_OF_11714 = np.full(36, -1, dtype=np.int64)
_CHARSET_INDEX_OF_11714[_GB11714_VALUE] = np.arange(len(CHARSET))
_W11714 = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
#: Administrative division code of the demo district (顺义区) in characters 3–8.
_DIVISION = "110113"


def _organization_bodies(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct 8-character GB 11714 bodies as values (about a third post-2015 ``MA…`` codes)."""
    body = np.zeros((n, 8), dtype=np.int64)
    new_style = rng.random(n) < 0.35
    todo = np.arange(n)
    for _ in range(50):
        if todo.size == 0:
            break
        m = todo.size
        b = rng.integers(0, 10, size=(m, 8))
        ns = new_style[todo]
        b[ns, 0] = ord("M") - 55
        b[ns, 1] = ord("A") - 55
        b[ns, 2:] = _GB11714_VALUE[rng.integers(0, len(CHARSET), size=(int(ns.sum()), 6))]
        body[todo] = b
        keys = np.zeros(n, dtype=np.int64)
        for j in range(8):
            keys = keys * 36 + body[:, j]
        todo = np.flatnonzero(_duplicated(keys))
    return body


def _credit_codes(rng: np.random.Generator, dept: np.ndarray, typ: np.ndarray) -> np.ndarray:
    """Unique valid 统一社会信用代码 (GB 32100-2015) of district 110113.

    ``dept`` and ``typ`` are indices into :data:`~lianxin_geo.ingest.creditcode.CHARSET`
    of the first two characters (registration department: 9 market regulation,
    5 civil affairs, 3 justice administration; organization type). Characters
    9–17 are a GB 11714 organization code (8 body characters and its own check
    character, weights 3 7 9 10 5 8 4 2 mod 11); about a third are post-2015
    ``MA…`` codes.
    """
    n = dept.size
    body = _organization_bodies(rng, n)
    c9 = 11 - (body @ _W11714) % 11
    chk = np.where(c9 == 11, 0, np.where(c9 == 10, ord("X") - 55, c9))  # 10 -> "X", 11 -> "0"
    idx = np.empty((n, 18), dtype=np.int64)
    idx[:, 0] = dept
    idx[:, 1] = typ
    for j, ch in enumerate(_DIVISION):
        idx[:, 2 + j] = CHARSET.index(ch)
    idx[:, 8:16] = _CHARSET_INDEX_OF_11714[body]
    idx[:, 16] = _CHARSET_INDEX_OF_11714[chk]
    total = idx[:, :17] @ np.asarray(WEIGHTS, dtype=np.int64)
    idx[:, 17] = (31 - total % 31) % 31
    ascii_codes = np.frombuffer(CHARSET.encode("ascii"), dtype=np.uint8)[idx]
    return np.ascontiguousarray(ascii_codes).view("S18").ravel().astype(str).astype(object)

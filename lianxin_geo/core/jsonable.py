"""Turn results into plain JSON values (no NaN, no numpy scalars), the one way every ``to_json`` does it."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["TIMING_KEYS", "canonical_json", "jsonable"]


def jsonable(obj: Any) -> Any:
    """Recursively convert ``obj`` to JSON-safe Python values: NaN/inf/NA → ``None``, numpy → builtins."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [jsonable(v) for v in obj]
    if obj is None or obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(obj, str):
        return obj
    return str(obj)


#: Keys of a ``--json`` document that hold timings: they differ from run to run and are left out of comparisons.
TIMING_KEYS: frozenset[str] = frozenset({"seconds", "solver_seconds"})


def canonical_json(doc: Any, *, drop: frozenset[str] = TIMING_KEYS) -> bytes:
    """``doc`` as the bytes two runs are compared by: sorted keys, UTF-8, the ``drop`` keys left out at every level
    (by default the timings), so equal results give equal bytes whatever the scheduler or the machine's speed."""

    def strip(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k not in drop}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    return json.dumps(strip(jsonable(doc)), ensure_ascii=False, sort_keys=True).encode("utf-8")

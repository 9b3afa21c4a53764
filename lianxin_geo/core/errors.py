"""A small exception family. Messages are Chinese and name the input and the fix."""

from __future__ import annotations

__all__ = [
    "LianxinError",
    "LedgerError",
    "PolicyError",
    "BoundaryError",
    "GraphError",
    "MissingDependencyError",
]


class LianxinError(Exception):
    """Base class of every error this package raises on purpose (a user error, exit code 1)."""


class LedgerError(LianxinError, ValueError):
    """A ledger file cannot be read at all (wrong format, no header row, undecodable text)."""


class PolicyError(LianxinError, ValueError):
    """A policy profile is missing, malformed or holds an impossible value."""


class BoundaryError(LianxinError, ValueError):
    """A boundary file cannot be read or has no usable jurisdictions."""


class GraphError(LianxinError, ValueError):
    """A road graph cannot be read or cannot serve the requested points."""


class MissingDependencyError(LianxinError, ImportError):
    """An optional dependency is needed; the message says what to install."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose}需要可选依赖 {package}：请运行 pip install \"lianxin-geo[{extra}]\" "
            f"/ {purpose} needs {package}: pip install \"lianxin-geo[{extra}]\""
        )
        self.package = package
        self.extra = extra


def require(module: str, *, extra: str, purpose: str):
    """Import an optional module or raise :class:`MissingDependencyError` with an install hint."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise MissingDependencyError(module, extra, purpose) from exc

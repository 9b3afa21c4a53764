"""Accounts and their reach (issue 14): the user, the roles, the settings and THE scoping function.

Every query of organizations, measures, rounds, plans and exports for a logged-in user goes
through :func:`scope_workspace` (a round's data) or the ``user=`` argument of the
:class:`~lianxin_geo.store.store.Store` methods (measures, diffs, the audit), which apply the same
rule: an admin (区级管理员) sees everything; a town user (镇街用户) or a viewer (只读) sees only the
rows of its towns. Without accounts (``user=None``) nothing is restricted: single-user mode.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from lianxin_geo.core.errors import LianxinError
from lianxin_geo.workspace import Workspace

__all__ = ["ROLES", "User", "AuthError", "Settings", "scope_workspace", "DEFAULT_SETTINGS", "SETTINGS_ENV"]

#: role -> its Chinese name.
ROLES: dict[str, str] = {"admin": "区级管理员", "town": "镇街用户", "viewer": "只读"}

#: Settings -> (environment variable, default): read by :meth:`Settings.from_env`.
SETTINGS_ENV: dict[str, tuple[str, float]] = {
    "lockout_attempts": ("LIANXIN_LOCKOUT_ATTEMPTS", 5),
    "lockout_minutes": ("LIANXIN_LOCKOUT_MINUTES", 15.0),
    "session_minutes": ("LIANXIN_SESSION_MINUTES", 30.0),
}


class AuthError(LianxinError):
    """A login refused or an action the user may not do (the Chinese message says which and why)."""


@dataclass(frozen=True)
class User:
    """A logged-in account.

    Attributes
    ----------
    name
        The account name.
    role
        ``admin`` (区级管理员), ``town`` (镇街用户) or ``viewer`` (只读).
    towns
        The 9-digit jurisdiction codes the user works on (``()`` for an admin: every town).
    must_change_password
        True until the one-time password has been changed.
    """

    name: str
    role: str
    towns: tuple[str, ...]
    must_change_password: bool = False

    @property
    def is_admin(self) -> bool:
        """True for a 区级管理员."""
        return self.role == "admin"

    @property
    def can_edit(self) -> bool:
        """True when the user may change measures (admins and town users; viewers read only)."""
        return self.role in ("admin", "town")

    @property
    def role_name(self) -> str:
        """The role in Chinese."""
        return ROLES.get(self.role, self.role)

    def sees(self, code: str | None) -> bool:
        """True when the user may see a record of jurisdiction ``code`` (an admin sees every record)."""
        if self.is_admin:
            return True
        return code is not None and str(code) in self.towns


@dataclass(frozen=True)
class Settings:
    """The account settings, from the environment (see :data:`SETTINGS_ENV`).

    Attributes
    ----------
    lockout_attempts
        Failed logins in a row that lock an account (``LIANXIN_LOCKOUT_ATTEMPTS``, default 5).
    lockout_minutes
        How long the lock lasts (``LIANXIN_LOCKOUT_MINUTES``, default 15).
    session_minutes
        Idle minutes after which the app logs a user out (``LIANXIN_SESSION_MINUTES``, default 30).
    """

    lockout_attempts: int = 5
    lockout_minutes: float = 15.0
    session_minutes: float = 30.0

    @classmethod
    def from_env(cls) -> "Settings":
        """The settings from the environment variables (the defaults when unset).

        Raises
        ------
        AuthError
            A variable is not a positive number.
        """
        vals: dict[str, Any] = {}
        for key, (env, default) in SETTINGS_ENV.items():
            text = os.environ.get(env, "").strip()
            if not text:
                vals[key] = default
                continue
            try:
                v = float(text)
            except ValueError:
                raise AuthError(f"环境变量 {env}={text!r} 不是数字：请写正数，如 {default}") from None
            if not v > 0:
                raise AuthError(f"环境变量 {env}={text!r} 必须大于 0（缺省 {default}）")
            vals[key] = v
        vals["lockout_attempts"] = max(1, int(vals["lockout_attempts"]))
        return cls(**vals)


#: The defaults (no environment variables).
DEFAULT_SETTINGS = Settings()


def scope_workspace(ws: Workspace, user: User | None) -> Workspace:
    """The part of ``ws`` that ``user`` may see: THE one function that applies a user's towns to data.

    Parameters
    ----------
    ws
        A whole district's workspace.
    user
        ``None`` (no accounts: single-user mode) or an admin: ``ws`` unchanged. A town user or a viewer:
        orgs, buildings, parks and centers restricted to rows of ``user.towns``, the district to those
        towns, and a note naming them (:meth:`~lianxin_geo.workspace.Workspace.restricted`).
    """
    if user is None or user.is_admin:
        return ws
    return ws.restricted(user.towns)

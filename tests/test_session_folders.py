"""Upload folders by session (:class:`lianxin_geo.ui.serving.SessionFolders`), pure: a folder outlives a dropped
connection that comes back, and goes once its session has been away longer than the grace.

The browser side (a real dropped connection through a relay, the browser reconnecting) is in
``tests/test_serve_hosts.py``.
"""

from __future__ import annotations

import os
import stat

import pytest

from lianxin_geo.core.errors import LianxinError
from lianxin_geo.ui.serving import UPLOAD_GRACE_ENV, UPLOAD_GRACE_S, SessionFolders, upload_grace_s


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def world(tmp_path):
    clock = Clock()
    active: set[str] = set()
    folders = SessionFolders(lambda sid: sid in active, grace_s=180, base=tmp_path, clock=clock)
    return folders, active, clock


def test_one_private_folder_per_session(world, tmp_path):
    folders, active, _ = world
    a, b = folders.folder("A"), folders.folder("B")
    assert a is folders.folder("A") and a.path != b.path and len(folders) == 2
    assert a.path.parent == tmp_path and stat.S_IMODE(os.lstat(a.path).st_mode) == 0o700


def test_a_connected_session_keeps_its_folder_however_long(world):
    folders, active, clock = world
    f = folders.folder("A")
    active.add("A")
    for _ in range(10):
        clock.now += 600
        assert folders.reap() == []
    assert f.path.is_dir()


def test_a_dropped_connection_that_comes_back_keeps_the_files(world):
    folders, active, clock = world
    active.add("A")
    f = folders.folder("A")
    (f.path / "台账.csv").write_text("x")
    folders.reap()
    active.discard("A")  # the network drops
    clock.now += 170
    assert folders.reap() == []  # within the grace
    active.add("A")  # the browser is back
    folders.reap()
    active.discard("A")  # and drops again later: the grace counts from the last time it was seen
    clock.now += 170
    assert folders.reap() == [] and (f.path / "台账.csv").exists()


def test_a_session_away_longer_than_the_grace_loses_its_folder(world):
    folders, active, clock = world
    f = folders.folder("A")
    g = folders.folder("B")
    active.add("B")
    clock.now += 179.9
    assert folders.reap() == []
    clock.now += 0.2
    assert folders.reap() == [f.path]
    assert not f.path.exists() and f.removed and g.path.is_dir() and len(folders) == 1
    h = folders.folder("A")  # a later upload of that session id gets a new folder
    assert h.path.is_dir() and h.path != f.path


def test_a_failing_check_counts_as_away_and_remove_all(tmp_path):
    clock = Clock()

    def boom(_sid: str) -> bool:
        raise RuntimeError("runtime stopped")

    folders = SessionFolders(boom, grace_s=0, base=tmp_path, clock=clock)
    f = folders.folder("A")
    assert folders.reap() == [f.path]
    g = folders.folder("B")
    folders.remove_all()
    assert not g.path.exists() and len(folders) == 0


def test_the_poll_interval_follows_the_grace():
    assert SessionFolders(lambda _s: True, grace_s=180).poll_s == 30
    assert SessionFolders(lambda _s: True, grace_s=6).poll_s == 2
    assert SessionFolders(lambda _s: True, grace_s=0).poll_s == 0.5


def test_the_grace_from_the_environment():
    assert upload_grace_s({}) == UPLOAD_GRACE_S
    assert upload_grace_s({UPLOAD_GRACE_ENV: " 30 "}) == 30
    assert upload_grace_s({UPLOAD_GRACE_ENV: "0"}) == 0
    for bad in ("-1", "abc", "nan", "inf"):
        with pytest.raises(LianxinError, match=UPLOAD_GRACE_ENV):
            upload_grace_s({UPLOAD_GRACE_ENV: bad})

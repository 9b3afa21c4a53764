"""The 数据 page with ``AppTest``: the server-folder box is off unless configured and stays inside its folder;
uploads land in a private per-session folder."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from lianxin_geo.ui.serving import UPLOAD_PREFIX  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
LEDGER = ROOT / "tests" / "data" / "orgs_problems.csv"
TIMEOUT = 240


@pytest.fixture(autouse=True)
def small_demo(monkeypatch):
    monkeypatch.setenv("LIANXIN_GEO_DEMO_ORGS", "600")
    for var in ("LIANXIN_GEO_ORGS", "LIANXIN_GEO_BUILDINGS", "LIANXIN_GEO_PARKS", "LIANXIN_GEO_CENTERS",
                "LIANXIN_GEO_BOUNDARIES", "LIANXIN_DATA_DIR"):
        monkeypatch.delenv(var, raising=False)


def _data_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("lianxin_geo/ui/data.py")
    at.run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    return at


def _load(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "载入").click().run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    return at


def _folder_box(at: AppTest):
    return [t for t in at.text_input if t.key == "up_folder"]


def test_folder_box_is_off_without_a_data_folder():
    at = _data_page()
    assert _folder_box(at) == []


def test_folder_box_reads_only_inside_the_data_folder(tmp_path, monkeypatch):
    root = tmp_path / "data"
    (root / "district").mkdir(parents=True)
    shutil.copy(LEDGER, root / "district" / "orgs.csv")
    outside = tmp_path / "private"
    outside.mkdir()
    shutil.copy(LEDGER, outside / "orgs.csv")
    (root / "link").symlink_to(outside, target_is_directory=True)
    monkeypatch.setenv("LIANXIN_DATA_DIR", str(root))
    at = _data_page()
    for bad in ("..", str(outside), "link", "/etc"):
        _folder_box(at)[0].input(bad)
        _load(at)
        assert any("不在允许读取的数据文件夹" in e.value for e in at.error), bad
        assert at.session_state["sources"]["orgs"] is None, bad
    _folder_box(at)[0].input("district")
    _load(at)
    src = at.session_state["sources"]["orgs"]
    assert src is not None and src.kind == "orgs" and Path(src.path) == (root / "district" / "orgs.csv").resolve()
    assert not at.error


def test_uploads_go_to_a_private_session_folder():
    at = _data_page()
    data = LEDGER.read_bytes()
    at.file_uploader(key="up_orgs").upload("我的台账.csv", data, "text/csv")
    _load(at)
    src = at.session_state["sources"]["orgs"]
    assert src is not None and src.name == "我的台账.csv" and src.kind == "orgs"
    folder = Path(src.path).parent
    st = os.lstat(folder)
    assert folder.name.startswith(UPLOAD_PREFIX) and stat.S_ISDIR(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == os.geteuid()
    assert stat.S_IMODE(os.lstat(src.path).st_mode) == 0o600
    assert Path(src.path).read_bytes() == data
    assert any("我的台账.csv" in str(v) for df in at.dataframe for v in df.value.to_numpy().ravel())
    # the cache key is the content hash, not an object id
    import hashlib

    assert src.sha256 == hashlib.sha256(data).hexdigest()


def test_a_wrong_file_is_named_by_its_own_name_not_its_stored_hash():
    at = _data_page()
    data = b"PK\x03\x04 this is not really a workbook"
    at.file_uploader(key="up_orgs").upload("错放的文件.xlsx", data, "application/vnd.ms-excel")
    _load(at)
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    shown = " ".join(e.value for e in at.error) + " ".join(str(e.value) for e in at.exception)
    assert "错放的文件.xlsx" in shown, shown
    assert sha not in shown and sha[:16] not in shown

"""Safe serving rules of the app, one by one (no server): Host header, data folder, private upload folders."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from lianxin_geo.core.errors import LianxinError
from lianxin_geo.ui.serving import (
    UPLOAD_PREFIX,
    PrivateFolder,
    allowed_hosts,
    check_private,
    data_dir,
    host_allowed,
    resolve_inside,
    scan_folder,
    sweep_stale_folders,
)

LOCAL = allowed_hosts(address="localhost", server_address="localhost", configured=["localhost", "127.0.0.1", "::1"])


@pytest.mark.parametrize("host", ["localhost", "localhost:8501", "127.0.0.1:65000", "[::1]:8501", "LOCALHOST.",
                                  "127.0.0.1"])
def test_this_machine_is_allowed(host):
    assert host_allowed(host, LOCAL)


@pytest.mark.parametrize("host", [None, "", "evil.example", "evil.example:8501", "localhost.evil.example",
                                  "127.0.0.1.nip.io", "user@localhost", "localhost/x", "localhost:99999",
                                  "192.168.1.20:8501"])
def test_other_hosts_are_refused(host):
    assert not host_allowed(host, LOCAL)


def test_configured_names_patterns_and_star():
    allowed = allowed_hosts(address="0.0.0.0", server_address="planner.example.gov.cn",
                            configured=["192.168.1.20", "*.intranet.example"])
    assert "0.0.0.0" not in allowed  # "every interface" is not a host name
    assert host_allowed("planner.example.gov.cn:8501", allowed)
    assert host_allowed("192.168.1.20", allowed)
    assert host_allowed("a.intranet.example", allowed)
    assert not host_allowed("intranet.example.evil", allowed)
    assert host_allowed("anything.example", allowed_hosts(address=None, server_address=None, configured=["*"]))


# ---------------------------------------------------------------- data folder
def test_no_data_folder_unless_configured(tmp_path):
    assert data_dir({}) is None
    assert data_dir({"LIANXIN_DATA_DIR": "  "}) is None
    assert data_dir({"LIANXIN_DATA_DIR": str(tmp_path)}) == tmp_path.resolve()
    with pytest.raises(LianxinError, match="LIANXIN_DATA_DIR"):
        data_dir({"LIANXIN_DATA_DIR": str(tmp_path / "missing")})


@pytest.fixture()
def data_tree(tmp_path):
    root = tmp_path / "data"
    (root / "district").mkdir(parents=True)
    (root / "district" / "orgs.csv").write_text("单位名称\n甲\n", encoding="utf-8")
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "orgs_secret.csv").write_text("单位名称\n乙\n", encoding="utf-8")
    (root / "escape").symlink_to(outside, target_is_directory=True)
    (root / "district" / "centers_link.csv").symlink_to(outside / "orgs_secret.csv")
    return root, outside


def test_paths_inside_the_data_folder_only(data_tree):
    root, outside = data_tree
    assert resolve_inside(root, "district") == (root / "district").resolve()
    assert resolve_inside(root, str(root / "district")) == (root / "district").resolve()
    assert resolve_inside(root, "") == root.resolve()
    for bad in ("..", "../secret", str(outside), "/etc", "escape", "district/../../secret"):
        with pytest.raises(LianxinError, match="不在允许读取的数据文件夹"):
            resolve_inside(root, bad)
    with pytest.raises(LianxinError, match="没有子文件夹"):
        resolve_inside(root, "nope")


def test_scan_never_follows_a_link_out_of_the_data_folder(data_tree):
    root, _ = data_tree
    found = scan_folder(resolve_inside(root, "district"), root)
    assert set(found) == {"orgs"}  # centers_link.csv points outside: ignored
    assert found["orgs"] == (root / "district" / "orgs.csv").resolve()


# ---------------------------------------------------------------- private upload folders
def test_private_folder_is_0700_owned_and_removed(tmp_path):
    f = PrivateFolder(tmp_path)
    st = os.lstat(f.path)
    assert f.path.parent == tmp_path and f.path.name.startswith(UPLOAD_PREFIX)
    assert stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == os.geteuid()
    (f.path / "a.csv").write_bytes(b"x")
    f.remove()
    assert f.removed and not f.path.exists()
    f.remove()  # again: nothing happens


def test_private_folder_goes_with_its_owner(tmp_path):
    path = PrivateFolder(tmp_path).path  # the object is dropped at once
    assert not path.exists()


def test_check_private_refuses_shared_or_linked_folders(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    with pytest.raises(LianxinError, match="其他用户"):
        check_private(shared)
    link = tmp_path / "link"
    link.symlink_to(shared, target_is_directory=True)
    with pytest.raises(LianxinError, match="符号链接"):
        check_private(link)
    os.chmod(shared, 0o700)
    assert check_private(shared) == shared


def test_sweep_removes_only_old_session_folders_of_this_user(tmp_path):
    old = PrivateFolder(tmp_path)
    new = PrivateFolder(tmp_path)
    other = tmp_path / "somebody-else"
    other.mkdir()
    day_ago = time.time() - 25 * 3600
    for p in (old.path, other):
        os.utime(p, (day_ago, day_ago))
    gone = sweep_stale_folders(tmp_path)
    assert gone == [old.path] and not old.path.exists()
    assert new.path.exists() and other.exists()
    assert sweep_stale_folders(tmp_path, now=time.time() + 25 * 3600) == [new.path]


def test_app_config_protects_against_dns_rebinding():
    import tomllib

    cfg = tomllib.loads((Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml").read_text("utf-8"))
    assert set(cfg["server"]["allowedHosts"]) == {"localhost", "127.0.0.1", "::1"}
    assert cfg["server"]["address"] == "localhost" and cfg["server"]["enableXsrfProtection"] is True

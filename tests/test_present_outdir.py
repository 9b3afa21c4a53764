"""Run folders: written beside, swapped in whole, with a manifest; never a half-written file under a final name."""

from __future__ import annotations

import json
import tempfile

import pytest

from lianxin_geo.core.errors import LianxinError
from lianxin_geo.present import export
from lianxin_geo.present.outdir import MANIFEST_NAME, remove_stale_stages, staged_folder, verify_manifest
from lianxin_geo.present.xlsx import Sheet, write_workbook


def _run(folder, files: dict[str, bytes]) -> None:
    with staged_folder(folder, known=files) as d:
        for name, data in files.items():
            (d / name).parent.mkdir(parents=True, exist_ok=True)
            (d / name).write_bytes(data)


def test_new_run_replaces_the_previous_one(tmp_path):
    out = tmp_path / "out"
    _run(out, {"a.txt": b"1", "sub/b.txt": b"2"})
    assert verify_manifest(out) == []
    _run(out, {"c.txt": b"3"})
    assert sorted(p.name for p in out.iterdir()) == ["c.txt", MANIFEST_NAME]
    assert verify_manifest(out) == []
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # nothing beside it


def test_failed_run_keeps_the_previous_one(tmp_path):
    out = tmp_path / "out"
    _run(out, {"a.txt": b"1"})
    with pytest.raises(RuntimeError):
        with staged_folder(out, known=["a.txt"]) as d:
            (d / "a.txt").write_bytes(b"half")
            raise RuntimeError("boom")
    assert (out / "a.txt").read_bytes() == b"1" and verify_manifest(out) == []
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_stale_stages_are_removed_by_the_next_run(tmp_path):
    out = tmp_path / "out"
    (tmp_path / "out.lianxin-tmp-dead").mkdir()
    (tmp_path / "out.lianxin-tmp-dead" / "map.html").write_text("half")
    (tmp_path / "other.lianxin-tmp-keep").mkdir()  # another folder's stage is not ours
    _run(out, {"a.txt": b"1"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.lianxin-tmp-keep", "out"]
    assert remove_stale_stages(out) == 0


def test_folder_with_foreign_files_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "我的笔记.docx").write_bytes(b"x")
    with pytest.raises(LianxinError, match="我的笔记.docx"):
        _run(out, {"a.txt": b"1"})
    assert (out / "我的笔记.docx").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(LianxinError, match="不是文件夹"):
        _run(tmp_path / "file", {"a.txt": b"1"})


def test_empty_or_previous_version_folders_are_replaced(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    _run(empty, {"a.txt": b"1"})
    assert verify_manifest(empty) == []
    old = tmp_path / "old"  # written by a version without manifest: only known names
    old.mkdir()
    (old / "map.html").write_text("old")
    with staged_folder(old, known=export.FILE_NAMES.values()) as d:
        (d / "map.html").write_text("new")
    assert (old / "map.html").read_text() == "new"


def test_verify_manifest_names_every_problem(tmp_path):
    out = tmp_path / "out"
    assert "manifest.json" in verify_manifest(out)[0]
    _run(out, {"a.txt": b"1", "b.txt": b"22"})
    (out / "a.txt").write_bytes(b"9")
    (out / "b.txt").unlink()
    (out / "c.txt").write_bytes(b"3")
    problems = " ".join(verify_manifest(out))
    assert "a.txt" in problems and "b.txt" in problems and "c.txt" in problems
    doc = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert {e["name"] for e in doc["files"]} == {"a.txt", "b.txt"}


def test_workbook_writer_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "t.xlsx"
    write_workbook(target, [Sheet(name="a", headers=["x"], rows=[[1]])])
    before = target.read_bytes()

    import xlsxwriter

    def broken(self):  # the zip is half written when the disk fills
        self.filename.write(b"PK\x03\x04 half")
        raise OSError("disk full")

    monkeypatch.setattr(xlsxwriter.Workbook, "close", broken)
    with pytest.raises(OSError):
        write_workbook(target, [Sheet(name="b", headers=["y"], rows=[[2]])])
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["t.xlsx"]


def test_workbook_writer_uses_no_temporary_file(tmp_path, monkeypatch):
    import openpyxl

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    rows = [[i, f"单位{i}", "=1+1" if i == 3 else i * 0.5] for i in range(200)]
    path = write_workbook(tmp_path / "w.xlsx", [Sheet(name="甲", headers=["序号", "名称", "值"], rows=rows, title="表",
                                                      notes=["演示数据"]), Sheet(name="乙", headers=["x"], rows=[[1]])])
    assert list(scratch.iterdir()) == []
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["甲", "乙"]
    assert wb["甲"]["B7"].value == "单位3" and wb["甲"]["C7"].data_type == "s"
    assert wb["甲"].freeze_panes == "A4"


def test_pptx_export_uses_no_temporary_folder(demo_ws, tmp_path, monkeypatch):
    from lianxin_geo.pipeline import run_assessment

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    a = run_assessment(demo_ws)
    out = export.export_pptx(demo_ws, tmp_path / "deck.pptx", assessment=a, max_town_slides=1, dpi=30)
    assert out.stat().st_size > 10_000
    assert list(scratch.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deck.pptx", "tmp"]


def test_exports_that_need_an_assessment_say_so(demo_ws, tmp_path):
    for fn in (export.export_xlsx, export.export_pptx):
        with pytest.raises(ValueError, match="run_assessment"):
            fn(demo_ws, tmp_path / "x", assessment=None)
    with pytest.raises(ValueError, match="run_assessment"):
        export.write_all(demo_ws, tmp_path / "out", assessment=None)
    assert list(tmp_path.iterdir()) == []

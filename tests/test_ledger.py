"""Ledger import: real-shaped files, exact issues, typed values, ids and the accounting invariant."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lianxin_geo.core.crs import wgs84_to_gcj02
from lianxin_geo.core.errors import LedgerError
from lianxin_geo.core.model import DEMO_FLAG, ORG_SCHEMA, VALUE_LIMITS
from lianxin_geo.ingest._xlsx import scan_sheet
from lianxin_geo.ingest.boundaries import demo_district
from lianxin_geo.ingest.ledger import derive_id, detect_kind, read_frame, read_ledger
from lianxin_geo.ingest.limits import ReadLimits

DATA = Path(__file__).resolve().parent / "data"
PROBLEMS = DATA / "orgs_problems.csv"
GBK = DATA / "orgs_gbk_excel.csv"
XLSX = DATA / "orgs_title_notes.xlsx"
BOM = DATA / "buildings_utf8bom.csv"

SHENGLI = (116.64469, 40.11918)  # 胜利街道 office, WGS-84


# ---------------------------------------------------------------- district
#: Shunyi from the real files (25 towns, the shipped boundaries), built once.
shunyi = cache(demo_district)


@pytest.fixture(scope="module")
def problems():
    return read_ledger(PROBLEMS, "orgs", district=shunyi())


def _sha_id(prefix: str, *parts: str) -> str:
    return prefix + hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:11].upper()


# ---------------------------------------------------------------- the problems file
EMPTY_CODE_ROWS = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]
#: (row, column, severity, value, fragment of the reason) per issue; the empty-code warnings are listed apart.
EXPECTED = [(int(r["row"]), r["column"], r["severity"], r["value"], r["reason_contains"])
            for r in csv.DictReader(io.StringIO((DATA / "orgs_problems_expected.csv").read_text(encoding="utf-8")))]


def test_problem_rows_are_reported_exactly(problems):
    other = [i for i in problems.issues if "信用代码”为空" not in i.reason]
    got = [(i.row, i.column, i.severity, i.value) for i in other]
    assert got == [(r, c, s, v) for r, c, s, v, _ in EXPECTED]
    for issue, (*_, fragment) in zip(other, EXPECTED):
        assert fragment in issue.reason, issue.reason
    empty = [i for i in problems.issues if "信用代码”为空" in i.reason]
    assert [i.row for i in empty] == EMPTY_CODE_ROWS
    assert {(i.severity, i.column, i.key) for i in empty} == {("warning", "统一社会信用代码", "credit_code")}


def test_problem_rows_split_and_invariant(problems):
    assert problems.header_row == 1
    assert problems.rows_in == 17  # line 18 is blank: skipped and not counted
    assert problems.rows_in == problems.n_accepted + problems.n_rejected
    assert problems.accepted["row"].tolist() == [2, 3, 4, 6, 7, 11, 15, 16, 19]
    assert problems.rejected["row"].tolist() == [5, 8, 9, 10, 12, 13, 14, 17]
    error_rows = sorted({i.row for i in problems.issues if i.severity == "error"})
    assert error_rows == problems.rejected["row"].tolist()


def test_problem_values_and_ids(problems):
    acc = problems.accepted.set_index("row")
    # data that looks like markup or a formula stays verbatim
    assert acc.loc[6, "name"] == "<script>alert(1)</script>"
    assert acc.loc[7, "name"] == "=1+1"
    # ids: valid code, else sha1(name|address|town code)
    assert acc.loc[2, "id"] == "91110113MA01A2B3CN"
    assert acc.loc[6, "id"] == "52110113MA0K12345E"
    assert acc.loc[3, "id"] == _sha_id("X", "顺义示例物流有限公司", "", "110113003")
    assert acc.loc[7, "id"] == _sha_id("X", "=1+1", "", "110113002")
    assert acc.loc[3, "credit_code"] == "91110113MA01D4E5F0"  # invalid code kept as written
    # GCJ-02 point converted back to the WGS-84 office point (< 0.5 m)
    assert acc.loc[11, "crs"] == "GCJ02"
    assert acc.loc[11, "lon_raw"] == 116.65057 and acc.loc[11, "lat_raw"] == 40.120273
    assert abs(acc.loc[11, "lon"] - SHENGLI[0]) < 5e-6 and abs(acc.loc[11, "lat"] - SHENGLI[1]) < 5e-6
    assert (acc.loc[2, "lon"], acc.loc[2, "lat"]) == SHENGLI
    assert np.isnan(acc.loc[3, "lon"]) and acc.loc[3, "crs"] == "WGS84"
    # synonyms and towns
    assert acc.loc[19, "kind"] == "非公企业" and acc.loc[19, "party_status"] == "联合建立"
    assert acc.loc[19, "joint_org_id"] == "LH-001"
    assert acc.loc[19, "town"] == "李桥" and acc.loc[19, "town_code"] == "110113104"
    assert acc.loc[2, "town_code"] == "110113001"
    # counts are nullable integers, employees missing stays NA
    assert str(acc["employees"].dtype) == "Int64"
    assert acc.loc[15, "members"] == 4 and acc.loc[15, "employees"] == 3
    assert pd.isna(acc.loc[16, "employees"])
    assert set(acc["source"]) == {DEMO_FLAG}


def test_rejected_frame_keeps_raw_values(problems):
    rej = problems.rejected.set_index("row")
    assert rej.loc[9, "employees"] == "-5"
    assert rej.loc[10, "lon"] == "40.11918" and rej.loc[10, "lat"] == "116.64469"
    assert rej.loc[12, "town"] == "朝阳门街道"
    assert "不是顺义区的镇街" in rej.loc[12, "reasons"] and "[所属镇街]" in rej.loc[12, "reasons"]
    assert "信用代码”为空" not in rej.loc[12, "reasons"]  # warnings are not reasons for rejection
    assert list(problems.rejected.columns) == ["row", *ORG_SCHEMA.keys, "reasons"]


def test_to_json(problems):
    doc = problems.to_json()
    json.dumps(doc, ensure_ascii=False)
    assert {k: doc[k] for k in ("kind", "source", "rows_in", "accepted", "rejected", "header_row")} == {
        "kind": "orgs", "source": "orgs_problems.csv", "rows_in": 17, "accepted": 9, "rejected": 8,
        "header_row": 1}
    assert len(doc["errors"]) == len(problems.issues)
    assert doc["warnings"] == sum(1 for i in problems.issues if i.severity == "warning") == 16
    assert set(doc["errors"][0]) == {"row", "column", "value", "reason", "severity"}


def test_ids_are_stable_and_collisions_get_the_row(problems):
    again = read_ledger(PROBLEMS.read_bytes(), "orgs", district=shunyi(), filename="x.csv")
    assert again.accepted["id"].tolist() == problems.accepted["id"].tolist()
    df = pd.DataFrame({"单位名称": ["甲公司", "甲公司", "乙公司"], "组织类别": ["非公企业"] * 3,
                       "所属镇街": ["胜利街道", "胜利", "胜利街道"], "从业人员数": [10, 11, 5]})
    res = read_ledger(df, "orgs", district=shunyi())
    base = _sha_id("X", "甲公司", "", "110113001")
    assert res.accepted["id"].tolist() == [base, f"{base}-3", _sha_id("X", "乙公司", "", "110113001")]
    assert derive_id("buildings", {"name": " 示例大厦 ", "town": "胜利街道"}) == _sha_id("B", "示例大厦", "胜利")
    assert derive_id("parks", {"name": "ＡＢＣ园"}, town_code="110113011") == _sha_id("P", "abc园", "110113011")


# ---------------------------------------------------------------- real shapes of files
def test_gbk_csv_from_chinese_excel():
    res = read_ledger(GBK, "orgs", district=shunyi())
    assert res.encoding == "gbk" and res.header_row == 1
    assert (res.rows_in, res.n_accepted, res.n_rejected) == (4, 4, 0)
    acc = res.accepted.set_index("row")
    assert acc.index.tolist() == [2, 3, 4, 6]  # line 5 is blank
    assert acc.loc[2, "name"] == "北京顺鑫示例食品有限公司"
    assert acc["employees"].tolist() == [12, 1234, 12, 45]
    assert acc["members"].tolist() == [3, 12, 0, 0]  # empty -> default 0
    assert acc["probationary"].tolist() == [0, 1, 0, 0]
    assert acc["kind"].tolist() == ["非公企业", "社会组织", "社会组织", "非公企业"]
    assert acc["party_status"].tolist() == ["未建立", "单独建立", "联合建立", "未建立"]
    assert acc["town_code"].tolist() == ["110113003", "110113001", "110113003", "110113008"]
    assert acc["extra:序号"].tolist() == ["1", "2", "3", "4"]
    assert acc.loc[3, "extra:备注"] == "年检合格" and acc.loc[2, "extra:备注"] is None
    assert res.column_map["employees"] == "职工人数"
    assert [(i.row, i.column, i.severity) for i in res.issues] == [
        (0, "备注", "warning"), (0, "统一社会信用代码", "warning"), (4, "联合党组织编号", "warning")]


def test_xlsx_with_title_notes_and_merged_cells():
    res = read_ledger(XLSX, "orgs", district=shunyi())
    assert res.header_row == 4 and res.sheet == "Sheet1"
    assert res.rows_in == 6  # row 6 blank, row 12 only a 序号: not counted
    acc = res.accepted.set_index("row")
    assert acc.index.tolist() == [5, 7, 8, 9, 10, 11]
    assert acc.loc[5, "id"] == "91110113MA01D4E5FQ"
    assert acc.loc[7, "id"] == acc.loc[7, "credit_code"] == "911101133000002048"  # float cell recovered
    assert acc.loc[8, "name"] == "顺义示例超市"  # full-width spaces stripped
    assert acc.loc[9, "name"] == "=1+1"
    assert acc["employees"].tolist()[:4] == [250, 12, 15, 5]
    assert acc.loc[5, "members"] == 8
    assert acc.loc[10, "town"] == acc.loc[11, "town"] == "张镇"  # vertical merge filled down
    assert acc.loc[5, "lon"] == 116.55011
    assert [(i.row, i.column, i.severity) for i in res.issues if "信用代码”为空" not in i.reason] == [
        (0, "备注", "warning"), (10, "从业人员数（人）", "warning"), (11, "从业人员数（人）", "warning")]
    assert res.column_map == {"name": "*单位名称", "kind": "组织类别（必填）", "credit_code": "统一社会信用代码",
                              "town": "所属镇街", "employees": "从业人员数（人）", "members": "正式党员数",
                              "lon": "经度", "lat": "纬度"}


def test_utf8_bom_buildings():
    res = read_ledger(BOM, "buildings", district=shunyi())
    assert res.encoding == "utf-8"
    acc = res.accepted.set_index("row")
    assert acc.index.tolist() == [2, 3, 4]
    assert acc["floor_area"].tolist() == [1200.0, 1200.0, 1500.0]
    assert acc["workstation"].tolist() == [True, False, True]
    assert acc["workstation"].dtype == bool
    assert acc.loc[2, "crs"] == "GCJ02"
    assert abs(acc.loc[2, "lon"] - SHENGLI[0]) < 5e-6
    assert acc.loc[2, "id"] == _sha_id("B", "示例国际大厦", "110113001")
    assert [(i.row, i.column, i.severity, i.value) for i in res.issues] == [
        (5, "建筑面积", "error", "约一千"), (6, "楼宇工作站", "error", "待定")]
    rej = res.rejected.set_index("row")
    assert rej.loc[5, "crs"] == "GCJ-02" and rej.loc[5, "town"] == "空港"


# ---------------------------------------------------------------- encodings and formats
HEAD = "单位名称,组织类别,从业人员数\n"


def test_encodings_are_tried_in_order_and_never_guessed():
    utf8 = (HEAD + "顺义示例公司,非公企业,5\n").encode("utf-8")
    assert read_ledger(utf8, filename="a.csv").encoding == "utf-8"
    gbk = (HEAD + "顺义示例公司,非公企业,5\n").encode("gbk")
    res = read_ledger(gbk, filename="a.csv")
    assert res.encoding == "gbk" and res.accepted["name"].tolist() == ["顺义示例公司"]
    gb18030 = (HEAD + "𠮷祥示例公司,非公企业,5\n").encode("gb18030")  # not in GBK
    res = read_ledger(gb18030, filename="a.csv")
    assert res.encoding == "gb18030" and res.accepted["name"].tolist() == ["𠮷祥示例公司"]
    utf16 = (HEAD + "顺义示例公司,非公企业,5\n").encode("utf-16")
    assert read_ledger(utf16, filename="a.csv").accepted["name"].tolist() == ["顺义示例公司"]
    with pytest.raises(LedgerError, match="GB18030"):
        read_ledger(HEAD.encode("gbk") + b"\x81\x20\xff\xfe\x00", filename="bad.csv")


def test_xls_and_broken_files_get_chinese_errors(tmp_path):
    with pytest.raises(LedgerError, match=r"另存为.*\.xlsx"):
        read_ledger(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, filename="old.xls")
    p = tmp_path / "old.xls"
    p.write_bytes(b"whatever")
    with pytest.raises(LedgerError, match=r"\.xls"):
        read_ledger(p)
    with pytest.raises(LedgerError, match="无法打开"):
        read_ledger(b"PK\x03\x04garbage", filename="x.xlsx")
    with pytest.raises(LedgerError, match="找不到台账文件"):
        read_ledger(tmp_path / "none.csv")


def test_missing_required_column_and_missing_header():
    with pytest.raises(LedgerError) as exc:
        read_ledger(pd.DataFrame({"名称": ["示例中心"], "所属镇街": ["胜利"]}), "centers")
    assert "层级" in str(exc.value) and "名称、所属镇街" in str(exc.value)
    with pytest.raises(LedgerError, match="找不到两新组织台账的表头行"):
        read_ledger(("标题\n" * 25 + HEAD).encode(), filename="deep.csv")
    res = read_ledger(("标题\n" * 10 + HEAD + "甲,企业,3\n").encode(), filename="ok.csv")
    assert (res.header_row, res.accepted["row"].tolist()) == (11, [12])
    with pytest.raises(LedgerError, match="商务楼宇台账"):
        read_ledger(BOM, "orgs")  # wrong kind: the message names the kind it looks like


def test_duplicate_and_unknown_columns_are_kept():
    df = pd.DataFrame([["甲公司", "企业", "10", "20", "x"]],
                      columns=["单位名称", "组织类别", "从业人员数", "职工人数", "自定义"])
    res = read_ledger(df)
    assert res.accepted["employees"].tolist() == [10]
    assert res.accepted["extra:职工人数"].tolist() == ["20"]
    assert res.accepted["extra:自定义"].tolist() == ["x"]
    assert [(i.row, i.column, i.severity) for i in res.issues[:2]] == [(0, "职工人数", "warning"),
                                                                       (0, "自定义", "warning")]
    assert "以左边的“从业人员数”为准" in res.issues[0].reason


def test_header_normalisation():
    df = pd.DataFrame([["甲", "企业", "116.6", "40.1", "百度"]],
                      columns=["＊单 位 名 称", "组织类别(必填)", "LNG", "Lat", "坐标系（选填）"])
    res = read_ledger(df)
    assert res.column_map == {"name": "＊单 位 名 称", "kind": "组织类别(必填)", "lon": "LNG", "lat": "Lat",
                              "crs": "坐标系（选填）"}
    assert res.accepted["crs"].tolist() == ["BD09"]


def test_detect_kind():
    assert detect_kind(PROBLEMS) == "orgs"
    assert detect_kind(GBK) == "orgs"
    assert detect_kind(XLSX) == "orgs"
    assert detect_kind(BOM) == "buildings"
    assert detect_kind(pd.DataFrame(columns=["园区名称", "级别", "所属镇街"])) == "parks"
    assert detect_kind(pd.DataFrame(columns=["名称", "层级", "建筑面积", "有党旗"])) == "centers"
    with pytest.raises(LedgerError, match="同样符合"):
        detect_kind(pd.DataFrame(columns=["楼宇名称", "园区名称"]))
    with pytest.raises(LedgerError, match="无法判断"):
        detect_kind(pd.DataFrame(columns=["甲", "乙"]))


def test_inputs_bytes_fileobj_frame_and_sheet(tmp_path):
    buf = io.BytesIO(XLSX.read_bytes())
    buf.name = "upload.xlsx"
    res = read_ledger(buf)
    assert res.source == "upload.xlsx" and res.header_row == 4
    res = read_ledger(pd.DataFrame({"单位名称": ["甲", None, "乙"], "组织类别": ["企业", None, "社会组织"]}))
    assert res.accepted["row"].tolist() == [2, 4] and res.rows_in == 2 and res.source == "<DataFrame>"
    assert read_ledger(XLSX, sheet=0).n_accepted == 6
    assert read_ledger(XLSX, sheet="Sheet1").n_accepted == 6
    with pytest.raises(LedgerError, match="Sheet1"):
        read_ledger(XLSX, sheet="台账")
    with pytest.raises(LedgerError, match="第3个工作表"):
        read_ledger(XLSX, sheet=2)
    with pytest.raises(LedgerError, match="未知台账类别"):
        read_ledger(XLSX, "people")


def test_read_frame_gives_raw_text():
    frame = read_frame(XLSX)
    assert frame.attrs["header_row"] == 4
    assert frame.index.tolist() == [5, 7, 8, 9, 10, 11]
    assert frame.loc[8, "从业人员数（人）"] == "１５"
    assert frame.loc[7, "统一社会信用代码"] == "911101133000002048"
    assert frame.attrs["columns"]["*单位名称"] == "name" and frame.attrs["columns"]["备注"] is None


@pytest.mark.parametrize(("text", "expected"), [
    ("12", 12), ("１２", 12), ("12人", 12), ("12 名", 12), ("1,234", 1234), ("12.0", 12), ("＋7", 7),
    ("", None)])
def test_count_parsing(text, expected):
    res = read_ledger(pd.DataFrame({"单位名称": ["甲"], "组织类别": ["企业"], "从业人员数": [text]}))
    value = res.accepted["employees"].iloc[0]
    assert (pd.isna(value) if expected is None else value == expected)


@pytest.mark.parametrize("text", ["十二", "12.5", "-1", "12kg"])
def test_bad_counts_are_rejected(text):
    res = read_ledger(pd.DataFrame({"单位名称": ["甲"], "组织类别": ["企业"], "从业人员数": [text]}))
    assert res.n_rejected == 1 and res.issues[-1].column == "从业人员数"


@pytest.mark.parametrize(("text", "expected"), [
    ("是", True), ("否", False), ("有", True), ("无", False), ("Y", True), ("n", False), ("TRUE", True),
    ("false", False), ("1", True), ("0", False), ("√", True), ("", False)])
def test_bool_parsing(text, expected):
    res = read_ledger(pd.DataFrame({"楼宇名称": ["甲"], "楼宇工作站": [text]}), "buildings")
    assert res.accepted["workstation"].tolist() == [expected]


@pytest.mark.parametrize(("text", "expected"), [
    ("1200㎡", 1200.0), ("1,200平方米", 1200.0), ("１２００", 1200.0), ("850.5 平米", 850.5), ("800m²", 800.0)])
def test_area_parsing(text, expected):
    res = read_ledger(pd.DataFrame({"名称": ["甲"], "层级": ["镇"], "建筑面积": [text]}), "centers")
    assert res.accepted["floor_area"].tolist() == [expected] and res.accepted["level"].tolist() == ["镇级"]


@pytest.mark.parametrize(("column", "text", "expected"), [
    ("党组织状态", "已单独建立", "单独建立"), ("党组织状态", "联建", "联合建立"), ("党组织状态", "无", "未建立"),
    ("党组织状态", "未建", "未建立"), ("党组织类型", "支部", "党支部"), ("组织类别", "非公有制经济组织", "非公企业"),
    ("坐标系", "高德", "GCJ02"), ("坐标系", "GCJ-02", "GCJ02"), ("社会组织类型", "民非", "民办非企业单位"),
    ("登记级别", "市级", "市级及以上")])
def test_enum_synonyms(column, text, expected):
    df = pd.DataFrame({"单位名称": ["甲"], "组织类别": ["企业"], "联合党组织编号": ["L1"]})
    df[column] = [text]
    res = read_ledger(df)
    key = {"党组织状态": "party_status", "党组织类型": "party_org_type", "组织类别": "kind", "坐标系": "crs",
           "社会组织类型": "social_type", "登记级别": "registration_level"}[column]
    assert res.accepted[key].tolist() == [expected]


# ---------------------------------------------------------------- invariant
NAMES = ["甲公司", "乙协会", "<script>x</script>", "=SUM(A1)", "", "丙公司"]
KINDS = ["非公企业", "社会组织", "企业", "个体户", ""]
COUNTS = ["", "0", "3", "１２人", "-2", "abc", "1,200", "7.5"]
TOWNS = ["", "胜利街道", "仁和", "110113003", "火星镇"]
LONS = ["", "116.65", "40.1", "abc", "116.3975"]
LATS = ["", "40.12", "116.6", "39.9087"]
CODES = ["", "91110113MA01A2B3CN", "91110113MA01D4E5FQ", "91110113MA01A2B3C0", "123"]
STATUS = ["", "单独建立", "联合建立", "联建", "不知道"]

row_st = st.tuples(*(st.sampled_from(v) for v in (CODES, NAMES, KINDS, COUNTS, COUNTS, TOWNS, LONS, LATS, STATUS)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(row_st, min_size=0, max_size=25))
def test_every_row_is_accepted_or_rejected(rows):
    cols = ["统一社会信用代码", "单位名称", "组织类别", "从业人员数", "正式党员数", "所属镇街", "经度", "纬度", "党组织状态"]
    df = pd.DataFrame(rows, columns=cols, dtype=object)
    res = read_ledger(df, "orgs", district=shunyi())
    nonblank = [i + 2 for i, r in enumerate(rows) if any(r)]
    assert res.rows_in == len(nonblank) == res.n_accepted + res.n_rejected
    assert sorted(res.accepted["row"].tolist() + res.rejected["row"].tolist()) == nonblank
    assert sorted({i.row for i in res.issues if i.severity == "error" and i.row}) == res.rejected["row"].tolist()
    assert res.accepted["id"].is_unique
    assert set(res.accepted["name"]) <= set(NAMES) - {""}
    ok = res.accepted["lon"].notna()
    assert shunyi().contains(res.accepted.loc[ok, "lon"], res.accepted.loc[ok, "lat"]).all()


def test_demo_district_matches_towns():
    d = shunyi()
    assert len(d.jurisdictions) == 25
    assert d.resolve_town("仁和") == "110113003"
    assert d.assign(np.array([SHENGLI[0]]), np.array([SHENGLI[1]]))[0] == "110113001"
    lon, lat = wgs84_to_gcj02(*SHENGLI)
    assert d.contains(np.array([lon]), np.array([lat]))[0]


# ---------------------------------------------------------------- hostile input (issue 17)
def _orgs_csv(rows: list[str]) -> bytes:
    return ("单位名称,组织类别,地址,从业人员数\n" + "".join(r + "\n" for r in rows)).encode("utf-8")


def _plain(n: int) -> list[str]:
    return [f"企业{i},非公企业,顺义区{i}号,{i + 1}" for i in range(n)]


def test_read_limits_default_env_and_argument(monkeypatch):
    assert ReadLimits() == ReadLimits(max_rows=200_000, max_columns=500, max_cells=10_000_000,
                                      max_cell_chars=32_767, max_bytes=200_000_000)
    assert ReadLimits.from_env({"LIANXIN_MAX_ROWS": "500_000", "LIANXIN_MAX_BYTES": ""}).max_rows == 500_000
    with pytest.raises(LedgerError, match="LIANXIN_MAX_COLUMNS"):
        ReadLimits.from_env({"LIANXIN_MAX_COLUMNS": "many"})
    with pytest.raises(LedgerError, match="正整数"):
        ReadLimits(max_rows=0)
    data = _orgs_csv(_plain(5))
    with pytest.raises(LedgerError, match=r"超过 3 行.*LIANXIN_MAX_ROWS"):
        read_ledger(data, filename="big.csv", limits=ReadLimits(max_rows=3))
    monkeypatch.setenv("LIANXIN_MAX_ROWS", "3")
    with pytest.raises(LedgerError, match="LIANXIN_MAX_ROWS"):
        read_ledger(data, filename="big.csv")
    monkeypatch.setenv("LIANXIN_MAX_ROWS", "6")
    assert read_ledger(data, filename="big.csv").rows_in == 5
    with pytest.raises(LedgerError, match=r"有 \d+ MB|超过上限"):
        read_ledger(data, filename="big.csv", limits=ReadLimits(max_bytes=10))


def test_csv_with_too_many_columns_is_refused_with_its_line():
    data = _orgs_csv(["甲,非公企业,地址,1", "乙,非公企业,地址" + "," * 999])
    with pytest.raises(LedgerError, match=r"第3行有 1,002 列，超过上限 500 列.*分隔符"):
        read_ledger(data, filename="wide.csv")


def test_unclosed_quote_is_reported_and_the_swallowed_rows_are_read():
    rows = _plain(10)
    rows[3] = '企业3,非公企业,"顺义区3号,4'  # line 5: the quote never closes
    res = read_ledger(_orgs_csv(rows), filename="q.csv")
    assert res.rows_in == 10 and res.n_accepted == 9 and res.rejected["row"].tolist() == [5]
    first = next(i for i in res.issues if i.row == 5)
    assert first.severity == "error" and "第5行的引号没有闭合，吞掉了后面 6 行（第6–11行）" in first.reason
    assert res.accepted["name"].tolist()[-6:] == [f"企业{i}" for i in range(4, 10)]


def test_a_quote_closed_rows_later_is_reported_too():
    rows = _plain(8)
    rows[1] = '企业1,非公企业,"顺义区1号,2'
    rows[4] = '企业4,非公企业,顺义区4号",5'
    res = read_ledger(_orgs_csv(rows), filename="q.csv")
    assert res.rows_in == 8 and 3 in res.rejected["row"].tolist()
    assert any("第3行的引号没有闭合，吞掉了后面 3 行" in i.reason for i in res.issues)


def test_multiline_cells_stay_one_record():
    rows = _plain(3)
    rows[1] = '企业1,非公企业,"北京市顺义区\n仁和镇示例路1号",2'
    res = read_ledger(_orgs_csv(rows), filename="ml.csv")
    assert res.rows_in == 3 and res.n_rejected == 0
    assert res.accepted["address"].tolist()[1] == "北京市顺义区\n仁和镇示例路1号"
    assert res.accepted["row"].tolist() == [2, 3, 5]


def test_long_cells_are_rejected_rows_not_quote_errors():
    rows = _plain(3)
    rows[0] = f"企业0,非公企业,{'长' * 200_000},1"  # above the csv module's 131,072 field limit
    rows[2] = f"{'名' * 2_001},非公企业,地址,3"
    res = read_ledger(_orgs_csv(rows), filename="long.csv")
    assert res.rows_in == 3 and res.rejected["row"].tolist() == [2, 4]
    reasons = {i.row: i for i in res.issues if i.severity == "error"}
    assert "“地址”有 200,000 个字符，超过上限 2,000" in reasons[2].reason
    assert "“单位名称”有 2,001 个字符" in reasons[4].reason
    assert len(reasons[2].value) < 80 and "共 200,000 个字符" in reasons[2].value
    assert max(len(str(v)) for v in res.rejected["address"]) < 80
    remark = f"单位名称,组织类别,备注\n甲,非公企业,{'备' * 40_000}\n".encode("utf-8")
    extra = read_ledger(remark, filename="extra.csv")
    assert extra.n_rejected == 1 and "超过单元格上限 32,767" in extra.errors[0].reason


def test_nul_bytes_and_mixed_encodings_name_the_line():
    with pytest.raises(LedgerError, match="第3行含有空字符"):
        read_ledger(_orgs_csv(["甲,非公企业,地址,1", "乙\x00,非公企业,地址,2"]), filename="nul.csv")
    mixed = _orgs_csv(["甲公司,非公企业,地址,1"]) + "乙公司,非公企业,顺义区,2\n".encode("gbk")
    with pytest.raises(LedgerError, match=r"混用了两种文字编码：第1、2行是 UTF-8，第3行不是"):
        read_ledger(mixed, filename="mixed.csv")
    with pytest.raises(LedgerError, match=r"第2行起无法解码"):
        read_ledger(HEAD.encode("gbk") + b"\x81\x20\xff\xfe\n", filename="bad.csv")


@pytest.mark.parametrize(("text", "severity"), [
    (str(2 ** 63), "error"), ("1000000000000", "error"), ("10000001", "error"), ("9" * 400, "error"),
    ("2000000", "warning"), ("1000000", None)])
def test_implausible_counts(text, severity):
    res = read_ledger(pd.DataFrame({"单位名称": ["甲"], "组织类别": ["企业"], "从业人员数": [text]}))
    issues = [i for i in res.issues if i.key == "employees"]
    assert [i.severity for i in issues] == ([severity] if severity else [])
    assert res.n_rejected == (severity == "error")
    if severity != "error":
        assert res.accepted["employees"].tolist() == [int(text)]


def test_member_and_area_limits_come_from_the_model_table():
    df = pd.DataFrame({"单位名称": ["甲", "乙"], "组织类别": ["企业", "企业"], "从业人员数": ["2000000", "10"],
                       "正式党员数": [str(int(VALUE_LIMITS["members"].error) + 1), "200000"]})
    res = read_ledger(df)
    assert res.rejected["row"].tolist() == [2]
    assert [(i.row, i.key, i.severity) for i in res.issues if i.key == "members"] == [
        (2, "members", "error"), (3, "members", "warning")]
    big = read_ledger(pd.DataFrame({"名称": ["甲"], "层级": ["镇"], "建筑面积": ["1e9"]}), "centers")
    assert big.n_rejected == 1


def test_points_that_mostly_miss_the_district_are_one_file_problem():
    n = 8
    guangzhou = pd.DataFrame({"单位名称": [f"企业{i}" for i in range(n)], "组织类别": "企业",
                              "经度": [f"{113.2 + i / 100:.4f}" for i in range(n)], "纬度": "23.1"})
    res = read_ledger(guangzhou, district=shunyi())
    top = [i for i in res.issues if i.row == 0 and i.severity == "error"]
    assert len(top) == 1 and "边界与台账不是同一个区" in top[0].reason and "--boundaries" in top[0].reason
    assert res.n_rejected == n and all("文件级说明" in r for r in res.rejected["reasons"])
    swapped = guangzhou.assign(经度=[f"{SHENGLI[1] + i / 1000:.5f}" for i in range(n)],
                               纬度=[f"{SHENGLI[0] + i / 1000:.5f}" for i in range(n)])
    res = read_ledger(swapped, district=shunyi())
    top = [i for i in res.issues if i.row == 0 and i.severity == "error"]
    assert len(top) == 1 and "经度、纬度两列多半整体填反了" in top[0].reason
    few = read_ledger(guangzhou.iloc[:4], district=shunyi())  # too few points to blame the whole file
    assert not [i for i in few.issues if i.row == 0 and i.severity == "error"]


def test_read_ledger_detects_the_kind_in_one_read():
    res = read_ledger(BOM, None, district=shunyi())
    assert res.kind == "buildings" and res.n_accepted == 3
    assert read_ledger(XLSX, None).kind == "orgs"


def _sheet_xml(body: str, extra: str = "") -> bytes:
    return (f'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<dimension ref="A1:XFD1048576"/><sheetData>{body}</sheetData>{extra}</worksheet>').encode()


def test_scan_finds_the_data_area_not_the_declared_one():
    xml = _sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" s="1"/></row>'
                     '<row r="2"><c r="B2"><f>1+1</f></c><c r="D2" t="inlineStr"><is><t>x</t></is></c></row>'
                     '<row r="1048576" s="1"><c r="XFD1048576" s="1"/></row>',
                     '<mergeCells><mergeCell ref="A1:B1"/><mergeCell ref="A3:XFD1048576"/></mergeCells>')
    s = scan_sheet(lambda: io.BytesIO(xml), max_merges=10)
    assert (s.last_row, s.last_col, s.cells, s.formulas) == (2, 4, 3, 1)
    assert s.dimension == "A1:XFD1048576" and s.merges == [(1, 1, 1, 2), (3, 1, 1048576, 16384)]
    no_refs = _sheet_xml('<row><c t="inlineStr"><is><t>a</t></is></c><c/><c><v>2</v></c></row><row/>'
                         '<row><c><v>3</v></c></row>')
    s = scan_sheet(lambda: io.BytesIO(no_refs), max_merges=10)
    assert (s.last_row, s.last_col, s.cells) == (3, 3, 3)


def test_merges_over_values_are_ignored_and_formulas_keep_their_text(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["单位名称", "组织类别", "所属镇街", "从业人员数"])
    ws.append(["甲", "企业", "仁和镇", "=1+1"])
    ws.append(["乙", "企业", None, 3])
    ws.append(["丙", "企业", "胜利街道", 4])
    ws.merge_cells("C2:C3")  # a vertical merge: filled down
    p = tmp_path / "m.xlsx"
    wb.save(p)
    res = read_ledger(p)
    assert res.rejected["town"].tolist() == ["仁和镇"] and res.rejected["employees"].tolist() == ["=1+1"]
    assert res.accepted["town"].tolist() == ["仁和镇", "胜利街道"]  # the vertical merge filled down
    import zipfile

    src = zipfile.ZipFile(p)  # a merge over cells that hold values (openpyxl would clear them, other tools do not)
    parts = {n: src.read(n) for n in src.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b'<mergeCell ref="C2:C3"/>', b'<mergeCell ref="C2:C3"/><mergeCell ref="A2:D4"/>')
    with zipfile.ZipFile(p, "w") as dst:
        for n, data in parts.items():
            dst.writestr(n, data)
    res = read_ledger(p)
    assert res.rows_in == 3 and any("合并单元格 A2:D4" in i.reason and "取消合并" in i.reason for i in res.issues)


def test_statistical_table_headers_town_of_which_and_a_datum_in_the_header():
    """Headers as district statistics tables write them: 所在街道（乡镇）, 党员人数 + 其中：预备党员 (a part of the total,
    so the formal members are the difference), and the datum in the 经度/纬度 headers (经度(百度))."""
    cols = ["单位名称", "单位类型", "所在街道（乡镇）", "从业人员（人）", "党员人数", "其中：预备党员", "经度(百度)", "纬度(百度)"]
    rows = [["甲公司", "非公企业", "胜利街道", "25", "4", "1", "116.66", "40.14"],
            ["乙公司", "非公企业", "胜利街道", "25", "1", "2", "", ""],
            ["丙公司", "非公企业", "胜利街道", "25", "3", "", "", ""]]
    res = read_ledger(pd.DataFrame(rows, columns=cols))
    assert res.column_map["town"] == "所在街道（乡镇）" and res.column_map["probationary"] == "其中：预备党员"
    acc = res.accepted.set_index("name")
    assert acc.loc["甲公司", "members"] == 3 and acc.loc["丙公司", "members"] == 3  # 4 − 1, and 3 − 0
    assert acc.loc["甲公司", "town"] == "胜利街道"
    assert acc.loc["甲公司", "crs"] == "BD09" and acc.loc["甲公司", "lon_raw"] == 116.66
    assert abs(acc.loc["甲公司", "lon"] - 116.66) > 0.005  # converted from BD-09 to WGS-84, not taken as WGS-84
    assert res.rejected["row"].tolist() == [3]  # 2 probationary of 1 member
    notes = [i.reason for i in res.issues if i.row == 0]
    assert any("正式党员数按 党员人数 − 预备党员" in n for n in notes)
    assert any("注明了坐标系 BD09" in n for n in notes)
    # an explicit 正式党员数 is never reduced, and a 坐标系 cell wins over the header
    cols2 = ["单位名称", "单位类型", "所属镇街", "正式党员数", "其中：预备党员", "经度（GCJ02）", "纬度（GCJ02）", "坐标系"]
    res2 = read_ledger(pd.DataFrame([["丁公司", "非公企业", "仁和镇", "4", "1", "116.6", "40.1", "WGS84"],
                                     ["戊公司", "非公企业", "仁和镇", "4", "1", "116.6", "40.1", ""]], columns=cols2))
    acc2 = res2.accepted.set_index("name")
    assert acc2["members"].tolist() == [4, 4] and acc2["crs"].tolist() == ["WGS84", "GCJ02"]


def test_kind_and_party_status_as_registers_write_them():
    cols = ["企业名称", "单位性质", "所属街道", "从业人数", "党员数", "是否建立党组织"]
    vals = [("有限责任公司", "否"), ("社会服务机构", "单建"), ("外资企业", "已单独建立"), ("民营企业", "是"),
            ("个体工商户", "未建")]
    res = read_ledger(pd.DataFrame([[f"单位{i}", k, "胜利街道", "20", "3", p] for i, (k, p) in enumerate(vals)],
                                   columns=cols))
    assert res.column_map["kind"] == "单位性质" and res.column_map["party_status"] == "是否建立党组织"
    acc = res.accepted.set_index("name")
    assert acc["kind"].to_dict() == {"单位0": "非公企业", "单位1": "社会组织", "单位2": "非公企业"}
    assert acc["party_status"].to_dict() == {"单位0": "未建立", "单位1": "单独建立", "单位2": "单独建立"}
    why = {i.row: i.reason for i in res.issues if i.severity == "error"}
    assert "没有说明是单独建立还是联合建立" in why[5]  # 是: built, but which way is not said
    assert "非公企业、社会组织" in why[6]  # 个体工商户 is not mapped: the planner decides


def test_units_in_cells_and_headers_are_converted_not_taken_as_written():
    cols = ["单位名称", "组织类别", "所属镇街", "工资总额（元）"]
    rows = [["甲", "非公企业", "胜利街道", "8600000"], ["乙", "非公企业", "胜利街道", "860万元"],
            ["丙", "非公企业", "胜利街道", "1200人"], ["丁", "非公企业", "胜利街道", "3亿元"]]
    res = read_ledger(pd.DataFrame(rows, columns=cols))
    pay = res.accepted.set_index("name")["payroll"]
    assert pay["甲"] == pytest.approx(860) and pay["乙"] == pytest.approx(860) and pay["丁"] == pytest.approx(30000)
    assert res.rejected["row"].tolist() == [4]  # 人 is no unit of money
    assert any("按元填写：已换算为万元" in i.reason for i in res.issues if i.row == 0)
    cols = ["楼宇名称", "所属镇街", "建筑面积（万平方米）"]
    res = read_ledger(pd.DataFrame([["A座", "胜利街道", "5.2"], ["B座", "胜利街道", "30000㎡"],
                                    ["C座", "胜利街道", "1.5万平方米"]], columns=cols), "buildings")
    assert res.accepted["floor_area"].tolist() == pytest.approx([52000, 30000, 15000])
    plain = read_ledger(pd.DataFrame([["A座", "胜利街道", "1200平米"]], columns=["楼宇名称", "所属镇街", "建筑面积"]),
                        "buildings")
    assert plain.accepted["floor_area"].tolist() == [1200] and not [i for i in plain.issues if "换算" in i.reason]


def test_center_headers_as_registers_write_them():
    cols = ["阵地名称", "阵地级别", "所在街道", "使用面积（平方米）", "是否有党旗", "经度", "纬度"]
    res = read_ledger(pd.DataFrame([["胜利街道党群服务中心", "街道级", "胜利街道", "600", "是", "116.65", "40.12"]],
                                   columns=cols), "centers")
    assert res.column_map["level"] == "阵地级别" and res.column_map["has_flag"] == "是否有党旗"
    row = res.accepted.iloc[0]
    assert (row["level"], row["floor_area"], bool(row["has_flag"])) == ("街道级", 600.0, True)
    assert row["has_books"] is None or pd.isna(row["has_books"])  # not in the file: not reported, not 否


def test_an_excel_97_2003_ledger_is_read(tmp_path):
    """orgs_legacy.xls (BIFF8, written by xlwt: tests/data/make_fixtures.py): a merged title, register-style headers, a
    town merged down two rows, 党员人数 with 其中：预备党员, numbers stored as numbers, a second sheet."""
    res = read_ledger(DATA / "orgs_legacy.xls")
    assert res.sheet == "两新组织" and res.header_row == 2
    acc = res.accepted.set_index("name")
    assert acc["town"].to_dict() == {"顺义示例科技有限公司": "胜利街道", "顺义示例物流有限公司": "仁和镇",
                                     "顺义示例行业协会": "仁和镇", "=1+1": "仁和镇"}  # the merge fills both rows
    assert acc["kind"].tolist() == ["非公企业", "非公企业", "社会组织", "非公企业"]
    assert acc.loc["顺义示例科技有限公司", "members"] == 4 and acc.loc["=1+1", "employees"] == 3
    assert acc.loc["顺义示例科技有限公司", "id"] == "91110113MA01A2B3CN"
    same = read_ledger((DATA / "orgs_legacy.xls").read_bytes(), filename="上传.xls")  # an upload: bytes
    assert same.accepted["name"].tolist() == res.accepted["name"].tolist()
    web = tmp_path / "导出.xls"  # many web systems "export to Excel" as an HTML table
    web.write_text("<html><body><table><tr><td>单位名称</td></tr></table></body></html>", encoding="utf-8")
    with pytest.raises(LedgerError, match="网页（HTML）表格.*另存为"):
        read_ledger(web)

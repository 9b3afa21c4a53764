"""Build the hostile-input corpus: ledgers, boundaries and a policy file that once crashed or misled the reader.

Small files are committed next to this script (run ``python tests/data/hostile/make_hostile.py`` to rebuild
them); large ones (a million styled rows, a 1 MB cell) are written by the tests into a temporary folder with
:func:`write_large`. :data:`CASES` says what each file must give: the exit code of ``lianxin-geo validate``
and words the message or the JSON must contain. Every file is deterministic.

Each file is a small, plausible Shunyi ledger with one problem planted in it.
"""

from __future__ import annotations

import io
import json
import re
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]

HEADER = ["单位名称", "组织类别", "所属镇街", "地址", "经度", "纬度", "从业人员数", "正式党员数"]
#: (town, lon, lat) of a point inside each town (town offices of the Shunyi skeleton).
TOWNS = [("胜利街道", 116.64469, 40.11918), ("光明街道", 116.66116, 40.11942), ("仁和镇", 116.64232, 40.08524),
         ("后沙峪镇", 116.52954, 40.11428)]
DATA_ROWS = 30


@dataclass(frozen=True)
class Case:
    """What a corpus file must give.

    Attributes
    ----------
    kind
        ``ledger`` (run through validate/locate/assess), ``boundary`` (validate a good ledger against it) or
        ``policy`` (assess with it).
    exit
        Exit code of ``validate`` (0 or 1).
    says
        Words (regular expressions) the refusal message (exit 1) or the JSON issues (exit 0) must contain.
    records
        Physical data records in the file (``None``: count the CSV's non-blank lines after the header).
    large
        Written by :func:`write_large` into a temporary folder, not committed.
    bomb
        Run in a subprocess under a memory limit.
    args
        Extra CLI arguments.
    """

    kind: str
    exit: int
    says: tuple[str, ...] = ()
    records: int | None = None
    large: bool = False
    bomb: bool = False
    args: tuple[str, ...] = field(default_factory=tuple)


CASES: dict[str, Case] = {
    # ---- item 2: workbooks that declare far more than they hold
    "far_cell.xlsx": Case("ledger", 1, (r"XFD1048576", r"上限", r"删除多余的行列", r"LIANXIN_MAX_"), bomb=True),
    "far_styled_cell.xlsx": Case("ledger", 0, (), records=DATA_ROWS, bomb=True),
    "merge_bomb.xlsx": Case("ledger", 0, (r"合并单元格 A3:XFD1048576", r"取消合并"), records=DATA_ROWS, bomb=True),
    "styled_rows.xlsx": Case("ledger", 0, (), records=DATA_ROWS, large=True, bomb=True),
    "styled_rows_nodim.xlsx": Case("ledger", 0, (), records=DATA_ROWS, large=True, bomb=True),
    "merged_title.xlsx": Case("ledger", 0, (), records=DATA_ROWS),
    # ---- item 3: quotes, long cells, encodings
    "unclosed_quote.csv": Case("ledger", 0, (r"第7行的引号没有闭合，吞掉了后面 24 行（第8–31行）",)),
    "cell_1mb.csv": Case("ledger", 0, (r"1,048,576 个字符",), large=True),
    "nul_bytes.csv": Case("ledger", 1, (r"第5行含有空字符", r"另存为")),
    "mixed_encoding.csv": Case("ledger", 1, (r"混用了两种文字编码", r"第1、2、3、4、5等行是 UTF-8", r"第10、11行不是")),
    "bom_title.csv": Case("ledger", 0, ()),
    # ---- items 6 and 9: implausible numbers and texts
    "count_2_63.csv": Case("ledger", 0, (r"9,223,372,036,854,775,808人，超过一个单位可能的上限", r"位数过多")),
    "employees_1e12.csv": Case("ledger", 0, (r"1,000,000,000,000人，超过", r"2,000,000人，超过 1,000,000人，很少见")),
    "name_40000.csv": Case("ledger", 0, (r"“单位名称”有 40,000 个字符，超过上限 2,000",), large=True),
    # ---- plain data that must stay data
    "duplicate_codes.csv": Case("ledger", 0, (r"统一社会信用代码与第2行重复",)),
    "gcj02_points.csv": Case("ledger", 0, ()),
    "injection_names.csv": Case("ledger", 0, ()),
    # ---- items 6 and 7: boundaries
    "boundary_selfintersect.geojson": Case("boundary", 0, (r"已自动修复", r"胜利街道")),
    "boundary_swapped.geojson": Case("boundary", 1, (r"经纬度多半颠倒", r"交换经纬度")),
    "boundary_3857.geojson": Case("boundary", 1, (r"投影坐标", r"--boundaries-crs EPSG:3857")),
    "boundary_other_district.geojson": Case("boundary", 0, (r"边界与台账不是同一个区",)),
    "boundary_broken.geojson": Case("boundary", 1, (r"无法读取边界文件 boundary_broken.geojson", r"原始错误")),
    # ---- item 9: a policy that reaches out of its folder
    "policy_extends_passwd.toml": Case("policy", 1, (r"extends = '/etc/passwd' 不允许", r"同一文件夹")),
}


# ---------------------------------------------------------------- helpers
def _check_char(first17: str) -> str:
    from lianxin_geo.ingest.creditcode import check_char

    return check_char(first17)


def _code(i: int) -> str:
    body = f"91110113MA{i:07d}"
    body = body.replace("I", "1")
    return body + _check_char(body)


def base_rows(n: int = DATA_ROWS) -> list[list[str]]:
    """``n`` plausible orgs in four Shunyi towns (deterministic)."""
    rows = []
    for i in range(n):
        town, lon, lat = TOWNS[i % len(TOWNS)]
        dx, dy = ((i * 37) % 11 - 5) * 0.0004, ((i * 53) % 11 - 5) * 0.0004
        rows.append([f"顺义测试企业{i + 1:02d}有限公司", "非公企业" if i % 5 else "社会组织", town,
                     f"北京市顺义区{town}测试路{i + 1}号", f"{lon + dx:.6f}", f"{lat + dy:.6f}",
                     str(5 + (i * 7) % 90), str(i % 4)])
    return rows


def _csv(rows: list[list[str]], header: list[str] = HEADER) -> str:
    def cell(text: str) -> str:
        return f'"{text}"' if ("," in text or '"' in text) and not text.startswith('"') else text

    return "".join(",".join(cell(c) for c in r) + "\n" for r in [header, *rows])


def _workbook(rows: list[list[str]], *, title: bool = False) -> bytes:
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "组织"
    if title:
        ws.append(["顺义区两新组织台账（2024年上半年）"])
        ws.append(["填报单位：测试", None, None, None, "填报日期：2024-06-30"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=4)
    ws.append(HEADER)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append([float(v) if re.fullmatch(r"\d+(\.\d+)?", v) else v for v in r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _patch_sheet(data: bytes, patch, *, level: int = 9) -> bytes:
    """Rewrite ``xl/worksheets/sheet1.xml`` of a workbook with ``patch(xml_text) -> xml_text``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = patch(content.decode("utf-8")).encode("utf-8")
            dst.writestr(info.filename, content)
    return out.getvalue()


def _set_dimension(xml: str, ref: str) -> str:
    return re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', xml)


# ---------------------------------------------------------------- small files
def _xlsx_small(out: Path) -> None:
    base = _workbook(base_rows())
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    (out / "far_cell.xlsx").write_bytes(_patch_sheet(
        base, lambda x: _set_dimension(x.replace("</sheetData>", far), "A1:XFD1048576")))
    styled = '<row r="1048576"><c r="XFD1048576" s="1"/></row></sheetData>'
    (out / "far_styled_cell.xlsx").write_bytes(_patch_sheet(
        base, lambda x: _set_dimension(x.replace("</sheetData>", styled), "A1:XFD1048576")))
    merge = '</sheetData><mergeCells count="1"><mergeCell ref="A3:XFD1048576"/></mergeCells>'
    (out / "merge_bomb.xlsx").write_bytes(_patch_sheet(
        base, lambda x: _set_dimension(x.replace("</sheetData>", merge), "A1:XFD1048576")))
    (out / "merged_title.xlsx").write_bytes(_workbook(base_rows(), title=True))


def _csv_small(out: Path) -> None:
    rows = base_rows()
    broken = [list(r) for r in rows]
    broken[5][3] = '"北京市顺义区胜利街道测试路6号'  # line 7: the quote opens and never closes
    (out / "unclosed_quote.csv").write_text(_csv(broken), encoding="utf-8")

    text = _csv(rows)
    lines = text.splitlines(keepends=True)
    lines[4] = lines[4].replace("有限公司", "有限\x00公司")
    (out / "nul_bytes.csv").write_bytes("".join(lines).encode("utf-8"))

    raw = b"".join(ln.encode("gbk" if 9 <= n <= 10 else "utf-8") for n, ln in enumerate(lines))
    (out / "mixed_encoding.csv").write_bytes(raw)

    title = "顺义区两新组织台账" + "," * (len(HEADER) - 1) + "\n" + "填报日期：2024-06-30" + "," * (len(HEADER) - 1) + "\n"
    (out / "bom_title.csv").write_bytes(("\ufeff" + title + text).encode("utf-8"))

    big = [list(r) for r in rows]
    big[0][6] = str(2 ** 63)
    big[1][6] = str(2 ** 64)
    big[2][7] = str(2 ** 63)
    big[3][6] = "9" * 400
    (out / "count_2_63.csv").write_text(_csv(big), encoding="utf-8")

    many = [list(r) for r in rows]
    many[0][6] = "1000000000000"
    many[1][6] = "2000000"
    many[2][7] = "5000000"
    (out / "employees_1e12.csv").write_text(_csv(many), encoding="utf-8")

    header = ["统一社会信用代码", *HEADER]
    dup = [[_code(i), *r] for i, r in enumerate(rows)]
    dup[4][0] = dup[0][0]
    dup[4][1] = "另一家重复代码公司"
    (out / "duplicate_codes.csv").write_text(_csv(dup, header), encoding="utf-8-sig")

    from lianxin_geo.core.crs import wgs84_to_gcj02

    gcj = [list(r) + ["GCJ02"] for r in rows]
    for r in gcj:
        x, y = wgs84_to_gcj02(float(r[4]), float(r[5]))
        r[4], r[5] = f"{float(x):.6f}", f"{float(y):.6f}"
    (out / "gcj02_points.csv").write_text(_csv(gcj, [*HEADER, "坐标系"]), encoding="utf-8")

    names = [list(r) for r in rows]
    for i, evil in enumerate(["<script>alert(1)</script>", "=1+1", "{{ 7*7 }}", "+SUM(A1)", "@x", "-2",
                              "{% raw %}x{% endraw %}", "<img src=x onerror=alert(1)>"]):
        names[i][0] = evil
    (out / "injection_names.csv").write_text(_csv(names), encoding="utf-8")


def _features(towns, transform=lambda x, y: (x, y)) -> list[dict]:
    feats = []
    for name, box in towns:
        x0, y0, x1, y1 = box
        ring = [transform(x, y) for x, y in [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]]
        feats.append({"type": "Feature", "properties": {"name": name},
                      "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}})
    return feats


def _boundaries_small(out: Path) -> None:
    towns = [(t, (lon - 0.008, lat - 0.008, lon + 0.008, lat + 0.008)) for t, lon, lat in TOWNS]
    fc = {"type": "FeatureCollection"}

    def write(name: str, feats: list[dict]) -> None:
        (out / name).write_text(json.dumps({**fc, "features": feats}, ensure_ascii=False), encoding="utf-8")

    feats = _features(towns)
    x0, y0, x1, y1 = towns[0][1]
    feats[0]["geometry"]["coordinates"] = [[[x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]]  # a bow tie
    write("boundary_selfintersect.geojson", feats)
    write("boundary_swapped.geojson", _features(towns, lambda x, y: (y, x)))

    import math

    def merc(x: float, y: float) -> tuple[float, float]:
        r = 6378137.0
        return r * math.radians(x), r * math.log(math.tan(math.pi / 4 + math.radians(y) / 2))

    write("boundary_3857.geojson", _features(towns, merc))
    write("boundary_other_district.geojson",
          _features([("甲街道", (113.0, 23.0, 113.05, 23.05)), ("乙镇", (113.05, 23.0, 113.15, 23.08))]))
    (out / "boundary_broken.geojson").write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")


def write_small(out: Path = HERE) -> dict[str, Path]:
    """Write the committed corpus files into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    _xlsx_small(out)
    _csv_small(out)
    _boundaries_small(out)
    (out / "policy_extends_passwd.toml").write_text(
        '[profile]\nname = "evil"\nextends = "/etc/passwd"\n', encoding="utf-8")
    return {n: out / n for n, c in CASES.items() if not c.large}


# ---------------------------------------------------------------- large files
def _styled_rows_xlsx(base: bytes, filler: str, last: int, *, dimension: bool) -> bytes:
    def patch(x: str) -> str:
        x = x.replace("</sheetData>", filler + "</sheetData>")
        x = _set_dimension(x, f"A1:H{last}")
        return x if dimension else re.sub(r'<dimension ref="[^"]*"\s*/>', "", x)

    return _patch_sheet(base, patch, level=1)


def write_large(out: Path, *, n_rows: int = 1_000_000, n_rows_nodim: int = 300_000) -> dict[str, Path]:
    """Write the generated corpus files (a million styled rows, a 1 MB cell) into ``out``.

    The variant without a ``<dimension>`` element has fewer rows: openpyxl reads such a sheet to its end
    once when it opens the workbook (bounded by the package size limit, but slow for a test).
    """
    out.mkdir(parents=True, exist_ok=True)
    base = _workbook(base_rows())
    first = DATA_ROWS + 2
    for name, n, dim in (("styled_rows.xlsx", n_rows, True), ("styled_rows_nodim.xlsx", n_rows_nodim, False)):
        filler = "".join([f'<row r="{r}" s="1" customFormat="1"><c r="A{r}" s="1"/></row>'
                          for r in range(first, first + n)])
        (out / name).write_bytes(_styled_rows_xlsx(base, filler, first + n - 1, dimension=dim))
    rows = base_rows()
    rows[2][3] = "长" * (1 << 20)
    (out / "cell_1mb.csv").write_text(_csv(rows), encoding="utf-8")
    rows = base_rows()
    rows[3][0] = "测" * 40_000
    (out / "name_40000.csv").write_text(_csv(rows), encoding="utf-8")
    return {n: out / n for n, c in CASES.items() if c.large}


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    for name, path in write_small().items():
        print(f"{path.stat().st_size:>9,}  {name}")

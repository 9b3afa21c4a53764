"""Write the empty standard ledger template (.xlsx): one sheet per ledger kind.

Headers come from :data:`lianxin_geo.core.model.SCHEMAS`, so the template, the reader
and the docs never disagree. Each header cell carries a comment with the help
text, the accepted header variants and the allowed values; enumerations and
是/否 columns get drop-down lists.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

from lianxin_geo.core.files import atomic_path
from lianxin_geo.core.model import SCHEMAS, ColumnSpec

__all__ = ["SHEET_NAMES", "write_template", "column_note", "BOOL_CHOICES"]

#: Sheet name of each ledger kind in the standard template.
SHEET_NAMES: dict[str, str] = {"orgs": "组织", "buildings": "楼宇", "parks": "园区", "centers": "阵地"}
#: The two values offered in 是/否 columns.
BOOL_CHOICES: tuple[str, str] = ("是", "否")

_TYPE_NOTES = {
    "str": "文字",
    "int": "整数（≥0），可写“12”“12人”",
    "float": "数字（≥0），可写“1200”“1200㎡”",
    "enum": "从下拉列表中选择",
    "bool": "是/否",
    "code": "编码，按文本填写",
    "lon": "经度，十进制度",
    "lat": "纬度，十进制度",
}
#: Fixed document timestamp so regenerating the committed template changes nothing but content.
_FIXED_TIME = _dt.datetime(2024, 1, 1, 0, 0, 0)


def column_note(spec: ColumnSpec) -> str:
    """The help text of a column: what it holds, its type, allowed values and header variants."""
    lines = [f"{spec.header}{'（必填）' if spec.required else ''}"]
    if spec.help:
        lines.append(spec.help)
    lines.append("类型：" + _TYPE_NOTES.get(spec.type, spec.type))
    if spec.choices:
        lines.append("可选值：" + "、".join(spec.choices))
    if spec.default not in (None, ""):
        default = {True: "是", False: "否"}.get(spec.default, spec.default)  # type: ignore[call-overload]
        lines.append(f"空白时按：{default}")
    if spec.aliases:
        lines.append("也可识别表头：" + "、".join(spec.aliases))
    return "\n".join(lines)


def _width(spec: ColumnSpec) -> float:
    base = max(len(spec.header) * 2.2 + 2, 10.0)
    if spec.type in ("str",) and spec.key in ("name", "address"):
        base = max(base, 28.0)
    if spec.key == "credit_code":
        base = max(base, 22.0)
    return min(base, 40.0)


def write_template(path: str | os.PathLike, *, rows: int = 1000) -> Path:
    """Write the empty standard template with four sheets (组织, 楼宇, 园区, 阵地).

    Parameters
    ----------
    path
        Where to write the .xlsx file (parent folders are created).
    rows
        How many rows below the header get the drop-down lists.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    required_font = Font(bold=True, color="C00000")
    fill = PatternFill("solid", fgColor="DDEBF7")
    for kind, sheet_name in SHEET_NAMES.items():
        schema = SCHEMAS[kind]
        ws = wb.create_sheet(sheet_name)
        for j, spec in enumerate(schema.columns, start=1):
            cell = ws.cell(row=1, column=j, value=spec.header)
            cell.font = required_font if spec.required else bold
            cell.fill = fill
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            note = Comment(column_note(spec), "lianxin-geo")
            note.width = 320
            note.height = 160
            cell.comment = note
            letter = get_column_letter(j)
            ws.column_dimensions[letter].width = _width(spec)
            choices: tuple[str, ...] = ()
            if spec.type == "enum":
                choices = spec.choices
            elif spec.type == "bool":
                choices = BOOL_CHOICES
            if choices:
                dv = DataValidation(
                    type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                    showErrorMessage=True, errorTitle="不在可选范围",
                    error="请从下拉列表中选择：" + "、".join(choices),
                    promptTitle=spec.header[:32], prompt=("可选：" + "、".join(choices))[:255],
                    showInputMessage=True,
                )
                dv.add(f"{letter}2:{letter}{rows + 1}")
                ws.add_data_validation(dv)
        ws.freeze_panes = "A2"
        ws.row_dimensions[1].height = 30
    wb.properties.creator = "lianxin-geo"
    wb.properties.title = "两新党建台账标准模板"
    wb.properties.created = _FIXED_TIME
    wb.properties.modified = _FIXED_TIME
    with atomic_path(out) as tmp:
        wb.save(tmp)
    return out

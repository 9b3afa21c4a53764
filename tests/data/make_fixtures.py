"""Regenerate the small ledger fixtures of tests/test_ledger.py.

Run: ``.venv/bin/python tests/data/make_fixtures.py``. Every value is synthetic
(演示数据), shaped like real ledgers exported from Chinese Excel/WPS. The tests
assert exact rows, columns and values, so change a fixture only together with
its test.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

# Valid 统一社会信用代码 (check characters computed per GB 32100-2015).
CODE_A = "91110113MA01A2B3CN"
CODE_B = "91110113MA01D4E5FQ"
CODE_C = "91110113MA01G6H7JT"
CODE_SOCIAL = "52110113MA0K12345E"
#: All digits and exactly representable as a float: survives Excel storing it as a number.
CODE_DIGITS = 911101133000002048
DEMO = "演示数据（合成）"


def gbk_excel_csv() -> None:
    """A CSV saved by Chinese Excel: GBK, CRLF, alias headers, full-width digits, '12人'."""
    lines = [
        "序号,企业名称,类别,所属街镇,职工人数,党员人数,预备党员,建立党组织情况,注册地址,备注",
        "1,北京顺鑫示例食品有限公司,企业,仁和镇,１２人,３,０,无,北京市顺义区仁和镇示例路1号,",
        '2,顺义区示例养老服务中心,民办非企业单位,胜利,"1,234",12名,1,已单独建立,顺义区示例街2号,年检合格',
        "3,顺义示例律师事务所,社会组织,110113003,12.0,,,联建,,",
        ",,,,,,,,,",
        "4,顺义示例包装有限公司,非公有制企业,南法信地区,  45  ,0,0,未建,顺义区南法信示例路3号,",
    ]
    (HERE / "orgs_gbk_excel.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))


def utf8_bom_buildings_csv() -> None:
    """Buildings ledger, UTF-8 with BOM (Excel's 'CSV UTF-8'), areas with units, 是/否 flags."""
    lines = [
        "楼宇名称,地址,所属镇街,经度,纬度,坐标系,建筑面积,楼宇工作站,数据来源",
        f"示例国际大厦,顺义区府前中街1号,胜利街道,116.650570,40.120273,高德,1200㎡,是,{DEMO}",
        f'示例商务中心,顺义区示例路8号,石园街道,,,,"1,200平方米",否,{DEMO}',
        f"示例科创楼,,,,,,１５００,√,{DEMO}",
        f"示例大厦B座,,空港,,,GCJ-02,约一千,有,{DEMO}",
        f"示例总部港,,后沙峪,116.52954,40.11428,WGS84,3000,待定,{DEMO}",
    ]
    (HERE / "buildings_utf8bom.csv").write_bytes(("\n".join(lines) + "\n").encode("utf-8-sig"))


def problems_csv() -> None:
    """Every kind of problem, one per row (UTF-8 without BOM). Line numbers are the Excel rows."""
    header = ("统一社会信用代码,单位名称,组织类别,所属镇街,经度,纬度,坐标系,从业人员数,正式党员数,"
              "预备党员数,党组织状态,联合党组织编号,数据来源")
    bad_check = CODE_B[:-1] + "0"
    rows = [
        # 2: valid, accepted, id = code
        f"{CODE_A},顺义示例科技有限公司,非公企业,胜利街道,116.64469,40.11918,WGS84,120,5,1,单独建立,,{DEMO}",
        # 3: wrong check character -> warning, accepted with derived id
        f"{bad_check},顺义示例物流有限公司,非公企业,仁和镇,,,,80,2,0,未建立,,{DEMO}",
        # 4: 17 characters -> warning
        f"{CODE_C[:-1]},顺义示例餐饮有限公司,非公企业,仁和镇,,,,30,0,0,未建立,,{DEMO}",
        # 5: same code as row 2 -> error
        f"{CODE_A},顺义示例科技有限公司分公司,非公企业,胜利街道,,,,20,1,0,未建立,,{DEMO}",
        # 6: a script tag as name: data, kept verbatim
        f"{CODE_SOCIAL},<script>alert(1)</script>,社会组织,光明街道,,,,10,0,0,未建立,,{DEMO}",
        # 7: a formula-looking name: data, kept verbatim
        f",=1+1,非公企业,光明街道,,,,10,0,0,未建立,,{DEMO}",
        # 8: unknown 组织类别 -> error
        f",顺义示例个体商户,个体户,光明街道,,,,3,0,0,未建立,,{DEMO}",
        # 9: negative count -> error
        f",顺义示例建材有限公司,非公企业,马坡镇,,,,-5,0,0,未建立,,{DEMO}",
        # 10: lon/lat swapped -> error
        f",顺义示例机械有限公司,非公企业,胜利街道,40.11918,116.64469,WGS84,60,1,0,未建立,,{DEMO}",
        # 11: GCJ-02 (AMap) point of the 胜利街道 office -> accepted, converted to WGS-84
        f",顺义示例文化传媒有限公司,非公企业,胜利街道,116.650570,40.120273,GCJ-02,15,0,0,未建立,,{DEMO}",
        # 12: unknown town -> error
        f",顺义示例电子有限公司,非公企业,朝阳门街道,,,,25,0,0,未建立,,{DEMO}",
        # 13: only a longitude -> error
        f",顺义示例印刷有限公司,非公企业,石园街道,116.65413,,,40,0,0,未建立,,{DEMO}",
        # 14: identical to row 7 -> error
        f",=1+1,非公企业,光明街道,,,,10,0,0,未建立,,{DEMO}",
        # 15: joint without joint-org id, members > employees -> two warnings
        f",顺义示例咨询有限公司,非公企业,旺泉街道,,,,3,4,0,联合建立,,{DEMO}",
        # 16: employees empty -> warning
        f",顺义示例花卉合作社,非公企业,北务镇,,,,,0,0,未建立,,{DEMO}",
        # 17: WGS84 point in Dongcheng (outside Shunyi) -> error naming the 坐标系
        f",顺义示例驻京办,非公企业,胜利街道,116.3975,39.9087,WGS84,8,0,0,未建立,,{DEMO}",
        # 18: blank line: skipped, not counted
        ",,,,,,,,,,,,",
        # 19: synonyms: 非公有制经济组织, 联建 with an id, full-width code
        f"{CODE_B},顺义示例汽车配件有限公司,非公有制经济组织,李桥,,,,200,10,2,联建,LH-001,{DEMO}",
    ]
    (HERE / "orgs_problems.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def title_notes_xlsx() -> None:
    """An .xlsx with a merged title row, a merged notes row, a blank row, then the header (row 4)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws["A1"] = "顺义区“两新”组织台账（2024年上半年）"
    ws.merge_cells("A1:J1")
    ws["A2"] = "填表说明：带*为必填项；人数填整数；坐标为 WGS84。"
    ws.merge_cells("A2:J2")
    headers = ["序号", "*单位名称", "组织类别（必填）", "统一社会信用代码", "所属镇街", "从业人员数（人）",
               "正式党员数", "经度", "纬度", "备注"]
    for j, h in enumerate(headers, start=1):
        ws.cell(row=4, column=j, value=h)
    data = [
        (5, [1, "顺义示例航空服务有限公司", "非公企业", CODE_B, "空港街道", 250, 8.0, 116.55011, 40.10019, None]),
        # row 6 left blank on purpose
        (7, [2, "顺义示例设计院有限公司", "非公企业", float(CODE_DIGITS), "后沙峪地区", 12.0, 1, None, None,
             "代码被 Excel 存为数字"]),
        (8, [3, "\u3000顺义示例超市\u3000", "非公企业", None, "仁和地区", "１５", 0, None, None, None]),
        (9, [4, "=1+1", "非公企业", None, "杨镇", 5, 0, None, None, None]),
    ]
    for r, values in data:
        for j, v in enumerate(values, start=1):
            if v is not None:
                ws.cell(row=r, column=j, value=v)
    ws.cell(row=9, column=2).data_type = "s"  # "=1+1" is a name, not a formula
    # 所属镇街 merged over rows 10-11 (vertical merges are common in real ledgers)
    ws.cell(row=10, column=1, value=5)
    ws.cell(row=10, column=2, value="顺义示例种植专业合作社")
    ws.cell(row=10, column=3, value="非公企业")
    ws.cell(row=10, column=5, value="张镇")
    ws.cell(row=11, column=1, value=6)
    ws.cell(row=11, column=2, value="顺义示例养殖专业合作社")
    ws.cell(row=11, column=3, value="非公企业")
    ws.merge_cells("E10:E11")
    # a pre-numbered but empty row: only 序号 -> blank
    ws.cell(row=12, column=1, value=7)
    wb.save(HERE / "orgs_title_notes.xlsx")


def legacy_xls() -> None:
    """An Excel 97-2003 ledger (.xls, BIFF8): merged title, alias headers, a town merged down two rows, numbers as
    numbers, a formula-looking name, a second sheet. Written with xlwt, which the project does not depend on:
    ``pip install --target /tmp/xlwt xlwt`` and run with ``PYTHONPATH=/tmp/xlwt``; without it this file is kept."""
    try:
        import xlwt
    except ImportError:
        print("xlwt 未安装：保留现有的 orgs_legacy.xls")
        return
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("两新组织")
    ws.write_merge(0, 0, 0, 6, f"顺义区两新组织台账（{DEMO}）")
    for j, h in enumerate(["统一社会信用代码", "企业名称", "单位性质", "所在街道", "从业人数", "党员人数", "其中：预备党员"]):
        ws.write(1, j, h)
    rows = [(CODE_A, "顺义示例科技有限公司", "有限责任公司", "胜利街道", 120, 5, 1),
            ("", "顺义示例物流有限公司", "民营企业", None, 80, 2, 0),
            ("", "顺义示例行业协会", "社会团体", None, 12, 0, 0),
            ("", "=1+1", "非公企业", "仁和镇", 3.0, 1, 0)]
    for i, row in enumerate(rows, start=2):
        for j, v in enumerate(row):
            if v is not None:
                ws.write(i, j, v)
    ws.write_merge(3, 4, 3, 3, "仁和镇")
    wb.add_sheet("说明").write(0, 0, "填表说明：合成演示数据")
    wb.save(str(HERE / "orgs_legacy.xls"))


def main() -> None:
    gbk_excel_csv()
    utf8_bom_buildings_csv()
    problems_csv()
    title_notes_xlsx()
    legacy_xls()


if __name__ == "__main__":
    main()

"""The data model: ledger schemas, enumerations and canonical column names.

Everything a ledger file may contain is described here *as data*: the internal
column key, the canonical Chinese header of the standard template, the header
variants real ledgers use, the value type and the allowed values. The reader
(:mod:`lianxin_geo.ingest.ledger`), the template writer, the demo generator and the
docs all read these tables, so a column is defined exactly once.

Internal keys are short ASCII names; values of enumerations stay in Chinese,
because that is what planners read in tables, maps and exports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ColumnSpec",
    "LedgerSchema",
    "SCHEMAS",
    "ORG_SCHEMA",
    "BUILDING_SCHEMA",
    "PARK_SCHEMA",
    "CENTER_SCHEMA",
    "LEDGER_KINDS",
    "ORG_KINDS",
    "ENTERPRISE",
    "SOCIAL",
    "SOCIAL_TYPES",
    "ENTITY_SOCIAL_TYPES",
    "PARTY_STATUSES",
    "PARTY_OWN",
    "PARTY_JOINT",
    "PARTY_NONE",
    "PARTY_ORG_TYPES",
    "CRS_NAMES",
    "PARK_LEVELS",
    "CENTER_LEVELS",
    "REGISTRATION_LEVELS",
    "SIX_HAS",
    "FIVE_CLEAR",
    "PRECISIONS",
    "PRECISION_NAMES",
    "DEMO_FLAG",
    "DEMO_NOTE",
    "APPROX_NOTE",
    "ValueLimit",
    "VALUE_LIMITS",
    "MAX_TEXT_CHARS",
]

ValueType = Literal["str", "int", "float", "enum", "bool", "code", "lon", "lat"]

# ---------------------------------------------------------------- enumerations
ENTERPRISE = "非公企业"
SOCIAL = "社会组织"
ORG_KINDS: tuple[str, ...] = (ENTERPRISE, SOCIAL)

#: BJ2016S §1 kinds, plus the "实体性社会组织" of SY2017 第六条 / BJ2016N 一.
ENTITY_SOCIAL_TYPES: tuple[str, ...] = (
    "民办学校",
    "民办医院",
    "律师事务所",
    "会计师事务所",
    "税务师事务所",
    "社工事务所",
)
SOCIAL_TYPES: tuple[str, ...] = (
    "社会团体",
    "民办非企业单位",
    "基金会",
    "社会中介组织",
    "城乡社区社会组织",
    *ENTITY_SOCIAL_TYPES,
)

PARTY_OWN = "单独建立"
PARTY_JOINT = "联合建立"
PARTY_NONE = "未建立"
PARTY_STATUSES: tuple[str, ...] = (PARTY_OWN, PARTY_JOINT, PARTY_NONE)
PARTY_ORG_TYPES: tuple[str, ...] = ("党委", "党总支", "党支部")

CRS_NAMES: tuple[str, ...] = ("WGS84", "GCJ02", "BD09")
PARK_LEVELS: tuple[str, ...] = ("国家级", "市级", "区级")
CENTER_LEVELS: tuple[str, ...] = ("区级", "镇级", "街道级", "园区", "社区", "楼宇")
#: Registration level of a social organization (R5: city-level-or-above social groups).
REGISTRATION_LEVELS: tuple[str, ...] = ("市级及以上", "区级", "街乡")

#: R16 "六有" checklist (SY2017 第二十五条; TN2020 11): key -> Chinese header.
SIX_HAS: dict[str, str] = {
    "has_site": "有场所",
    "has_facilities": "有设施",
    "has_sign": "有标志",
    "has_flag": "有党旗",
    "has_books": "有书报",
    "has_rules": "有制度",
}

#: R20 "五个清" (SY2017 第十三条): key -> Chinese header of the optional ledger column.
FIVE_CLEAR: dict[str, str] = {
    "clear_operations": "经营运行情况",
    "clear_staff": "职工队伍情况",
    "clear_members": "党员队伍情况",
    "clear_owner": "出资人（负责人）情况",
    "clear_reason": "未建党组织原因",
}

#: Location precision levels, best first.
PRECISIONS: tuple[str, ...] = ("coordinates", "building", "park", "community", "town", "none")
#: How each precision level is named to users.
PRECISION_NAMES: dict[str, str] = {"coordinates": "台账坐标", "building": "按楼宇定位", "park": "按园区定位",
                                   "community": "按社区（村）定位", "town": "按镇街驻地定位", "none": "未定位"}

DEMO_FLAG = "演示数据（合成）"
DEMO_NOTE = "演示数据（合成），非真实台账 / synthetic demo data, not a real ledger"
APPROX_NOTE = "示意边界（由驻地点推算，非官方） / approximate boundaries derived from seat points, not official"


# ---------------------------------------------------------------- schemas
@dataclass(frozen=True)
class ColumnSpec:
    """One ledger column.

    Parameters
    ----------
    key
        Internal column name used in DataFrames and JSON.
    header
        Canonical Chinese header of the standard template.
    aliases
        Other headers real ledgers use for the same column.
    type
        Value type: ``str``, ``int`` (count, >= 0), ``float`` (>= 0), ``enum``,
        ``bool`` (是/否), ``code`` (an identifier kept as text), ``lon``, ``lat``.
    required
        A row without a value here is rejected.
    choices
        Allowed values for ``enum`` columns.
    default
        Value used when the cell is empty (only for optional columns).
    help
        What the column holds, shown in the template and the docs.
    """

    key: str
    header: str
    aliases: tuple[str, ...] = ()
    type: ValueType = "str"
    required: bool = False
    choices: tuple[str, ...] = ()
    default: object = None
    help: str = ""


@dataclass(frozen=True)
class LedgerSchema:
    """The columns of one ledger kind."""

    kind: str
    title: str
    columns: tuple[ColumnSpec, ...]
    #: columns a header row must contain (by canonical header or alias) to be recognised
    anchor_keys: tuple[str, ...] = field(default=())

    def column(self, key: str) -> ColumnSpec:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns)

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)


_LOC = (
    ColumnSpec("lon", "经度", ("lng", "lon", "longitude", "X", "x坐标", "东经"), "lon",
               help="十进制度，如 116.6546"),
    ColumnSpec("lat", "纬度", ("lat", "latitude", "Y", "y坐标", "北纬"), "lat",
               help="十进制度，如 40.1302"),
    ColumnSpec("crs", "坐标系", ("坐标系统", "坐标类型", "crs"), "enum", choices=CRS_NAMES,
               default="WGS84", help="WGS84（GPS）/GCJ02（高德、腾讯）/BD09（百度），空白按 WGS84"),
)
_TOWN = ColumnSpec("town", "所属镇街", ("所属街镇", "所在镇街", "镇街", "所属街道", "所属乡镇", "属地", "镇（街道）",
                                        "所在街道", "所在乡镇", "所在街镇", "所属街乡", "所在街乡", "街乡", "乡镇街道",
                                        "街道乡镇", "乡镇（街道）", "街道（乡镇）", "镇街名称", "街道", "乡镇"),
                   "str", help="乡镇/街道名称或9位统计代码，如 胜利街道、仁和镇、110113003")

ORG_SCHEMA = LedgerSchema(
    kind="orgs",
    title="两新组织台账",
    anchor_keys=("name", "kind"),
    columns=(
        ColumnSpec("credit_code", "统一社会信用代码", ("信用代码", "社会信用代码", "统一代码", "组织机构代码"), "code",
                   help="18位统一社会信用代码（GB 32100-2015），作为单位编号"),
        ColumnSpec("name", "单位名称", ("企业名称", "组织名称", "单位全称", "名称", "社会组织名称"), "str", required=True),
        ColumnSpec("kind", "组织类别", ("类别", "组织类型", "单位类别", "单位类型", "单位性质", "组织性质", "企业类型",
                                        "单位属性"), "enum", required=True,
                   choices=ORG_KINDS, help="非公企业 / 社会组织"),
        ColumnSpec("social_type", "社会组织类型", ("社会组织类别",), "enum", choices=SOCIAL_TYPES,
                   help="社会组织填写：" + "、".join(SOCIAL_TYPES)),
        ColumnSpec("registration_level", "登记级别", ("登记管理机关级别",), "enum", choices=REGISTRATION_LEVELS,
                   help="社会组织的登记级别：市级及以上/区级/街乡（R5）"),
        ColumnSpec("industry", "行业", ("所属行业", "行业类别", "行业门类", "国民经济行业"), "str",
                   help="GB/T 4754-2017 门类或大类，如 I、I65、软件和信息技术服务业"),
        ColumnSpec("address", "地址", ("注册地址", "经营地址", "办公地址", "详细地址", "住所"), "str"),
        _TOWN,
        *_LOC,
        ColumnSpec("employees", "从业人员数", ("职工人数", "从业人数", "员工人数", "从业人员", "职工数", "人员规模"), "int",
                   help="人数，整数"),
        ColumnSpec("members", "正式党员数", ("党员人数", "党员数", "正式党员", "党员数量"), "int", default=0),
        ColumnSpec("probationary", "预备党员数", ("预备党员", "预备党员人数"), "int", default=0),
        ColumnSpec("party_status", "党组织状态", ("党组织建立情况", "建立党组织情况", "组建情况", "党组织组建情况",
                                                "是否建立党组织", "党组织建立方式", "党组织组建方式"), "enum",
                   choices=PARTY_STATUSES, default=PARTY_NONE, help="单独建立 / 联合建立 / 未建立"),
        ColumnSpec("party_org_type", "党组织类型", ("党组织类别", "党组织形式"), "enum", choices=PARTY_ORG_TYPES,
                   help="党委 / 党总支 / 党支部"),
        ColumnSpec("joint_org_id", "联合党组织编号", ("联合党组织", "联合党支部编号", "所属联合党组织"), "code"),
        ColumnSpec("building", "所在楼宇", ("楼宇", "商务楼宇"), "str"),
        ColumnSpec("park", "所在园区", ("园区",), "str"),
        ColumnSpec("instructor", "党建指导员", ("指导员", "党建工作指导员"), "str"),
        ColumnSpec("mass_org", "群团组织", ("工青妇组织", "工青妇"), "str",
                   help="已建立的工会、共青团、妇联组织，如 工会、团支部"),
        ColumnSpec("payroll", "工资总额", ("年工资总额", "职工工资总额"), "float", help="万元/年（R19），可空"),
        ColumnSpec("activities", "年度活动次数", ("活动次数", "组织生活次数"), "int", help="本年度开展党组织活动次数（R27），可空"),
        *(ColumnSpec(k, h, (), "str") for k, h in FIVE_CLEAR.items()),
        ColumnSpec("source", "数据来源", ("来源",), "str"),
    ),
)

BUILDING_SCHEMA = LedgerSchema(
    kind="buildings",
    title="商务楼宇台账",
    anchor_keys=("name",),
    columns=(
        ColumnSpec("name", "楼宇名称", ("名称", "楼宇", "商务楼宇名称"), "str", required=True),
        ColumnSpec("address", "地址", ("详细地址",), "str"),
        _TOWN,
        *_LOC,
        ColumnSpec("floor_area", "建筑面积", ("面积", "建筑面积（平方米）", "建筑面积(㎡)"), "float", help="平方米"),
        ColumnSpec("workstation", "楼宇工作站", ("党建工作站", "是否建立工作站"), "bool", default=False),
        ColumnSpec("source", "数据来源", ("来源",), "str"),
    ),
)

PARK_SCHEMA = LedgerSchema(
    kind="parks",
    title="园区台账",
    anchor_keys=("name",),
    columns=(
        ColumnSpec("name", "园区名称", ("名称", "园区"), "str", required=True),
        ColumnSpec("level", "级别", ("园区级别",), "enum", choices=PARK_LEVELS, help="国家级 / 市级 / 区级"),
        _TOWN,
        *_LOC,
        ColumnSpec("committee", "综合党委", ("是否建立综合党委",), "bool", default=False),
        ColumnSpec("source", "数据来源", ("来源",), "str"),
    ),
)

CENTER_SCHEMA = LedgerSchema(
    kind="centers",
    title="党群活动服务中心台账",
    anchor_keys=("name",),
    columns=(
        ColumnSpec("name", "名称", ("中心名称", "阵地名称", "服务中心名称"), "str", required=True),
        ColumnSpec("level", "层级", ("级别", "阵地层级", "阵地级别", "中心级别", "中心层级", "服务中心级别", "等级"), "enum",
                   required=True, choices=CENTER_LEVELS,
                   help="区级 / 镇级 / 街道级 / 园区 / 社区 / 楼宇"),
        _TOWN,
        ColumnSpec("floor_area", "建筑面积", ("面积", "使用面积", "建筑面积（平方米）", "建筑面积(㎡)"), "float",
                   help="平方米"),
        *_LOC,
        # blank = not reported (None), not 否: R16 judges only what the ledger says a center lacks
        *(ColumnSpec(k, h, (f"是否{h}",), "bool", default=None,
                     help="“六有”之一：填“是”或“否”；空白表示未填报（不据此判定达标与否）")
          for k, h in SIX_HAS.items()),
        ColumnSpec("source", "数据来源", ("来源",), "str"),
    ),
)

# ---------------------------------------------------------------- plausibility
@dataclass(frozen=True)
class ValueLimit:
    """Plausibility bounds of a numeric ledger column.

    Parameters
    ----------
    warn
        Above this the value is kept with a warning ("please check").
    error
        Above this the value cannot be right for one unit: the row is rejected.
    unit
        The unit shown in messages.
    """

    warn: float
    error: float
    unit: str


#: Plausibility bounds per column key (any ledger kind). A unit with more than a
#: million employees is rare even nationwide (warning); ten million is more than any
#: employer has (error). Party members: a warning above 100,000, an error above
#: 1,000,000 (the largest grassroots committees have a few thousand). Documented in
#: ``docs/ledger.md``; the counts stay far inside 64-bit integers.
VALUE_LIMITS: dict[str, ValueLimit] = {
    "employees": ValueLimit(1_000_000, 10_000_000, "人"),
    "members": ValueLimit(100_000, 1_000_000, "人"),
    "probationary": ValueLimit(100_000, 1_000_000, "人"),
    "activities": ValueLimit(1_000, 100_000, "次"),
    "floor_area": ValueLimit(1_000_000, 100_000_000, "平方米"),
    "payroll": ValueLimit(10_000_000, 1_000_000_000, "万元"),
}

#: Characters allowed in one cell of a ledger column (names, addresses, codes ...);
#: a longer cell rejects its row. Cells of extra columns are limited by
#: ``lianxin_geo.ingest.limits.ReadLimits.max_cell_chars``.
MAX_TEXT_CHARS = 2_000


SCHEMAS: dict[str, LedgerSchema] = {
    s.kind: s for s in (ORG_SCHEMA, BUILDING_SCHEMA, PARK_SCHEMA, CENTER_SCHEMA)
}
LEDGER_KINDS: tuple[str, ...] = tuple(SCHEMAS)

"""Vocabularies of the synthetic demo generator (:mod:`lianxin_geo.ingest.demo`).

Everything here is *invented* or *generic*: trade-name syllables, building and
park names, person names. Nothing names a real company, building, park or
person on purpose; any resemblance is a coincidence of common words. The only
real things the demo uses are the district skeleton (outline, towns, codes,
communities) shipped in ``data/boundaries``.

The tables are plain tuples so the generator can index them with numpy arrays.
"""

from __future__ import annotations

__all__ = [
    "SECTIONS",
    "ENTERPRISE_SECTION_WEIGHTS",
    "BUILDING_SECTION_WEIGHTS",
    "SECTION_MEDIAN_EMPLOYEES",
    "SECTION_WORDS",
    "ENTERPRISE_SUFFIXES",
    "TRADE_A",
    "TRADE_B",
    "TRADE_C",
    "SOCIAL_TYPE_WEIGHTS",
    "SOCIAL_TYPE_SECTIONS",
    "SOCIAL_TYPE_MEDIAN_STAFF",
    "SOCIAL_TYPE_MEMBER_RATE",
    "SOCIAL_NAME_PATTERNS",
    "SOCIAL_TOPICS",
    "BUILDING_PREFIX_A",
    "BUILDING_PREFIX_B",
    "BUILDING_TYPES",
    "PARKS",
    "TOWN_ORG_WEIGHTS",
    "TOWN_BUILDING_WEIGHTS",
    "ROAD_SUFFIXES",
    "SURNAMES",
    "GIVEN_CHARS",
    "MASS_ORG_PARTS",
    "FIVE_CLEAR_REASONS",
    "OPERATION_STATES",
]

#: GB/T 4754-2017 sections (门类) used by the demo: code -> name.
SECTIONS: dict[str, str] = {
    "A": "农、林、牧、渔业",
    "C": "制造业",
    "D": "电力、热力、燃气及水生产和供应业",
    "E": "建筑业",
    "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业",
    "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业",
    "J": "金融业",
    "K": "房地产业",
    "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业",
    "O": "居民服务、修理和其他服务业",
    "P": "教育",
    "Q": "卫生和社会工作",
    "R": "文化、体育和娱乐业",
    "S": "公共管理、社会保障和社会组织",
}

#: Section mix of non-public enterprises outside buildings and parks (a suburban airport district).
ENTERPRISE_SECTION_WEIGHTS: dict[str, float] = {
    "F": 22, "L": 13, "G": 10, "C": 9, "H": 7, "I": 6, "E": 6, "M": 6, "O": 6,
    "K": 4, "A": 3, "R": 2, "N": 1.5, "J": 1.5, "D": 0.5, "P": 1, "Q": 1.5,
}
#: Section mix of enterprises in commercial buildings (offices).
BUILDING_SECTION_WEIGHTS: dict[str, float] = {
    "L": 24, "I": 15, "M": 12, "F": 14, "G": 8, "J": 7, "K": 6, "E": 5, "R": 3, "H": 3, "O": 2, "P": 1,
}
#: Median employee count of an enterprise per section (the lognormal's scale).
SECTION_MEDIAN_EMPLOYEES: dict[str, float] = {
    "A": 8, "C": 30, "D": 25, "E": 18, "F": 7, "G": 20, "H": 10, "I": 12, "J": 15, "K": 12,
    "L": 8, "M": 10, "N": 12, "O": 6, "P": 15, "Q": 15, "R": 8, "S": 6,
}
#: The business word of an enterprise name, per section.
SECTION_WORDS: dict[str, tuple[str, ...]] = {
    "A": ("农业科技", "种植专业合作", "生态农业", "花卉园艺", "养殖"),
    "C": ("汽车零部件", "精密机械", "电子科技", "食品", "包装制品", "新材料", "模具", "医疗器械", "航空部件"),
    "D": ("能源科技", "供热", "燃气", "新能源"),
    "E": ("建筑工程", "装饰工程", "市政工程", "机电安装", "建设工程"),
    "F": ("商贸", "贸易", "超市", "汽车销售", "医药", "建材", "食品销售", "进出口"),
    "G": ("物流", "国际货运代理", "供应链管理", "航空货运", "仓储服务", "运输", "快递"),
    "H": ("餐饮管理", "酒店管理", "宾馆", "餐饮"),
    "I": ("信息技术", "软件", "网络科技", "数据科技", "智能科技"),
    "J": ("投资管理", "融资租赁", "保险代理", "资产管理"),
    "K": ("房地产开发", "物业管理", "房地产经纪", "置业"),
    "L": ("商务咨询", "企业管理", "人力资源", "广告", "会展服务", "租赁"),
    "M": ("科技发展", "检测技术", "工程设计", "技术服务", "生物科技"),
    "N": ("环保科技", "园林绿化", "环境工程"),
    "O": ("家政服务", "汽车维修", "美容美发", "洗衣服务", "保洁服务"),
    "P": ("教育科技", "培训"),
    "Q": ("健康管理", "医疗管理"),
    "R": ("文化传媒", "体育发展", "文化发展", "影视"),
}
ENTERPRISE_SUFFIXES: tuple[str, ...] = ("有限公司",) * 6 + ("有限责任公司", "股份有限公司", "有限公司顺义分公司")

#: Invented trade-name syllables (字号): names are TRADE_A + TRADE_B (+ TRADE_C when needed).
TRADE_A: tuple[str, ...] = tuple(
    "华 中 金 鑫 恒 泰 瑞 嘉 宏 盛 博 弘 诚 信 达 通 汇 德 安 康 腾 龙 凯 航 宇 顺 天 新 明 永 "
    "丰 海 远 创 辰 君 卓 银 兴 佳 润 锦 东 坤 尚 优 乐 聚 源 和".split()
)
TRADE_B: tuple[str, ...] = tuple(
    "盛 源 达 泰 通 利 丰 业 成 远 华 祥 海 鑫 信 宇 航 润 诚 安 德 隆 辉 晟 峰 川 洋 美 合 捷 "
    "科 锐 程 力 邦 创 瀚 禾 衡 众".split()
)
TRADE_C: tuple[str, ...] = tuple("兴 昌 晖 元 启 吉 旺 茂 荣 昊 翔 耀 益 鼎 立 钧 骏 煜 轩 誉".split())

#: Share of each social-organization type (BJ2016S §1 kinds and the SY2017 第六条 entity types).
SOCIAL_TYPE_WEIGHTS: dict[str, float] = {
    "社会团体": 18, "民办非企业单位": 24, "基金会": 1.5, "社会中介组织": 6, "城乡社区社会组织": 22,
    "民办学校": 10, "民办医院": 5, "律师事务所": 6, "会计师事务所": 4, "税务师事务所": 2, "社工事务所": 2.5,
}
SOCIAL_TYPE_SECTIONS: dict[str, tuple[str, ...]] = {
    "社会团体": ("S",), "民办非企业单位": ("P", "Q", "O", "R"), "基金会": ("S",), "社会中介组织": ("L",),
    "城乡社区社会组织": ("S", "O"), "民办学校": ("P",), "民办医院": ("Q",), "律师事务所": ("L",),
    "会计师事务所": ("L",), "税务师事务所": ("L",), "社工事务所": ("Q",),
}
SOCIAL_TYPE_MEDIAN_STAFF: dict[str, float] = {
    "社会团体": 4, "民办非企业单位": 10, "基金会": 5, "社会中介组织": 8, "城乡社区社会组织": 3,
    "民办学校": 35, "民办医院": 45, "律师事务所": 14, "会计师事务所": 16, "税务师事务所": 9, "社工事务所": 10,
}
#: Typical share of party members among the staff of a social-org type (professionals are higher).
SOCIAL_TYPE_MEMBER_RATE: dict[str, float] = {
    "社会团体": 0.12, "民办非企业单位": 0.06, "基金会": 0.15, "社会中介组织": 0.08, "城乡社区社会组织": 0.15,
    "民办学校": 0.12, "民办医院": 0.08, "律师事务所": 0.18, "会计师事务所": 0.15, "税务师事务所": 0.12,
    "社工事务所": 0.15,
}
#: (prefix, suffix) of social-org names; the topic or trade name goes between.
SOCIAL_NAME_PATTERNS: dict[str, tuple[tuple[str, str], ...]] = {
    "社会团体": (("北京市顺义区", "协会"), ("北京市顺义区", "商会"), ("北京市顺义区", "联合会"), ("北京市顺义区", "促进会")),
    "民办非企业单位": (("北京市顺义区", "培训学校"), ("北京市顺义区", "养老服务中心"), ("北京市顺义区", "服务中心"),
                 ("北京市顺义区", "发展中心")),
    "基金会": (("北京", "公益基金会"), ("北京", "慈善基金会")),
    "社会中介组织": (("北京", "评估中心"), ("北京", "咨询服务中心"), ("北京", "鉴定所")),
    "城乡社区社会组织": (("", "志愿服务队"), ("", "文体协会"), ("", "邻里互助会"), ("", "老年协会")),
    "民办学校": (("北京市顺义区", "学校"), ("北京市顺义区", "幼儿园"), ("北京市顺义区", "职业技能培训学校")),
    "民办医院": (("北京", "医院"), ("北京", "门诊部"), ("北京", "中医医院")),
    "律师事务所": (("北京", "律师事务所"),),
    "会计师事务所": (("北京", "会计师事务所有限公司"), ("北京", "会计师事务所（普通合伙）")),
    "税务师事务所": (("北京", "税务师事务所有限公司"),),
    "社工事务所": (("北京市顺义区", "社会工作事务所"),),
}
#: Topics of associations and service centres (mixed with trade names for the others).
SOCIAL_TOPICS: tuple[str, ...] = (
    "物流", "汽车", "餐饮", "电子商务", "书法", "摄影", "老年", "青年创业", "花卉", "个体劳动者", "养老",
    "家政", "心理健康", "青少年", "残疾人", "健身", "民俗文化", "非遗", "读书", "科普", "环保", "助残",
)

BUILDING_PREFIX_A: tuple[str, ...] = tuple(
    "金 国 空 汇 裕 泰 融 天 恒 瑞 鑫 中 宏 华 航 隆 博 嘉 信 海 远 新 祥 佳 悦 盈 君 瀚 御 卓".split()
)
BUILDING_PREFIX_B: tuple[str, ...] = tuple(
    "航 门 港 海 龙 和 慧 恒 泰 丰 源 通 达 昌 盛 宇 辰 安 晟 城 峰 都 宸 鼎 耀".split()
)
BUILDING_TYPES: tuple[str, ...] = (
    "大厦", "大厦", "中心", "广场", "国际中心", "商务中心", "科技大厦", "商务楼", "金融中心", "国际广场",
)

#: Invented, generic park names (not the real parks of Shunyi): name, preferred town code, level,
#: committee (综合党委) present, spread (m, the sigma of its firms around its centre) and section mix.
PARKS: tuple[tuple[str, str, str, bool, float, dict[str, float]], ...] = (
    ("临空物流产业园", "110113005", "国家级", True, 900.0, {"G": 50, "F": 22, "L": 14, "C": 6, "I": 4, "H": 4}),
    ("综合保税服务园", "110113011", "国家级", True, 700.0, {"G": 35, "F": 30, "L": 20, "C": 10, "M": 5}),
    ("汽车产业基地", "110113003", "市级", True, 1100.0, {"C": 65, "G": 12, "F": 8, "M": 8, "L": 7}),
    ("科技创新园", "110113009", "市级", True, 800.0, {"I": 35, "M": 30, "C": 20, "L": 15}),
    ("空港工业园", "110113011", "市级", False, 900.0, {"C": 45, "I": 15, "G": 15, "M": 15, "F": 10}),
    ("航空服务产业园", "110113008", "区级", True, 700.0, {"G": 40, "L": 25, "H": 15, "F": 10, "M": 10}),
    ("商务会展园", "110113004", "市级", True, 600.0, {"L": 40, "R": 20, "H": 15, "I": 15, "F": 10}),
    ("北部制造业园", "110113116", "区级", False, 900.0, {"C": 60, "E": 15, "G": 15, "F": 10}),
    ("现代农业科技园", "110113108", "区级", False, 1200.0, {"A": 60, "M": 20, "F": 20}),
    ("文化创意产业园", "110113006", "区级", True, 600.0, {"R": 45, "I": 25, "L": 20, "M": 10}),
)

#: Relative density of orgs per town/street (streets and airport-side 地区 denser).
TOWN_ORG_WEIGHTS: dict[str, float] = {
    "110113001": 9, "110113002": 7, "110113003": 7, "110113004": 7, "110113005": 8, "110113006": 3,
    "110113007": 4, "110113008": 5, "110113009": 4, "110113010": 6, "110113011": 10, "110113012": 4,
    "110113013": 6, "110113101": 2.5, "110113104": 3, "110113105": 1.5, "110113106": 2.5, "110113108": 1.2,
    "110113109": 1.2, "110113110": 1.2, "110113111": 1.0, "110113112": 1.2, "110113113": 1.5,
    "110113115": 1.2, "110113116": 2.5,
}
#: Relative number of commercial buildings per street / 地区 centre (towns get none).
TOWN_BUILDING_WEIGHTS: dict[str, float] = {
    "110113001": 8, "110113002": 6, "110113010": 5, "110113013": 5, "110113011": 9, "110113012": 2,
    "110113005": 4, "110113004": 4, "110113003": 4, "110113008": 2, "110113009": 1, "110113007": 1,
    "110113006": 1,
}
ROAD_SUFFIXES: tuple[str, ...] = ("大街", "路", "东路", "西路", "南路", "北路", "中路", "街", "南街", "北街")

SURNAMES: tuple[str, ...] = tuple(
    "王 李 张 刘 陈 杨 赵 黄 周 吴 徐 孙 胡 朱 高 林 何 郭 马 罗 梁 宋 郑 谢 韩 唐 冯 于 董 萧 "
    "程 曹 袁 邓 许 傅 沈 曾 彭 吕 苏 卢 蒋 蔡 贾 丁 魏 薛 叶 阎 余 潘 杜 戴 夏 钟 汪 田 任 姜".split()
)
GIVEN_CHARS: tuple[str, ...] = tuple(
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀 霞 平 刚 桂 英 华 玉 萍 红 建 文 辉 "
    "力 鹏 宇 晨 欣 慧 志 海 春 雪".split()
)
MASS_ORG_PARTS: tuple[str, ...] = ("工会", "团支部", "妇联")
#: Reasons of an org without a party org; the second is filled with the profile's
#: ``thresholds.own_org_min_members`` (``str.format(own_min=...)``).
FIVE_CLEAR_REASONS: tuple[str, ...] = (
    "无正式党员", "正式党员不足{own_min}名", "党员组织关系不在本单位", "新成立单位，正在筹建", "出资人对党建认识不足，正在做工作",
)
OPERATION_STATES: tuple[str, ...] = ("经营正常", "经营正常，业务增长", "经营困难，业务收缩", "经营平稳")

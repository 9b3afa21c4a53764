"""Policy profiles: every threshold the planner applies, with the clause it comes from.

A profile is a TOML file. Each value is a small table carrying the value and its
source, so a planner reads and edits one line::

    [joint]
    max_units = { value = 15, rule = "R7", doc = "SY2017", clause = "第六条", note = "一般不超过15家" }

Four profiles ship inside the package (``shunyi-2017`` is the default); a user
copies one, changes a value and passes the file path to :func:`load_profile`.
A profile may start with ``[profile] extends = "shunyi-2017"`` and then list only
the values it changes; the others keep the base profile's values and sources.
``extends`` names a shipped profile or a ``.toml`` file in the same folder as
the profile (``extends = "base.toml"``); any other path is refused.

Every profile is validated on load against :data:`PROFILE_SCHEMA`: unknown keys,
wrong types and impossible values are collected and reported at once in a
Chinese :class:`~lianxin_geo.core.errors.PolicyError` that names each key.
"""

from __future__ import annotations

import copy
import math
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, TypeVar

from lianxin_geo.core.errors import PolicyError

__all__ = [
    "as_profile",
    "DEFAULT_PROFILE",
    "PROFILE_SCHEMA",
    "PROJECT_DEFAULT",
    "Profile",
    "ValueSpec",
    "list_profiles",
    "load_profile",
    "params_from_profile",
]

DEFAULT_PROFILE = "shunyi-2017"
#: ``doc`` of values that are the project's planning defaults, not a document's.
PROJECT_DEFAULT = "项目默认值"

_POLICY_DIR = Path(__file__).resolve().parent / "policies"
_ANNOTATION_KEYS = ("rule", "doc", "clause", "note")
_GROUP_FIELDS: dict[str, str] = {
    "label": "str",
    "kinds": "list[str]",
    "social_types": "list[str]",
    "sections": "list[str]",
    "divisions": "list[str]",
    "keywords": "list[str]",
    "location": "str",
}
_GROUP_LOCATIONS = ("", "park", "building")
_TYPE_NAMES = {
    "int": "整数",
    "float": "数值",
    "rate": "0 到 1 之间的比例",
    "bool": "true/false",
    "str": "文本",
    "list[str]": "文本列表",
    "list[int]": "整数列表",
    "list[list[str]]": "文本列表的列表",
    "groups": "分组表数组（[[...value]]）",
}


@dataclass(frozen=True)
class ValueSpec:
    """What one profile key may hold.

    Parameters
    ----------
    type
        ``int``, ``float``, ``rate`` (0–1), ``bool``, ``str``, ``list[str]``,
        ``list[int]``, ``list[list[str]]`` or ``groups`` (an array of tables).
    minimum, maximum
        Inclusive bounds for numbers (and for the items of ``list[int]``).
    choices
        Allowed values of a ``str``.
    help
        One Chinese sentence shown in the docs and error messages.
    """

    type: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    help: str = ""


_S = ValueSpec
#: Every key a profile may (and, after ``extends``, must) hold.
PROFILE_SCHEMA: dict[str, ValueSpec] = {
    # --- formation thresholds
    "thresholds.own_org_min_members": _S("int", 1, 1000, help="单独组建所需正式党员数下限"),
    "thresholds.enterprise_members_employees": _S("int", 1, None, help="非公企业从业人员达到此数应有党员"),
    "thresholds.enterprise_org_employees": _S("int", 1, None, help="非公企业从业人员达到此数应建立党组织"),
    "thresholds.entity_social_staff": _S("int", 1, None, help="实体性社会组织从业人员达到此数应建立党组织"),
    "thresholds.entity_social_types": _S("list[str]", help="实体性社会组织类型"),
    "thresholds.city_level_social_group_org": _S("bool", help="市级以上社会团体应建立党组织"),
    "thresholds.mandatory_requires_own": _S("bool", help="应建立党组织的单位是否须单独组建（联合覆盖不算达标）"),
    "thresholds.branch_max_members": _S("int", 3, None, help="党支部党员数上限，超过应升格为党总支"),
    "thresholds.committee_min_members": _S("int", 3, None, help="党员数达到此数应成立基层党委"),
    # --- joint units
    "joint.max_units": _S("int", 1, None, help="一个联合党组织覆盖单位数上限"),
    "joint.min_members_total": _S("int", 1, None, help="联合党组织正式党员合计下限"),
    "joint.max_members": _S("int", 1, None, help="联合党支部党员数上限"),
    "joint.max_radius_m_town": _S("float", 0, None, help="镇/地区内联建单位到中心的最大距离（米）"),
    "joint.max_radius_m_street": _S("float", 0, None, help="街道内联建单位到中心的最大距离（米）"),
    "joint.allow_cross_town": _S("bool", help="是否允许跨镇街联建"),
    "joint.allow_similar_industry": _S("bool", help="行业相同之外是否允许行业相近联建"),
    "joint.include_zero_member_in_building": _S("bool", help="楼宇内无党员单位是否纳入楼宇联建"),
    "joint.forms": _S("list[str]", help="联建形式（按顺序尝试）：楼宇联建、园区联建、同业联建、区域联建"),
    "joint.max_radius_m_area": _S("float", 0, None, help="区域联建（无社区信息时）成员到牵头单位的最大距离（米）"),
    "joint.committee_min_members": _S("int", 3, None, help="正式党员达到此数的党支部应设支部委员会"),
    # --- instructors
    "instructors.orgs_per_instructor": _S("int", 1, None, help="每名兼职指导员联系的组织数"),
    "instructors.min_orgs": _S("int", 1, None, help="每名指导员联系组织数下限"),
    "instructors.max_orgs": _S("int", 1, None, help="每名指导员联系组织数上限"),
    "instructors.visit_minutes": _S("float", 0, 24 * 60, help="每次走访停留时间（分钟）"),
    "instructors.speed_kmh": _S("float", 1, 200, help="路线平均车速（公里/小时）"),
    "instructors.include_new_units": _S("bool", help="新组建党组织是否也配指导员"),
    "instructors.working_day_minutes": _S("float", 1, 24 * 60, help="每名指导员一天走访的最长时间（分钟），超过则分多天"),
    # --- distances and reach
    "distance.circuity": _S("float", 1, 5, help="直线距离换算道路距离的绕行系数"),
    "coverage.reach_m_street": _S("float", 0, None, help="街道党群服务中心步行服务半径（米）"),
    "coverage.reach_m_town": _S("float", 0, None, help="镇/地区党群服务中心道路服务半径（米）"),
    "coverage.district_center_own_town_only": _S("bool", help="区级中心只服务所在镇街"),
    # --- venues
    "venues.required_m2_district": _S("float", 0, None, help="区级党群活动服务中心建筑面积下限（平方米）"),
    "venues.required_m2_town": _S("float", 0, None, help="镇级（含地区）党群活动服务中心建筑面积下限（平方米）"),
    "venues.required_m2_street": _S("float", 0, None, help="街道党群活动服务中心建筑面积下限（平方米）"),
    "venues.park_center_required": _S("bool", help="功能园区必须建立党群活动服务中心"),
    "venues.park_committee_levels": _S("list[str]", help="应建立综合党委的园区级别"),
    "venues.six_has": _S("list[str]", help="“六有”检查项（中心台账的列名键）"),
    "venues.six_has_required": _S("bool", help="“六有”缺任一项时阵地不达标（R16）"),
    # --- targets
    "targets.enterprise": _S("rate", help="非公企业党组织覆盖率目标"),
    "targets.social": _S("rate", help="社会组织党组织覆盖率目标"),
    # --- activity
    "activity.min_per_year": _S("int", 0, 366, help="党组织年度活动次数达到此数计为“活动”"),
    # --- funding
    "funding.startup_committee": _S("float", 0, None, help="新建基层党委启动经费（元/年）"),
    "funding.startup_general_branch": _S("float", 0, None, help="新建党总支启动经费（元/年）"),
    "funding.startup_branch": _S("float", 0, None, help="新建党支部启动经费（元/年）"),
    "funding.startup_years": _S("int", 0, 20, help="启动经费连续提供年数"),
    "funding.include_joint_startup": _S("bool", help="新建联合党支部是否按党支部标准计启动经费"),
    "funding.activity_per_member": _S("float", 0, None, help="非公企业党员工作和活动经费（元/人·年）"),
    "funding.activity_per_member_social": _S("float", 0, None, help="社会组织党员工作和活动经费（元/人·年）"),
    "funding.payroll_rate_min": _S("rate", help="按工资总额提取党建工作经费比例下限"),
    "funding.payroll_rate_max": _S("rate", help="按工资总额提取党建工作经费比例上限"),
    # --- ledger and contact points
    "ledger.refresh_months": _S("list[int]", 1, 12, help="台账更新月份"),
    "ledger.five_clear_required": _S("bool", help="未建党组织的单位须做到“五个清”"),
    "contact.min_per_unit": _S("int", 0, None, help="每个成员单位联系点下限"),
    "contact.min_key_departments": _S("int", 0, None, help="组织部、社会工委、民政局联系点下限"),
    "contact.candidates_per_category": _S("int", 1, 50, help="每个镇街每类列出的联系点候选数"),
    "contact.emerging_divisions": _S("list[str]", help="新兴领域（GB/T 4754 大类代码）"),
    # --- industry grouping
    "industry.grouping": _S("str", choices=("section", "division", "custom"),
                            help="行业分组方式：section 门类 / division 大类 / custom 自定义分组"),
    "industry.similar": _S("list[list[str]]", help="“行业相近”的组（门类字母或分组名称）"),
    "industry.groups": _S("groups", help="自定义分组（custom 时按顺序匹配）"),
}
del _S


# ---------------------------------------------------------------- the object
class Profile:
    """A validated policy profile.

    Use :func:`load_profile` to get one. ``get("joint.max_units")`` returns the
    plain value, ``source("joint.max_units")`` its rule, document, clause and note.
    """

    def __init__(
        self,
        *,
        name: str,
        title: str,
        description: str,
        values: Mapping[str, Any],
        sources: Mapping[str, Mapping[str, str]],
        documents: Mapping[str, str],
        path: Path | None = None,
        extends: str | None = None,
    ) -> None:
        self.name = name
        self.title = title
        self.description = description
        self.path = path
        self.extends = extends
        self._values = dict(values)
        self._sources = {k: dict(v) for k, v in sources.items()}
        self.documents = dict(documents)

    def __repr__(self) -> str:
        return f"Profile(name={self.name!r}, title={self.title!r}, keys={len(self._values)})"

    def _check(self, key: str) -> None:
        if key not in self._values:
            raise PolicyError(
                f"策略配置 {self.name} 中没有配置项 {key!r}；可用的配置项见 docs/policy.md "
                f"/ profile {self.name!r} has no key {key!r}"
            )

    def get(self, key: str) -> Any:
        """Return the plain value of a dotted key, e.g. ``"joint.max_units"``."""
        self._check(key)
        return copy.deepcopy(self._values[key])

    def __getitem__(self, key: str) -> Any:
        return self.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def keys(self) -> list[str]:
        """All dotted keys, in schema order."""
        return list(self._values)

    def source(self, key: str) -> dict[str, str]:
        """Return ``{rule, doc, clause, note, doc_title}`` of a dotted key."""
        self._check(key)
        src = dict(self._sources[key])
        src["doc_title"] = "；".join(
            self.documents.get(d.strip(), d.strip()) for d in src.get("doc", "").split(";") if d.strip()
        )
        return src

    def to_dict(self) -> dict[str, Any]:
        """Nested plain dict: profile metadata and ``{section: {key: {value, rule, doc, clause, note}}}``."""
        out: dict[str, Any] = {
            "profile": {"name": self.name, "title": self.title, "description": self.description,
                        "extends": self.extends},
            "documents": dict(self.documents),
        }
        for key, value in self._values.items():
            section, leaf = key.split(".", 1)
            out.setdefault(section, {})[leaf] = {"value": copy.deepcopy(value), **self._sources[key]}
        return out

    def table(self) -> list[dict[str, Any]]:
        """One row per value (key, value, rule, doc, clause, note): for docs, the UI and exports."""
        return [{"key": k, "value": copy.deepcopy(v), **self._sources[k]} for k, v in self._values.items()]

    def with_values(self, changes: Mapping[str, Any], *, note: str = "用户修改") -> "Profile":
        """Return a validated copy with some values changed (their source becomes ``note``)."""
        raw = self.to_dict()
        for key, value in changes.items():
            section, _, leaf = key.partition(".")
            entry = raw.get(section, {}).get(leaf)
            if entry is None:
                raw.setdefault(section, {})[leaf] = {"value": value}
            else:
                old = entry["value"]
                entry["value"] = value
                entry["note"] = f"{note}（原值 {old!r}）"
        raw["profile"] = {k: v for k, v in raw["profile"].items() if k != "extends" and v is not None}
        return _build(raw, origin=f"{self.name}（修改）", path=self.path)


# ---------------------------------------------------------------- loading
def list_profiles() -> list[str]:
    """Names of the profiles shipped with the package (default first)."""
    names = sorted(p.stem for p in _POLICY_DIR.glob("*.toml"))
    if DEFAULT_PROFILE in names:
        names.remove(DEFAULT_PROFILE)
        names.insert(0, DEFAULT_PROFILE)
    return names


def load_profile(name_or_path: str | os.PathLike[str] | None = None) -> Profile:
    """Load and validate a policy profile.

    Parameters
    ----------
    name_or_path
        A shipped profile name (see :func:`list_profiles`; ``None`` gives
        ``"shunyi-2017"``) or the path of a TOML file.

    Raises
    ------
    PolicyError
        The profile is missing, not valid TOML, or holds unknown keys, wrong
        types or impossible values (all problems are listed in one message).
    """
    raw, path = _read_raw(name_or_path, chain=())
    origin = path.name if path is not None else str(name_or_path)
    return _build(raw, origin=origin, path=path)


def as_profile(profile: "Profile | str | os.PathLike[str] | None" = None) -> Profile:
    """The one profile resolver: a :class:`Profile` as it is, a name or path loaded, ``None`` the default."""
    if isinstance(profile, Profile):
        return profile
    return load_profile(profile)


_P = TypeVar("_P")


def params_from_profile(cls: Callable[..., _P], keys: Mapping[str, tuple[str, Callable[[Any], Any]]],
                        profile: "Profile | str | os.PathLike[str] | None", overrides: Mapping[str, Any]) -> _P:
    """Build a frozen ``Params`` class from a profile: each field's value read once, then ``overrides``.

    Parameters
    ----------
    cls
        The params class; it takes every field of ``keys`` plus ``profile=`` as keywords.
    keys
        field -> (profile key, conversion).
    profile
        Resolved by :func:`as_profile`.
    overrides
        Field values that replace the profile's; ``None`` keeps the profile's value.

    Raises
    ------
    TypeError
        When an override names no field.
    """
    prof = as_profile(profile)
    unknown = sorted(set(overrides) - set(keys))
    if unknown:
        name = getattr(cls, "__name__", "Params")
        raise TypeError(f"{name} 没有参数 {'、'.join(unknown)}：可用参数为 {'、'.join(keys)}")
    values = {name: conv(prof.get(key)) for name, (key, conv) in keys.items()}
    values.update({k: keys[k][1](v) for k, v in overrides.items() if v is not None})
    return cls(**values, profile=prof)


def _resolve(name_or_path: str | os.PathLike[str] | None) -> Path:
    if name_or_path is None:
        name_or_path = DEFAULT_PROFILE
    text = os.fspath(name_or_path)
    shipped = _POLICY_DIR / f"{text}.toml"
    if "/" not in text and "\\" not in text and not text.endswith(".toml") and shipped.is_file():
        return shipped
    path = Path(text).expanduser()
    if path.is_file():
        return path
    raise PolicyError(
        f"找不到策略配置 {text!r}：请使用内置配置（{'、'.join(list_profiles())}）或一个存在的 .toml 文件路径 "
        f"/ policy profile {text!r} not found"
    )


def _read_raw(name_or_path: str | os.PathLike[str] | None, *,
              chain: tuple[Path, ...]) -> tuple[dict[str, Any], Path]:
    path = _resolve(name_or_path)
    if path.resolve() in chain:
        raise PolicyError(f"策略配置 {path.name} 的 extends 形成循环引用：请检查 [profile] extends")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"策略配置 {path.name} 不是合法的 TOML：{exc}；请检查引号、括号和等号 "
                          f"/ {path.name} is not valid TOML") from exc
    except UnicodeDecodeError as exc:
        raise PolicyError(f"策略配置 {path.name} 不是 UTF-8 编码：请另存为 UTF-8 / save it as UTF-8") from exc
    meta = raw.get("profile", {})
    base_name = meta.get("extends") if isinstance(meta, dict) else None
    if base_name:
        if not isinstance(base_name, str):
            raise PolicyError(f"策略配置 {path.name} 的 profile.extends 应为配置名称或文件路径（文本）")
        base, _ = _read_raw(_extends_target(base_name, path), chain=chain + (path.resolve(),))
        raw = _merge(base, raw)
    return raw, path


def _extends_target(text: str, profile: Path) -> Path:
    """The profile an ``extends`` names: a shipped profile, or a .toml file in the same folder as ``profile``.

    Anything else (an absolute path, ``..``, a sub-folder, a link leading out of
    the folder, a file that is not .toml) is refused, so a profile cannot make
    the program open arbitrary files.
    """
    shipped = _POLICY_DIR / f"{text}.toml"
    if text in list_profiles() and shipped.is_file():
        return shipped
    folder = profile.parent.resolve()
    target = (profile.parent / text).resolve()
    plain_name = text == Path(text).name and "/" not in text and "\\" not in text and text not in (".", "..")
    if plain_name and text.lower().endswith(".toml") and target.parent == folder and target.is_file():
        return target
    raise PolicyError(
        f"策略配置 {profile.name} 的 extends = {text!r} 不允许（不能指向其他文件夹或其他类型的文件）："
        f"请改为内置配置的名称（{'、'.join(list_profiles())}），或与 {profile.name} 放在同一文件夹中的 .toml 文件名"
        f"（如 \"base.toml\"）"
        f"/ extends must name a built-in profile or a .toml file in the profile's own folder"
    )


def _merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for section, content in child.items():
        if section in ("profile", "documents") and isinstance(content, dict):
            merged = dict(out.get(section, {})) if isinstance(out.get(section), dict) else {}
            merged.update(content)
            out[section] = merged
        elif isinstance(content, dict) and isinstance(out.get(section), dict):
            for key, entry in content.items():
                out[section][key] = copy.deepcopy(entry)  # a value entry replaces the base entry whole
        else:
            out[section] = copy.deepcopy(content)
    return out


def _build(raw: Mapping[str, Any], *, origin: str, path: Path | None) -> Profile:
    problems: list[str] = []
    meta = raw.get("profile", {})
    if not isinstance(meta, dict):
        problems.append("profile：应为表 [profile]，含 name、title")
        meta = {}
    for key in meta:
        if key not in ("name", "title", "description", "extends"):
            problems.append(f"profile.{key}：未知的配置项；[profile] 只能有 name、title、description、extends")
    documents = raw.get("documents", {})
    if not isinstance(documents, dict) or not all(isinstance(v, str) for v in documents.values()):
        problems.append("documents：应为表 [documents]，每项为 文件简称 = \"文件全称\"")
        documents = {}

    values: dict[str, Any] = {}
    sources: dict[str, dict[str, str]] = {}
    seen: set[str] = set()
    for section, content in raw.items():
        if section in ("profile", "documents"):
            continue
        if not isinstance(content, dict):
            problems.append(f"{section}：未知的配置项（应为一个表 [{section}]）")
            continue
        for leaf, entry in content.items():
            key = f"{section}.{leaf}"
            seen.add(key)
            spec = PROFILE_SCHEMA.get(key)
            if spec is None:
                problems.append(f"{key}：未知的配置项（可能拼写错误）；可用的配置项见 docs/policy.md")
                continue
            if not isinstance(entry, dict) or "value" not in entry:
                problems.append(
                    f"{key}：应写成 {{ value = ..., rule = \"R..\", doc = \"..\", clause = \"..\", note = \"..\" }}"
                )
                continue
            extra = [k for k in entry if k != "value" and k not in _ANNOTATION_KEYS]
            if extra:
                problems.append(f"{key}：未知的标注字段 {', '.join(extra)}；只能有 value、rule、doc、clause、note")
            for ann in _ANNOTATION_KEYS:
                if ann in entry and not isinstance(entry[ann], str):
                    problems.append(f"{key}.{ann}：应为文本")
            if not entry.get("doc"):
                problems.append(f"{key}：缺少来源 doc（文件简称，或“{PROJECT_DEFAULT}”）")
            value, problem = _check_value(key, spec, entry["value"])
            if problem:
                problems.append(problem)
                continue
            values[key] = value
            sources[key] = {k: str(entry.get(k, "") or "") for k in _ANNOTATION_KEYS}
    for key in PROFILE_SCHEMA:
        if key not in seen:
            problems.append(f"{key}：缺少此配置项；请从内置配置复制这一行，或用 [profile] extends = \"{DEFAULT_PROFILE}\"")
    if not problems:
        problems.extend(_cross_checks(values))
    name = meta.get("name") or (path.stem if path is not None else origin)
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise PolicyError(
            f"策略配置 {origin} 有 {len(problems)} 处问题，请修改后重新加载 / policy profile {origin} is invalid:\n{lines}"
        )
    ordered = {k: values[k] for k in PROFILE_SCHEMA}
    return Profile(
        name=str(name),
        title=str(meta.get("title") or name),
        description=str(meta.get("description") or ""),
        values=ordered,
        sources={k: sources[k] for k in PROFILE_SCHEMA},
        documents=documents,
        path=path,
        extends=meta.get("extends"),
    )


def _describe(value: Any) -> str:
    kind = {bool: "true/false", int: "整数", float: "数值", str: "文本", list: "列表", dict: "表"}.get(type(value), "值")
    return f"{kind} {value!r}"


def _check_value(key: str, spec: ValueSpec, value: Any) -> tuple[Any, str | None]:
    want = _TYPE_NAMES[spec.type]
    bad = f"{key}：应为{want}，实际为{_describe(value)}"
    t = spec.type
    if t == "bool":
        return (value, None) if isinstance(value, bool) else (None, bad)
    if t == "str":
        if not isinstance(value, str):
            return None, bad
        if spec.choices and value not in spec.choices:
            return None, f"{key}：应为 {' / '.join(spec.choices)} 之一，实际为 {value!r}"
        return value, None
    if t in ("int", "float", "rate"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None, bad
        if t == "int" and not isinstance(value, int):
            if float(value).is_integer():
                value = int(value)
            else:
                return None, bad
        if not math.isfinite(value):
            return None, f"{key}：应为有限的数值，实际为 {value!r}"
        lo, hi = (0.0, 1.0) if t == "rate" else (spec.minimum, spec.maximum)
        if lo is not None and value < lo:
            return None, f"{key}：不能小于 {lo:g}，实际为 {value!r}"
        if hi is not None and value > hi:
            return None, f"{key}：不能大于 {hi:g}，实际为 {value!r}"
        return (float(value) if t != "int" else int(value)), None
    if t == "list[str]":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, bad
        return list(value), None
    if t == "list[int]":
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return None, bad
        for v in value:
            if (spec.minimum is not None and v < spec.minimum) or (spec.maximum is not None and v > spec.maximum):
                return None, f"{key}：每一项应在 {spec.minimum:g} 到 {spec.maximum:g} 之间，实际有 {v!r}"
        return list(value), None
    if t == "list[list[str]]":
        if not isinstance(value, list) or not all(
            isinstance(g, list) and all(isinstance(v, str) for v in g) for g in value
        ):
            return None, bad
        return [list(g) for g in value], None
    if t == "groups":
        if not isinstance(value, list) or not all(isinstance(g, dict) for g in value):
            return None, bad
        out = []
        for i, g in enumerate(value, start=1):
            unknown = [k for k in g if k not in _GROUP_FIELDS]
            if unknown:
                return None, f"{key} 第 {i} 组：未知的字段 {', '.join(unknown)}；可用字段 {', '.join(_GROUP_FIELDS)}"
            if not isinstance(g.get("label"), str) or not g["label"]:
                return None, f"{key} 第 {i} 组：缺少分组名称 label"
            for field_name, ftype in _GROUP_FIELDS.items():
                v = g.get(field_name, "" if ftype == "str" else [])
                ok = isinstance(v, str) if ftype == "str" else (
                    isinstance(v, list) and all(isinstance(x, str) for x in v))
                if not ok:
                    return None, f"{key} 第 {i} 组（{g['label']}）.{field_name}：应为{_TYPE_NAMES[ftype]}"
            if g.get("location", "") not in _GROUP_LOCATIONS:
                return None, f"{key} 第 {i} 组（{g['label']}）.location：应为 park、building 或留空"
            out.append({f: copy.deepcopy(g.get(f, "" if ft == "str" else [])) for f, ft in _GROUP_FIELDS.items()})
        return out, None
    raise AssertionError(t)  # pragma: no cover


def _cross_checks(v: Mapping[str, Any]) -> Iterable[str]:
    if not v["instructors.min_orgs"] <= v["instructors.orgs_per_instructor"] <= v["instructors.max_orgs"]:
        yield ("instructors.min_orgs / orgs_per_instructor / max_orgs：应满足 下限 ≤ 标准 ≤ 上限，实际为 "
               f"{v['instructors.min_orgs']} / {v['instructors.orgs_per_instructor']} / {v['instructors.max_orgs']}")
    if v["funding.payroll_rate_min"] > v["funding.payroll_rate_max"]:
        yield "funding.payroll_rate_min：不能大于 funding.payroll_rate_max"
    if v["thresholds.branch_max_members"] >= v["thresholds.committee_min_members"]:
        yield "thresholds.branch_max_members：应小于 thresholds.committee_min_members"
    if v["joint.min_members_total"] > v["joint.max_members"]:
        yield "joint.min_members_total：不能大于 joint.max_members"
    if v["industry.grouping"] == "custom" and not v["industry.groups"]:
        yield "industry.groups：industry.grouping = \"custom\" 时至少需要一个分组"

"""A meeting deck with python-pptx: key figures, maps, towns that need attention, plans, venues.

Every text run gets a Latin *and* an East Asian typeface (``a:latin`` and
``a:ea`` in the run properties): PowerPoint picks the East Asian font for
Chinese characters, so setting only the Latin name leaves Chinese text in the
viewer's default font. Every slide carries the data-notes line when the data
are synthetic or the boundaries approximate.

Pictures are taken as files or as bytes (maps drawn in memory: no temporary
folder), and the deck is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from lianxin_geo.assessment import Assessment
from lianxin_geo.core.files import atomic_path
from lianxin_geo.plan.joint import JointPlan
from lianxin_geo.plan.routes import InstructorPlan
from lianxin_geo.present import charts as _charts
from lianxin_geo.present.plans import Plans, PlansLike, as_plans
from lianxin_geo.present.staticmap import figure_bytes
from lianxin_geo.present.style import pct
from lianxin_geo.workspace import Workspace

__all__ = ["PARTIAL", "DeckStyle", "build_deck", "partial_note", "set_run_font", "town_rows", "names_of"]

#: A picture: a file path or the image's bytes.
Image = str | os.PathLike[str] | bytes
#: The label of a plan some of whose towns could not be solved (never presented as complete).
PARTIAL = "部分结果"


def partial_note(plan: JointPlan | InstructorPlan) -> str:
    """``（部分结果：甲镇、乙镇求解失败，未纳入本方案）`` for a partial plan, ``""`` for a complete one."""
    if not plan.partial:
        return ""
    return f"（{PARTIAL}：{'、'.join(f.label for f in plan.failures)}求解失败，未纳入本方案）"


class DeckStyle:
    """Fonts and colours of the deck (keyword-only constructor)."""

    def __init__(self, *, latin: str = "Arial", east_asian: str = "微软雅黑",
                 accent: str = "C00000", note_color: str = "7A0000") -> None:
        self.latin = latin
        self.east_asian = east_asian
        self.accent = accent
        self.note_color = note_color


def set_run_font(run: Any, *, latin: str, east_asian: str, size: float | None = None, bold: bool | None = None,
                 color: str | None = None) -> None:
    """Set the Latin and the East Asian typeface (``a:ea``) of one run, plus size, weight and colour."""
    from pptx.dml.color import RGBColor
    from pptx.oxml.ns import qn
    from pptx.util import Pt

    font = run.font
    font.name = latin  # creates/updates a:latin
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    if color is not None:
        font.color.rgb = RGBColor.from_string(color)
    rpr = run._r.get_or_add_rPr()
    for tag in ("a:ea", "a:cs"):
        old = rpr.find(qn(tag))
        if old is not None:
            rpr.remove(old)
    latin_el = rpr.find(qn("a:latin"))
    from lxml import etree

    ea = etree.SubElement(rpr, qn("a:ea"))
    ea.set("typeface", east_asian)
    cs = etree.SubElement(rpr, qn("a:cs"))
    cs.set("typeface", east_asian)
    # schema order: ... a:latin, a:ea, a:cs, a:sym, a:hlinkClick ...
    if latin_el is not None:
        latin_el.addnext(ea)
        ea.addnext(cs)


def _text(frame: Any, lines: Sequence[str], style: DeckStyle, *, size: float = 14, bold: bool = False,
          color: str | None = None) -> None:
    frame.clear()
    frame.word_wrap = True
    for i, line in enumerate(lines):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = para.add_run()
        run.text = str(line)
        set_run_font(run, latin=style.latin, east_asian=style.east_asian, size=size, bold=bold, color=color)


def _box(slide: Any, x: float, y: float, w: float, h: float, lines: Sequence[str], style: DeckStyle, **kw: Any):
    from pptx.util import Inches

    tb = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
    _text(tb.text_frame, lines, style, **kw)
    return tb


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)) or v is pd.NA:
        return ""
    if isinstance(v, float):
        return f"{v:.1%}" if 0 <= v <= 1 and not float(v).is_integer() else f"{v:,.0f}"
    return str(v)


_VENUE_ROWS_PER_SLIDE = 8


def _table(slide: Any, x: float, y: float, w: float, headers: Sequence[str], rows: Sequence[Sequence[Any]],
           style: DeckStyle, *, size: float = 10, widths: Sequence[float] | None = None) -> Any:
    from pptx.util import Inches

    n = len(rows) + 1
    shape = slide.shapes.add_table(n, len(headers), Inches(x), Inches(y), Inches(w), Inches(0.3 * n))
    table = shape.table
    if widths is not None:
        scale = w / float(sum(widths))
        for j, cw in enumerate(widths):
            table.columns[j].width = Inches(cw * scale)
    for j, h in enumerate(headers):
        _text(table.cell(0, j).text_frame, [h], style, size=size, bold=True)
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row):
            _text(table.cell(i, j).text_frame, [_fmt(v)], style, size=size)
    return shape


def _picture(image: Image) -> Any:
    return io.BytesIO(image) if isinstance(image, bytes) else os.fspath(image)


def _slide(prs: Any, title: str, notes: Sequence[str], style: DeckStyle) -> Any:
    slide = prs.slides.add_slide(prs.slide_layouts[6])  # blank
    _box(slide, 0.4, 0.2, 12.5, 0.7, [title], style, size=26, bold=True, color=style.accent)
    if notes:
        _box(slide, 0.4, 6.95, 12.5, 0.5, ["数据说明：" + "；".join(notes)], style, size=9, color=style.note_color)
    return slide


def town_rows(assessment: Assessment, codes: Sequence[str]) -> dict[str, list[list[Any]]]:
    """Key figures of each town (label, value rows) for the per-town slides."""
    j = assessment.jurisdictions.copy()
    j["code"] = j["code"].astype(str)
    j = j.set_index("code")
    out: dict[str, list[list[Any]]] = {}
    for c in codes:
        if c not in j.index:
            continue
        r = j.loc[c]
        out[c] = [
            ["两新组织（个）", r.get("orgs")],
            ["单独建立 / 联合建立", f"{_fmt(r.get('own'))} / {_fmt(r.get('joint'))}"],
            ["仅工作覆盖 / 未覆盖", f"{_fmt(r.get('work_only'))} / {_fmt(r.get('uncovered'))}"],
            ["组织覆盖率", pct(r.get("org_coverage_rate"))],
            ["非公企业组织覆盖率（目标）",
             f"{pct(r.get('enterprise_org_coverage_rate'))}（{pct(r.get('enterprise_target'))}）"],
            ["非公企业差距", r.get("enterprise_gap_text")],
            ["社会组织组织覆盖率（目标）",
             f"{pct(r.get('social_org_coverage_rate'))}（{pct(r.get('social_target'))}）"],
            ["社会组织差距", r.get("social_gap_text")],
            ["应单独组建 / 联合组建候选", f"{_fmt(r.get('to_form_own'))} / {_fmt(r.get('joint_candidates'))}"],
        ]
    return out


def build_deck(
    workspace: Workspace,
    path: str | os.PathLike[str],
    *,
    assessment: Assessment | None = None,
    plans: PlansLike = None,
    map_png: Image | None = None,
    town_pngs: Mapping[str, Image] | None = None,
    style: DeckStyle | None = None,
    date: _dt.date | None = None,
    max_rows: int = 12,
) -> Path:
    """Write the deck and return its path.

    Parameters
    ----------
    workspace
        The :class:`~lianxin_geo.workspace.Workspace`.
    path
        Output ``.pptx`` path.
    assessment
        The assessment (key figures, towns that need attention, venues).
    plans
        :class:`~lianxin_geo.present.plans.Plans` or ``{"joint": ..., "routes": ..., "coverage": ...}``
        (the planners' typed results).
    map_png
        The district map (a static PNG: a file or its bytes) for the map slide.
    town_pngs
        ``jurisdiction code -> PNG`` (file or bytes): one slide per town that needs attention, in this order.
    style
        Fonts and colours.
    date
        Date on the title slide (default today).
    max_rows
        Most table rows on one slide.
    """
    from pptx import Presentation
    from pptx.util import Inches

    style = style or DeckStyle()
    p = as_plans(plans)
    notes = list(workspace.data_notes)
    prs = Presentation()
    prs.slide_width = Inches(13.333)
    prs.slide_height = Inches(7.5)
    dname = workspace.district.name
    # 1 title
    s = _slide(prs, f"{dname}两新组织党建工作覆盖评估与规划", notes, style)
    day = (date or _dt.date.today()).isoformat()
    prof = workspace.profile.title or workspace.profile.name
    _box(s, 0.8, 2.4, 11.5, 2.0, [f"策略配置：{prof}", f"日期：{day}", "由 lianxin-geo 生成"], style, size=20)
    # 2 key figures
    s = _slide(prs, "关键数据", notes, style)
    rows: list[list[Any]] = []
    if assessment is not None:
        ds = assessment.district_summary.set_index("org_kind")
        for kind in ds.index:
            r = ds.loc[kind]
            tgt = r.get("target")
            rows.append([kind, r.get("orgs"), r.get("org_coverage_rate"), r.get("work_coverage_rate"),
                         "" if tgt is None or pd.isna(tgt) else _fmt(float(tgt)), r.get("gap_text") or ""])
        _table(s, 0.5, 1.1, 12.3, ["类别", "单位数", "组织覆盖率", "工作覆盖率", "目标", "差距"], rows, style, size=12)
    extra = _plan_figures(p)
    if extra:
        _box(s, 0.5, 1.4 + 0.35 * (len(rows) + 1), 12.3, 2.0, extra, style, size=16)
    if assessment is not None:
        _assessment_charts(prs, workspace, assessment, notes, style)
    # 3 map
    if map_png is not None:
        s = _slide(prs, "全区地图", notes, style)
        s.shapes.add_picture(_picture(map_png), Inches(1.4), Inches(0.95), height=Inches(5.95))
    # per town
    if assessment is not None and town_pngs:
        names = workspace.district.town_names
        figures = town_rows(assessment, list(town_pngs))
        for code, png in town_pngs.items():
            s = _slide(prs, f"需关注：{names.get(code, code)}", notes, style)
            if code in figures:
                _table(s, 0.4, 1.1, 5.0, ["指标", "数值"], figures[code], style, size=11)
            if png is not None:
                s.shapes.add_picture(_picture(png), Inches(5.6), Inches(1.0), height=Inches(5.8))
    if p.joint is not None and len(p.joint.units):
        _joint_slide(prs, workspace, p.joint, notes, style, max_rows)
        _chart_slide(prs, "联建单元规模", _charts.unit_sizes_figure(p.joint), notes, style)
    if p.routes is not None and len(p.routes.towns):
        _routes_slide(prs, p.routes, notes, style, max_rows)
        day = p.routes.stats.get("working_day_minutes") if hasattr(p.routes, "stats") else None
        _chart_slide(prs, "指导员路线时长", _charts.route_minutes_figure(p.routes, working_day=day), notes, style)
    # venues
    if assessment is not None and len(assessment.venues):
        v = assessment.venues
        bad = v[~v["compliant"].astype(bool)] if "compliant" in v else v
        rows = [[r.get("name"), r.get("level"), r.get("required_m2"), r.get("best_m2"), r.get("shortfall_m2"),
                 r.get("reason")] for r in bad.to_dict("records")]
        head = f"达标 {int(v['compliant'].astype(bool).sum())} / {len(v)}" if "compliant" in v else ""
        per_slide = _VENUE_ROWS_PER_SLIDE  # the reasons wrap to 2–3 lines: more rows would run off the slide
        pages = [rows[i:i + per_slide] for i in range(0, len(rows), per_slide)] or [[]]
        for k, page in enumerate(pages):
            title = "党群活动服务中心达标情况" + (f"（续 {k + 1}/{len(pages)}）" if k else "")
            s = _slide(prs, title, notes, style)
            if k == 0:
                _box(s, 0.4, 0.85, 12.5, 0.4, [head + (f"；未达标 {len(rows)} 处：" if rows else "；全部达标")], style,
                     size=12)
            if page:
                _table(s, 0.4, 1.3, 12.5, ["名称", "层级", "标准面积（㎡）", "现有面积（㎡）", "缺口（㎡）", "说明"], page,
                       style, size=9, widths=(1.6, 0.9, 1.3, 1.3, 1.2, 6.2))
    out = Path(path)
    with atomic_path(out) as tmp:
        prs.save(tmp)
    return out


def _plan_figures(p: Plans) -> list[str]:
    """One line of key figures per plan given (the key-figures slide)."""
    extra = []
    if p.joint is not None:
        st = p.joint.stats
        extra.append(f"联建方案：新建联建单元 {st.get('units', 0)} 个，纳入 {st.get('placed', 0)} 家单位，"
                     f"未纳入 {st.get('unplaced', 0)} 家" + partial_note(p.joint))
    if p.routes is not None:
        st = p.routes.stats
        extra.append(f"指导员路线：{st.get('instructors', 0)} 名指导员走访 {st.get('orgs', 0)} 家单位，"
                     f"总里程 {float(st.get('total_km') or 0):.1f} 公里" + partial_note(p.routes))
    if p.coverage is not None:
        d = p.coverage.district
        extra.append(f"阵地覆盖：{_fmt(d.get('orgs_share'))} 的组织在现有阵地服务范围内，"
                     f"建议新增阵地 {len(p.coverage.proposed_sites)} 处后为 {_fmt(d.get('orgs_share_after'))}")
    return extra


def _joint_slide(prs: Any, workspace: Workspace, joint: JointPlan, notes: Sequence[str], style: DeckStyle,
                 max_rows: int) -> None:
    """联建方案摘要: the largest units (radius as the CLI's JSON rounds it, 0.1 m)."""
    s = _slide(prs, "联建方案摘要" + (f"（{PARTIAL}）" if joint.partial else ""), notes, style)
    units = sorted(joint.units.itertuples(index=False), key=lambda u: -len(u.org_ids))[:max_rows]
    rows = [[u.unit_id, names_of(workspace, u.jurisdiction_code), getattr(u, "form", ""), len(u.org_ids), u.members,
             u.employees, u.hub_name, f"{round(float(u.radius_m), 1) if pd.notna(u.radius_m) else 0:.0f}"] for u in units]
    st = joint.stats
    if st.get("mean_orgs_per_unit") is not None:
        _box(s, 0.4, 0.75, 12.5, 0.35, [f"共 {st.get('units', len(joint.units))} 个联建单元，纳入 {st.get('placed', '')} 家，"
                                        f"平均每个单元 {float(st['mean_orgs_per_unit']):.1f} 家；可设支委会的单元 "
                                        f"{st.get('units_with_committee', '')} 个"], style, size=11)
    if joint.partial:
        _box(s, 0.4, 6.5, 12.5, 0.4, [partial_note(joint)], style, size=11, bold=True, color=style.accent)
    _table(s, 0.4, 1.15, 12.5, ["联建单元", "镇街", "联建形式", "单位数", "正式党员", "从业人员", "牵头单位", "半径（米）"],
           rows, style, size=10)


def _routes_slide(prs: Any, routes: InstructorPlan, notes: Sequence[str], style: DeckStyle, max_rows: int) -> None:
    """指导员配置与路线摘要: the towns with the most orgs to visit."""
    s = _slide(prs, "指导员配置与路线摘要" + (f"（{PARTIAL}）" if routes.partial else ""), notes, style)
    if routes.partial:
        _box(s, 0.4, 0.75, 12.5, 0.35, [partial_note(routes)], style, size=11, bold=True, color=style.accent)
    towns = sorted(routes.towns.itertuples(index=False), key=lambda t: -(t.orgs if pd.notna(t.orgs) else 0))[:max_rows]
    rows = [[t.town_name, t.orgs, t.instructors_needed, t.instructors_available, t.instructors_gap,
             f"{float(t.km_total) if pd.notna(t.km_total) else 0:.1f}"] for t in towns]
    _table(s, 0.4, 1.1, 12.5, ["镇街", "需指导单位", "需指导员", "现有指导员", "缺口", "总里程（公里）"], rows, style,
           size=11)


def _chart_slide(prs: Any, title: str, fig: Any, notes: Sequence[str], style: DeckStyle) -> None:
    """A slide holding one chart (drawn at 110 dpi, fitted to the slide's width)."""
    from pptx.util import Inches

    s = _slide(prs, title, notes, style)
    png = figure_bytes(fig, dpi=110)
    w, h = fig.get_size_inches()
    width = min(12.3, 5.9 * w / h)
    s.shapes.add_picture(_picture(png), Inches((13.333 - width) / 2), Inches(1.0), width=Inches(width))


def _assessment_charts(prs: Any, workspace: Workspace, assessment: Assessment, notes: Sequence[str],
                       style: DeckStyle) -> None:
    """全区三率, each town's rate against the target, the status mix per town."""
    prof = workspace.profile
    targets = {"非公企业": float(prof.get("targets.enterprise")), "社会组织": float(prof.get("targets.social"))}
    _chart_slide(prs, "全区三率", _charts.district_rates_figure(assessment, targets=targets), notes, style)
    _chart_slide(prs, "各乡镇/街道组织覆盖率（对照目标）",
                 _charts.town_rates_figure(assessment, target=targets["非公企业"]), notes, style)
    _chart_slide(prs, "各乡镇/街道覆盖状态构成", _charts.status_mix_figure(assessment), notes, style)


def names_of(workspace: Workspace, code: Any) -> str:
    """Town/street name of a jurisdiction code ('' when unknown)."""
    names = workspace.district.town_names
    return names.get(str(code), str(code or ""))

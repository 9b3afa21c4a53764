"""Exports for meetings and offline use: HTML map, static maps, Excel, PowerPoint, GeoPackage/GeoJSON.

Every function here writes results it is given (a :class:`~lianxin_geo.workspace.Workspace`,
an :class:`~lianxin_geo.assessment.assessor.Assessment` and the plans); computing what is
missing is :func:`lianxin_geo.pipeline.run_all`'s job. Every export carries the
workspace's data notes (synthetic demo ledgers, approximate boundaries).

* :func:`export_html` — one self-contained HTML file (Leaflet and every style
  inlined, no external address at all), every layer of the app, legend, data notes;
  with a Content-Security-Policy that runs only its own scripts (by hash) and no
  inline event handler or ``javascript:`` URL (none is written: checked before saving).
* :func:`export_png` / :func:`export_pdf` — static maps drawn with matplotlib and
  the bundled CJK font (no browser, no tiles).
* :func:`export_xlsx` — the assessment's statistics tables (BJ2016N 附件1–4) and
  the plans' tables (:mod:`lianxin_geo.present.sheets`), written with the project's
  safe writer (:mod:`lianxin_geo.present.xlsx`); :func:`export_plan_xlsx` the plans' alone.
* :func:`export_pptx` — a meeting deck.
* :func:`export_gpkg` / :func:`export_geojson_dir` — every layer, WGS-84, with a
  GCJ-02 copy on request.
* :func:`write_all` — every requested format into one run folder, the independent files as tasks of the
  parallel engine (:mod:`lianxin_geo.core.engine`).

**Crash safety.** Every file is written under a temporary name in its folder and
renamed when complete (:func:`lianxin_geo.core.files.atomic_path`): a killed export
leaves the previous file or the new one, never a truncated one. :func:`write_all`
writes a whole run into a sibling folder and swaps it in at the end, with a
completion manifest (``manifest.json``) written last; readers check it with
:func:`lianxin_geo.present.outdir.verify_manifest` (see :mod:`lianxin_geo.present.outdir`).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from lianxin_geo.assessment import Assessment
from lianxin_geo.core.engine import Engine, get_engine
from lianxin_geo.core.errors import LianxinError
from lianxin_geo.core.files import atomic_path, atomic_write_bytes, atomic_write_text, remove_stale_temps
from lianxin_geo.present import deck as _deck
from lianxin_geo.present import gpkg as _gpkg
from lianxin_geo.present import staticmap as _staticmap
from lianxin_geo.present.assets import external_urls, unsafe_markup
from lianxin_geo.present.maps import LAYERS, build_map, esc, map_html
from lianxin_geo.present.outdir import MANIFEST_NAME, staged_folder
from lianxin_geo.present.plans import Plans, PlansLike, as_plans
from lianxin_geo.present.sheets import plan_sheets, workbook_sheets
from lianxin_geo.present.xlsx import write_workbook
from lianxin_geo.workspace import Workspace

__all__ = [
    "Plans",
    "FORMATS",
    "DEFAULT_FORMATS",
    "EXPORT_JOBS",
    "EXPORT_SECONDS",
    "export_costs",
    "export_jobs",
    "FILE_NAMES",
    "MANIFEST_NAME",
    "check_formats",
    "export_plan_xlsx",
    "export_html",
    "export_png",
    "export_pdf",
    "export_xlsx",
    "export_pptx",
    "export_gpkg",
    "export_geojson_dir",
    "write_all",
]

PathLike = str | os.PathLike

#: Formats :func:`write_all` can write.
FORMATS: tuple[str, ...] = ("html", "png", "pdf", "xlsx", "pptx", "gpkg", "geojson")
#: Formats of a run when the caller names none.
DEFAULT_FORMATS: tuple[str, ...] = ("html", "png", "xlsx", "pptx", "gpkg")

#: File names :func:`write_all` writes in its output folder (besides ``manifest.json`` and the extra JSON files).
FILE_NAMES: dict[str, str] = {
    "html": "map.html",
    "png": "map_overview.png",
    "png_joint": "map_joint.png",
    "png_routes": "map_routes.png",
    "png_coverage": "map_coverage.png",
    "pdf": "maps.pdf",
    "xlsx": "tables.xlsx",
    "pptx": "deck.pptx",
    "gpkg": "layers.gpkg",
    "gpkg_gcj02": "layers_gcj02.gpkg",
    "geojson": "geojson",
}


def check_formats(formats: Sequence[str]) -> None:
    """Raise ``ValueError`` (Chinese) when ``formats`` names one that is not in :data:`FORMATS`."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"未知导出格式：{', '.join(unknown)}；可选 {', '.join(FORMATS)}")


def _need(assessment: Assessment | None, what: str) -> Assessment:
    if assessment is None:
        raise ValueError(f"{what}需要评估结果：请先用 lianxin_geo.pipeline.run_assessment(ws) 评估，再传入 assessment=")
    return assessment


# ---------------------------------------------------------------- HTML
_DEMO_LAYERS = {"orgs": "orgs", "buildings": "buildings", "parks": "parks", "centers": "centers",
                "units": "orgs", "routes": "orgs", "gaps": "orgs", "sites": "orgs"}


#: Layers the HTML export opens with (the boundaries' choropleth and the coverage layers); every other
#: drawn layer is listed, switched off, in the layer switcher.
HTML_SHOWN_LAYERS = ("boundaries", "centers", "gaps", "sites")


def _label_layers(fmap: Any, ws: Workspace) -> None:
    """Add （演示数据）/（示意边界） to the names of synthetic / approximate layers in the layer switcher."""
    by_name = {v: k for k, v in LAYERS.items()}
    demo = set(ws.demo_kinds)
    for child in list(fmap._children.values()):
        name = getattr(child, "layer_name", None)
        key = by_name.get(name)
        if key is None:
            continue
        tags = []
        if key == "boundaries" and ws.district.approximate:
            tags.append("示意边界，非官方")
        if _DEMO_LAYERS.get(key) in demo:
            tags.append("演示数据（合成）")
        if tags:
            child.layer_name = f"{name}（{'；'.join(tags)}）"


def _rates(assessment: Assessment | None) -> pd.DataFrame | None:
    if assessment is None:
        return None
    j = assessment.jurisdictions
    cols = [c for c in ("code", "name", "org_coverage_rate", "single_rate", "work_coverage_rate",
                        "enterprise_org_coverage_rate", "social_org_coverage_rate") if c in j]
    out = j[cols].copy()
    if "org_coverage_rate" in out:
        out["org_rate"] = out["org_coverage_rate"]
    return out


def export_html(
    ws: Workspace,
    path: PathLike,
    *,
    plans: PlansLike = None,
    assessment: Assessment | None = None,
    title: str | None = None,
    layers: Sequence[str] | None = None,
) -> Path:
    """Write one self-contained HTML map (opens offline: every script and style inlined).

    Parameters
    ----------
    ws
        The workspace.
    path
        Output ``.html`` file.
    plans
        :class:`Plans` or ``{"joint"|"routes"|"coverage": plan}`` (the planners' typed results):
        their layers are added.
    assessment
        Colours orgs by status and towns by organization coverage rate.
    title
        Page title; default names the district.
    layers
        Layer keys (:data:`lianxin_geo.present.maps.LAYERS`); default every layer whose data exist.

    Raises
    ------
    RuntimeError
        If the page would still load anything from another host, or carries an inline event handler
        (``on…=``) or a ``javascript:`` URL (never expected: every value from the data is escaped).
    """
    p = as_plans(plans)
    if layers is None:
        layers = ["boundaries", "orgs", "buildings", "parks", "centers"]
        layers += [k for k, need in (("units", "joint"), ("routes", "routes"), ("gaps", "coverage"),
                                     ("sites", "coverage")) if need in p]
    target = float(ws.profile.get("targets.enterprise"))
    fmap = build_map(ws, layers=layers, basemap="none", plans=p, assessment=assessment,
                     rates=_rates(assessment), target=target, asset_base=None, shown=HTML_SHOWN_LAYERS)
    _label_layers(fmap, ws)
    heading = title or f"{ws.district.name}两新党建地图"
    html = map_html(fmap, title=heading)
    day = _dt.date.today().isoformat()
    banner = ("<div class=\"lx-title\" style=\"position:fixed;top:8px;left:50%;transform:translateX(-50%);"
              "z-index:1001;background:rgba(255,255,255,.92);padding:4px 12px;border-radius:4px;"
              "font:bold 15px sans-serif;pointer-events:none\">" + esc(heading)
              + f"<span style=\"font:12px sans-serif;color:#555;margin-left:10px\">制图日期：{day}</span></div>")
    html = html.replace("<body>", "<body>" + banner, 1)
    bad = external_urls(html)
    if bad:
        raise RuntimeError("HTML 地图仍引用外部地址（不能离线打开）：" + "、".join(bad[:5]))
    unsafe = unsafe_markup(html)
    if unsafe:
        raise RuntimeError("HTML 地图含有内联事件处理或 javascript: 链接（不符合内容安全策略）：" + "、".join(unsafe[:3]))
    return _tidied(atomic_write_text(path, html))


def _tidied(path: Path) -> Path:
    """``path`` (just written), after removing the temporary files an interrupted write left beside it.

    Only files older than an hour go (:func:`~lianxin_geo.core.files.remove_stale_temps`), so a
    concurrent export into the same folder keeps its temporary file.
    """
    remove_stale_temps(Path(path).parent)
    return Path(path)


# ---------------------------------------------------------------- static maps
def export_png(
    ws: Workspace,
    path: PathLike,
    *,
    plans: PlansLike = None,
    assessment: Assessment | None = None,
    what: str = "overview",
    focus: str | None = None,
    dpi: int = 150,
    size_in: tuple[float, float] = (11.69, 8.27),
    title: str | None = None,
) -> Path:
    """Write a static map as PNG (``size_in`` × ``dpi`` pixels; A4 landscape at 150 dpi = 1753×1240).

    ``what`` is ``overview``, ``joint``, ``routes`` or ``coverage``; ``focus`` a
    jurisdiction code to zoom to. A path without the ``.png`` suffix gets it.
    """
    fig = _staticmap.draw_map(ws, what=what, plans=plans, assessment=assessment,
                              focus=focus, size_in=size_in, title=title)
    out = Path(path)
    if out.suffix.lower() != ".png":
        out = out.with_suffix(".png")
    return _tidied(_staticmap.save_figure(fig, out, dpi=dpi))


def export_pdf(
    ws: Workspace,
    path: PathLike,
    *,
    plans: PlansLike = None,
    assessment: Assessment | None = None,
    whats: Sequence[str] | None = None,
    size_in: tuple[float, float] = (11.69, 8.27),
) -> Path:
    """Write the static maps as a multi-page vector PDF (one page per map, bundled font embedded).

    ``whats`` defaults to the overview plus one page per plan given.
    """
    from matplotlib.backends.backend_pdf import PdfPages

    p = as_plans(plans)
    if whats is None:
        whats = ["overview"] + [w for w in ("joint", "routes", "coverage") if w in p]
    out = Path(path)
    with atomic_path(out) as tmp:
        with PdfPages(tmp, metadata={"Title": "两新党建地图", "Creator": "lianxin-geo"}) as pdf:
            for w in whats:
                fig = _staticmap.draw_map(ws, what=w, plans=p, assessment=assessment,
                                          size_in=size_in)
                pdf.savefig(fig, facecolor="white")
    return _tidied(out)


# ---------------------------------------------------------------- Excel
def export_xlsx(
    ws: Workspace,
    path: PathLike,
    *,
    assessment: Assessment,
    plans: PlansLike = None,
    per_org_sheets: bool = False,
) -> Path:
    """Write the workbook: 说明, the assessment tables, the plans' tables and the validation report.

    Sheets: 说明; 附件1–4, 覆盖率, 措施清单, 阵地达标, 经费测算, 联系点候选, 策略配置
    (from the assessment); 联建单元 (one row per unit), 联建成员 (one row per member org),
    未纳入联建; 指导员路线, 路线单, 指导员配置; 建议新增阵地, 阵地覆盖, 覆盖缺口; 台账校验;
    with ``per_org_sheets`` one sheet per organization (一企一表/一社一表). Text that a
    spreadsheet could run as a formula is stored as text (:mod:`lianxin_geo.present.xlsx`).
    """
    a = _need(assessment, "Excel 统计表")
    sheets = workbook_sheets(ws, assessment=a, plans=plans, per_org_sheets=per_org_sheets)
    return _tidied(write_workbook(path, sheets))


def export_plan_xlsx(ws: Workspace, path: PathLike, *, plans: PlansLike) -> Path:
    """Write only the plans' sheets (what ``lianxin-geo plan … --out F.xlsx`` writes)."""
    body = plan_sheets(plans, ws, ws.data_notes)
    if not body:
        raise ValueError("没有可写出的方案 / no plan to write")
    return _tidied(write_workbook(path, body))


# ---------------------------------------------------------------- PowerPoint
def export_pptx(
    ws: Workspace,
    path: PathLike,
    *,
    assessment: Assessment,
    plans: PlansLike = None,
    max_town_slides: int = 6,
    map_png: PathLike | bytes | None = None,
    dpi: int = 110,
) -> Path:
    """Write the meeting deck: title, key figures, district map, one slide per town that needs attention
    (largest coverage gap first, at most ``max_town_slides``), joint units, routes, venue compliance.

    ``map_png`` reuses an already drawn overview PNG (a file or its bytes); otherwise one is drawn.
    The maps are drawn in memory: no temporary file or folder is left behind.
    """
    assessment = _need(assessment, "汇报幻灯片")
    p = as_plans(plans)
    png: PathLike | bytes | None = map_png
    if png is None:
        png = _staticmap.figure_bytes(_staticmap.draw_map(ws, plans=p, assessment=assessment), dpi=dpi)
    what = "routes" if "routes" in p else "overview"
    towns = {code: _staticmap.figure_bytes(_staticmap.draw_map(ws, what=what, plans=p, assessment=assessment,
                                                               focus=code, size_in=(8.0, 7.0)), dpi=dpi)
             for code in _staticmap.iter_focus_codes(assessment, limit=max_town_slides)}
    return _tidied(_deck.build_deck(ws, path, assessment=assessment, plans=p, map_png=png, town_pngs=towns))


# ---------------------------------------------------------------- GIS layers
def export_gpkg(
    ws: Workspace,
    path: PathLike,
    *,
    plans: PlansLike = None,
    assessment: Assessment | None = None,
    gcj02: bool = False,
) -> list[Path]:
    """Write every layer to a GeoPackage (WGS-84); with ``gcj02`` also ``<stem>_gcj02.gpkg``.

    Returns the paths written (the WGS-84 file first).
    """
    layers = _gpkg.build_layers(ws, plans=plans, assessment=assessment)
    out = [_gpkg.write_gpkg(layers, path)]
    if gcj02:
        p = Path(path)
        out.append(_gpkg.write_gpkg(_gpkg.to_gcj02(layers), p.with_name(p.stem + "_gcj02" + p.suffix)))
    _tidied(out[0])
    return out


def export_geojson_dir(
    ws: Workspace,
    folder: PathLike,
    *,
    plans: PlansLike = None,
    assessment: Assessment | None = None,
    gcj02: bool = False,
) -> list[Path]:
    """Write every layer as ``<folder>/<layer>.geojson`` (WGS-84); with ``gcj02`` also ``<layer>_gcj02.geojson``."""
    layers = _gpkg.build_layers(ws, plans=plans, assessment=assessment)
    out = _gpkg.write_geojson_dir(layers, folder)
    if gcj02:
        out += _gpkg.write_geojson_dir(_gpkg.to_gcj02(layers), folder, suffix="_gcj02")
    remove_stale_temps(folder)
    return out


# ---------------------------------------------------------------- a run folder
#: The independent jobs of a run folder, each one engine task: ``job -> formats it writes``. The static maps, the
#: PDF and the deck are one job so the deck reuses the maps drawn for the PNGs (one process, one drawing).
EXPORT_JOBS: dict[str, tuple[str, ...]] = {
    "maps": ("png", "pdf", "pptx"),
    "xlsx": ("xlsx",),
    "html": ("html",),
    "gis": ("gpkg", "geojson"),
}
#: Estimated seconds of one core of each job: ``(fixed, per 1,000 orgs)``, measured on the 600-, 2,000- and
#: 5,000-org demos (``benchmarks/engine.py``; the maps are drawn at a fixed size, so they hardly grow with the
#: orgs). The engine starts the longest first and decides from them whether worker processes pay.
EXPORT_SECONDS: dict[str, tuple[float, float]] = {"maps": (7.0, 0.0), "xlsx": (0.9, 0.9), "html": (0.6, 0.5),
                                                  "gis": (0.9, 0.2)}
_JOB_LABELS = {"maps": "静态地图、PDF 与汇报幻灯片", "xlsx": "Excel 统计表", "html": "HTML 地图", "gis": "GIS 图层"}


def export_costs(n_orgs: int, jobs: Sequence[str]) -> list[float]:
    """Estimated seconds of one core of each job for ``n_orgs`` orgs (:data:`EXPORT_SECONDS`)."""
    return [EXPORT_SECONDS[j][0] + EXPORT_SECONDS[j][1] * n_orgs / 1000.0 for j in jobs]


def export_jobs(formats: Sequence[str]) -> list[str]:
    """The jobs of :data:`EXPORT_JOBS` that write any of ``formats``."""
    return [job for job, fmts in EXPORT_JOBS.items() if set(fmts) & set(formats)]


def _write_maps(ws: Workspace, d: Path, p: Plans, a: Assessment, formats: Sequence[str], o: Mapping[str, Any]
                ) -> dict[str, Path]:
    """The static maps, the PDF and the deck: each map drawn once (:func:`staticmap.map_cache`) and reused."""
    with _staticmap.map_cache():
        written: dict[str, Path] = {}
        if "png" in formats:
            written["png"] = export_png(ws, d / FILE_NAMES["png"], plans=p, assessment=a, dpi=o["dpi"])
            for what in ("joint", "routes", "coverage"):
                if what in p:
                    written[f"png_{what}"] = export_png(ws, d / FILE_NAMES[f"png_{what}"], plans=p, assessment=a,
                                                        what=what, dpi=o["dpi"])
        if "pdf" in formats:
            written["pdf"] = export_pdf(ws, d / FILE_NAMES["pdf"], plans=p, assessment=a)
        if "pptx" in formats:
            written["pptx"] = export_pptx(ws, d / FILE_NAMES["pptx"], assessment=a, plans=p,
                                          max_town_slides=o["max_town_slides"], map_png=written.get("png"))
    return written


def _write_gis(ws: Workspace, d: Path, p: Plans, a: Assessment, formats: Sequence[str], o: Mapping[str, Any]
               ) -> dict[str, Path]:
    written: dict[str, Path] = {}
    if "gpkg" in formats:
        paths = export_gpkg(ws, d / FILE_NAMES["gpkg"], plans=p, assessment=a, gcj02=o["gcj02"])
        written["gpkg"] = paths[0]
        if o["gcj02"]:
            written["gpkg_gcj02"] = paths[1]
    if "geojson" in formats:
        export_geojson_dir(ws, d / FILE_NAMES["geojson"], plans=p, assessment=a, gcj02=o["gcj02"])
        written["geojson"] = d / FILE_NAMES["geojson"]
    return written


_JOB_WRITERS: dict[str, Callable[..., dict[str, Path]]] = {
    "maps": _write_maps,
    "xlsx": lambda ws, d, p, a, formats, o: {"xlsx": export_xlsx(ws, d / FILE_NAMES["xlsx"], assessment=a, plans=p,
                                                                 per_org_sheets=o["per_org_sheets"])},
    "html": lambda ws, d, p, a, formats, o: {"html": export_html(ws, d / FILE_NAMES["html"], plans=p, assessment=a)},
    "gis": _write_gis,
}


def _write_job(job: str, *, ws: Workspace, assessment: Assessment, plans: Plans, folder: str | None,
               formats: tuple[str, ...], options: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, bytes]]:
    """One engine task: write one job's files.

    With ``folder`` (this machine's run folder) the files are written there; without (a worker of a remote
    cluster) they are written in a scratch folder and returned as bytes for the caller to write.
    Returns ``(key -> path relative to the folder, relative path -> bytes)``.
    """
    if folder is not None:
        written = _JOB_WRITERS[job](ws, Path(folder), plans, assessment, formats, options)
        return {k: str(v.relative_to(folder)) for k, v in written.items()}, {}
    with tempfile.TemporaryDirectory(prefix="lianxin-job-") as scratch:
        root = Path(scratch)
        written = _JOB_WRITERS[job](ws, root, plans, assessment, formats, options)
        blobs = {str(f.relative_to(root)): f.read_bytes() for f in sorted(root.rglob("*")) if f.is_file()}
        return {k: str(v.relative_to(root)) for k, v in written.items()}, blobs


def _write_jobs(ws: Workspace, d: Path, p: Plans, a: Assessment, formats: Sequence[str], options: Mapping[str, Any],
                engine: Engine | str | None, say: Callable[[str], Any]) -> dict[str, Path]:
    """Every job of the requested formats as one engine task; all or nothing (a failed job fails the run)."""
    eng = get_engine(engine)
    jobs = export_jobs(formats)
    if not jobs:
        return {}
    remote = eng.scheduler not in ("local", "sync")  # a remote cluster's workers cannot see this folder
    out = eng.map(
        _write_job, jobs, keys=jobs, labels=[_JOB_LABELS[j] for j in jobs], cost=export_costs(len(ws.orgs), jobs),
        progress=lambda done, total, label: say(f"已写出{label}（{done}/{total}）"),
        ws=ws, assessment=a, plans=p, folder=None if remote else str(d), formats=tuple(formats),
        options=dict(options))
    if out.failures:
        raise LianxinError("以下文件未能写出，本次输出未保存：" + "；".join(f"{f.label}：{f.reason}"
                                                                for f in out.failures))
    written: dict[str, Path] = {}
    for job in jobs:
        keys, blobs = out.values[job]
        for rel, data in blobs.items():
            atomic_write_bytes(d / rel, data)
        written.update({k: d / rel for k, rel in keys.items()})
    return written


def write_all(
    ws: Workspace,
    out_dir: PathLike,
    *,
    assessment: Assessment,
    plans: PlansLike = None,
    formats: Sequence[str] = DEFAULT_FORMATS,
    progress: Callable[[str], Any] | None = None,
    gcj02: bool = False,
    per_org_sheets: bool = False,
    max_town_slides: int = 6,
    dpi: int = 150,
    extra_json: Mapping[str, Any] | None = None,
    engine: Engine | str | None = None,
) -> dict[str, Path]:
    """Write every requested format of the given results into the run folder ``out_dir``, all or nothing.

    The files are written into a new sibling folder (``<out_dir>.lianxin-tmp-*``);
    ``manifest.json`` (names, sizes, SHA-256, finish time) is written last, then the
    folder replaces ``out_dir`` (see :mod:`lianxin_geo.present.outdir`). Readers check
    the manifest with :func:`lianxin_geo.present.outdir.verify_manifest`.

    Parameters
    ----------
    ws
        The workspace.
    out_dir
        The run folder: missing, empty or holding a previous run (anything else is refused).
    assessment, plans
        What to show: the assessment and the plans computed (missing plans are left out).
    formats
        Any of :data:`FORMATS`.
    progress
        Called with a short Chinese message before each file.
    gcj02
        Also write GCJ-02 copies of the GIS layers.
    per_org_sheets
        One sheet per organization in the workbook.
    max_town_slides
        Towns that get their own slide.
    dpi
        Resolution of the PNG maps.
    extra_json
        ``key -> JSON document`` written as ``<key>.json`` (e.g. the CLI's ``validation``).
    engine
        The parallel engine (:func:`lianxin_geo.core.engine.get_engine`): the independent jobs of
        :data:`EXPORT_JOBS` (maps with PDF and deck, workbook, HTML, GIS layers) run as tasks, side by side when
        worker processes pay (about 17 s of one core for the 5,000-org demo). The files do not depend on the
        scheduler. A job that fails fails the whole run (:class:`~lianxin_geo.core.errors.LianxinError` naming
        the file and the reason): the previous run folder stays.

    Returns
    -------
    dict
        ``key -> final path`` with keys from :data:`FILE_NAMES` (``html``, ``png``,
        ``png_joint``, ``png_routes``, ``png_coverage``, ``pdf``, ``xlsx``, ``pptx``,
        ``gpkg``, ``gpkg_gcj02``, ``geojson``) and the keys of ``extra_json``.

    Raises
    ------
    ValueError
        For an unknown format.
    LianxinError
        When ``out_dir`` holds files this tool did not write, or a file could not be written.
    """
    check_formats(formats)
    final = Path(out_dir)
    p = as_plans(plans)
    a = _need(assessment, "导出全部文件")
    say = progress or (lambda _msg: None)
    known = {*FILE_NAMES.values(), *(f"{k}.json" for k in (extra_json or {})), "validation.json", "partial.json"}
    options = {"gcj02": gcj02, "per_org_sheets": per_org_sheets, "max_town_slides": max_town_slides, "dpi": dpi}
    with staged_folder(final, known=known) as d:
        say("导出文件：" + "、".join(f for f in FORMATS if f in formats))
        written = _write_jobs(ws, d, p, a, formats, options, engine, say)
        written = {k: written[k] for k in FILE_NAMES if k in written}  # the same order on every scheduler
        for key, doc in (extra_json or {}).items():
            written[key] = atomic_write_text(d / f"{key}.json", json.dumps(doc, ensure_ascii=False, indent=2))
    return {k: final / v.relative_to(d) for k, v in written.items()}

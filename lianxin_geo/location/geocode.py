"""Offline geocoding: place an address on a building, park, community/village or town of the district.

Nothing here touches the network. Addresses are matched against a gazetteer
built from the district (towns/streets and the community/village register) and
the loaded building and park ledgers:

1. the organization's own 所在楼宇 / 所在园区 columns, then the address text;
2. exact matching first: every known name variant (NFKC, no 北京市/顺义区
   prefix, with or without 社区居委会/村委会/村/社区 suffixes) found in the
   text at once by a character trie; a name nested in a longer one is dropped
   (``后沙峪`` inside ``后沙峪镇``), and the most specific kind wins
   (building > park > community > town);
3. fuzzy matching (rapidfuzz partial ratio >= ``fuzzy_threshold``) only for
   texts with no exact building/park/community match;
4. a recognised place without coordinates, or an ambiguous name, falls back to
   the coarser unambiguous level (usually the town), with a note saying why;
5. finally the stated 所属镇街; otherwise precision ``none`` and a note saying
   what to add.

Never a silent guess: a name shared by two places (``于庄村`` exists in two
towns) is resolved only by the address's own town or the stated 所属镇街, and
otherwise reported. Same input, same output.

Online geocoders exist only as opt-in adapters (:class:`AmapGeocoder`) that
refuse to run unless created with ``allow_network=True`` and passed explicitly
to :func:`lianxin_geo.location.locator.locate`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from lianxin_geo.location.gazetteer import Gazetteer, build_gazetteer, clean_text, normalize_key
from lianxin_geo.core.district import District
from lianxin_geo.core.crs import gcj02_to_wgs84
from lianxin_geo.core.errors import LianxinError

__all__ = [
    "FUZZY_THRESHOLD",
    "GeocodeMatch",
    "Gazetteer",
    "build_gazetteer",
    "geocode_address",
    "geocode_frame",
    "OnlineGeocoder",
    "AmapGeocoder",
]

#: Default minimum rapidfuzz partial ratio (0–100) for a fuzzy name match.
FUZZY_THRESHOLD: float = 85.0

_KIND_LABEL = {"building": "楼宇", "park": "园区", "community": "社区（村）", "town": "镇街"}
_SAME_POINT_DEG = 1e-6


@dataclass(frozen=True)
class GeocodeMatch:
    """The result of geocoding one record.

    Attributes
    ----------
    lon, lat
        WGS-84 coordinates of the matched place (NaN when precision is ``none``).
    precision
        ``building``, ``park``, ``community``, ``town`` or ``none``.
    matched_name
        The recognised place as its source spells it (a community without
        coordinates stays named here even though the precision is ``town``).
    matched_kind
        Kind of the recognised place (``building``/``park``/``community``/``town``) or None.
    town_code
        The town/street of the location (None when unknown).
    note
        Chinese explanation: what matched, how, and why a coarser level was used.
    """

    lon: float
    lat: float
    precision: str
    matched_name: str | None
    matched_kind: str | None
    town_code: str | None
    note: str

    def to_dict(self) -> dict[str, object]:
        """JSON-serialisable dict (NaN -> None)."""
        return {
            "lon": None if not math.isfinite(self.lon) else self.lon,
            "lat": None if not math.isfinite(self.lat) else self.lat,
            "precision": self.precision,
            "matched_name": self.matched_name,
            "matched_kind": self.matched_kind,
            "town_code": self.town_code,
            "note": self.note,
        }


# ---------------------------------------------------------------------- core
@dataclass
class _Fallback:
    town_code: str
    entry: int | None
    note: str


def _describe(gaz: Gazetteer, idx: int) -> str:
    e = gaz.entries[idx]
    town = gaz.town_names.get(e.town_code or "", "")
    return f"{e.name}（{town}）" if town else e.name


def _same_place(gaz: Gazetteer, ents: Sequence[int]) -> bool:
    """True when all entries are the same place (duplicate ledger rows: same name, same point)."""
    first = gaz.entries[ents[0]]
    for i in ents[1:]:
        e = gaz.entries[i]
        if normalize_key(e.name) != normalize_key(first.name) or e.town_code != first.town_code:
            return False
        if first.has_point != e.has_point:
            return False
        if first.has_point and (abs(e.lon - first.lon) > _SAME_POINT_DEG or abs(e.lat - first.lat) > _SAME_POINT_DEG):
            return False
    return True


def _narrow(gaz: Gazetteer, ents: list[int], context: set[str]) -> tuple[list[int], bool]:
    """Keep the entries in the context towns when that leaves at least one; report whether it narrowed."""
    if len(ents) > 1 and context:
        inside = [i for i in ents if gaz.entries[i].town_code in context]
        if inside and len(inside) < len(ents):
            return inside, True
    return ents, False


class _Search:
    """State of one record's search: notes, the best town fallback, the answer."""

    def __init__(self, gaz: Gazetteer, stated: str | None) -> None:
        self.gaz = gaz
        self.stated = stated
        self.notes: list[str] = []
        self.fallback: _Fallback | None = None
        self.answer: GeocodeMatch | None = None

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def set_fallback(self, town: str | None, entry: int | None, note: str) -> None:
        if self.fallback is None and town and self.gaz.town_point(town) is not None:
            self.fallback = _Fallback(town, entry, note)

    def accept(self, idx: int, how: str, why: str = "") -> None:
        """Take entry ``idx`` if it has a point; otherwise record its town as a fallback."""
        gaz = self.gaz
        e = gaz.entries[idx]
        label = _KIND_LABEL[e.kind]
        how = f"{how}{label}“{e.name}”{why}"
        if e.has_point:
            self.note(how)
            self.answer = GeocodeMatch(e.lon, e.lat, e.kind, e.name, e.kind, e.town_code, "")
        else:
            town = gaz.town_names.get(e.town_code or "", "")
            if town:
                self.set_fallback(e.town_code, idx, f"{how}，但其无坐标，按所属镇街“{town}”的代表点定位")
            else:
                self.note(f"{how}，但其无坐标且无所属镇街")

    def choose(self, cands: list[int], how: str, context: set[str]) -> bool:
        """Resolve candidate entries of one kind; True when a unique place was found (with or without point)."""
        gaz = self.gaz
        ents, narrowed = _narrow(gaz, sorted(cands), context)
        if len(ents) == 1 or _same_place(gaz, ents):
            self.accept(ents[0], how, "（同名，按镇街消歧）" if narrowed else "")
            return True
        kind = gaz.entries[ents[0]].kind
        label = _KIND_LABEL[kind]
        shown = "、".join(_describe(gaz, i) for i in ents[:5]) + ("等" if len(ents) > 5 else "")
        towns = {gaz.entries[i].town_code for i in ents}
        if len(towns) == 1 and None not in towns:
            town = next(iter(towns))
            self.set_fallback(town, None, f"{label}名称不唯一（{shown}），均属“{gaz.town_names.get(town, town)}”，按该镇街定位")
        else:
            self.note(f"{label}名称不唯一（{shown}），不作猜测")
        return False

    def exact(self, text: str, kinds: Sequence[str], src: str) -> bool:
        """Exact matching of one text; True when a building/park/community was recognised."""
        gaz = self.gaz
        hits = gaz.find(text)
        if not hits:
            return False
        how = f"{src}匹配"
        by_kind: dict[str, set[int]] = {}
        for h in hits:
            for idx in h.entries:
                by_kind.setdefault(gaz.entries[idx].kind, set()).add(idx)
        town_hits = sorted({gaz.entries[i].town_code for i in by_kind.get("town", ())} - {None})
        context = set(town_hits) | ({self.stated} if self.stated else set())
        recognised = False
        for kind in kinds:
            if kind == "town" or kind not in by_kind:
                continue
            recognised = True
            self.choose(list(by_kind[kind]), how, context)
            if self.answer is not None:
                return True
        if "town" in kinds and town_hits:
            if len(town_hits) == 1:
                t = town_hits[0]
                self.set_fallback(t, None, f"{how}镇街“{gaz.town_names[t]}”，按其代表点定位")
            elif self.stated in town_hits:
                self.set_fallback(self.stated, None, f"{how}多个镇街，取填报的所属镇街“{gaz.town_names[self.stated]}”")
            else:
                names = "、".join(gaz.town_names[t] for t in town_hits)
                self.note(f"{how}多个镇街（{names}），不作猜测")
        return recognised

    def masked(self, text: str) -> str:
        """The text with its exact town/street hits blanked out, so fuzzy matching cannot reuse them."""
        chars = list(text)
        for h in self.gaz.find(text):
            if all(self.gaz.entries[i].kind == "town" for i in h.entries):
                chars[h.start:h.end] = ["|"] * (h.end - h.start)
        return "".join(chars)

    def fuzzy(self, text: str, kinds: Sequence[str], src: str, threshold: float) -> bool:
        """Fuzzy matching of one text; True when a building/park/community was recognised."""
        gaz = self.gaz
        found = gaz.fuzzy(text, kinds=[k for k in kinds if k != "town"], threshold=threshold)
        recognised = False
        for kind in kinds:
            scored = [(i, s) for i, s in found if gaz.entries[i].kind == kind]
            if not scored:
                continue
            top = max(s for _, s in scored)
            best = [i for i, s in scored if s == top]
            context = {self.stated} if self.stated else set()
            recognised = True
            if self.choose(best, f"{src}模糊匹配（相似度{top:.0f}）", context):
                return True
        return recognised

    def result(self) -> GeocodeMatch:
        gaz = self.gaz
        if self.answer is not None:
            a = self.answer
            note = "；".join(self.notes) or f"匹配{_KIND_LABEL[a.precision]}“{a.matched_name}”"
            return GeocodeMatch(a.lon, a.lat, a.precision, a.matched_name, a.matched_kind, a.town_code, note)
        fb = self.fallback
        if fb is None and self.stated and gaz.town_point(self.stated) is not None:
            fb = _Fallback(self.stated, None,
                           f"地址未匹配到楼宇、园区或社区（村），按填报的所属镇街“{gaz.town_names[self.stated]}”的代表点定位")
        if fb is not None:
            lon, lat = gaz.town_point(fb.town_code)  # type: ignore[misc]
            if fb.entry is not None:
                e = gaz.entries[fb.entry]
                name, kind = e.name, e.kind
            else:
                name, kind = gaz.town_names[fb.town_code], "town"
            note = "；".join([*self.notes, fb.note])
            return GeocodeMatch(lon, lat, "town", name, kind, fb.town_code, note)
        note = "；".join([*self.notes, "无法定位：无坐标，地址未能唯一确定楼宇、园区、社区（村）或镇街，也未填所属镇街。"
                          "请补充经纬度（注明坐标系），或所在楼宇/园区、规范地址、所属镇街"])
        return GeocodeMatch(math.nan, math.nan, "none", None, None, None, note)


def _geocode_one(
    gaz: Gazetteer,
    address: object,
    building: object,
    park: object,
    town_code: object,
    threshold: float,
) -> GeocodeMatch:
    building, park, address = clean_text(building), clean_text(park), clean_text(address)
    stated_text = clean_text(town_code)
    stated = stated_text if stated_text in gaz.town_names else None
    s = _Search(gaz, stated)
    sources = []
    b = gaz.prepare(building)
    if b:
        sources.append((b, ("building",), "所在楼宇", True, building))
    p = gaz.prepare(park)
    if p:
        sources.append((p, ("park",), "所在园区", True, park))
    a = gaz.prepare(address)
    if a:
        sources.append((a, ("building", "park", "community", "town"), "地址", False, address))
    if not sources:
        return s.result()
    for text, kinds, src, layer, raw in sources:
        recognised = s.exact(text, kinds, src)
        if not recognised and s.answer is None:
            recognised = s.fuzzy(s.masked(text), kinds, src, threshold)
        if not recognised and layer:
            s.note(f"{src}“{raw}”不在{src[2:]}台账中")
        if s.answer is not None:
            return s.result()
    return s.result()


def geocode_address(
    text: object,
    *,
    district: District,
    buildings: pd.DataFrame | None = None,
    parks: pd.DataFrame | None = None,
    building: object = None,
    park: object = None,
    town_code: object = None,
    gazetteer: Gazetteer | None = None,
    fuzzy_threshold: float = FUZZY_THRESHOLD,
) -> GeocodeMatch:
    """Geocode one address offline.

    Parameters
    ----------
    text
        The address (地址), e.g. ``北京市顺义区仁和镇XX大厦5层``.
    district
        The district whose towns and community/village register are the gazetteer.
    buildings, parks
        Accepted building/park ledger frames (``name``, ``lon``/``lat`` WGS-84,
        ``town_code``); their names are matched too.
    building, park
        The organization's own 所在楼宇 / 所在园区 values, tried before the address.
    town_code
        The stated 所属镇街 code: disambiguates shared names and is the last fallback.
    gazetteer
        A prebuilt :class:`Gazetteer` (from :func:`build_gazetteer`) to reuse
        across calls; ``district``/``buildings``/``parks`` are then ignored.
    fuzzy_threshold
        Minimum rapidfuzz partial ratio (0–100) of a fuzzy match.

    Returns
    -------
    GeocodeMatch
    """
    gaz = gazetteer if gazetteer is not None else build_gazetteer(district, buildings=buildings, parks=parks)
    return _geocode_one(gaz, text, building, park, town_code, fuzzy_threshold)


def _column(frame: pd.DataFrame, col: str | None) -> list[object]:
    if col is None or col not in frame:
        return [None] * len(frame)
    return frame[col].tolist()


def geocode_frame(
    frame: pd.DataFrame,
    *,
    district: District,
    buildings: pd.DataFrame | None = None,
    parks: pd.DataFrame | None = None,
    gazetteer: Gazetteer | None = None,
    address_col: str = "address",
    building_col: str | None = "building",
    park_col: str | None = "park",
    town_col: str | None = "town_code",
    fuzzy_threshold: float = FUZZY_THRESHOLD,
) -> pd.DataFrame:
    """Geocode every row of a frame offline (vectorised over distinct inputs).

    Identical (address, building, park, town) tuples are geocoded once.
    Missing columns count as empty.

    Returns
    -------
    pandas.DataFrame
        Same index as ``frame``; columns ``lon``, ``lat``, ``precision``,
        ``matched_name``, ``matched_kind``, ``town_code``, ``note``.
    """
    gaz = gazetteer if gazetteer is not None else build_gazetteer(district, buildings=buildings, parks=parks)
    cols = [_column(frame, c) for c in (address_col, building_col, park_col, town_col)]
    cache: dict[tuple[str, str, str, str], GeocodeMatch] = {}
    out: list[GeocodeMatch] = []
    for a, b, p, t in zip(*cols):
        key = (clean_text(a), clean_text(b), clean_text(p), clean_text(t))
        m = cache.get(key)
        if m is None:
            m = _geocode_one(gaz, key[0], key[1], key[2], key[3], fuzzy_threshold)
            cache[key] = m
        out.append(m)
    return pd.DataFrame(
        {
            "lon": np.array([m.lon for m in out], dtype=float),
            "lat": np.array([m.lat for m in out], dtype=float),
            "precision": pd.Series([m.precision for m in out], dtype=object).to_numpy(),
            "matched_name": pd.Series([m.matched_name for m in out], dtype=object).to_numpy(),
            "matched_kind": pd.Series([m.matched_kind for m in out], dtype=object).to_numpy(),
            "town_code": pd.Series([m.town_code for m in out], dtype=object).to_numpy(),
            "note": pd.Series([m.note for m in out], dtype=object).to_numpy(),
        },
        index=frame.index,
    )


# ---------------------------------------------------------------------- online (opt-in)
@runtime_checkable
class OnlineGeocoder(Protocol):
    """An opt-in online geocoder used by :func:`lianxin_geo.location.locator.locate` for leftovers only.

    ``geocode`` returns a :class:`GeocodeMatch` in WGS-84 or None. It must never
    run unless ``allow_network`` is true.
    """

    allow_network: bool

    def geocode(self, address: str) -> GeocodeMatch | None:  # pragma: no cover - protocol
        ...


#: AMap ``level`` values -> precision levels of this project; coarser levels are not used.
_AMAP_LEVELS: Mapping[str, str] = {
    "门址": "building", "门牌号": "building", "单元号": "building", "楼栋": "building", "兴趣点": "building",
    "村庄": "community", "热点商圈": "community",
    "乡镇": "town",
}


class AmapGeocoder:
    """AMap (高德) web-service geocoder — **opt-in, online, off by default**.

    Sends the address text to restapi.amap.com: only use it when the data may
    leave the machine. It refuses to run unless ``allow_network=True``; the
    offline locator never creates one. Results (GCJ-02) are converted to WGS-84.

    Parameters
    ----------
    key
        The user's AMap web-service key.
    allow_network
        Must be set to True explicitly, or :meth:`geocode` raises.
    city
        City to restrict the search to.
    timeout_s
        Request timeout.
    """

    url = "https://restapi.amap.com/v3/geocode/geo"

    def __init__(self, key: str, *, allow_network: bool = False, city: str = "北京", timeout_s: float = 5.0) -> None:
        self.key = key
        self.allow_network = bool(allow_network)
        self.city = city
        self.timeout_s = float(timeout_s)

    def __repr__(self) -> str:
        return f"AmapGeocoder(allow_network={self.allow_network}, city={self.city!r})"

    def geocode(self, address: str) -> GeocodeMatch | None:
        """Geocode one address online; None when AMap finds nothing precise enough."""
        if not self.allow_network:
            raise PermissionError(
                "在线地理编码未启用：地址会发送到高德服务器。确需使用时请以 AmapGeocoder(key, allow_network=True) 创建 "
                "(online geocoding is off; pass allow_network=True to opt in)"
            )
        import urllib.parse
        import urllib.request

        query = urllib.parse.urlencode({"key": self.key, "address": address, "city": self.city, "output": "JSON"})
        try:
            with urllib.request.urlopen(f"{self.url}?{query}", timeout=self.timeout_s) as resp:  # noqa: S310
                data = json.loads(resp.read().decode("utf-8"))
        except (OSError, ValueError) as exc:  # URLError, timeouts, a non-JSON answer
            raise LianxinError(f"在线地理编码失败（{self.url}）：{exc}。请检查网络和密钥，或关闭在线地理编码，"
                               "只用离线地名匹配") from exc
        return self.parse(data)

    @staticmethod
    def parse(data: Mapping[str, object]) -> GeocodeMatch | None:
        """Turn an AMap geocode JSON answer into a :class:`GeocodeMatch` (WGS-84), or None."""
        if str(data.get("status")) != "1":
            return None
        items = data.get("geocodes") or []
        if not isinstance(items, list) or len(items) != 1:
            return None  # none, or several candidates: no guess
        item = items[0]
        precision = _AMAP_LEVELS.get(str(item.get("level", "")))
        if precision is None:
            return None
        try:
            glon, glat = (float(v) for v in str(item["location"]).split(","))
        except (KeyError, ValueError):
            return None
        lon, lat = gcj02_to_wgs84(glon, glat)
        name = str(item.get("formatted_address") or "")
        return GeocodeMatch(lon, lat, precision, name or None, None, None,
                            f"在线地理编码（高德，级别“{item.get('level')}”）：{name}")

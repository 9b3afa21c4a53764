"""The gazetteer index behind offline geocoding: known names, their variants and a character trie.

A :class:`Gazetteer` holds one :class:`Entry` per known place (a building or a
park from the loaded ledgers, a community/village of the district's gazetteer,
a town/street) and a table ``key -> entries`` of normalised name variants
(with and without 社区居委会/村委会/村… suffixes, without 北京市/顺义区 prefixes).
:meth:`Gazetteer.find` walks a character trie from every position of a text
and returns the longest non-nested key occurrences: an exact substring match
over every known name at once, linear in the text length for practical
purposes. Fuzzy matching (rapidfuzz partial ratios) is a separate, slower step
:meth:`Gazetteer.fuzzy` used only for texts with no exact match; a bigram
index keeps it to a handful of candidates per text.

Everything here is deterministic: entries are numbered in input order and
every tie is broken by that order.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from itertools import chain
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
import shapely

from lianxin_geo.core.district import District, normalize_text, town_short_name

__all__ = [
    "KINDS",
    "Entry",
    "Hit",
    "Gazetteer",
    "build_gazetteer",
    "clean_text",
    "normalize_key",
    "strip_prefixes",
    "community_core",
    "town_points",
]

#: Kinds of gazetteer entries, most specific first (the order of :data:`lianxin_geo.core.model.PRECISIONS`).
KINDS: tuple[str, ...] = ("building", "park", "community", "town")

#: Suffixes of community/village committee names, longest first; the family decides the variants.
_COMMUNITY_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("社区居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("居民委员会", "社区"),
    ("村民委员会", "村"),
    ("村委会", "村"),
    ("居委会", "社区"),
    ("社区", "社区"),
    ("村", "村"),
)
_FAMILY_VARIANTS: dict[str, tuple[str, ...]] = {
    "社区": ("社区", "社区居委会", "社区居民委员会", "居委会", "居民委员会"),
    "村": ("村", "村委会", "村民委员会"),
}
_TOWN_VARIANTS: tuple[str, ...] = ("镇", "乡", "地区", "街道", "地区办事处", "街道办事处", "镇人民政府")

#: Punctuation removed before matching (brackets, separators, quotes, "#").
_PUNCT = re.compile(r"[()\[\]{}【】「」『』《》<>\"'“”‘’`·・,，、。.;；:：!！?？\-—–_~/\\|#*+=]")
_END = ""  # trie terminal marker (no text character is the empty string)


def clean_text(value: object) -> str:
    """Normalised text of a cell (:func:`normalize_text`); missing values (None, NaN, pd.NA) are empty."""
    try:
        if value is None or bool(pd.isna(value)):  # type: ignore[arg-type]
            return ""
    except (TypeError, ValueError):  # array-like cell: keep its text
        pass
    return normalize_text(value)


def normalize_key(value: object) -> str:
    """Normalise a name or an address for matching: NFKC, no white space or punctuation, lower case."""
    return _PUNCT.sub("", clean_text(value)).lower()


def strip_prefixes(text: str, prefixes: Sequence[str]) -> str:
    """Remove leading administrative prefixes (``北京市``, ``顺义区`` …) repeatedly, longest first."""
    ordered = sorted({p for p in prefixes if p}, key=len, reverse=True)
    changed = True
    while changed and text:
        changed = False
        for p in ordered:
            if text.startswith(p) and len(text) > len(p):
                text = text[len(p):]
                changed = True
                break
    return text


def community_core(name: str) -> tuple[str, str | None]:
    """Split a normalised community/village name into its core and suffix family (``社区``/``村``/None)."""
    for suffix, family in _COMMUNITY_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], family
    return name, None


@dataclass(frozen=True)
class Entry:
    """One known place.

    Attributes
    ----------
    kind
        ``building``, ``park``, ``community`` or ``town``.
    name
        The name as the source spells it (shown in notes).
    lon, lat
        WGS-84 coordinates; NaN when the source has none.
    town_code
        The town/street the place belongs to (None when unknown).
    ref
        The record's identifier in its source (building id, community code, town code).
    """

    kind: str
    name: str
    lon: float
    lat: float
    town_code: str | None
    ref: str

    @property
    def has_point(self) -> bool:
        """True when the entry has finite coordinates."""
        return math.isfinite(self.lon) and math.isfinite(self.lat)


@dataclass(frozen=True)
class Hit:
    """An exact occurrence of a gazetteer key in a text: ``text[start:end] == key``."""

    start: int
    end: int
    key: str
    entries: tuple[int, ...]


@dataclass
class Gazetteer:
    """Known places with an exact-match trie, a fuzzy index and the town points.

    Build it with :func:`build_gazetteer`; it is read-only afterwards.
    """

    entries: list[Entry]
    keys: dict[str, tuple[int, ...]]
    town_points: dict[str, tuple[float, float]]
    town_names: dict[str, str]
    prefixes: tuple[str, ...]
    fuzzy_min_len: int
    _trie: dict = field(default_factory=dict, repr=False)
    _fuzzy_keys: list[tuple[str, int]] = field(default_factory=list, repr=False)
    _bigrams: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _fuzzy_need: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        trie: dict = {}
        for key in sorted(self.keys):
            node = trie
            for ch in key:
                node = node.setdefault(ch, {})
            node[_END] = key
        self._trie = trie
        seen: set[tuple[str, int]] = set()
        fuzzy: list[tuple[str, int]] = []
        for idx, entry in enumerate(self.entries):
            if entry.kind == "town":
                continue  # town names come from the ledger's own 所属镇街 column; fuzzy towns would be guesses
            for key in _fuzzy_variants(entry, self.prefixes):
                if len(key) >= self.fuzzy_min_len and (key, idx) not in seen:
                    seen.add((key, idx))
                    fuzzy.append((key, idx))
        self._fuzzy_keys = fuzzy
        grams: dict[str, list[int]] = {}
        for pos, (key, _) in enumerate(fuzzy):
            for g in set(_bigrams_of(key)):
                grams.setdefault(g, []).append(pos)
        self._bigrams = grams
        self._fuzzy_need = [len(key) - 1 for key, _ in fuzzy]

    # ------------------------------------------------------------------ text
    def prepare(self, text: object) -> str:
        """Normalise a text and strip the district's prefixes."""
        return strip_prefixes(normalize_key(text), self.prefixes)

    def find(self, text: str) -> list[Hit]:
        """Every key occurring in ``text`` (already :meth:`prepare`-d) not nested inside a longer hit.

        Two occurrences that only overlap are both kept; an occurrence lying
        inside a longer one (``后沙峪`` inside ``后沙峪镇``) is dropped, so the
        longest, most specific spelling wins.
        """
        trie = self._trie
        raw: list[tuple[int, int, str]] = []
        n = len(text)
        for i in range(n):
            node = trie.get(text[i])
            j = i + 1
            while node is not None:
                key = node.get(_END)
                if key is not None:
                    raw.append((i, j, key))
                if j >= n:
                    break
                node = node.get(text[j])
                j += 1
        if not raw:
            return []
        kept = [
            (s, e, k) for s, e, k in raw
            if not any(s2 <= s and e <= e2 and (e2 - s2) > (e - s) for s2, e2, _ in raw)
        ]
        return [Hit(s, e, k, self.keys[k]) for s, e, k in kept]

    def fuzzy(self, text: str, *, kinds: Iterable[str], threshold: float) -> list[tuple[int, float]]:
        """Entries of ``kinds`` whose name is similar to a part of ``text`` (partial ratio >= threshold).

        Returns ``(entry index, score)`` pairs, best score first, one per entry.
        Only names sharing at least half of their character bigrams with the
        text are scored.
        """
        from rapidfuzz import fuzz

        wanted = set(kinds)
        grams = _bigrams_of(text)
        if not grams:
            return []
        table = self._bigrams
        counts = Counter(chain.from_iterable(table[g] for g in set(grams) if g in table))
        best: dict[int, float] = {}
        for pos in sorted(p for p, c in counts.items() if c * 2 >= self._fuzzy_need[p]):
            key, idx = self._fuzzy_keys[pos]
            if self.entries[idx].kind not in wanted:
                continue
            if len(key) > len(text):
                # the whole text is the name with at most one character missing
                if len(key) - len(text) > 1:
                    continue
                score = float(fuzz.ratio(key, text, score_cutoff=threshold))
            else:
                al = fuzz.partial_ratio_alignment(key, text, score_cutoff=threshold)
                # the aligned part of the text must be (almost) as long as the name: no edge half-matches
                if al is None or al.dest_end - al.dest_start < len(key) - 1:
                    continue
                score = float(al.score)
            if score >= threshold and score > best.get(idx, -1.0):
                best[idx] = score
        return sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))

    def town_point(self, code: str | None) -> tuple[float, float] | None:
        """The point used for town-level locations (seat inside the polygon, else a representative point)."""
        if code is None:
            return None
        return self.town_points.get(code)


def _bigrams_of(text: str) -> list[str]:
    return [text[i:i + 2] for i in range(len(text) - 1)]


def _fuzzy_variants(entry: Entry, prefixes: Sequence[str]) -> list[str]:
    name = strip_prefixes(normalize_key(entry.name), prefixes)
    if entry.kind != "community":
        return [name]
    core, family = community_core(name)
    if family is None:
        return [name]
    return [core + family]


# ---------------------------------------------------------------------- build
def _float(value: object) -> float:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return out if math.isfinite(out) else math.nan


def _code(value: object) -> str | None:
    text = clean_text(value)
    return text or None


def town_points(
    district: District, *, seats: Mapping[str, tuple[float, float]] | None = None
) -> dict[str, tuple[float, float]]:
    """The point of every town/street used for town-level locations.

    A seat (office location) from ``seats`` is used when it lies inside its own
    polygon; otherwise the polygon's representative point, which is always
    inside it (so a town-level location is always assigned to that town).
    """
    out: dict[str, tuple[float, float]] = {}
    gdf = district.jurisdictions
    for code, geom in zip(gdf["code"].astype(str), gdf.geometry.values):
        if geom is None or geom.is_empty:
            continue
        seat = (seats or {}).get(code)
        if seat is not None:
            lon, lat = float(seat[0]), float(seat[1])
            if math.isfinite(lon) and math.isfinite(lat) and shapely.contains_xy(geom, lon, lat):
                out[code] = (lon, lat)
                continue
        p = geom.representative_point()
        out[code] = (float(p.x), float(p.y))
    return out


def _layer_entries(frame: pd.DataFrame | None, kind: str) -> list[Entry]:
    if frame is None or len(frame) == 0 or "name" not in frame:
        return []
    n = len(frame)
    names = frame["name"].tolist()
    lons = frame["lon"].tolist() if "lon" in frame else [math.nan] * n
    lats = frame["lat"].tolist() if "lat" in frame else [math.nan] * n
    towns = None
    for col in ("town_code", "jurisdiction_code"):
        if col in frame:
            t = [_code(v) for v in frame[col].tolist()]
            towns = t if towns is None else [a or b for a, b in zip(towns, t)]
    towns = towns or [None] * n
    refs = frame["id"].tolist() if "id" in frame else list(range(n))
    out = []
    for name, lon, lat, town, ref in zip(names, lons, lats, towns, refs):
        if not normalize_key(name):
            continue
        out.append(Entry(kind, normalize_text(name), _float(lon), _float(lat), town, str(ref)))
    return out


def build_gazetteer(
    district: District,
    *,
    buildings: pd.DataFrame | None = None,
    parks: pd.DataFrame | None = None,
    seats: Mapping[str, tuple[float, float]] | None = None,
    prefixes: Sequence[str] = ("中华人民共和国", "中国", "北京市", "北京", "市辖区"),
    min_core_len: int = 3,
    fuzzy_min_len: int = 4,
) -> Gazetteer:
    """Index every known place name of a district and its loaded layers.

    Parameters
    ----------
    district
        Gives the towns/streets (names, civil-affairs names, short names) and
        the community/village gazetteer (``District.communities``).
    buildings, parks
        Accepted building/park ledger frames: ``name``, ``lon``/``lat`` (WGS-84,
        may be NaN), ``town_code`` or ``jurisdiction_code``, ``id``.
    seats
        ``town code -> (lon, lat)`` office locations used for town-level points
        when they lie inside their polygon (else the representative point).
    prefixes
        Leading prefixes stripped from names and addresses; the district's own
        name and short name (``顺义区``, ``顺义``) are always added.
    min_core_len
        A community/village core without its suffix (``马头庄`` of
        ``马头庄村委会``) is a key of its own only from this length on; shorter
        cores (``前进``) match only with a suffix (``前进村``, ``前进社区``).
    fuzzy_min_len
        Names shorter than this are never fuzzy-matched.
    """
    dname = normalize_key(district.name)
    pre = list(prefixes) + [p for p in (dname, town_short_name(dname)) if p]
    if dname.endswith("区") and len(dname) > 2:
        pre.append(dname[:-1])
    pre_t = tuple(dict.fromkeys(pre))

    entries: list[Entry] = []
    keys: dict[str, list[int]] = {}

    def add(key: str, idx: int) -> None:
        if key:
            lst = keys.setdefault(key, [])
            if idx not in lst:
                lst.append(idx)

    # layers first so their entry numbers do not depend on the district's size
    for entry in _layer_entries(buildings, "building") + _layer_entries(parks, "park"):
        idx = len(entries)
        entries.append(entry)
        full = normalize_key(entry.name)
        add(full, idx)
        add(strip_prefixes(full, pre_t), idx)

    # towns: names, civil-affairs names, short names with every administrative suffix
    points = town_points(district, seats=seats)
    gdf = district.jurisdictions
    town_keys: set[str] = set()
    town_names: dict[str, str] = {}
    for row in gdf.itertuples(index=False):
        code = str(row.code)
        town_names[code] = str(row.name)
        lon, lat = points.get(code, (math.nan, math.nan))
        idx = len(entries)
        entries.append(Entry("town", str(row.name), lon, lat, code, code))
        variants: set[str] = set()
        for n in (row.name, getattr(row, "mca_name", "")):
            full = normalize_key(n)
            if not full:
                continue
            variants.add(full)
            short = town_short_name(full)
            variants.update(short + s for s in _TOWN_VARIANTS)
            if len(short) >= min_core_len or short == full:
                variants.add(short)
        for v in sorted(variants):
            add(v, idx)
            town_keys.add(v)

    # communities and villages
    comm = district.communities
    if comm is not None and len(comm):
        n = len(comm)
        lons = comm["lon"].tolist() if "lon" in comm else [math.nan] * n
        lats = comm["lat"].tolist() if "lat" in comm else [math.nan] * n
        towns = comm["town_code"].tolist() if "town_code" in comm else [None] * n
        codes = comm["code"].tolist() if "code" in comm else list(range(n))
        for name, lon, lat, town, code in zip(comm["name"].tolist(), lons, lats, towns, codes):
            full = strip_prefixes(normalize_key(name), pre_t)
            if not full:
                continue
            idx = len(entries)
            entries.append(Entry("community", normalize_text(name), _float(lon), _float(lat), _code(town), str(code)))
            add(full, idx)
            core, family = community_core(full)
            if family is not None:
                for suffix in _FAMILY_VARIANTS[family]:
                    add(core + suffix, idx)
            # a bare core is a key only when long enough and not a town's name (后沙峪 is the town)
            if len(core) >= min_core_len and core not in town_keys:
                add(core, idx)

    return Gazetteer(
        entries=entries,
        keys={k: tuple(v) for k, v in keys.items()},
        town_points=points,
        town_names=town_names,
        prefixes=pre_t,
        fuzzy_min_len=fuzzy_min_len,
    )


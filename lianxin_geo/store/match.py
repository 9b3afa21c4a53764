"""Matching organizations across two rounds: by credit code, else by normalised name and address.

An organization with a valid 统一社会信用代码 in both rounds is matched by that code (certain).
The rest are matched by normalised name + address when that pair is unique in both rounds;
such a match is not certain and is reported as 疑似同一组织. Orgs with the same normalised name
but another address are not matched (they count as closed and new) but are also reported as
疑似同一组织 so that a person can check them. Two orgs whose valid codes differ are never matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from lianxin_geo.core.district import normalize_text
from lianxin_geo.ingest.creditcode import check_credit_code

__all__ = ["OrgRef", "Matching", "match_orgs", "SUSPECTED", "BASIS_CODE", "BASIS_NAME_ADDRESS", "BASIS_NAME"]

SUSPECTED = "疑似同一组织"
BASIS_CODE = "统一社会信用代码"
BASIS_NAME_ADDRESS = "名称+地址"
BASIS_NAME = "名称相同、地址不同"
_PUNCT = re.compile(r"[()（）\[\]【】·.,，。、\-—_/\\'\"“”‘’:：;；]")


@dataclass(frozen=True)
class OrgRef:
    """What matching needs of one org of a round."""

    org_id: str
    name: str
    address: str
    credit_code: str | None
    title: str = ""

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> "OrgRef":
        """From a stored org row (``id``, ``name``, ``address``, ``credit_code``)."""
        check = check_credit_code(rec.get("credit_code"))
        return cls(org_id=str(rec.get("id")), name=_norm(rec.get("name")), address=_norm(rec.get("address")),
                   credit_code=check.code if check.valid else None,
                   title=normalize_text(rec.get("name")))


@dataclass
class Matching:
    """The outcome: ``pairs`` (old id, new id, basis), the unmatched ids and the suspected pairs."""

    pairs: list[tuple[str, str, str]] = field(default_factory=list)
    old_only: list[str] = field(default_factory=list)
    new_only: list[str] = field(default_factory=list)
    suspected: list[dict[str, Any]] = field(default_factory=list)

    def new_of_old(self) -> dict[str, str]:
        """Old org id → the matched new org id."""
        return {a: b for a, b, _ in self.pairs}


def _norm(value: Any) -> str:
    return _PUNCT.sub("", normalize_text(value)).lower()


def _unique(refs: Iterable[OrgRef], key: Any) -> dict[Any, OrgRef]:
    seen: dict[Any, list[OrgRef]] = {}
    for r in refs:
        k = key(r)
        if k and all(k):
            seen.setdefault(k, []).append(r)
    return {k: v[0] for k, v in seen.items() if len(v) == 1}


def _compatible(a: OrgRef, b: OrgRef) -> bool:
    return a.credit_code is None or b.credit_code is None or a.credit_code == b.credit_code


def match_orgs(old: list[OrgRef], new: list[OrgRef]) -> Matching:
    """Match the orgs of two rounds (see the module docs); ids keep their round's order."""
    out = Matching()
    used_old: set[str] = set()
    used_new: set[str] = set()
    new_by_code = _unique(new, lambda r: (r.credit_code,))
    for a in old:
        b = new_by_code.get((a.credit_code,)) if a.credit_code else None
        if b is not None and b.org_id not in used_new and a.org_id not in used_old:
            out.pairs.append((a.org_id, b.org_id, BASIS_CODE))
            used_old.add(a.org_id)
            used_new.add(b.org_id)
    rest_old = [r for r in old if r.org_id not in used_old]
    rest_new = [r for r in new if r.org_id not in used_new]
    key_na = (lambda r: (r.name, r.address))
    new_na = _unique(rest_new, key_na)
    old_na = _unique(rest_old, key_na)
    for k, a in old_na.items():
        b = new_na.get(k)
        if b is not None and _compatible(a, b):
            out.pairs.append((a.org_id, b.org_id, BASIS_NAME_ADDRESS))
            out.suspected.append({"from_id": a.org_id, "to_id": b.org_id, "name": b.title, "basis": BASIS_NAME_ADDRESS,
                                  "matched": True, "note": SUSPECTED})
            used_old.add(a.org_id)
            used_new.add(b.org_id)
    key_n = (lambda r: (r.name,))
    new_n = _unique([r for r in rest_new if r.org_id not in used_new], key_n)
    for k, a in _unique([r for r in rest_old if r.org_id not in used_old], key_n).items():
        b = new_n.get(k)
        if b is not None and _compatible(a, b):
            out.suspected.append({"from_id": a.org_id, "to_id": b.org_id, "name": b.title, "basis": BASIS_NAME,
                                  "matched": False, "note": SUSPECTED})
    out.old_only = [r.org_id for r in old if r.org_id not in used_old]
    out.new_only = [r.org_id for r in new if r.org_id not in used_new]
    return out

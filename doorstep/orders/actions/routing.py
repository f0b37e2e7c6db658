"""Intake without a branch (SPEC §5): the branch whose territory (包片) holds the report.

One function, `route`, used by `create_order` (API, intake desk, importer) and by the intake
desk's preview, so the branch the desk shows is the branch the order gets.

Order of evidence: the `area` code (a residential compound or network element code listed in a
territory), then the `location` (inside a territory's polygon), then the address (a territory
whose name, without a trailing 「包片」, appears in it; the longest such name wins, so
「和睦新村东区」 beats 「和睦新村」).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from doorstep.org.models import Branch

VIA_LABEL = {"area": "区域编码", "location": "定位", "address": "地址"}


@dataclass(frozen=True)
class Routed:
    branch: Branch
    via: str  # area, location, address
    territory: str

    @property
    def label(self) -> str:
        return f"{self.branch.name}（按{VIA_LABEL[self.via]}匹配包片「{self.territory}」）"


def _place_name(name: str) -> str:
    name = name.strip()
    return name[: -len("包片")].strip() if name.endswith("包片") else name


def route(
    area: str | None = None,
    lat: float | None = None,
    lng: float | None = None,
    address: str | None = None,
) -> Routed | None:
    """The branch whose territory holds the area code, else the location, else the address;
    None when no territory matches."""
    from doorstep.dispatch.models import Territory

    territories: list[Any] = list(Territory.objects.select_related("branch").order_by("id"))
    if area:
        for t in territories:
            if area in (t.area_codes or []):
                return Routed(t.branch, "area", t.name)
    if lat is not None and lng is not None:
        for t in territories:
            if t.polygon and t.covers("", lat, lng):
                return Routed(t.branch, "location", t.name)
    if address:
        named = [(len(_place_name(t.name)), t) for t in territories if _place_name(t.name)]
        hits = [(n, t) for n, t in named if _place_name(t.name) in address]
        if hits:
            _, best = max(hits, key=lambda h: (h[0], -h[1].pk))
            return Routed(best.branch, "address", best.name)
    return None

"""The demo city: Hangzhou (杭州), with one urban and one township service area.

Real district centres (WGS-84), used by the demo data, the simulator and the field planning
benchmark, so that distances and travel times look like a real operator's day.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Area:
    code: str  # residential compound / network element area code
    name: str
    lat: float
    lng: float
    radius_km: float


@dataclass(frozen=True)
class Region:
    branch_code: str
    branch_name: str
    region_type: str  # "urban" | "township"
    depot_lat: float
    depot_lng: float
    areas: tuple[Area, ...]


URBAN = Region(
    branch_code="GS",
    branch_name="拱墅营维中心",
    region_type="urban",
    depot_lat=30.3190,
    depot_lng=120.1415,
    areas=(
        Area("GS-DQ", "大关小区", 30.3085, 120.1484, 0.8),
        Area("GS-XS", "小河佳苑", 30.3268, 120.1386, 0.7),
        Area("GS-HZ", "和睦新村", 30.3152, 120.1318, 0.6),
        Area("GS-SD", "德胜新村", 30.2985, 120.1655, 0.7),
        Area("GS-QJ", "祥符桥", 30.3400, 120.1200, 0.9),
        Area("GS-BJ", "半山", 30.3610, 120.1760, 1.2),
        Area("GS-WL", "文晖", 30.2920, 120.1700, 0.6),
        Area("GS-MJ", "米市巷", 30.2880, 120.1590, 0.5),
    ),
)

TOWNSHIP = Region(
    branch_code="TL",
    branch_name="桐庐营维中心",
    region_type="township",
    depot_lat=29.7978,
    depot_lng=119.6914,
    areas=(
        Area("TL-TJ", "桐君街道", 29.7990, 119.6850, 1.5),
        Area("TL-FC", "富春江镇", 29.7330, 119.5660, 2.5),
        Area("TL-FS", "分水镇", 29.9120, 119.4600, 3.0),
        Area("TL-JN", "江南镇", 29.7700, 119.7600, 2.5),
        Area("TL-HL", "横村镇", 29.8530, 119.6000, 2.5),
        Area("TL-BS", "百江镇", 30.0000, 119.3900, 3.0),
    ),
)

REGIONS: tuple[Region, ...] = (URBAN, TOWNSHIP)

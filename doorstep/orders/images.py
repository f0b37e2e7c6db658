"""Evidence photos: checked to be images, turned upright, shrunk for storage, and the capture
time and position the camera wrote kept as fields (the rest of the metadata is dropped)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from PIL import ExifTags, Image, ImageOps

MAX_SIDE = 2048
JPEG_QUALITY = 85


@dataclass
class Processed:
    data: bytes
    content_type: str
    width: int
    height: int
    captured_at: datetime | None
    lat: float | None
    lng: float | None


def _ratio(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, ZeroDivisionError):
        return 0.0


def _degrees(dms: object, ref: object) -> float | None:
    try:
        d, m, s = (_ratio(x) for x in dms)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return None
    value = d + m / 60 + s / 3600
    return -value if str(ref).upper() in ("S", "W") else value


def _metadata(img: Image.Image, tz: str) -> tuple[datetime | None, float | None, float | None]:
    exif = img.getexif()
    captured = None
    raw = exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal) or exif.get(
        ExifTags.Base.DateTime
    )
    if raw:
        try:
            # Cameras write local wall time without a zone: read it in the branch's zone.
            captured = datetime.strptime(str(raw), "%Y:%m:%d %H:%M:%S").replace(tzinfo=ZoneInfo(tz))
        except ValueError:
            captured = None
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    lat = lng = None
    if gps:
        lat = _degrees(gps.get(2), gps.get(1))
        lng = _degrees(gps.get(4), gps.get(3))
        if lat is not None and not -90 <= lat <= 90 or lng is not None and not -180 <= lng <= 180:
            lat = lng = None
    return captured, lat, lng


def process(data: bytes, fmt: str, tz: str = "Asia/Shanghai") -> Processed:
    with Image.open(io.BytesIO(data)) as img:
        captured, lat, lng = _metadata(img, tz)
        upright = ImageOps.exif_transpose(img)
        upright.thumbnail((MAX_SIDE, MAX_SIDE))
        out = io.BytesIO()
        if fmt == "PNG":
            upright.save(out, format="PNG", optimize=True)
            ctype = "image/png"
        else:
            upright.convert("RGB").save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
            ctype = "image/jpeg"
        return Processed(out.getvalue(), ctype, upright.width, upright.height, captured, lat, lng)

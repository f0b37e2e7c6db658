"""Evidence photos: checked to be images, turned upright, shrunk for storage, and the capture
time and position the camera wrote kept as fields (the rest of the metadata is dropped)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

MAX_SIDE = 2048
JPEG_QUALITY = 85
# The decoders an upload may reach: what phone cameras and screenshots write. Anything else
# (SVG, PDF, TIFF, EPS, PSD, …) is refused before Pillow tries its other readers.
# MPO is how Pillow names the multi-picture JPEGs many phone cameras write.
FORMATS = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# A 200-megapixel phone sensor writes 50 MP or less by default; a larger picture is refused
# from its header alone, before a pixel is decoded (Pillow's own alarm is at 89 MP).
MAX_PIXELS = 64_000_000
# Pillow's JPEG reader is the one that opens MPO files.
_READERS = ["JPEG", "PNG", "WEBP"]


class NotAnImage(ValueError):
    """The bytes are not a JPEG / PNG / WEBP picture that decodes whole."""


class TooLarge(ValueError):
    """The picture's header announces more than MAX_PIXELS pixels (a decompression bomb)."""


def inspect(data: bytes) -> str:
    """The picture's format, from its header and a structural check; refuses other formats,
    pictures of more than MAX_PIXELS and files whose structure is broken."""
    try:
        with Image.open(io.BytesIO(data), formats=_READERS) as img:
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise TooLarge(f"{width}x{height}")
            img.verify()
            return img.format or ""
    except Image.DecompressionBombError as e:
        raise TooLarge(str(e)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        if isinstance(e, TooLarge):
            raise
        raise NotAnImage(str(e)) from None


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
    """Decode, turn upright, shrink and re-encode. A truncated or corrupt picture raises
    NotAnImage (Pillow's partial decode is not accepted); call `inspect` first."""
    try:
        with Image.open(io.BytesIO(data), formats=_READERS) as img:
            img.load()
            return _redraw(img, fmt, tz)
    except Image.DecompressionBombError as e:
        raise TooLarge(str(e)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        if isinstance(e, TooLarge | NotAnImage):
            raise
        raise NotAnImage(str(e)) from None


def _redraw(img: Image.Image, fmt: str, tz: str) -> Processed:
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

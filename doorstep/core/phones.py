"""Mainland China phone numbers: mobiles (1[3-9]xxxxxxxxx) and landlines (0xx(x)-xxxxxxx(x))."""

from __future__ import annotations

import re

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^(0\d{2,3})(\d{7,8})$")
_STRIP = re.compile(r"[\s\-()（）]")


def normalise_phone(raw: str) -> str:
    """Return the canonical form or raise ValueError with a message for the user.

    Mobiles become 11 digits; landlines `0571-87654321`; a `+86`/`0086` prefix is dropped;
    an extension after `#`/`转` is kept (`0571-87654321#123`).
    """
    text = raw.strip()
    ext = ""
    for sep in ("#", "转", "ext", "x"):
        if sep in text:
            text, ext = text.split(sep, 1)
            ext = ext.strip()
            if not ext.isdigit() or len(ext) > 6:
                raise ValueError("分机号只能是 1–6 位数字")
            break
    digits = _STRIP.sub("", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not digits.isdigit():
        raise ValueError("电话号码只能包含数字")
    if _MOBILE.match(digits):
        if ext:
            raise ValueError("手机号码不能带分机号")
        return digits
    match = _LANDLINE.match(digits)
    if match and not digits.startswith("00"):
        number = f"{match.group(1)}-{match.group(2)}"
        return f"{number}#{ext}" if ext else number
    raise ValueError("不是有效的中国大陆手机或固话号码（手机 11 位，固话需带区号）")


def mask_phone(phone: str) -> str:
    """138****5678 / 0571-****4321: enough for the customer to recognise, no more (R22)."""
    if len(phone) == 11 and phone.isdigit():
        return f"{phone[:3]}****{phone[-4:]}"
    if "-" in phone:
        area, rest = phone.split("-", 1)
        return f"{area}-****{rest[-4:]}"
    return "****" + phone[-4:]

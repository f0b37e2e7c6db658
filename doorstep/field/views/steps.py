"""What each step of the visit shows: the service scripts with the customer's and the
technician's details filled in, the kit checklist, the consent subjects and the R7/R8/R9
warnings (their windows from `doorstep.standards.windows`, the one function the checks use).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from doorstep.field.scripts import get_script, kit_checklist, kit_checklists, render_lines
from doorstep.field.views.common import span
from doorstep.orders.choices import (
    ConsentSubject,
)
from doorstep.orders.models import WorkOrder
from doorstep.org.models import Staff
from doorstep.standards import policies
from doorstep.standards.windows import notice_window

# Placeholders the browser fills from what the technician picks or types.
LIVE_TOKENS = {
    "reason": "〔原因〕",
    "delay_minutes": "〔N〕",
    "leave_time": "〔离开时间〕",
    "time": "〔新的时间〕",
}


def script_card(
    step: str, values: dict[str, str], situation: str | None = None, **live: str
) -> dict[str, Any]:
    """A script card: each line as shown now and as a template for the live placeholders."""
    script = get_script(step)
    merged = {**values, **{name: "{" + name + "}" for name in live}}
    try:
        templates = render_lines(step, situation, **merged)
    except KeyError:
        templates = [ln.text for ln in script.lines_for(situation)]
    lines = []
    for template in templates:
        text = template
        for name, shown in LIVE_TOKENS.items():
            text = text.replace("{" + name + "}", shown)
        lines.append({"text": text, "template": template})
    return {
        "step": step,
        "title": script.title,
        "lines": lines,
        "actions": script.actions,
        "live": bool(live),
    }


def script_values(order: WorkOrder, staff: Staff | None, user: Any, time: str) -> dict[str, str]:
    """Everything a script may need. The customer's gender is not on record: 先生/女士."""
    return {
        "customer_name": f"{order.customer.name}先生/女士",
        "technician_name": staff.name if staff else user.get_username(),
        "employee_no": (staff.employee_no if staff else "") or "—",
        "company": settings.DOORSTEP_COMPANY,
        "phone": (staff.phone if staff else "") or "10000",
        "time": time or "〔约定时间〕",
    }


def chosen_kit() -> Any:
    """The kit checklist the organisation chose (settings.DOORSTEP_KIT_CHECKLIST), R24."""
    code = getattr(settings, "DOORSTEP_KIT_CHECKLIST", "") or ""
    if code:
        try:
            return kit_checklist(code)
        except KeyError:
            pass
    return kit_checklists()[0]


def rule_notes(order: WorkOrder, now: datetime) -> dict[str, Any]:
    """R7 / R8 / R9 warnings, from the same windows the checks use to record a breach."""
    notes: dict[str, Any] = {}
    for rule in ("R7", "R8"):
        window = notice_window(order, rule)
        if window is not None:
            notes[rule.lower()] = {
                "minutes": window.minutes,
                "span": span(window.minutes),
                "cutoff": window.cutoff,
                "late": window.late(now),
            }
    wait = notice_window(order, "R9")
    if wait is not None:
        notes["r9"] = {"minutes": wait.minutes, "span": span(wait.minutes)}
    return notes


def consent_subjects(order: WorkOrder) -> list[str]:
    found = policies.resolve("check.R12", order)
    default = [
        ConsentSubject.DRILL_WALL,
        ConsentSubject.MOVE_ITEMS,
        ConsentSubject.ENTER_ROOM,
        ConsentSubject.DISK_DATA,
    ]
    subjects = list(found.params.get("subjects", default)) if found else list(default)
    return [s for s in subjects if s in ConsentSubject.values]


def local_input(moment: datetime | None, tz: ZoneInfo, seconds: bool = False) -> str:
    """A value for <input type=datetime-local>."""
    if moment is None:
        return ""
    return timezone.localtime(moment, tz).strftime(
        "%Y-%m-%dT%H:%M:%S" if seconds else "%Y-%m-%dT%H:%M"
    )

"""R24 pre-departure kit check (000 第二章 §2 「七个一」, 001 「五个一」, 003 「四统一四携带」).

The items are rows an admin edits (KitItem): a branch's own list, or the organisation's list
(rows with no branch) when the branch has none; with no rows at all, the seed checklist the
organisation chose (settings.DOORSTEP_KIT_CHECKLIST, doorstep/field/data/kit_checklists.json),
every item optional. The phone shows `items_for` to tick before `depart`; `check_departure`
decides what the departure lacks from the same list.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.db.models import Q

from doorstep.care.models import KitItem
from doorstep.core.errors import GateRefused
from doorstep.orders.models import WorkOrder


def items_for(branch_id: int | None) -> list[KitItem]:
    """The kit list that applies to a branch's technicians (unsaved rows for the seed list)."""
    # Model ordering: position, then id.
    rows = list(
        KitItem.objects.filter(Q(branch_id=branch_id) | Q(branch__isnull=True), enabled=True)
    )
    own = [r for r in rows if r.branch_id is not None]
    if own:
        return own
    if rows:
        return rows
    from doorstep.field.views.steps import chosen_kit

    return [
        KitItem(code=i.code, label=i.label, required=False, position=n)
        for n, i in enumerate(chosen_kit().items)
    ]


def _ticked(item: KitItem, ticked: set[str]) -> bool:
    # Older phones send the item's name rather than its code; both count.
    return item.code in ticked or item.label in ticked


def check_departure(order: WorkOrder, ticked_codes: list[str]) -> list[str]:
    """Refuse (GateRefused, field `checklist`) when a required item is not ticked; return the
    codes of optional items not ticked (recorded with the departure)."""
    ticked = set(ticked_codes)
    items = items_for(order.branch_id)
    required = [i for i in items if i.required and not _ticked(i, ticked)]
    if required:
        names = "、".join(i.label for i in required)
        raise GateRefused(
            "R24",
            {"checklist": f"出发前须备齐：{names}"},
            f"出发前检查未完成，缺少必备物品：{names}",
        )
    return [i.code for i in items if not i.required and not _ticked(i, ticked)]


def phone_kit(branch_id: int | None) -> Any:
    """What the phone's depart step shows: the seed checklist (with its name and the seed's
    words) when no rows are set, else the rows of `items_for` under a plain heading."""
    from doorstep.field.views.steps import chosen_kit

    rows = items_for(branch_id)
    if all(r.pk is None for r in rows):
        return chosen_kit()
    return SimpleNamespace(name="出发前检查", organisation="", quote="", items=rows)

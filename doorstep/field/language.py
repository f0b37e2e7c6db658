"""R23 on the way out: text that reaches a customer is checked against the banned phrases and
rewordings (the seeds' lists plus what admins added); a hit refuses the action with the
suggested wording. The notices themselves (the "could not reach you" SMS after an unanswered
call among them) come from the admin's templates: doorstep.notifications.notices."""

from __future__ import annotations

import threading
from typing import Any

from doorstep.core.errors import GateRefused
from doorstep.field.phrases import Hit, PhraseRule, check_text, load_rules, suggest
from doorstep.orders.actions.context import ActionContext, Outcome

# Fields whose text the customer reads (a reply, the note left on the door, what a delay or a
# move is put down to). Internal notes (contact.note, report_back) are not checked.
CUSTOMER_TEXT = {
    "reply": ("message",),
    "absent": ("note",),
    "notify_delay": ("reason",),
    "reschedule": ("reason",),
}

_lock = threading.Lock()
_rules: list[list[PhraseRule]] = []


def clear_cache(*args: Any, **kwargs: Any) -> None:
    with _lock:
        _rules.clear()


def rules() -> list[PhraseRule]:
    with _lock:
        if _rules:
            return _rules[0]
    from doorstep.field.models import PhraseEntry

    extra = []
    for entry in PhraseEntry.objects.filter(enabled=True):
        try:
            extra.append(entry.as_rule())
        except ValueError:
            continue  # a rule that no longer compiles is skipped, never fatal
    loaded = load_rules(extra)  # type: ignore[arg-type]
    with _lock:
        _rules[:] = [loaded]
    return loaded


def problems(text: str) -> tuple[list[Hit], str | None]:
    """The banned or negative phrasing in `text`, and the text reworded where possible."""
    active = rules()
    hits = check_text(text, active)
    return hits, (suggest(text, active) if hits else None)


def explain(hits: list[Hit], better: str | None) -> str:
    found = "、".join(f"「{h.matched}」" for h in hits)
    message = f"包含服务禁语或不当说法 {found}"
    tips = [h.suggestion for h in hits if h.suggestion]
    if better:
        message += f"；建议改为：{better}"
    elif tips:
        message += f"；可以说：{tips[0]}"
    else:
        message += "；请换成礼貌、积极的说法"
    return message


def gate_r23(ctx: ActionContext, outcome: Outcome) -> None:
    fields = {}
    for name in CUSTOMER_TEXT.get(ctx.action, ()):
        text = getattr(ctx.payload, name, None)
        if not text:
            continue
        hits, better = problems(str(text))
        if hits:
            fields[name] = explain(hits, better)
    if fields:
        raise GateRefused("R23", fields, next(iter(fields.values())))

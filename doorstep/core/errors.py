"""Errors the action layer raises; the API and the web pages turn them into SPEC §5 shapes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DoorstepError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, **extra: object) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"code": self.code, "message": self.message}
        body.update(self.extra)
        return body


class InvalidInput(DoorstepError):
    status = 422
    code = "invalid"

    def __init__(self, fields: Mapping[str, Sequence[str] | str], message: str = "") -> None:
        normalised = {k: [v] if isinstance(v, str) else list(v) for k, v in fields.items()}
        if not message:
            first = next(iter(normalised.items()), ("", [""]))
            message = f"{first[0]}: {first[1][0]}" if first[0] else "invalid input"
        super().__init__(message)
        self.fields = normalised

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class NotFound(DoorstepError):
    status = 404
    code = "not_found"


class Forbidden(DoorstepError):
    status = 403
    code = "forbidden"


class Conflict(DoorstepError):
    """Illegal transition or a concurrent change: carries the state and allowed actions."""

    status = 409
    code = "conflict"

    def __init__(
        self, message: str, *, state: str, allowed: list[str], code: str = "conflict"
    ) -> None:
        super().__init__(message, state=state, allowed_actions=allowed)
        self.code = code


class GateRefused(InvalidInput):
    """A service-standard gate (R9, R10, R12 …) refused the action until a condition holds."""

    code = "gate_refused"

    def __init__(
        self, rule: str, fields: Mapping[str, Sequence[str] | str], message: str = ""
    ) -> None:
        super().__init__(fields, message)
        self.rule = rule

    def as_dict(self) -> dict[str, object]:
        body = super().as_dict()
        body["rule"] = self.rule
        return body

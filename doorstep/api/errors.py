"""SPEC §5 error shape: {"error": {"code", "message", "fields"?}} for every refusal."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from doorstep.core.errors import DoorstepError
from doorstep.orders.actions.payloads import errors_from_pydantic


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DoorstepError)
    def doorstep_error(request: HttpRequest, exc: DoorstepError) -> HttpResponse:
        return api.create_response(request, {"error": exc.as_dict()}, status=exc.status)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = errors_from_pydantic(_Wrap(exc.errors))
        first = next(iter(fields.items()))
        return api.create_response(
            request,
            error_body("invalid", f"{first[0]}: {first[1][0]}", fields=fields),
            status=422,
        )

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(
            request, error_body("unauthorized", "需要有效的访问令牌 (Bearer token)"), status=401
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        codes = {
            400: "bad_request",
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            409: "conflict",
            429: "too_many_requests",
        }
        return api.create_response(
            request,
            error_body(codes.get(exc.status_code, "error"), str(exc)),
            status=exc.status_code,
        )


class _Wrap:
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self._errors = errors

    def errors(self) -> list[dict[str, Any]]:
        return self._errors

"""The API's error shape, {"error": {"code", "message", "fields"?}}, for every refusal.

Two layers give it: the API's own exception handlers (what a view raises), and
`JsonErrorsUnderApi`, a middleware that rewrites any other error answer under /api/ (an unknown
path, a method the path does not take, an uncaught exception's 500) into the same shape.

Every router of the API is a `Router` from here: it documents these refusals on each of its
operations (`ERRORS`, one `ErrorOut` schema), so /api/v1/openapi.json declares what the
handlers answer and a client (or schemathesis) can check a refusal as it checks a success.

A lost or refused database connection is not a bug in the request: `database_unavailable`
answers it with 503 and Retry-After, in the error shape under /api/ (`DatabaseUnavailable`, the
API's handler) and with the Chinese 503 page elsewhere (`DatabaseUnavailable`, a middleware).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string
from ninja import NinjaAPI, Schema
from ninja import Router as NinjaRouter
from ninja.constants import NOT_SET
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import Field

from doorstep.core.errors import DoorstepError
from doorstep.orders.actions.payloads import errors_from_pydantic

log = logging.getLogger("doorstep.api")


class ErrorDetail(Schema):
    code: str = Field(description="invalid, not_found, conflict, forbidden, unauthorized …")
    message: str
    fields: dict[str, list[str]] | None = Field(
        default=None, description="bad input: each field named with its messages (400/422)"
    )
    state: str | None = Field(default=None, description="409: the order's current status")
    allowed_actions: list[str] | None = Field(
        default=None, description="409: the actions the order allows now"
    )
    rule: str | None = Field(default=None, description="a service-standard gate's rule (R-id)")


class ErrorOut(Schema):
    """SPEC §5: every refusal is {"error": {"code", "message", "fields"?}}."""

    error: ErrorDetail


# The refusals any operation may answer: 400 a body that is not JSON, 401 no valid token, 403
# and 404 the permission gate, 409 a state or version conflict, 410 a revoked link, 422 bad
# input, 429 a rate limit, 503 the database away. The handlers below give them all one shape.
ERRORS: dict[int, type[Schema]] = {
    status: ErrorOut for status in (400, 401, 403, 404, 409, 410, 422, 429, 503)
}


def with_errors(response: Any) -> Any:
    """An operation's declared answers with the API's refusals added (its own codes win)."""
    if response is NOT_SET:
        return response
    if isinstance(response, dict):
        return {**ERRORS, **response}
    return {200: response, **ERRORS}


class Router(NinjaRouter):
    """django-ninja's router, with every operation documenting the API's refusals."""

    def add_api_operation(
        self,
        path: str,
        methods: list[str],
        view_func: Callable[..., Any],
        *,
        response: Any = NOT_SET,
        **options: Any,
    ) -> None:
        super().add_api_operation(
            path, methods, view_func, response=with_errors(response), **options
        )


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

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, error_body("not_found", "找不到该资源"), status=404)

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(
            request, error_body("unauthorized", "需要有效的访问令牌 (Bearer token)"), status=401
        )

    @api.exception_handler(MultiPartParserError)
    def bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
        # A multipart body without its boundary (or cut short) is the client's, not a 500.
        return api.create_response(
            request, error_body("bad_request", "请求体不是有效的 multipart/form-data"), status=400
        )

    @api.exception_handler(OperationalError)
    @api.exception_handler(InterfaceError)
    def database_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        return database_unavailable(request, exc)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        message = str(exc)
        if message.startswith("Cannot parse request body"):  # django-ninja's words for bad JSON
            message = "请求体不是有效的 JSON"
        return api.create_response(
            request,
            error_body(CODES.get(exc.status_code, "error"), message),
            status=exc.status_code,
        )


CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    429: "too_many_requests",
    500: "server_error",
}


def _message(request: HttpRequest, response: HttpResponse) -> str:
    status = response.status_code
    if status == 404:
        return f"没有这个接口：{request.path}"
    if status == 405:
        return f"{request.path} 不接受 {request.method} 请求（可用：{response.get('Allow', '')}）"
    if status == 403:
        return "无权访问"
    if status >= 500:
        return "服务器内部错误，已记录；请稍后重试"
    return "请求无效"


class JsonErrorsUnderApi:
    """Under /api/, an error answer that is not JSON becomes the API's error shape.

    Django answers an unknown path with the HTML 404 page, django-ninja answers a method a path
    does not take with a plain-text 405, and an uncaught exception reaches Django's 500 page: a
    client of the API gets the shape it parses for all of them. Headers such as Allow are kept.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith("/api/")
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        status = response.status_code
        body = error_body(CODES.get(status, "error"), _message(request, response))
        answer = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
        for header in ("Allow", "WWW-Authenticate", "Retry-After"):
            if header in response:
                answer[header] = response[header]
        return answer


# Seconds a client is asked to wait before it tries again while the database is away.
RETRY_AFTER_SECONDS = 5


def database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """503 for a request whose database connection was lost or refused.

    Nothing of the request is kept: its transaction never committed (PostgreSQL drops an open
    transaction with its connection), and Django closes the broken connection when the request
    ends (`close_old_connections` on request_finished, with CONN_HEALTH_CHECKS at the next
    request's start), so the next request after the database is back opens a fresh one.
    """
    log.warning("database unavailable: %s %s: %s", request.method, request.path, exc)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            error_body("database_unavailable", "数据库暂时不可用，请稍后重试"),
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        # 503.html extends the error pages' base: no database, session or user needed.
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailable:
    """A view (a page, or an API path outside django-ninja) that loses its database answers 503
    with Retry-After instead of a 500 and a logged traceback."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, (OperationalError, InterfaceError)):
            return database_unavailable(request, exc)
        return None


class _Wrap:
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self._errors = errors

    def errors(self) -> list[dict[str, Any]]:
        return self._errors

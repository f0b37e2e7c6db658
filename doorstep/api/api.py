from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from pydantic import Field

from doorstep.api.auth import SessionOrBearer
from doorstep.api.errors import Router, install_error_handlers
from doorstep.api.models import ApiToken
from doorstep.core.errors import DoorstepError
from doorstep.customers import throttle
from doorstep.orders.api import router as orders_router
from doorstep.standards.api import router as standards_router

api = NinjaAPI(
    title="Doorstep API",
    version="1",
    description="Work orders for install-and-repair field crews (SPEC §5).",
    auth=SessionOrBearer(),
    urls_namespace="api-v1",
    default_router=Router(),
)
install_error_handlers(api)


class TokenIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=256)


class TokenOut(Schema):
    token: str
    expires_at: str


class Unauthorized(DoorstepError):
    status = 401
    code = "unauthorized"


class TooManyRequests(DoorstepError):
    status = 429
    code = "too_many_requests"


@api.post("/auth/token", auth=None, response={200: TokenOut}, tags=["auth"])
def issue_token(request: HttpRequest, body: TokenIn) -> dict[str, Any]:
    # Failed attempts per client address, counted by the one rate limit every process shares.
    if throttle.login_refused(request):
        raise TooManyRequests("尝试次数过多，请一分钟后再试")
    user = authenticate(request, username=body.username, password=body.password)
    if user is None or not user.is_active:
        throttle.login_failed(request)
        raise Unauthorized("用户名或密码错误")
    token, raw = ApiToken.issue(user)
    return {"token": raw, "expires_at": token.expires_at.isoformat()}


class HealthOut(Schema):
    status: str = Field(description='"ok" while the application answers')


@api.get("/health", auth=None, response=HealthOut, tags=["meta"])
def health(request: HttpRequest) -> dict[str, str]:
    return {"status": "ok"}


api.add_router("", orders_router)
api.add_router("", standards_router)
api.add_router("", "doorstep.customers.api.router")
api.add_router("", "doorstep.notifications.api.router")
api.add_router("", "doorstep.kpis.api.router")
api.add_router("", "doorstep.incidents.api.router")
api.add_router("", "doorstep.quality.api.router")
api.add_router("", "doorstep.care.api.router")

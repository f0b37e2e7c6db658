"""Transports: one small class per way a notice leaves Doorstep, behind `send(message) -> Receipt`
(Healthchecks' transports.py). A gateway either returns a receipt or raises `DeliveryError`
saying whether trying again later can help; any other exception counts as retryable.

Every gateway is given the notification's id as an idempotency key: the only moment a notice
can go out twice is a worker dying after the provider accepted it and before the result was
recorded (docs/notifications.md), and a provider that honours the key drops the second copy.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import httpx
from django.conf import settings

from doorstep.core import clock as app_clock
from doorstep.core.env import env, envint

log = logging.getLogger("doorstep.notifications")


@dataclass(frozen=True)
class Message:
    id: int  # the notification's id: also the idempotency key
    channel: str
    kind: str
    to: str = ""
    subject: str = ""
    body: str = ""
    template: str = ""
    provider_template_id: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    url: str = ""
    secret: str = ""

    @property
    def idempotency_key(self) -> str:
        return f"doorstep-notification-{self.id}"


@dataclass(frozen=True)
class Receipt:
    provider_message_id: str = ""
    status_code: int | None = None


class DeliveryError(Exception):
    def __init__(self, message: str, *, retryable: bool, status_code: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status_code = status_code


class Gateway(Protocol):
    def send(self, message: Message) -> Receipt: ...


class ConsoleGateway:
    """Writes the notice to the log: the default until an SMS provider is configured."""

    def send(self, message: Message) -> Receipt:
        log.warning(
            "[%s #%s] to %s %s: %s",
            message.kind,
            message.id,
            message.to or "-",
            message.subject,
            message.body,
        )
        return Receipt(provider_message_id=f"console-{message.id}")


def _raise_for(response: httpx.Response, what: str) -> None:
    code = response.status_code
    if 200 <= code < 300:
        return
    text = response.text[:300]
    # 429 and 5xx: the other side is busy or broken, later may work; other 4xx never will.
    retryable = code == 429 or code >= 500
    raise DeliveryError(f"{what} 返回 HTTP {code}：{text}", retryable=retryable, status_code=code)


_client: httpx.Client | None = None


def http_client() -> httpx.Client:
    """One HTTP client per process for every gateway: `httpx.post` makes a client, and with it
    a TLS context, per call (about 40 ms of CPU each, which made the worker's sending CPU-bound
    under `bench load`); a shared client also keeps the connection to the provider open."""
    global _client
    if _client is None:
        _client = httpx.Client()
    return _client


def _post(
    url: str, content: bytes, headers: dict[str, str], timeout: float, what: str
) -> httpx.Response:
    try:
        return http_client().post(url, content=content, headers=headers, timeout=timeout)
    except httpx.TimeoutException as exc:
        raise DeliveryError(f"{what} 超时：{exc}", retryable=True) from exc
    except httpx.TransportError as exc:
        raise DeliveryError(f"{what} 无法连接：{exc}", retryable=True) from exc


class HttpSmsGateway:
    """An SMS provider's HTTP API in the shape the common Chinese services use: a JSON POST of
    the phone, the provider's template id (模板号) and the template's parameters. The provider's
    own message id is read from `message_id`, `biz_id`, `BizId` or `request_id` in the answer."""

    def __init__(self, url: str, key: str, sign_name: str = "", timeout: float = 10.0) -> None:
        self.url = url
        self.key = key
        self.sign_name = sign_name
        self.timeout = timeout

    def send(self, message: Message) -> Receipt:
        if not message.to:
            raise DeliveryError("没有收信号码", retryable=False)
        payload = {
            "phone": message.to,
            "template_id": message.provider_template_id,
            "params": message.params,
            "content": message.body,  # for providers (and tests) that take the text itself
            "sign_name": self.sign_name,
            "out_id": message.idempotency_key,
        }
        response = _post(
            self.url,
            json.dumps(payload, ensure_ascii=False).encode(),
            {
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {self.key}",
                "Idempotency-Key": message.idempotency_key,
            },
            self.timeout,
            "短信网关",
        )
        _raise_for(response, "短信网关")
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        found = ""
        if isinstance(answer, dict):
            for name in ("message_id", "biz_id", "BizId", "request_id", "RequestId"):
                if answer.get(name):
                    found = str(answer[name])
                    break
        return Receipt(provider_message_id=found, status_code=response.status_code)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Doorstep-Signature` value: HMAC-SHA256 over `timestamp + "." + body`."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    now: datetime,
    tolerance_seconds: int = 300,
) -> bool:
    """What a receiver does (docs/notifications.md has the same few lines to copy): the
    signature must match and the timestamp be within the tolerance, so a recorded delivery
    replayed later is refused."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now.timestamp() - sent) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookGateway:
    """POSTs the event's JSON to a subscriber, signed with the subscription's secret."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout

    def send(self, message: Message) -> Receipt:
        body = message.body.encode()
        timestamp = str(int(app_clock.now().timestamp()))
        response = _post(
            message.url,
            body,
            {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Doorstep-Webhook/1",
                "X-Doorstep-Event": message.kind,
                "X-Doorstep-Delivery": str(message.id),
                "X-Doorstep-Timestamp": timestamp,
                "X-Doorstep-Signature": sign(message.secret, timestamp, body),
                "Idempotency-Key": message.idempotency_key,
            },
            self.timeout,
            "Webhook",
        )
        _raise_for(response, "Webhook")
        return Receipt(status_code=response.status_code)


def sms_gateway() -> Gateway:
    """The HTTP SMS gateway when DOORSTEP_SMS_URL is set, else the console."""
    url = getattr(settings, "DOORSTEP_SMS_URL", None) or env("DOORSTEP_SMS_URL")
    if not url:
        return ConsoleGateway()
    return HttpSmsGateway(
        url=url,
        key=getattr(settings, "DOORSTEP_SMS_KEY", None) or env("DOORSTEP_SMS_KEY"),
        sign_name=getattr(settings, "DOORSTEP_SMS_SIGN_NAME", None)
        or env("DOORSTEP_SMS_SIGN_NAME"),
        timeout=timeout_of("sms"),
    )


def timeout_of(channel: str) -> float:
    """Seconds one send on `channel` may take: the gateway's timeout (the sender keeps a
    notice's lease longer than this, or leaves the notice to the next claim)."""
    if channel == "webhook":
        return float(envint("DOORSTEP_WEBHOOK_TIMEOUT_SECONDS", 10))
    if channel == "sms":
        return float(envint("DOORSTEP_SMS_TIMEOUT_SECONDS", 10))
    return 0.0


def gateway_for(channel: str) -> Gateway:
    if channel == "webhook":
        return WebhookGateway(timeout=timeout_of("webhook"))
    if channel == "sms":
        return sms_gateway()
    return ConsoleGateway()

"""The people of `doorstep bench load`, as a locust load (run as `python -m
doorstep.bench.loadgen CONFIG OUT`; the bench starts it in its own process, since locust
patches the standard library with gevent).

A large branch on a bad day: every technician of the branch on the phone working through their
orders (a fifth of them offline, queueing their actions with the time they happened and
replaying the queue in a burst, each replayed request sent twice as a phone does that lost the
first answer); operators taking an outage storm (bursts of fault reports from one area at a
time, each posted with an Idempotency-Key and retried with it); dispatchers refreshing the
board and the order list and assigning what came in (not the members of a batch fault, which
wait for their incident); quality agents taking callbacks; managers on the KPI pages, confirming
the storm's incidents as outages (which pauses their members' clocks and tells every customer)
and closing them a minute later. Every request is named by its endpoint class, which is what
the report groups.

What a 2xx answer acknowledged — an order, an action (its order and event number) — is written
to OUT with the per-class figures, so the bench can check afterwards that the record holds all
of it. An API request that met a dead server (connection refused or reset, 502/503/504) is
retried until the run ends, an intake or action with the same key, as a phone's queue does; a
page load that met one is counted as unavailable and not retried.
"""

from __future__ import annotations

import itertools
import json
import random
import resource
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, User, between, events, task
from locust.env import Environment
from urllib3 import encode_multipart_formdata

CONFIG: dict[str, Any] = {}
ACKS: list[dict[str, Any]] = []
REFUSED: dict[str, dict[str, int]] = {}  # class → {status: count} for 4xx answers
RETRIED: dict[str, int] = {}
SAMPLES: dict[str, str] = {}  # "class status" → the first refusal's message, for the report
_ids = itertools.count(1)

# Next step of the technician's lifecycle from an order's state (SPEC §2).
NEXT = {
    "dispatched": "accept",
    "accepted": "contact",
    "scheduled": "depart",
    "en_route": "arrive",
    "on_site": "complete",
}
RETRYABLE = {0, 502, 503, 504}


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


class Person(FastHttpUser):
    abstract = True
    role = ""
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        people = CONFIG["people"][self.role]
        me = people[next(CONFIG["_counters"][self.role]) % len(people)]
        self.username = me["username"]
        self.auth = {"Authorization": f"Bearer {me['token']}"}
        self.cookie = {"Cookie": f"sessionid={me['session']}"}
        self.rng = random.Random(hash(self.username) ^ CONFIG["seed"])

    def page(self, path: str, name: str) -> None:
        """A page load; one that meets a dead server is not retried (a person reloads later)
        and counts as unavailable, not as an error."""
        with self.client.get(path, headers=self.cookie, name=name, catch_response=True) as r:
            if (r.status_code or 0) in RETRYABLE:
                r.failure(f"{r.status_code}: unavailable")
                RETRIED[name] = RETRIED.get(name, 0) + 1
                return
            self._judge(r, name)

    def api(
        self, method: str, path: str, name: str, body: Any = None, key: str | None = None
    ) -> Any:
        """One API call; a dead server's answer is retried (same key) until the run ends.
        Returns the JSON body of a 2xx answer, else None."""
        headers = dict(self.auth)
        if key:
            headers["Idempotency-Key"] = key
        delay = 0.5
        while True:
            with self.client.request(
                method, path, json=body, headers=headers, name=name, catch_response=True
            ) as r:
                status = r.status_code or 0
                if status in RETRYABLE and self.environment.runner.state != "stopping":
                    r.failure(f"{status}: retried")
                    RETRIED[name] = RETRIED.get(name, 0) + 1
                    if time.monotonic() > CONFIG["_ends"]:
                        return None
                    gevent.sleep(delay)
                    delay = min(delay * 2, 4.0)
                    continue
                self._judge(r, name)
                if 200 <= status < 300:
                    try:
                        return r.json()
                    except ValueError:
                        return None
                return None

    def _judge(self, r: Any, name: str) -> None:
        status = r.status_code or 0
        if 200 <= status < 400:
            r.success()
        elif 400 <= status < 500:
            # A refusal the server meant (a conflict with another actor, a state moved on):
            # counted apart, not an error of the system under load.
            REFUSED.setdefault(name, {}).setdefault(str(status), 0)
            REFUSED[name][str(status)] += 1
            if f"{name} {status}" not in SAMPLES:
                try:
                    SAMPLES[f"{name} {status}"] = str(r.json()["error"]["message"])[:200]
                except (ValueError, KeyError, TypeError):
                    SAMPLES[f"{name} {status}"] = (r.text or "")[:200]
            r.success()
        else:
            r.failure(f"HTTP {status}")

    def act(
        self, order: int, action: str, body: dict[str, Any], name: str, key: str | None = None
    ) -> Any:
        """An action on an order with a fresh Idempotency-Key (or the one given, for a replay);
        a 2xx answer is recorded as acknowledged."""
        key = key or f"{self.role[0]}-{uuid.uuid4().hex}"
        answer = self.api("POST", f"/api/v1/orders/{order}/actions/{action}", name, body, key)
        self.ack_action(order, action, answer, key)
        return answer

    def ack_action(self, order: int, action: str, answer: Any, key: str | None) -> None:
        if not answer:
            return
        seqs = [e["seq"] for e in answer.get("history", []) if e["action"] == action]
        if seqs:
            ACKS.append(
                {"what": "action", "order": order, "action": action, "seq": max(seqs), "key": key}
            )


class Technician(Person):
    role = "technician"
    wait_time = between(1, 4)

    def on_start(self) -> None:
        super().on_start()
        self.offline = self.rng.random() < 0.2
        self.queue: list[tuple[int, str, dict[str, Any], str]] = []
        self.local: dict[int, str] = {}  # an offline phone's idea of its orders' states
        self.rounds = 0

    def body_for(self, action: str, order: int) -> dict[str, Any]:
        now = _now()
        if action == "contact":
            return {"outcome": "reached", "note": "已联系客户"}
        if action == "schedule":
            start = now + timedelta(minutes=self.rng.randint(10, 60))
            return {"start": _iso(start), "end": _iso(start + timedelta(hours=1))}
        if action == "arrive":
            return {"lat": 30.32 + self.rng.random() / 50, "lng": 120.14 + self.rng.random() / 50}
        if action == "complete":
            return {
                "resolution": "更换光猫尾纤，测试正常",
                "no_signature_reason": "客户不便签字",
                "rating": self.rng.choice([4, 5, 5, 5]),
            }
        return {}

    @task
    def work(self) -> None:
        self.rounds += 1
        if self.rounds % 5 == 1:
            self.page("/m/", "phone: my day page")
        if self.offline and self.queue and (self.rng.random() < 0.3 or len(self.queue) > 8):
            self.replay()
            return
        page = self.api(
            "GET",
            f"/api/v1/orders?technician={self.username}&open=true&page_size=20",
            "phone: my orders",
        )
        if not page:
            return
        mine = [o for o in page["results"] if self.local.get(o["id"], o["status"]) in NEXT]
        if not mine:
            return
        o = self.rng.choice(mine)
        status = self.local.get(o["id"], o["status"])
        action = NEXT[status]
        steps = [action, "schedule"] if action == "contact" else [action]
        if action == "complete" and not self.offline:
            if o["kind"] in ("install", "move"):  # R10: a speed test and a photo first
                self.upload(o["id"], "speed_test")
                self.upload(o["id"], "photo")
            elif self.rng.random() < 0.3:
                self.upload(o["id"], "photo")
        elif action == "complete" and o["kind"] in ("install", "move"):
            return  # an offline phone cannot upload its evidence: it closes out once online
        for step in steps:
            body = self.body_for(step, o["id"])
            key = f"t-{uuid.uuid4().hex}"
            if self.offline:
                body["occurred_at"] = _iso(_now())
                self.queue.append((o["id"], step, body, key))
                self.local[o["id"]] = {
                    "accept": "accepted",
                    "contact": "accepted",
                    "schedule": "scheduled",
                    "depart": "en_route",
                    "arrive": "on_site",
                    "complete": "completed",
                }[step]
            elif not self.act(o["id"], step, body, "phone: action", key):
                break

    def upload(self, order: int, kind: str) -> None:
        fields: dict[str, Any] = {"kind": kind, "file": ("现场.png", CONFIG["_png"], "image/png")}
        if kind == "speed_test":
            fields.update(down_mbps="312.5", up_mbps="41.2")
        body, content_type = encode_multipart_formdata(fields)
        with self.client.post(
            f"/api/v1/orders/{order}/attachments",
            data=body,  # type: ignore[arg-type]  # bytes are sent as they are
            headers={**self.auth, "Content-Type": content_type},
            name="phone: upload",
            catch_response=True,
        ) as r:
            self._judge(r, "phone: upload")

    def replay(self) -> None:
        """The phone is back online: its queue goes up in order, each request twice (the
        first answer lost), so the second must be the first's replay, not a second action."""
        queue, self.queue = self.queue, []
        failed: set[int] = set()
        for order, action, body, key in queue:
            if order in failed:
                continue  # a refused step: the rest of that order's queue waits for a refresh
            first = self.act(order, action, body, "phone: offline replay", key)
            again = self.api(
                "POST",
                f"/api/v1/orders/{order}/actions/{action}",
                "phone: offline replay",
                body,
                key,
            )
            if first is None:
                failed.add(order)
            elif again is not None and _done(again, action) != _done(first, action):
                # The replay of an acknowledged action must not have acted again.
                REFUSED.setdefault("DOUBLE ACTION", {}).setdefault(str(order), 0)
                REFUSED["DOUBLE ACTION"][str(order)] += 1
        for order in failed:
            self.local.pop(order, None)
        self.local = {k: v for k, v in self.local.items() if v != "completed"}


def _done(answer: dict[str, Any], action: str) -> int:
    return sum(1 for e in answer.get("history", []) if e["action"] == action)


class Operator(Person):
    role = "operator"
    wait_time = between(3, 10)

    @task(6)
    def storm(self) -> None:
        """A burst of fault reports from one area, as an outage makes them."""
        area = self.rng.choice(CONFIG["areas"])
        for _ in range(self.rng.randint(4, 12)):
            n = next(_ids)
            phone = f"15{CONFIG['seed'] % 10}{CONFIG['gen']:02d}{n:06d}"
            body = {
                "kind": "repair",
                "fault_class": "line",
                "branch": CONFIG["branch"],
                "channel": "phone",
                "area": area,
                "customer": {
                    "name": f"报障用户{n}",
                    "phone": phone,
                    "address": f"杭州市拱墅区{area}小区{n % 30 + 1}幢{n % 6 + 1}单元{n % 18 + 1}01室",
                },
                "symptom": "宽带突然断网，光猫 LOS 灯红色闪烁",
            }
            key = f"i-{uuid.uuid4().hex}"
            answer = self.api("POST", "/api/v1/orders", "intake", body, key)
            if answer:
                ACKS.append(
                    {
                        "what": "order",
                        "id": answer["id"],
                        "number": answer["number"],
                        "phone": phone,
                        "key": key,
                    }
                )

    @task(1)
    def chase(self) -> None:
        page = self.api("GET", "/api/v1/orders?open=true&page_size=50", "order list: api")
        if page and page["results"]:
            o = self.rng.choice(page["results"])
            self.act(o["id"], "chase", {"by": "customer", "note": "客户来电催修"}, "chase")


class Dispatcher(Person):
    role = "dispatcher"
    wait_time = between(2, 6)

    @task
    def watch_and_assign(self) -> None:
        self.page("/dispatch/", "board page")
        if self.rng.random() < 0.5:
            self.page("/orders/?open=1", "order list: page")
        page = self.api(
            "GET",
            f"/api/v1/orders?status=received&branch={CONFIG['branch']}&page_size=20",
            "order list: api",
        )
        # Members of a batch fault wait for the incident (R14), as the board shows them.
        incidents = self.api("GET", "/api/v1/incidents", "incidents: list") or {}
        held = {
            m
            for i in incidents.get("incidents", [])
            if i["status"] != "closed"
            for m in i["members"]
        }
        waiting = [o for o in (page or {}).get("results", []) if o["id"] not in held]
        self.rng.shuffle(waiting)  # four dispatchers do not all take the oldest order at once
        for o in waiting[: self.rng.randint(2, 5)]:
            tech = self.rng.choice(CONFIG["people"]["technician"])["username"]
            self.act(o["id"], "assign", {"technician": tech}, "dispatch: assign")


class Quality(Person):
    role = "quality"
    wait_time = between(3, 8)

    @task
    def call_back(self) -> None:
        if self.rng.random() < 0.3:
            self.page("/quality/callbacks/", "callback: desk page")
        self.api("GET", "/api/v1/callbacks/queue", "callback: queue")
        task_ = self.api("POST", "/api/v1/callbacks/next", "callback: claim")
        if not task_:
            return
        satisfied = self.rng.random() < 0.9
        body = {"score": 9 if satisfied else 4, "satisfied": satisfied, "note": "回访完成"}
        self.act(task_["id"], "callback", body, "callback: record")


class Manager(Person):
    role = "manager"
    wait_time = between(4, 10)

    @task(1)
    def outages(self) -> None:
        """The storm's incidents: a suspected one is confirmed as an outage (members' restore
        clocks pause, every customer is told), an outage older than a minute is closed."""
        incidents = self.api("GET", "/api/v1/incidents", "incidents: list") or {}
        for i in incidents.get("incidents", []):
            path = f"/api/v1/incidents/{i['id']}/actions"
            if i["status"] == "suspected":
                restore = _iso(_now() + timedelta(hours=4))
                body = {"expected_restore_at": restore, "note": "光缆中断，抢修中"}
                self.api("POST", f"{path}/confirm_outage", "incidents: confirm", body)
            elif i["status"] == "outage" and i["confirmed_at"]:
                confirmed = datetime.fromisoformat(i["confirmed_at"])
                if _now() - confirmed > timedelta(seconds=60):
                    self.api("POST", f"{path}/close", "incidents: close", {"note": "已恢复"})

    @task(3)
    def kpis(self) -> None:
        today = _now().date().isoformat()
        self.page("/dashboards/", "kpi: dashboard page")
        level = self.rng.choice(["technician", "team", "branch"])
        self.api("GET", f"/api/v1/kpis?level={level}&period=week&date={today}", "kpi: api")
        if self.rng.random() < 0.3:
            self.page("/standards/breaches/", "kpi: breaches page")


CLASSES: dict[str, type[Person]] = {
    "technician": Technician,
    "operator": Operator,
    "dispatcher": Dispatcher,
    "quality": Quality,
    "manager": Manager,
}


def _tiny_png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 200)).save(out, "PNG")
    return out.getvalue()


def run(config: dict[str, Any]) -> dict[str, Any]:
    CONFIG.update(config)
    CONFIG["_counters"] = {role: itertools.count() for role in CLASSES}
    CONFIG["_png"] = _tiny_png()
    CONFIG.setdefault("gen", 0)
    seconds = float(config["seconds"])
    CONFIG["_ends"] = time.monotonic() + seconds
    counts = {role: len(config["people"][role]) for role in CLASSES}
    users: list[type[User]] = []
    for role, cls in CLASSES.items():
        cls.fixed_count = counts[role]
        cls.host = config["base"]
        users.append(cls)
    env = Environment(user_classes=users, events=events)
    runner = env.create_local_runner()
    total = sum(counts.values())
    runner.start(total, spawn_rate=max(10, total / 5))
    started = time.monotonic()
    gevent.sleep(seconds)
    elapsed = time.monotonic() - started
    runner.quit()
    gevent.sleep(0.5)
    classes: dict[str, Any] = {}
    for (name, _method), entry in sorted(env.stats.entries.items()):
        row = classes.setdefault(name, {"requests": 0, "failures": 0, "times": []})
        row["requests"] += entry.num_requests
        row["failures"] += entry.num_failures
        row["entry"] = entry
    out: dict[str, Any] = {}
    for name, row in classes.items():
        e = row["entry"]
        out[name] = {
            "requests": row["requests"],
            "rps": round(row["requests"] / elapsed, 2),
            "p50_ms": e.get_response_time_percentile(0.5),
            "p95_ms": e.get_response_time_percentile(0.95),
            "p99_ms": e.get_response_time_percentile(0.99),
            # A request that met a dead server is counted once per try and retried: only the
            # failures that were not retried are errors of the server.
            "errors": row["failures"] - RETRIED.get(name, 0),
            "retried": RETRIED.get(name, 0),
            "refused": REFUSED.get(name, {}),
        }
    total_row = env.stats.total
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "refusals": SAMPLES,
        "seconds": round(elapsed, 1),
        "users": counts,
        "classes": out,
        "total": {
            "requests": total_row.num_requests,
            "rps": round(total_row.num_requests / elapsed, 2),
            "p50_ms": total_row.get_response_time_percentile(0.5),
            "p95_ms": total_row.get_response_time_percentile(0.95),
            "p99_ms": total_row.get_response_time_percentile(0.99),
            "errors": total_row.num_failures - sum(RETRIED.values()),
            "retried": sum(RETRIED.values()),
        },
        "double_actions": REFUSED.get("DOUBLE ACTION", {}),
        "acks": ACKS,
    }


def ceiling(base: str, seconds: float, users: int = 32) -> dict[str, Any]:
    """What this generator reaches against an answer with no database work: the bench shows it
    beside wrk's figure for the same URL, so the generator is known not to be the limit."""

    class Probe(FastHttpUser):
        host = base
        wait_time = between(0, 0)

        @task
        def health(self) -> None:
            self.client.get("/api/v1/health", name="health")

    env = Environment(user_classes=[Probe], events=events)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users)
    gevent.sleep(1.0)
    env.stats.reset_all()
    started = time.monotonic()
    gevent.sleep(seconds)
    elapsed = time.monotonic() - started
    n = env.stats.total.num_requests
    runner.quit()
    return {"rps": round(n / elapsed, 1), "errors": env.stats.total.num_failures}


def main(argv: list[str]) -> int:
    config = json.loads(Path(argv[0]).read_text())
    if config.get("mode") == "ceiling":
        result = ceiling(config["base"], float(config["seconds"]))
    else:
        result = run(config)
    Path(argv[1]).write_text(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""The demo organisation (Hangzhou: 拱墅 urban, 桐庐 township) and a few days of orders.

Orders are replayed through the real action layer with the clock set to each step's time,
so their histories, hash chains and (later) clocks are exactly what live use would leave.
"""

from __future__ import annotations

import io
import math
import random
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from faker import Faker
from PIL import Image, ImageDraw

from doorstep.core import clock
from doorstep.core.city import REGIONS, Area, Region
from doorstep.core.errors import DoorstepError
from doorstep.orders.actions import create_order, perform
from doorstep.orders.attachments import store_attachment
from doorstep.orders.choices import Status
from doorstep.orders.models import WorkOrder
from doorstep.org.choices import Role, Skill
from doorstep.org.models import Branch, Customer, Staff, Team

PASSWORD = "demo1234"

OFFICE_USERS = [
    ("admin", "系统管理员", [Role.ADMIN], True),
    ("manager", "陈经理", [Role.MANAGER], False),
    ("dispatcher", "周调度", [Role.DISPATCHER], False),
    ("operator", "吴客服", [Role.OPERATOR], False),
    ("quality", "郑质检", [Role.QUALITY], False),
]

# (team, skills) for tech01 … tech12; tech01, tech05 and tech09 lead their teams.
TECHNICIANS: list[tuple[str, list[str]]] = [
    ("拱墅一班", [Skill.BROADBAND, Skill.IPTV, Skill.FIXED_LINE, Skill.FIBER_SPLICE]),
    ("拱墅一班", [Skill.BROADBAND, Skill.IPTV]),
    ("拱墅一班", [Skill.BROADBAND, Skill.FIXED_LINE]),
    ("拱墅一班", [Skill.BROADBAND, Skill.IPTV, Skill.APPLIANCE]),
    ("拱墅二班", [Skill.BROADBAND, Skill.FIBER_SPLICE, Skill.FIXED_LINE]),
    ("拱墅二班", [Skill.BROADBAND, Skill.IPTV]),
    ("拱墅二班", [Skill.APPLIANCE, Skill.BROADBAND]),
    ("拱墅二班", [Skill.BROADBAND, Skill.IPTV, Skill.FIXED_LINE]),
    ("桐庐班", [Skill.BROADBAND, Skill.IPTV, Skill.FIXED_LINE, Skill.FIBER_SPLICE]),
    ("桐庐班", [Skill.BROADBAND, Skill.FIXED_LINE]),
    ("桐庐班", [Skill.BROADBAND, Skill.IPTV, Skill.APPLIANCE]),
    ("桐庐班", [Skill.BROADBAND, Skill.FIBER_SPLICE]),
]

SYMPTOMS = [
    "宽带无法上网，光猫 LOS 灯红色闪烁",
    "网速很慢，晚上看视频卡顿",
    "IPTV 机顶盒提示网络连接失败",
    "固定电话无拨号音",
    "WiFi 信号时有时无，经常掉线",
    "光猫 PON 灯不亮",
    "电视画面马赛克、声音断续",
]
PRODUCTS = [
    "300M 宽带",
    "500M 宽带 + IPTV",
    "1000M 宽带 + 全屋 WiFi",
    "IPTV 新装",
    "固话新装",
    "空调安装",
]


def _jitter(rng: random.Random, area: Area) -> tuple[float, float]:
    r = area.radius_km * math.sqrt(rng.random())
    theta = rng.random() * 2 * math.pi
    dlat = (r * math.cos(theta)) / 111.0
    dlng = (r * math.sin(theta)) / (111.0 * math.cos(math.radians(area.lat)))
    return round(area.lat + dlat, 6), round(area.lng + dlng, 6)


def _signature_png(rng: random.Random) -> bytes:
    img = Image.new("RGB", (360, 120), "white")
    draw = ImageDraw.Draw(img)
    points = [(20 + i * 16, 60 + int(30 * math.sin(i / 2 + rng.random()))) for i in range(20)]
    draw.line(points, fill="black", width=3)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _user(username: str, name: str, roles: Sequence[str], superuser: bool = False) -> Any:
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_password(PASSWORD)
    user.first_name = name
    user.is_staff = superuser
    user.is_superuser = superuser
    user.save()
    user.groups.set([Group.objects.get(name=r) for r in roles])
    return user


def _org(rng: random.Random, fake: Faker) -> dict[str, Any]:
    branches: dict[str, Branch] = {}
    for region in REGIONS:
        branches[region.branch_code], _ = Branch.objects.update_or_create(
            code=region.branch_code,
            defaults={
                "name": region.branch_name,
                "region_type": region.region_type,
                "depot_lat": region.depot_lat,
                "depot_lng": region.depot_lng,
            },
        )
    for i, (username, name, roles, superuser) in enumerate(OFFICE_USERS, start=1):
        user = _user(username, name, roles, superuser)
        Staff.objects.update_or_create(
            user=user,
            defaults={"employee_no": f"ZJ{9000 + i}", "name": name, "phone": fake.phone_number()},
        )
    techs = []
    teams: dict[str, Team] = {}
    for n, (team_name, skills) in enumerate(TECHNICIANS, start=1):
        branch = branches["TL" if team_name.startswith("桐庐") else "GS"]
        team = teams.get(team_name)
        if team is None:
            team, _ = Team.objects.get_or_create(branch=branch, name=team_name)
            teams[team_name] = team
        username = f"tech{n:02d}"
        name = fake.name()
        user = _user(username, name, [Role.TECHNICIAN])
        region = next(r for r in REGIONS if r.branch_code == branch.code)
        home = _jitter(rng, rng.choice(region.areas))
        staff, _ = Staff.objects.update_or_create(
            user=user,
            defaults={
                "employee_no": f"ZJ{1000 + n}",
                "name": name,
                "phone": fake.phone_number(),
                "branch": branch,
                "team": team,
                "skills": [str(s) for s in skills],
                "home_lat": home[0],
                "home_lng": home[1],
                "is_technician": True,
            },
        )
        if n in (1, 5, 9):
            team.lead = user
            team.save(update_fields=["lead"])
        techs.append(staff)
    # Office staff of the demo work across both branches (a central desk).
    return {"branches": branches, "techs": techs}


def _customers(
    rng: random.Random, fake: Faker, branches: dict[str, Branch], count: int
) -> list[Customer]:
    out = []
    for i in range(count):
        region: Region = REGIONS[0] if i % 3 else REGIONS[1]
        area = rng.choice(region.areas)
        lat, lng = _jitter(rng, area)
        building = rng.randint(1, 30)
        address = (
            f"杭州市{'拱墅区' if region.region_type == 'urban' else '桐庐县'}{area.name}"
            f"{building}幢{rng.randint(1, 4)}单元{rng.randint(1, 18)}0{rng.randint(1, 4)}室"
        )
        out.append(
            Customer(
                branch=branches[region.branch_code],
                name=fake.name(),
                phone=f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
                address=address,
                account=f"0571{rng.randint(10000000, 99999999)}",
                grade="vip" if rng.random() < 0.12 else "normal",
                lat=lat,
                lng=lng,
                area_code=area.code,
            )
        )
    return Customer.objects.bulk_create(out)


# The furthest each storyline goes; every state of SPEC §2 appears in the demo.
TARGETS = [
    (Status.RECEIVED, 4),
    (Status.DISPATCHED, 5),
    (Status.ACCEPTED, 4),
    (Status.SCHEDULED, 8),
    (Status.EN_ROUTE, 3),
    (Status.ON_SITE, 3),
    (Status.COMPLETED, 8),
    (Status.CLOSED, 18),
    (Status.SUSPENDED, 2),
    (Status.RETURNED, 2),
    (Status.CANCELLED, 2),
]


class _Story:
    """Replays one order step by step, each at its own time, stopping before `now`."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.last = now - timedelta(days=365)

    def at(self, when: datetime, fn: Any, *args: Any, **kwargs: Any) -> bool:
        when = max(when, self.last + timedelta(minutes=1))
        self.last = when
        if when >= self.now:
            return False
        with clock.frozen_at(when):
            fn(*args, **kwargs)
        return True


def _working_hours(start: datetime, rng: random.Random) -> datetime:
    """Customers book between 08:00 and 19:00 local time."""
    local = timezone.localtime(start)
    if local.hour < 8:
        local = local.replace(hour=rng.randint(8, 11))
    elif local.hour >= 19:
        local = (local + timedelta(days=1)).replace(hour=rng.randint(9, 11))
    return local


def _play(
    story: _Story,
    users: dict[str, Any],
    techs: list[Staff],
    customer: Customer,
    target: str,
    reported: datetime,
    rng: random.Random,
    fake: Faker,
) -> None:
    kind = rng.choice(["repair", "repair", "repair", "install", "move"])
    data: dict[str, Any] = {
        "kind": kind,
        "customer": {
            "name": customer.name,
            "phone": customer.phone,
            "address": customer.address,
            "account": customer.account,
            "grade": customer.grade,
        },
        "channel": rng.choice(["phone", "phone", "app", "counter"]),
        "branch": customer.branch.code,
        "reported_at": reported.isoformat(),
        "area": customer.area_code,
        "location": {"lat": customer.lat, "lng": customer.lng},
    }
    if kind == "repair":
        data["fault_class"] = rng.choice(["line", "line", "line", "network"])
        data["symptom"] = rng.choice(SYMPTOMS)
    else:
        data["product"] = rng.choice(PRODUCTS)
    operator = users["operator"]
    with clock.frozen_at(reported):
        order, _ = create_order(operator, data)
    story.last = reported
    oid = order.pk
    t = reported
    step = lambda lo, hi: timedelta(minutes=rng.randint(lo, hi))  # noqa: E731
    if target == Status.RECEIVED:
        return
    if target == Status.CANCELLED:
        story.at(t + step(10, 60), perform, oid, "cancel", operator, {"reason": "客户取消需求"})
        return
    candidates = [s for s in techs if s.branch_id == customer.branch_id]
    tech = rng.choice(candidates)
    tuser = tech.user
    t += step(3, 25)
    if not story.at(t, perform, oid, "assign", users["dispatcher"], {"technician": tuser.username}):
        return
    if target == Status.DISPATCHED:
        return
    t += step(2, 15)
    if not story.at(t, perform, oid, "accept", tuser, {}):
        return
    if target == Status.RETURNED:
        story.at(t + step(5, 30), perform, oid, "return", tuser, {"reason": "端口资源不足，需扩容"})
        return
    t += step(3, 22)
    if not story.at(t, perform, oid, "contact", tuser, {"outcome": "reached"}):
        return
    if target == Status.SUSPENDED:
        story.at(
            t + step(2, 10),
            perform,
            oid,
            "suspend",
            tuser,
            {"reason": "customer_request", "note": "客户出差，下周再约"},
        )
        return
    if target == Status.ACCEPTED:
        return
    start = _working_hours(
        (t + timedelta(hours=rng.randint(1, 5))).replace(minute=0, second=0, microsecond=0), rng
    )
    if not story.at(
        t + step(1, 5),
        perform,
        oid,
        "schedule",
        tuser,
        {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()},
    ):
        return
    if target == Status.SCHEDULED:
        return
    if kind != "repair" and rng.random() < 0.8:
        story.at(
            start - step(12, 40),
            perform,
            oid,
            "contact",
            tuser,
            {"outcome": "reached", "note": "上门前确认"},
        )
    t = start - step(20, 45)
    if not story.at(
        t,
        perform,
        oid,
        "depart",
        tuser,
        {"checklist": ["鞋套", "垫布", "抹布", "垃圾袋", "服务卡"]},
    ):
        return
    if target == Status.EN_ROUTE:
        return
    t = start + timedelta(minutes=rng.randint(-12, 8))
    if not story.at(t, perform, oid, "arrive", tuser, {"lat": customer.lat, "lng": customer.lng}):
        return
    if target == Status.ON_SITE:
        return
    t += step(5, 15)
    if kind != "repair" and rng.random() < 0.85:
        story.at(t, perform, oid, "consent", tuser, {"subject": "drill_wall", "granted": True})
    t += step(20, 70)
    sig_time = max(t, story.last + timedelta(minutes=1))
    if sig_time >= story.now:
        return
    story.last = sig_time
    with clock.frozen_at(sig_time):
        if kind != "repair":
            # R10: an install closes out with its speed test and photos.
            store_attachment(
                oid, tuser, kind="photo", data=_signature_png(rng), filename="site.png"
            )
            store_attachment(
                oid,
                tuser,
                kind="speed_test",
                data=_signature_png(rng),
                filename="speed.png",
                down_mbps=rng.choice([305.2, 512.8, 948.1]),
                up_mbps=rng.choice([31.0, 52.4, 98.7]),
            )
        sig = store_attachment(
            oid, tuser, kind="signature", data=_signature_png(rng), filename="signature.png"
        )
    t += step(1, 5)
    done = {
        "resolution": "已处理：更换光猫尾纤，测试正常" if kind == "repair" else "已开通，测速正常",
        "signature": sig.pk,
        "rating": rng.choice([5, 5, 5, 4, 4, 3]),
        "work": ["drill_wall"] if kind != "repair" else [],
    }
    if not story.at(t, perform, oid, "complete", tuser, done):
        return
    if target == Status.COMPLETED:
        return
    t += timedelta(hours=rng.randint(2, 20))
    story.at(
        t,
        perform,
        oid,
        "callback",
        users["quality"],
        {"score": rng.choice([10, 9, 9, 8]), "satisfied": True, "note": "客户满意"},
    )


def _dispatch_setup(org: dict[str, Any], users: dict[str, Any], now: datetime) -> None:
    """包片 for every technician, the branches' hand-over times, and yesterday's hand-overs
    signed for at 08:00 today (today's reports still wait, as on a real board)."""
    from doorstep.dispatch.models import HandoverBatch, HandoverItem, Territory
    from doorstep.dispatch.services import unsigned_orders

    for region in REGIONS:
        branch = org["branches"][region.branch_code]
        branch.handover_times = ["08:00", "13:30"]
        branch.save(update_fields=["handover_times"])
        techs = [s for s in org["techs"] if s.branch_id == branch.pk]
        for i, staff in enumerate(techs):
            areas = [a.code for a in region.areas[i % len(region.areas) :: len(techs)]] or [
                region.areas[i % len(region.areas)].code
            ]
            Territory.objects.get_or_create(
                branch=branch,
                technician=staff.user,
                defaults={"name": f"{staff.name}包片", "area_codes": areas},
            )
        cutoff = timezone.localtime(now).replace(hour=8, minute=0, second=0, microsecond=0)
        older = [o for o in unsigned_orders(branch) if o.reported_at < cutoff]
        if older and cutoff < now:
            batch = HandoverBatch.objects.create(
                branch=branch, signed_by=users["dispatcher"], signed_at=cutoff
            )
            HandoverItem.objects.bulk_create([HandoverItem(batch=batch, order=o) for o in older])


def load_demo(seed: int = 7, days: int = 3, reset: bool = False, customers: int = 300) -> str:
    existing = WorkOrder.objects.count()
    if existing and not reset:
        return f"Demo data already loaded ({existing} orders); use --reset to rebuild."
    if reset and existing:
        raise DoorstepError(
            "--reset needs an empty database: delete doorstep.sqlite3 and run again"
        )
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    with transaction.atomic():
        org = _org(rng, fake)
        custs = _customers(rng, fake, org["branches"], customers)
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=[u[0] for u in OFFICE_USERS])}
    now = timezone.now()
    story = _Story(rng, now)
    plan = [target for target, weight in TARGETS for _ in range(weight)]
    made = 0
    for day in range(days, -1, -1):
        rng.shuffle(plan)
        for target in plan:
            base = (now - timedelta(days=day)).replace(hour=8, minute=0, second=0, microsecond=0)
            # Orders meant to go far need time: report them early on the last day.
            latest = 10 if day == 0 and target in (Status.COMPLETED, Status.CLOSED) else 12
            reported = base + timedelta(minutes=rng.randint(0, latest * 60))
            if reported >= now - timedelta(minutes=5):
                reported = now - timedelta(hours=rng.randint(2, 6))
            _play(story, users, org["techs"], rng.choice(custs), target, reported, rng, fake)
            made += 1
        if day == 0:
            break
    _dispatch_setup(org, users, now)
    # Deadlines that passed while the demo's days were replayed: mark them as the worker would.
    from doorstep.worker import Worker

    worker = Worker(name="demo")
    for _ in range(3):
        worker.sweep_clocks()  # the notices stay in the outbox for `doorstep worker` to send
    counts = Counter(WorkOrder.objects.values_list("status", flat=True))
    states = ", ".join(f"{s}={counts.get(s, 0)}" for s in Status.values)
    from doorstep.standards.models import Breach, Penalty

    return (
        f"Demo loaded: {len(custs)} customers, {made} orders over {days + 1} days ({states}); "
        f"{Breach.objects.count()} breaches, {Penalty.objects.count()} penalty entries."
    )

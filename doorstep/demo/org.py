"""The demo organisation: Hangzhou's 拱墅 (urban) and 桐庐 (township) branches, their office
staff, twelve technicians in three teams, territories, hand-over times and customers."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from faker import Faker

from doorstep.core.city import REGIONS, Area
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


def _user(
    username: str, name: str, roles: Sequence[str], password: str, superuser: bool = False
) -> Any:
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username)
    if created:
        # One hash for every demo login: seventeen PBKDF2 runs would cost seconds.
        user.password = password
    user.first_name = name
    user.is_staff = superuser
    user.is_superuser = superuser
    user.save()
    user.groups.set([Group.objects.get(name=r) for r in roles])
    return user


def build_org(rng: random.Random, fake: Faker) -> dict[str, Any]:
    password = make_password(PASSWORD)
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
        user = _user(username, name, roles, password, superuser)
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
        user = _user(username, name, [Role.TECHNICIAN], password)
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
    _territories(branches, techs)
    return {"branches": branches, "techs": techs}


def build_customers(
    rng: random.Random, fake: Faker, branches: dict[str, Branch], per_branch: dict[str, int]
) -> list[Customer]:
    """The subscribers orders are drawn from, enough that a repeat report is a repeat fault
    (R13) only where the demo means one."""
    out = []
    for region in REGIONS:
        for _ in range(per_branch[region.branch_code]):
            area = rng.choice(region.areas)
            lat, lng = _jitter(rng, area)
            district = "拱墅区" if region.region_type == "urban" else "桐庐县"
            building = f"{rng.randint(1, 30)}幢{rng.randint(1, 4)}单元"
            address = (
                f"杭州市{district}{area.name}{building}{rng.randint(1, 18)}0{rng.randint(1, 4)}室"
            )
            mobile = f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
            out.append(
                Customer(
                    branch=branches[region.branch_code],
                    name=fake.name(),
                    phone=mobile,
                    address=address,
                    account=f"0571{rng.randint(10000000, 99999999)}",
                    grade="vip" if rng.random() < 0.12 else "normal",
                    lat=lat,
                    lng=lng,
                    area_code=area.code,
                )
            )
    return Customer.objects.bulk_create(out)


def _territories(branches: dict[str, Branch], techs: list[Staff]) -> None:
    """包片 for every technician and the branches' hand-over times (R21)."""
    from doorstep.dispatch.models import Territory

    for region in REGIONS:
        branch = branches[region.branch_code]
        branch.handover_times = ["08:00", "13:30"]
        branch.save(update_fields=["handover_times"])
        mine = [s for s in techs if s.branch_id == branch.pk]
        for i, staff in enumerate(mine):
            areas = [a.code for a in region.areas[i % len(region.areas) :: len(mine)]] or [
                region.areas[i % len(region.areas)].code
            ]
            Territory.objects.get_or_create(
                branch=branch,
                technician=staff.user,
                defaults={"name": f"{staff.name}包片", "area_codes": areas},
            )

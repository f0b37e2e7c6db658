from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from doorstep.org.choices import CustomerGrade, RegionType, Role


class Branch(models.Model):
    """分公司 / 营维中心: owns technicians, territory and the orders handed to it."""

    code = models.CharField(_("编码"), max_length=16, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    region_type = models.CharField(_("区域类型"), max_length=16, choices=RegionType.choices)
    timezone = models.CharField(_("时区"), max_length=64, default="Asia/Shanghai")
    depot_lat = models.FloatField(_("驻地纬度"), null=True, blank=True)
    depot_lng = models.FloatField(_("驻地经度"), null=True, blank=True)
    # R21: optional fixed hand-over times of the customer department's batches ("08:00", …).
    handover_times = models.JSONField(_("交接时间"), default=list, blank=True)
    # The usual working day, used when a technician has no shift entered for a date.
    shift_start = models.TimeField(_("上班时间"), default=time(8, 30))
    shift_end = models.TimeField(_("下班时间"), default=time(18, 0))
    lunch_from = models.TimeField(_("午休最早"), default=time(11, 30))
    lunch_to = models.TimeField(_("午休最晚"), default=time(13, 30))
    lunch_minutes = models.PositiveSmallIntegerField(_("午休分钟"), default=45)

    class Meta:
        ordering = ["code"]
        verbose_name = _("分公司")
        verbose_name_plural = _("分公司")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Team(models.Model):
    """班组: technicians under one team lead (班长)."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(_("名称"), max_length=64)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
        verbose_name=_("班长"),
    )

    class Meta:
        ordering = ["branch__code", "name"]
        constraints = [models.UniqueConstraint(fields=["branch", "name"], name="team_unique_name")]
        verbose_name = _("班组")
        verbose_name_plural = _("班组")

    def __str__(self) -> str:
        return self.name


class Staff(models.Model):
    """Everyone who logs in. Technicians carry skills, a home position and a star rating.

    A null branch means the person works across branches (a central intake desk, the
    company's managers).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff"
    )
    employee_no = models.CharField(_("工号"), max_length=32, unique=True)
    name = models.CharField(_("姓名"), max_length=64)
    phone = models.CharField(_("手机"), max_length=20, blank=True)
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="members"
    )
    skills = models.JSONField(_("技能"), default=list, blank=True)
    home_lat = models.FloatField(_("常驻点纬度"), null=True, blank=True)
    home_lng = models.FloatField(_("常驻点经度"), null=True, blank=True)
    is_technician = models.BooleanField(_("装维人员"), default=False, db_index=True)
    # A copy of the user's role groups, kept by a signal, so the permission gate needs no
    # extra query per request. The groups stay the source of truth.
    role_names = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        ordering = ["employee_no"]
        verbose_name = _("员工")
        verbose_name_plural = _("员工")

    def __str__(self) -> str:
        return f"{self.name} ({self.employee_no})"

    @property
    def username(self) -> str:
        return str(self.user.get_username())


def roles_of(user: object) -> set[str]:
    """The role names a user holds; cached on the user object for the request."""
    cached = getattr(user, "_doorstep_roles", None)
    if cached is not None:
        return set(cached)
    if not getattr(user, "is_authenticated", False):
        return set()
    staff = getattr(user, "_doorstep_staff", None)
    if staff is not None and staff.role_names:
        names = set(staff.role_names.split(","))
    else:
        names = {g.name for g in user.groups.all()}  # type: ignore[attr-defined]
    if getattr(user, "is_superuser", False):
        names.add(Role.ADMIN)
    roles = {r for r in names if r in Role.values}
    user._doorstep_roles = frozenset(roles)  # type: ignore[attr-defined]
    return roles


class Customer(models.Model):
    """用户: the person and line or device an order is for."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="customers")
    name = models.CharField(_("姓名"), max_length=64)
    phone = models.CharField(_("电话"), max_length=20, db_index=True)
    address = models.CharField(_("地址"), max_length=200)
    account = models.CharField(_("宽带账号"), max_length=64, blank=True, db_index=True)
    grade = models.CharField(
        _("客户等级"), max_length=16, choices=CustomerGrade.choices, default=CustomerGrade.NORMAL
    )
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    area_code = models.CharField(_("区域编码"), max_length=32, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("客户")
        verbose_name_plural = _("客户")

    def __str__(self) -> str:
        return f"{self.name} {self.phone}"

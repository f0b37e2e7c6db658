from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionType(models.TextChoices):
    URBAN = "urban", _("城区")
    TOWNSHIP = "township", _("乡镇")


class Role(models.TextChoices):
    """Roles are Django groups of these names; a user may hold several."""

    OPERATOR = "operator", _("受理员")
    DISPATCHER = "dispatcher", _("调度")
    TECHNICIAN = "technician", _("装维人员")
    QUALITY = "quality", _("质检回访")
    MANAGER = "manager", _("管理人员")
    ADMIN = "admin", _("管理员")


class CustomerGrade(models.TextChoices):
    NORMAL = "normal", _("普通")
    VIP = "vip", _("VIP")


class Skill(models.TextChoices):
    BROADBAND = "broadband", _("宽带")
    IPTV = "iptv", _("IPTV")
    FIXED_LINE = "fixed_line", _("固话")
    FIBER_SPLICE = "fiber_splice", _("光纤熔接")
    APPLIANCE = "appliance", _("家电安装")

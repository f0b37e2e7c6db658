from django.db import models
from django.utils.translation import gettext_lazy as _


class PaidVia(models.TextChoices):
    CASH = "cash", _("现金")
    TRANSFER = "transfer", _("转账")
    BILL_CREDIT = "bill_credit", _("话费/账单抵扣")
    REPLACEMENT = "replacement", _("照价换新")
    REPAIR = "repair", _("上门修复")
    OTHER = "other", _("其他")


class SiteReason(models.TextChoices):
    NO_PORT = "no_port", _("无端口资源")
    NO_CABLE = "no_cable", _("无线缆/管道")
    BUILDING_NOT_READY = "building_not_ready", _("楼宇/房屋未具备施工条件")
    OTHER = "other", _("其他")


class EngineeringKind(models.TextChoices):
    CUTOVER = "cutover", _("工程割接障碍")
    CABLE = "cable", _("电缆障碍")


class AskedVia(models.TextChoices):
    PHONE = "phone", _("电话")
    ON_SITE = "on_site", _("上门现场")
    COUNTER = "counter", _("营业厅")
    APP = "app", _("APP/网上")
    SMS = "sms", _("短信")
    OTHER = "other", _("其他")

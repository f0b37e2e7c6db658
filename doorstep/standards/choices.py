from django.db import models
from django.utils.translation import gettext_lazy as _


class ClockName(models.TextChoices):
    CONTACT = "contact", _("30分钟联系")  # R1
    FIRST_REPLY = "first_reply", _("首次回复")  # R2
    RESTORE = "restore", _("修复时限")  # R4
    INSTALL = "install", _("装机时限")  # R5
    ARRIVAL = "arrival", _("准时上门")  # R6
    CLOSE_OUT = "close_out", _("回单及时")  # R11
    CALLBACK = "callback", _("回访")  # R17
    COMPENSATION = "compensation", _("赔偿处理")  # R18


class ClockStatus(models.TextChoices):
    RUNNING = "running", _("计时中")
    PAUSED = "paused", _("暂停")
    MET = "met", _("达标")
    BREACHED = "breached", _("超时")
    # The order was cancelled or handed back: the clock no longer applies.
    CANCELLED = "cancelled", _("已撤销")


OPEN_CLOCK = frozenset({ClockStatus.RUNNING, ClockStatus.PAUSED})


class Rule(models.TextChoices):
    """What a breach or penalty entry is for (SPEC §3 ids)."""

    R1 = "R1", _("R1 30分钟内联系客户")
    R2 = "R2", _("R2 8小时内首次回复")
    R3 = "R3", _("R3 上门前电话确认")
    R4 = "R4", _("R4 故障修复时限")
    R5 = "R5", _("R5 装机时限")
    R6 = "R6", _("R6 准时上门")
    R7 = "R7", _("R7 改约提前2小时告知")
    R8 = "R8", _("R8 迟到提前告知")
    R9 = "R9", _("R9 不在家等候与留言")
    R10 = "R10", _("R10 回单凭证")
    R11 = "R11", _("R11 回单及时")
    R12 = "R12", _("R12 作业前征得同意")
    R13 = "R13", _("R13 重复障碍")
    R16 = "R16", _("R16 虚假回告")
    R17 = "R17", _("R17 回访")
    R18 = "R18", _("R18 损坏赔偿")
    R20 = "R20", _("R20 投诉")


CLOCK_RULE: dict[str, str] = {
    ClockName.CONTACT: Rule.R1,
    ClockName.FIRST_REPLY: Rule.R2,
    ClockName.RESTORE: Rule.R4,
    ClockName.INSTALL: Rule.R5,
    ClockName.ARRIVAL: Rule.R6,
    ClockName.CLOSE_OUT: Rule.R11,
    ClockName.CALLBACK: Rule.R17,
    ClockName.COMPENSATION: Rule.R18,
}


class PenaltyStatus(models.TextChoices):
    OPEN = "open", _("待执行")
    EXEMPTED = "exempted", _("已免责")
    APPEALED = "appealed", _("申诉中")
    UPHELD = "upheld", _("维持处罚")
    VOID = "void", _("已撤销")  # the record showed there was no breach (late upload)


class ReportBackStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准免责")
    REJECTED = "rejected", _("已驳回")
    FALSE = "false", _("虚假回告")


class CalendarKind(models.TextChoices):
    ALWAYS = "always", _("7×24 小时")
    WORKING_HOURS = "working_hours", _("工作时间")


class Workdays(models.TextChoices):
    CHINESE = "chinese", _("国家法定节假日及调休")
    WEEKDAYS = "weekdays", _("周一至周五")
    ALL = "all", _("每天")

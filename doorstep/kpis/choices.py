"""Levels, periods and the metrics of the KPI contract (SPEC §5), with what each one counts."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    TECHNICIAN = "technician", _("装维人员")
    TEAM = "team", _("班组")
    BRANCH = "branch", _("分公司")


class Period(models.TextChoices):
    DAY = "day", _("日")
    WEEK = "week", _("周")
    MONTH = "month", _("月")


class Metric(models.TextChoices):
    ORDERS = "orders", _("回单量")
    INSTALL_ON_TIME_RATE = "install_on_time_rate", _("装机及时率")
    RESTORE_ON_TIME_RATE = "restore_on_time_rate", _("修障及时率")
    CONTACT_30MIN_RATE = "contact_30min_rate", _("30分钟联系率")
    FIRST_REPLY_8H_RATE = "first_reply_8h_rate", _("8小时首次回复率")
    ON_TIME_ARRIVAL_RATE = "on_time_arrival_rate", _("上门准时率")
    EARLY_ARRIVAL_RATE = "early_arrival_rate", _("提前到达率")
    CREW_RESCHEDULES = "crew_reschedules", _("装维改约次数")
    FIRST_TIME_FIX_RATE = "first_time_fix_rate", _("一次修复率")
    REPEAT_FAULT_RATE = "repeat_fault_rate", _("重复障碍率")
    ONSITE_SATISFACTION = "onsite_satisfaction", _("现场满意度（1–5）")
    CALLBACK_SATISFACTION = "callback_satisfaction", _("回访满意度（1–10）")
    COMPLAINTS_PER_10K = "complaints_per_10k", _("万户投诉率")
    PENALTY_YUAN = "penalty_yuan", _("考核金额（元）")
    EXEMPTED_YUAN = "exempted_yuan", _("免责金额（元）")


# How each figure is counted: shown on the KPI page and the Excel export, and kept word for
# word in docs/kpis.md. "In the period" means within the period's days in the branch's zone.
DEFINITIONS: dict[str, str] = {
    Metric.ORDERS: "期内回单（完工）的工单数，按工单完工时间计。",
    Metric.INSTALL_ON_TIME_RATE: (
        "期内停止的装机/移机时限（R5）中达标的比例：达标数 ÷（达标数＋超时数）。"
    ),
    Metric.RESTORE_ON_TIME_RATE: "期内停止的修障时限（R4，自报障时起算）中达标的比例。",
    Metric.CONTACT_30MIN_RATE: "期内停止的30分钟联系时限（R1，自派单起算）中达标的比例。",
    Metric.FIRST_REPLY_8H_RATE: "期内停止的8小时首次回复时限（R2）中达标的比例。",
    Metric.ON_TIME_ARRIVAL_RATE: "期内停止（签到）的准时上门时限（R6）中达标的比例。",
    Metric.EARLY_ARRIVAL_RATE: (
        "期内签到的上门中，比预约开始时间至少提前 R6 提前目标（默认5分钟）到达的比例。"
    ),
    Metric.CREW_RESCHEDULES: "期内由装维方（requested_by=crew）提出的改约次数。",
    Metric.FIRST_TIME_FIX_RATE: (
        "期内完工的修障工单中，没有被后来的报修认定为重复障碍"
        "（R13 窗口内，repeat_of 指向它）的比例。"
    ),
    Metric.REPEAT_FAULT_RATE: (
        "期内完工的装机、移机、修障工单中，在 R13 窗口内（修障后7天、装机/移机后15天）"
        "又有报修被认定为其重复障碍的比例；算在完工的装维人员名下。"
    ),
    Metric.ONSITE_SATISFACTION: "期内回单时客户现场评分（1–5）的平均值，按回单时间计。",
    Metric.CALLBACK_SATISFACTION: "期内回访评分（1–10）的平均值，按回访时间计。",
    Metric.COMPLAINTS_PER_10K: (
        "期内受理的投诉数 ÷ 分公司当月用户数 × 10000；装维人员和班组用其所属分公司的用户数；"
        "当月未录入时用此前最近一个月的用户数，都没有时为空。"
    ),
    Metric.PENALTY_YUAN: (
        "期内立项的考核（R20）中生效的金额合计（待执行、申诉中、维持处罚），按立项时间计。"
    ),
    Metric.EXEMPTED_YUAN: "期内立项的考核中已免责的金额合计。",
}

RATES = frozenset(
    {
        Metric.INSTALL_ON_TIME_RATE,
        Metric.RESTORE_ON_TIME_RATE,
        Metric.CONTACT_30MIN_RATE,
        Metric.FIRST_REPLY_8H_RATE,
        Metric.ON_TIME_ARRIVAL_RATE,
        Metric.EARLY_ARRIVAL_RATE,
        Metric.FIRST_TIME_FIX_RATE,
        Metric.REPEAT_FAULT_RATE,
    }
)

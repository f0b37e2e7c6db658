"""SPEC §3 defaults as policy rows, and a working-hours calendar admins can pick.

Frozen: the rows as they stood when this migration was written (later changes to the defaults
come in later migrations), so a fresh database always gets the same start.
"""

from decimal import Decimal

from django.db import migrations

# (key, label, matchers, minutes, amount, params, source)
DEFAULTS = [
    ("clock.contact", "派单后30分钟内联系客户", {}, 30, None, {"warn_pct": 80}, "000 ch.2 §1"),
    (
        "clock.first_reply",
        "障碍8小时内首次回复客户",
        {"kind": "repair"},
        480,
        None,
        {"warn_pct": 80},
        "003 part 3 §2",
    ),
    (
        "clock.restore",
        "用户线路故障24小时内修复",
        {"kind": "repair", "fault_class": "line"},
        1440,
        None,
        {"warn_pct": 80},
        "004 §1.2",
    ),
    (
        "clock.restore",
        "一般网络故障36小时内修复",
        {"kind": "repair", "fault_class": "network"},
        2160,
        None,
        {"warn_pct": 80},
        "004 §1.2",
    ),
    (
        "clock.restore",
        "严重网络故障按领导批准时间修复",
        {"kind": "repair", "fault_class": "severe"},
        None,
        None,
        {"warn_pct": 80, "approved_deadline": True},
        "004 §1.2",
    ),
    (
        "clock.install",
        "装机24小时内完成",
        {"kind": "install"},
        1440,
        None,
        {"warn_pct": 80},
        "operators' promise",
    ),
    (
        "clock.install",
        "移机24小时内完成",
        {"kind": "move"},
        1440,
        None,
        {"warn_pct": 80},
        "operators' promise",
    ),
    (
        "clock.arrival",
        "按预约时间准时上门（目标提前5–10分钟）",
        {},
        0,
        None,
        {"warn_minutes": 15, "early_target_minutes": 5},
        "000 ch.2 §3.2, 001 ch.2, 002, 003 part 2",
    ),
    (
        "clock.close_out",
        "完工后2小时内回单",
        {},
        120,
        None,
        {"warn_pct": 80},
        "000 ch.1 §23, 000 ch.4 §6.21",
    ),
    ("clock.callback", "回单后48小时内回访", {}, 2880, None, {"warn_pct": 80}, "000 ch.1 §21, 003"),
    (
        "clock.compensation",
        "损坏财物48小时内赔偿处理",
        {},
        2880,
        None,
        {"warn_pct": 80},
        "000 ch.4 §8.2",
    ),
    (
        "check.R3",
        "装机/移机上门前10–15分钟电话确认",
        {},
        15,
        None,
        {"earliest_minutes": 60},
        "003 part 2 §1.1",
    ),
    ("check.R7", "装维改约须提前2小时告知客户", {}, 120, None, {}, "000 ch.2 §3.2, 001 ch.2, 002"),
    ("check.R8", "迟到须在预约时间前30分钟告知", {}, 30, None, {}, "002 要点一.4 (000: 15)"),
    (
        "check.R9",
        "客户不在家：至少等候10分钟并先电话联系",
        {},
        10,
        None,
        {},
        "001 ch.2, 000 ch.4 §6.3",
    ),
    (
        "check.R12",
        "打孔/搬物/进房间/动数据前征得同意",
        {},
        None,
        None,
        {"subjects": ["drill_wall", "move_items", "enter_room", "disk_data"]},
        "000 ch.2 §3.4",
    ),
    (
        "gate.R10",
        "回单凭证：签名或原因、现场评价",
        {},
        None,
        None,
        {"require": [], "disk_consent": True},
        "000 ch.2 §4, 002 要点四.6",
    ),
    (
        "gate.R10",
        "装机回单须测速和照片",
        {"kind": "install"},
        None,
        None,
        {"require": ["speed_test", "photo"], "disk_consent": True},
        "000 ch.3 §6",
    ),
    (
        "gate.R10",
        "移机回单须测速和照片",
        {"kind": "move"},
        None,
        None,
        {"require": ["speed_test", "photo"], "disk_consent": True},
        "000 ch.3 §6",
    ),
    (
        "pause.reasons",
        "可暂停计时的挂起原因（客户方及外部原因）",
        {},
        None,
        None,
        {"reasons": ["customer_request", "customer_unreachable", "third_party", "force_majeure"]},
        "SPEC §2 suspend",
    ),
    ("escalation", "超时后升级至管理人员", {}, 0, None, {}, "003 part 3 §3.3"),
    ("penalty.overdue", "超时每次处罚", {}, None, "10", {}, "004 §3.1"),
    ("penalty.check", "服务规范违规每次处罚", {}, None, "10", {}, "004 §3.1 (Doorstep default)"),
    ("penalty.repeat", "造成连续报修每次处罚", {}, None, "20", {}, "004 §3.2"),
    ("penalty.complaint.hotline", "投诉至10000/10086", {}, None, "100", {}, "004 §3.3"),
    ("penalty.complaint.mayor_hotline", "投诉至市长热线", {}, None, "30", {}, "004 §3.3"),
    ("penalty.complaint.bureau_leadership", "投诉至局领导", {}, None, "30", {}, "004 §3.3"),
    ("penalty.complaint.company_leadership", "投诉至公司领导", {}, None, "20", {}, "004 §3.3"),
    (
        "penalty.false_report_back",
        "虚假回告每次处罚",
        {},
        None,
        "20",
        {},
        "003 part 3 §3.4 (amount: Doorstep default)",
    ),
    (
        "repeat.window",
        "修障后7天内再次报修为重复障碍",
        {"kind": "repair"},
        10080,
        None,
        {},
        "003 part 3 §3.2",
    ),
    (
        "repeat.window",
        "装机后15天内报修为重复障碍",
        {"kind": "install"},
        21600,
        None,
        {},
        "003 part 3 §3.2",
    ),
    (
        "repeat.window",
        "移机后15天内报修为重复障碍",
        {"kind": "move"},
        21600,
        None,
        {},
        "003 part 3 §3.2",
    ),
]


def load(apps, schema_editor):
    Policy = apps.get_model("standards", "Policy")
    Calendar = apps.get_model("standards", "Calendar")
    Calendar.objects.get_or_create(name="7×24", defaults={"kind": "always", "intervals": []})
    Calendar.objects.get_or_create(
        name="工作时间（含法定节假日调休）",
        defaults={
            "kind": "working_hours",
            "intervals": [["08:30", "12:00"], ["13:30", "18:00"]],
            "workdays": "chinese",
        },
    )
    for key, label, matchers, minutes, amount, params, source in DEFAULTS:
        Policy.objects.create(
            key=key,
            label=label,
            minutes=minutes,
            amount=Decimal(amount) if amount is not None else None,
            params=params,
            source=source,
            **matchers,
        )


def unload(apps, schema_editor):
    apps.get_model("standards", "Policy").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("standards", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]

"""The default customer notice templates. Frozen: a copy of the wording as first shipped, so
this migration never changes with the live code; admins edit the rows afterwards."""

from django.db import migrations

DEFAULTS = [
    (
        "order_received",
        "受理通知",
        "{customer_name}您好，您的{kind}工单{order_number}已受理，我们将尽快安排装维人员"
        "与您联系。如有疑问请拨打{hotline}。",
        ["customer_name", "kind", "order_number", "hotline"],
    ),
    (
        "technician_assigned",
        "派单通知",
        "{customer_name}您好，您的工单{order_number}由{company}装维人员{technician_name}"
        "（工号{employee_no}，星级{star_rating}）为您服务，稍后将与您联系。"
        "查看预约和人员信息：{customer_link}",
        [
            "customer_name",
            "order_number",
            "company",
            "technician_name",
            "employee_no",
            "star_rating",
            "customer_link",
        ],
    ),
    (
        "appointment_booked",
        "预约成功",
        "{customer_name}您好，已为您预约{appointment}上门服务，装维人员{technician_name}"
        "（工号{employee_no}），联系电话{technician_phone}。如需改约请提前告知，谢谢！",
        ["customer_name", "appointment", "technician_name", "employee_no", "technician_phone"],
    ),
    (
        "could_not_reach",
        "联系不上",
        "您好，我是{company}服务工程师{technician_name}，给您手机联系未接通，"
        "您看到短信与我们及时联系，联系电话{technician_phone}，谢谢！",
        ["company", "technician_name", "technician_phone"],
    ),
    (
        "running_late",
        "迟到告知",
        "{customer_name}您好，非常抱歉，装维人员{technician_name}因{reason}"
        "预计{eta}到达，给您带来不便，敬请谅解。联系电话{technician_phone}。",
        ["customer_name", "technician_name", "reason", "eta", "technician_phone"],
    ),
    (
        "visit_moved",
        "改约通知",
        "{customer_name}您好，您的上门服务时间已改为{appointment}（{reason}）。"
        "如时间不便，请拨打{technician_phone}与我们联系，谢谢！",
        ["customer_name", "appointment", "reason", "technician_phone"],
    ),
    (
        "not_home_note",
        "到访留言",
        "{customer_name}您好，装维人员{technician_name}于{arrived_at}上门服务，您不在家，"
        "于{left_at}离开。留言：{note}。请拨打{contact_phone}另约时间，谢谢！",
        ["customer_name", "technician_name", "arrived_at", "left_at", "note", "contact_phone"],
    ),
    (
        "completed",
        "完工评价",
        "{customer_name}您好，您的工单{order_number}已处理完毕，感谢您对{company}的支持！"
        "欢迎为本次服务评价：{evaluation_link}",
        ["customer_name", "order_number", "company", "evaluation_link"],
    ),
    (
        "batch_fault",
        "批量故障告知",
        "{customer_name}您好，您所在区域{area}的网络出现故障，我们正在全力抢修，"
        "预计{expected_restore_at}前恢复，给您带来不便，敬请谅解。",
        ["customer_name", "area", "expected_restore_at"],
    ),
    (
        "complaint_finding",
        "投诉处理结果",
        "{customer_name}您好，您反映的问题（工单{order_number}）经核查：{finding}。{note}"
        "感谢您的监督，如有疑问请拨打{hotline}。",
        ["customer_name", "order_number", "finding", "note", "hotline"],
    ),
]


def add_defaults(apps, schema_editor):
    Template = apps.get_model("notifications", "Template")
    for code, name, body, params in DEFAULTS:
        Template.objects.get_or_create(
            code=code, defaults={"name": name, "body": body, "params": params}
        )


def remove_defaults(apps, schema_editor):
    Template = apps.get_model("notifications", "Template")
    Template.objects.filter(code__in=[d[0] for d in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_outbox_after_commit")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]

"""The default checklist (000 ch.4 §4 监督检查; 002 格力安装质量巡视监督制度; 003 安全帽 and
登高作业) and the sampling policy row `inspections.sampling`. Frozen: copies, not imports of live
code (doorstep.inspections.services.DEFAULT_SHARE)."""

from django.db import migrations

ITEMS = [
    ("dress", "着装统一规范（工作服整洁，穿鞋套）", 10),
    ("badge", "佩戴工牌，主动出示证件", 10),
    ("kit", "工具包齐全，工具放在垫布上", 10),
    ("conduct", "文明用语，不吸烟、不收礼、不乱收费", 20),
    ("wiring", "布线整齐美观，走线固定，不乱穿墙打孔", 15),
    ("labels", "线缆、设备标签齐全清晰", 10),
    ("height", "登高作业安全：戴安全帽、系安全带、梯子有人扶", 15),
    ("cleanup", "完工清理现场，恢复原状", 10),
]
POLICY = {
    "key": "inspections.sampling",
    "label": "稽核抽样：每周按比例随机抽取各分公司已完工的上门工单",
    "kind": "",
    "minutes": None,
    "params": {"share": 0.05},
    "source": "000 第四章第四条 (监督检查)",
}


def load(apps, schema_editor):
    Item = apps.get_model("inspections", "ChecklistItem")
    for n, (code, label, weight) in enumerate(ITEMS, start=1):
        Item.objects.get_or_create(
            code=code, defaults={"label": label, "weight": weight, "position": n * 10}
        )
    Policy = apps.get_model("standards", "Policy")
    if not Policy.objects.filter(key=POLICY["key"]).exists():
        Policy.objects.create(**POLICY)


def unload(apps, schema_editor):
    apps.get_model("standards", "Policy").objects.filter(key=POLICY["key"]).delete()
    apps.get_model("inspections", "ChecklistItem").objects.filter(
        code__in=[c for c, _, _ in ITEMS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("inspections", "0001_initial"),
        ("standards", "0004_clock_failure_db_default"),
    ]
    operations = [migrations.RunPython(load, unload)]

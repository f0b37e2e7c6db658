"""The default questions of the evaluation form (seeds 000 ch.1 step 3 入户服务质量评议表,
001 ch.2, 003 服务监督调查表). Frozen: copied here, not imported; an admin edits them later."""

from django.db import migrations

# (code, question, kind, position)
ITEMS = [
    ("on_time", "师傅是否按约定时间准时上门？", "conduct", 10),
    ("badge_shown", "师傅进门前是否出示了工号牌并自我介绍？", "conduct", 20),
    ("shoe_covers", "师傅进门时是否穿上了鞋套？", "conduct", 30),
    ("tools_on_pad", "工具和设备是否放在垫布上，没有直接放在您家地面或家具上？", "conduct", 40),
    ("consent_asked", "移动家具、打孔、布线前，师傅是否征得了您的同意？", "conduct", 50),
    ("site_cleaned", "完工后师傅是否清理了现场、带走了垃圾？", "conduct", 60),
    ("usage_explained", "师傅是否向您演示并讲解了使用方法？", "conduct", 70),
    ("no_phone_or_toilet", "师傅是否没有使用您家的电话和卫生间？", "conduct", 80),
    ("no_smoking", "师傅是否没有在您家中吸烟？", "conduct", 90),
    ("no_gifts_or_meals", "师傅是否没有收受礼品、没有接受宴请或吃喝？", "conduct", 100),
    ("no_extra_charge", "师傅是否没有收取规定以外的任何费用？", "conduct", 110),
    ("overall", "您对本次上门服务的总体满意度（1–5 分）", "rating", 120),
]


def add_items(apps, schema_editor):
    EvaluationItem = apps.get_model("evaluation", "EvaluationItem")
    for code, question, kind, position in ITEMS:
        EvaluationItem.objects.get_or_create(
            code=code, defaults={"question": question, "kind": kind, "position": position}
        )


def remove_items(apps, schema_editor):
    EvaluationItem = apps.get_model("evaluation", "EvaluationItem")
    EvaluationItem.objects.filter(code__in=[c for c, *_ in ITEMS]).delete()


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]

    operations = [migrations.RunPython(add_items, remove_items)]

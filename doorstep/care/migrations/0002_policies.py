"""The policy rows doorstep.care reads, each with its first policy-history row. Frozen: the
rows and the history hash are copies, not imports of live code
(doorstep.standards.integrity.policy_change_hash)."""

import hashlib
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import migrations

SEP = "\x1f"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
POLICY_FIELDS = (
    "key",
    "label",
    "kind",
    "fault_class",
    "branch_id",
    "region_type",
    "grade",
    "minutes",
    "amount",
    "calendar_id",
    "params",
    "enabled",
    "source",
)

ROWS = [
    (
        "clock.compensation",
        "损坏客户物品：立即道歉，48小时内赔偿",
        "",
        2880,
        {"warn_pct": 80},
        "000 ch.4 §8.2",
    ),
    (
        "escalation.chase",
        "第3次催单或有投诉倾向时升级至班长",
        "",
        None,
        {
            "chases": 2,
            "clock_pct": 80,
            "risk_words": ["投诉", "12315", "10000", "10086", "市长热线", "曝光", "媒体", "工信部"],
        },
        "003 part 3 §3.3",
    ),
    (
        "care.engineering",
        "割接/电缆障碍接单后4小时内转派工程队并告知用户",
        "repair",
        240,
        {},
        "003 part 3 §2",
    ),
]


def _text(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return str((value - EPOCH) // timedelta(microseconds=1))
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.01'))}"
    return str(value)


def _sha(parts):
    return hashlib.sha256(SEP.join(_text(p) for p in parts).encode()).hexdigest()


def forward(apps, schema_editor):
    Policy = apps.get_model("standards", "Policy")
    PolicyChange = apps.get_model("standards", "PolicyChange")
    now = datetime.now(UTC)
    for key, label, kind, minutes, params, source in ROWS:
        if Policy.objects.filter(key=key).exists():
            continue
        policy = Policy.objects.create(
            key=key, label=label, kind=kind, minutes=minutes, params=params, source=source
        )
        after = {}
        for name in POLICY_FIELDS:
            value = getattr(policy, name)
            after[name] = _text(Decimal(value)) if name == "amount" and value is not None else value
        last = PolicyChange.objects.order_by("-id").first()
        prev = last.hash if last else ""
        digest = _sha(
            [
                policy.pk,
                policy.version,
                None,
                now,
                "migration",
                json.dumps(None),
                json.dumps(after, sort_keys=True, ensure_ascii=False),
                prev,
            ]
        )
        PolicyChange.objects.create(
            policy_id=policy.pk,
            version=policy.version,
            at=now,
            via="migration",
            before=None,
            after=after,
            prev_hash=prev,
            hash=digest,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0001_initial"),
        ("standards", "0004_clock_failure_db_default"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]

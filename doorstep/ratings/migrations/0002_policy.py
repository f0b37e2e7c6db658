"""The star rating formula's parameters as a policy row (`ratings.stars`), with its first
policy-history row, so an admin tunes the window, weights and thresholds on the policies page.
Frozen: the parameters and the history hash are copies, not imports of live code
(doorstep.ratings.formula.DEFAULTS, doorstep.standards.integrity.policy_change_hash)."""

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
        "ratings.stars",
        "装维人员星级：按近3个完整月的指标计算（权重、门槛、最少回单量）",
        "",
        None,
        {
            "months": 3,
            "min_orders": 20,
            "weights": {
                "on_time": 25,
                "arrival": 15,
                "contact": 10,
                "first_time_fix": 20,
                "onsite": 10,
                "callback": 20,
                "inspection": 0,
            },
            "complaint_points": 5,
            "penalty_points": 2,
            "max_deduction": 30,
            "thresholds": [90, 80, 70, 60],
        },
        "SPEC §4; 003 part 1 §1 (星级服务标示)",
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
        ("ratings", "0001_initial"),
        ("standards", "0004_clock_failure_db_default"),
        ("care", "0002_policies"),  # the policy-history chain grows in one order everywhere
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]

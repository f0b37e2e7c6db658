"""Inspections count in the star rating from the start: the `ratings.stars` policy row's
`weights.inspection` goes from 0 to 10, recorded as an edit in the policy history (who: the
migration; before and after), unless an admin already gave it a weight. A technician not
inspected in the window is unaffected (the component drops out).

Frozen: the snapshot fields and the history hash are copies, not imports of live code
(doorstep.standards.integrity.policy_snapshot / policy_change_hash)."""

import copy
import hashlib
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import migrations

WEIGHT = 10
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


def _snapshot(policy):
    out = {}
    for name in POLICY_FIELDS:
        value = getattr(policy, name)
        out[name] = _text(Decimal(value)) if name == "amount" and value is not None else value
    return out


def forward(apps, schema_editor):
    Policy = apps.get_model("standards", "Policy")
    PolicyChange = apps.get_model("standards", "PolicyChange")
    policy = Policy.objects.filter(key="ratings.stars", branch__isnull=True).first()
    if policy is None:
        return
    weights = (policy.params or {}).get("weights") or {}
    if weights.get("inspection", 0) != 0:
        return  # an admin already weighed inspections
    before = _snapshot(policy)
    params = copy.deepcopy(policy.params)
    params.setdefault("weights", {})["inspection"] = WEIGHT
    policy.params = params
    policy.version += 1
    policy.save(update_fields=["params", "version"])
    after = _snapshot(policy)
    now = datetime.now(UTC)
    last = PolicyChange.objects.order_by("-id").first()
    prev = last.hash if last else ""
    digest = _sha(
        [
            policy.pk,
            policy.version,
            None,
            now,
            "migration",
            json.dumps(before, sort_keys=True, ensure_ascii=False),
            json.dumps(after, sort_keys=True, ensure_ascii=False),
            prev,
        ]
    )
    PolicyChange.objects.create(
        policy_id=policy.pk,
        version=policy.version,
        at=now,
        via="migration",
        before=before,
        after=after,
        prev_hash=prev,
        hash=digest,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("inspections", "0002_defaults"),
        ("ratings", "0002_policy"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]

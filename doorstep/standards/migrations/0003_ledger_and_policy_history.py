"""The append-only ledger and the policy history.

Each penalty's old status (and appeal and decision columns) becomes the entry's first changes;
every policy row gets its first history row; the `clock.compensation` row goes (nothing starts
an R18 clock yet). Frozen: the hash below is a copy of doorstep.standards.integrity's.
"""

import hashlib
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import django.db.models.deletion
import django.db.models.manager
from django.conf import settings
from django.db import migrations, models


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


def forward(apps, schema_editor):
    Penalty = apps.get_model("standards", "Penalty")
    PenaltyChange = apps.get_model("standards", "PenaltyChange")
    Policy = apps.get_model("standards", "Policy")
    PolicyChange = apps.get_model("standards", "PolicyChange")
    now = datetime.now(UTC)
    for p in Penalty.objects.order_by("id"):
        steps = []
        decided_at = p.decided_at or p.created_at
        if p.status == "exempted" and p.decided_by_id is None and p.decided_at is None:
            p.initial_status = "exempted"
        else:
            p.initial_status = "open"
            if p.appealed_at is not None:
                steps.append(
                    ("appeal", "appealed", p.technician_id, p.appealed_at, p.appeal_reason)
                )
            if p.status in ("upheld", "exempted"):
                kind = "uphold" if p.status == "upheld" else "exempt"
                if p.decision_note.startswith("回告免责"):
                    kind = "report_back_exempt"
                steps.append((kind, p.status, p.decided_by_id, decided_at, p.decision_note))
            elif p.status == "void":
                steps.append(("void", "void", None, decided_at, p.decision_note))
        p.hash = _sha(
            [
                p.order_id,
                p.breach_id,
                p.event_id,
                p.rule,
                Decimal(p.amount),
                p.technician_id,
                p.branch_id,
                p.reason,
                p.created_at,
                None,
                None,
                None,
                p.initial_status,
            ]
        )
        p.save(update_fields=["initial_status", "hash"])
        prev = p.hash
        for seq, (kind, status, by_id, at, note) in enumerate(steps, start=1):
            h = _sha([p.pk, seq, kind, status, by_id, at, note or "", None, prev])
            PenaltyChange.objects.create(
                penalty_id=p.pk,
                seq=seq,
                kind=kind,
                status_after=status,
                by_id=by_id,
                at=at,
                note=note or "",
                prev_hash=prev,
                hash=h,
            )
            prev = h
    Policy.objects.filter(key="clock.compensation").delete()
    prev = ""
    for policy in Policy.objects.order_by("id"):
        after = {}
        for name in POLICY_FIELDS:
            value = getattr(policy, name)
            after[name] = _text(Decimal(value)) if name == "amount" and value is not None else value
        h = _sha(
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
            hash=h,
        )
        prev = h


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_idempotencyrecord"),
        ("org", "0003_branch_handover_times_branch_lunch_from_and_more"),
        ("standards", "0002_default_policies"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PenaltyChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.PositiveIntegerField()),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("appeal", "申诉"),
                            ("uphold", "维持处罚"),
                            ("exempt", "免责"),
                            ("report_back_exempt", "回告免责"),
                            ("void", "撤销（记录表明未超时）"),
                            ("carried", "沿用原裁决"),
                        ],
                        max_length=24,
                    ),
                ),
                (
                    "status_after",
                    models.CharField(
                        choices=[
                            ("open", "待执行"),
                            ("exempted", "已免责"),
                            ("appealed", "申诉中"),
                            ("upheld", "维持处罚"),
                            ("void", "已撤销"),
                        ],
                        max_length=16,
                    ),
                ),
                ("at", models.DateTimeField()),
                ("note", models.TextField(blank=True)),
                ("prev_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64)),
            ],
            options={
                "ordering": ["penalty_id", "seq"],
            },
        ),
        migrations.CreateModel(
            name="PolicyChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("version", models.PositiveIntegerField()),
                ("at", models.DateTimeField()),
                ("via", models.CharField(max_length=16)),
                ("before", models.JSONField(blank=True, null=True)),
                ("after", models.JSONField()),
                ("prev_hash", models.CharField(max_length=64, unique=True)),
                ("hash", models.CharField(max_length=64)),
            ],
            options={
                "ordering": ["-at", "-id"],
            },
        ),
        migrations.AlterModelOptions(
            name="penalty",
            options={"base_manager_name": "raw", "ordering": ["-created_at", "-id"]},
        ),
        migrations.AlterModelManagers(
            name="penalty",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("raw", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AddField(
            model_name="breach",
            name="revives",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="standards.breach",
            ),
        ),
        migrations.AddField(
            model_name="clock",
            name="failed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="clock",
            name="failure",
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name="penalty",
            name="hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="penalty",
            name="initial_status",
            field=models.CharField(
                choices=[
                    ("open", "待执行"),
                    ("exempted", "已免责"),
                    ("appealed", "申诉中"),
                    ("upheld", "维持处罚"),
                    ("void", "已撤销"),
                ],
                default="open",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="penalty",
            name="policy",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="standards.policy",
            ),
        ),
        migrations.AddField(
            model_name="penalty",
            name="policy_version",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="penalty",
            name="revives",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="standards.penalty",
            ),
        ),
        migrations.AddField(
            model_name="policy",
            name="version",
            field=models.PositiveIntegerField(default=1, verbose_name="版本"),
        ),
        migrations.AlterField(
            model_name="breach",
            name="clock",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="breaches",
                to="standards.clock",
            ),
        ),
        migrations.AlterField(
            model_name="penalty",
            name="breach",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="penalty",
                to="standards.breach",
            ),
        ),
        migrations.AlterField(
            model_name="penalty",
            name="order",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="penalties",
                to="orders.workorder",
            ),
        ),
        migrations.AlterField(
            model_name="penalty",
            name="technician",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="penalty",
            index=models.Index(fields=["technician", "created_at"], name="penalty_tech_time"),
        ),
        migrations.AddConstraint(
            model_name="breach",
            constraint=models.UniqueConstraint(
                condition=models.Q(("clock__isnull", False), ("void", False)),
                fields=("clock",),
                name="breach_live_once_per_clock",
            ),
        ),
        migrations.AddField(
            model_name="penaltychange",
            name="by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="penaltychange",
            name="penalty",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="changes",
                to="standards.penalty",
            ),
        ),
        migrations.AddField(
            model_name="penaltychange",
            name="refers_to",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="standards.penaltychange",
            ),
        ),
        migrations.AddField(
            model_name="policychange",
            name="by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="policychange",
            name="policy",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="changes",
                to="standards.policy",
            ),
        ),
        migrations.AddConstraint(
            model_name="penaltychange",
            constraint=models.UniqueConstraint(
                fields=("penalty", "seq"), name="penalty_change_seq"
            ),
        ),
        migrations.RunPython(forward, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name="penalty",
            name="penalty_tech_status",
        ),
        migrations.RemoveField(
            model_name="penalty",
            name="appeal_reason",
        ),
        migrations.RemoveField(
            model_name="penalty",
            name="appealed_at",
        ),
        migrations.RemoveField(
            model_name="penalty",
            name="decided_at",
        ),
        migrations.RemoveField(
            model_name="penalty",
            name="decided_by",
        ),
        migrations.RemoveField(
            model_name="penalty",
            name="decision_note",
        ),
        migrations.RemoveField(
            model_name="penalty",
            name="status",
        ),
    ]

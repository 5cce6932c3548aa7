"""Enforcement takes over the action tables the cases app created.

``cases.0011_actions_move_to_enforcement`` removed the models from the cases
state; this one adds them to enforcement's state over the same tables
(``db_table``), so nothing in the database moves. The content types follow,
so permissions granted on actions keep applying.
"""

import django.db.models.deletion
import django.db.models.functions.datetime
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MODELS = ("action", "actiontarget")


def _relabel(apps, source: str, target: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    taken = set(
        content_type.objects.filter(app_label=target, model__in=MODELS).values_list(
            "model", flat=True
        )
    )
    content_type.objects.filter(app_label=source, model__in=MODELS).exclude(model__in=taken).update(
        app_label=target
    )


def to_enforcement(apps, schema_editor) -> None:
    _relabel(apps, "cases", "enforcement")


def to_cases(apps, schema_editor) -> None:
    _relabel(apps, "enforcement", "cases")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("cases", "0011_actions_move_to_enforcement"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Action",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("suspend_accounts", "Suspend accounts"),
                                    ("terminate_accounts", "Terminate accounts"),
                                    ("require_verification", "Require verification"),
                                    ("revoke_api_keys", "Revoke API keys"),
                                    ("block_network", "Block network"),
                                    ("rate_limit", "Rate limit"),
                                    ("notify_partner", "Notify partner"),
                                ],
                                max_length=30,
                            ),
                        ),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("proposed", "Proposed"),
                                    ("awaiting_second_approval", "Awaiting second approval"),
                                    ("approved", "Approved"),
                                    ("rejected", "Rejected"),
                                    ("withdrawn", "Withdrawn"),
                                    ("executing", "Executing"),
                                    ("paused", "Paused"),
                                    ("executed", "Executed"),
                                    ("partially_failed", "Partially failed"),
                                    ("failed", "Failed"),
                                    ("reverting", "Reverting"),
                                    ("reverted", "Reverted"),
                                ],
                                db_default="proposed",
                                default="proposed",
                                max_length=30,
                            ),
                        ),
                        ("params", models.JSONField(blank=True, default=dict)),
                        ("rationale", models.TextField(blank=True, default="")),
                        ("notice", models.TextField(blank=True, default="")),
                        ("expires_at", models.DateTimeField(blank=True, null=True)),
                        ("approvals_required", models.PositiveSmallIntegerField(default=1)),
                        (
                            "proposed_at",
                            models.DateTimeField(
                                db_default=django.db.models.functions.datetime.Now(),
                                default=django.utils.timezone.now,
                            ),
                        ),
                        ("approved_at", models.DateTimeField(blank=True, null=True)),
                        ("second_approved_at", models.DateTimeField(blank=True, null=True)),
                        ("decided_at", models.DateTimeField(blank=True, null=True)),
                        ("decision_reason", models.TextField(blank=True, default="")),
                        (
                            "approval_comment",
                            models.TextField(blank=True, db_default="", default=""),
                        ),
                        (
                            "second_approval_comment",
                            models.TextField(blank=True, db_default="", default=""),
                        ),
                        ("protected_override_reason", models.TextField(blank=True, default="")),
                        ("started_at", models.DateTimeField(blank=True, null=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("paused_reason", models.TextField(blank=True, default="")),
                        ("reverted_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "approved_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "case",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="actions",
                                to="cases.case",
                            ),
                        ),
                        (
                            "decided_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "proposed_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "protected_override_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "second_approved_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "cases_action",
                    },
                ),
                migrations.CreateModel(
                    name="ActionTarget",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "target_type",
                            models.CharField(
                                choices=[
                                    ("account", "Account"),
                                    ("api_key_prefix", "API key prefix"),
                                    ("ip", "IP address"),
                                    ("cidr", "Network (CIDR)"),
                                    ("asn", "ASN"),
                                    ("partner", "Partner"),
                                ],
                                max_length=20,
                            ),
                        ),
                        ("value", models.CharField(max_length=1100)),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("excluded", "Excluded (protected)"),
                                    ("pending", "Pending"),
                                    ("executing", "Executing"),
                                    ("executed", "Executed"),
                                    ("failed", "Failed"),
                                    ("revert_pending", "Revert pending"),
                                    ("reverting", "Reverting"),
                                    ("reverted", "Reverted"),
                                    ("revert_failed", "Revert failed"),
                                ],
                                db_default="pending",
                                default="pending",
                                max_length=20,
                            ),
                        ),
                        (
                            "reference",
                            models.CharField(blank=True, db_default="", default="", max_length=300),
                        ),
                        ("error", models.TextField(blank=True, db_default="", default="")),
                        ("attempts", models.PositiveIntegerField(db_default=0, default=0)),
                        ("last_attempt_at", models.DateTimeField(blank=True, null=True)),
                        ("next_attempt_at", models.DateTimeField(blank=True, null=True)),
                        ("executed_at", models.DateTimeField(blank=True, null=True)),
                        ("reverted_at", models.DateTimeField(blank=True, null=True)),
                        ("apply_body", models.BinaryField(blank=True, null=True)),
                        ("revert_body", models.BinaryField(blank=True, null=True)),
                        ("is_protected", models.BooleanField(db_default=False, default=False)),
                        (
                            "override_reason",
                            models.TextField(blank=True, db_default="", default=""),
                        ),
                        (
                            "account",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="cases.account",
                            ),
                        ),
                        (
                            "action",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="targets",
                                to="enforcement.action",
                            ),
                        ),
                        (
                            "override_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "cases_actiontarget",
                    },
                ),
                migrations.AddIndex(
                    model_name="action",
                    index=models.Index(
                        fields=["state", "proposed_at"], name="action_state_proposed"
                    ),
                ),
                migrations.AddIndex(
                    model_name="action",
                    index=models.Index(fields=["case", "state"], name="action_case_state"),
                ),
                migrations.AddIndex(
                    model_name="actiontarget",
                    index=models.Index(fields=["action", "state"], name="action_target_state"),
                ),
                migrations.AddConstraint(
                    model_name="actiontarget",
                    constraint=models.UniqueConstraint(
                        fields=("action", "target_type", "value"), name="action_target_unique"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(to_enforcement, to_cases),
    ]

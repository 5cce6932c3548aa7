"""Small helpers that create cases as the import would leave them."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cases.models import SEVERITY_RANK, Case


def make_case(**fields) -> Case:
    fields.setdefault("title", "Distillation cluster")
    severity = fields.setdefault("severity", "medium")
    fields.setdefault("severity_rank", SEVERITY_RANK[severity])
    fields.setdefault("sla_due_at", timezone.now() + timedelta(days=1))
    last_activity = fields.pop("last_activity_at", None)
    case = Case.objects.create(**fields)
    if last_activity is not None:
        Case.objects.filter(pk=case.pk).update(last_activity_at=last_activity)
        case.last_activity_at = last_activity
    return case

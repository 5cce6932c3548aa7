"""Import health, for leads and administrators: is every accepted alert becoming a case?

Batches per detector by status, alert counts, failures with their errors, the
queue lag (age of the oldest pending batch), claims gone stale, and a retry
button for batches whose alerts failed.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Min, Q, Sum
from django.shortcuts import redirect
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from ingestion.importing.operations import NothingToRetry, retry_failed
from ingestion.models import Batch, BatchStatus
from people.permissions import RoleRequiredMixin
from people.roles import LEADS_AND_ADMINISTRATORS

STATUSES = [status.value for status in BatchStatus]
PROBLEM_STATUSES = (BatchStatus.FAILED, BatchStatus.PARTIALLY_IMPORTED)


def duration(delta: timedelta | None) -> str:
    """``2 h 05 min``, ``4 min 10 s``, ``35 s``."""
    if delta is None:
        return ""
    seconds = max(0, int(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {seconds:02d} s"
    return f"{seconds} s"


def import_health(now=None) -> dict:
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.IMPORT_CLAIM_TIMEOUT)
    rows = (
        Batch.objects.values("detector__name", "status")
        .annotate(
            batches=Count("id"),
            accepted=Sum("accepted"),
            imported=Sum("imported"),
            failed=Sum("failed"),
            oldest=Min("received_at"),
        )
        .order_by("detector__name")
    )
    detectors: dict[str, dict] = {}
    for row in rows:
        entry = detectors.setdefault(
            row["detector__name"],
            {
                "name": row["detector__name"],
                "by_status": dict.fromkeys(STATUSES, 0),
                "accepted": 0,
                "imported": 0,
                "failed": 0,
                "oldest_pending": None,
            },
        )
        entry["by_status"][row["status"]] = row["batches"]
        entry["accepted"] += row["accepted"] or 0
        entry["imported"] += row["imported"] or 0
        entry["failed"] += row["failed"] or 0
        if row["status"] == BatchStatus.PENDING:
            entry["oldest_pending"] = row["oldest"]
    for entry in detectors.values():
        oldest = entry["oldest_pending"]
        entry["lag"] = duration(now - oldest) if oldest else ""
        entry["statuses"] = [(status, entry["by_status"][status]) for status in STATUSES]

    totals = Batch.objects.aggregate(
        oldest_pending=Min("received_at", filter=Q(status=BatchStatus.PENDING)),
        pending=Count("id", filter=Q(status=BatchStatus.PENDING)),
        importing=Count("id", filter=Q(status=BatchStatus.IMPORTING)),
        stale=Count("id", filter=Q(status=BatchStatus.IMPORTING, claimed_at__lt=stale_before)),
        problems=Count("id", filter=Q(status__in=PROBLEM_STATUSES)),
    )
    oldest = totals["oldest_pending"]
    problems = (
        Batch.objects.filter(status__in=PROBLEM_STATUSES)
        .select_related("detector")
        .defer("raw_body")
        .order_by("-received_at")[:50]
    )
    recent = (
        Batch.objects.select_related("detector").defer("raw_body").order_by("-received_at")[:25]
    )
    return {
        "detectors": list(detectors.values()),
        "queue_lag": duration(now - oldest) if oldest else "",
        "totals": totals,
        "problems": list(problems),
        "recent": list(recent),
        "claim_timeout": settings.IMPORT_CLAIM_TIMEOUT,
    }


class HealthView(RoleRequiredMixin, TemplateView):
    allowed_roles = LEADS_AND_ADMINISTRATORS
    template_name = "ingestion/health.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(import_health())
        return context


class RetryView(RoleRequiredMixin, View):
    """POST: put a batch's failed alerts back in line for import (audited)."""

    allowed_roles = LEADS_AND_ADMINISTRATORS
    http_method_names = ["post"]

    def post(self, request, batch_id):
        try:
            count = retry_failed(batch_id, actor=request.user)
        except Batch.DoesNotExist:
            messages.error(request, "No such batch.")
        except NothingToRetry as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, f"Batch {batch_id}: {count} alert(s) queued for import again."
            )
        return redirect("ingestion:health")

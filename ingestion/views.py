"""Pages of the ingestion app."""

from __future__ import annotations

from django.db.models import Count, F, IntegerField, Max, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.views.generic import TemplateView

from ingestion.models import Batch, Detector, DetectorToken
from people.permissions import RoleRequiredMixin
from people.roles import ADMINISTRATORS


def detector_overview():
    """Detectors with their volume, last batch and import error rate, in one query."""
    last_batch = Batch.objects.filter(detector=OuterRef("pk")).order_by("-received_at")
    usable_tokens = (
        DetectorToken.objects.usable()
        .filter(detector=OuterRef("pk"))
        .values("detector")
        .annotate(n=Count("pk"))
        .values("n")
    )
    zero = Value(0, output_field=IntegerField())
    detectors = Detector.objects.annotate(
        batch_count=Count("batches"),
        alert_count=Coalesce(Sum("batches__accepted"), zero),
        duplicate_count=Coalesce(Sum("batches__duplicates"), zero),
        imported_count=Coalesce(Sum("batches__imported"), zero),
        failed_count=Coalesce(Sum("batches__failed"), zero),
        last_batch_at=Max("batches__received_at"),
        last_batch_id=Subquery(last_batch.values("pk")[:1]),
        last_batch_status=Subquery(last_batch.values("status")[:1]),
        token_count=Coalesce(Subquery(usable_tokens), zero),
        finished_count=F("imported_count") + F("failed_count"),
    ).order_by("name")
    for detector in detectors:
        finished = detector.finished_count
        detector.error_rate = (detector.failed_count / finished) if finished else None
        yield detector


class DetectorsView(RoleRequiredMixin, TemplateView):
    allowed_roles = ADMINISTRATORS
    template_name = "ingestion/detectors.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["detectors"] = list(detector_overview())
        return context

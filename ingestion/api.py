"""The detector alert API (docs/alerts-api.md).

Views stay thin: ``ingestion.body`` reads the request, ``ingestion.validation``
validates it and ``ingestion.accept`` stores it.
"""

from __future__ import annotations

import uuid

import msgspec
from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from cases.models import Case
from ingestion.accept import store_alerts
from ingestion.auth import BearerAuthentication, IsDetector, detector_of
from ingestion.body import read_json_body
from ingestion.models import Alert, AlertKey, Batch
from ingestion.openapi import (
    AcceptedSerializer,
    BatchStatusSerializer,
    LookupSerializer,
    alerts_request_schema,
)
from ingestion.ratelimit import DetectorRateThrottle
from ingestion.validation import InvalidBody, parse_alerts

_encoder = msgspec.json.Encoder()


def _json(data: dict, status: int = 200) -> HttpResponse:
    return HttpResponse(_encoder.encode(data), status=status, content_type="application/json")


def _timestamp(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


class AlwaysJson(BaseContentNegotiation):
    """Answers are JSON whatever the client's Accept header says."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class DetectorAPIView(APIView):
    authentication_classes = [BearerAuthentication]
    permission_classes = [IsDetector]
    throttle_classes = [DetectorRateThrottle]
    renderer_classes = [JSONRenderer]
    parser_classes: list = []
    content_negotiation_class = AlwaysJson


@extend_schema(
    summary="Post one alert or an envelope of 1-1000 alerts",
    request={"application/json": alerts_request_schema()},
    responses={202: AcceptedSerializer},
)
class AlertsView(DetectorAPIView):
    def post(self, request: Request) -> HttpResponse:
        detector = detector_of(request)
        body = read_json_body(request._request)
        try:
            alerts = parse_alerts(body, detector_name=detector.name)
        except InvalidBody as invalid:
            return _json({"errors": [e.as_dict() for e in invalid.errors]}, status=400)
        stored = store_alerts(detector, body, alerts)
        return _json(
            {
                "batch": str(stored.batch_id),
                "accepted": stored.accepted,
                "duplicates": stored.duplicates,
                "status_url": reverse("ingestion-api:batch", args=[stored.batch_id]),
            },
            status=202,
        )


@extend_schema(
    summary="The import status of one of this detector's batches",
    responses={200: BatchStatusSerializer},
)
class BatchView(DetectorAPIView):
    def get(self, request: Request, batch_id: str) -> HttpResponse:
        try:
            key = uuid.UUID(batch_id)
        except ValueError:
            raise NotFound("No such batch.") from None
        batch = (
            Batch.objects.filter(pk=key, detector=detector_of(request)).defer("raw_body").first()
        )
        if batch is None:
            raise NotFound("No such batch.")
        return _json(
            {
                "batch": str(batch.pk),
                "status": batch.status,
                "accepted": batch.accepted,
                "imported": batch.imported,
                "failed": batch.failed,
                "errors": batch.errors or [],
                "received_at": _timestamp(batch.received_at),
                "finished_at": _timestamp(batch.finished_at),
            }
        )


@extend_schema(
    summary="Find one of this detector's alerts by its external id",
    parameters=[OpenApiParameter("external_id", str, required=True)],
    responses={200: LookupSerializer},
)
class LookupView(DetectorAPIView):
    def get(self, request: Request) -> HttpResponse:
        external_id = request.query_params.get("external_id", "")
        if not external_id:
            raise ValidationError({"external_id": ["This parameter is required."]})
        detector = detector_of(request)
        key = AlertKey.objects.filter(detector=detector, external_id=external_id).first()
        alert = (
            Alert.objects.filter(pk=key.alert_id, detector=detector)
            .only("external_id", "batch_id", "status", "case_id")
            .first()
            if key
            else None
        )
        if alert is None:
            raise NotFound("This detector has no alert with that external id.")
        case = None
        if alert.case_id is not None:
            found = Case.objects.filter(pk=alert.case_id).only("status", "resolution").first()
            if found is not None:
                case = {
                    "id": str(found.pk),
                    "status": found.status,
                    "resolution": found.resolution or None,
                }
        return _json(
            {
                "external_id": alert.external_id,
                "batch": str(alert.batch_id),
                "status": alert.status,
                "case": case,
            }
        )

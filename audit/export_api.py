"""REST ``/api/v1/audit/export`` and ``/api/v1/audit/export-jobs`` (managers), and
``/api/v1/audit/public-key`` (anyone).

The export streams CSV or JSONL with a signed manifest as its last line
(``audit.exports``, docs/audit-exports.md); the public key is public by
design, so that whoever receives an export can check it without an account.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from audit import export_jobs, exports
from audit.filters import AuditEventFilter
from audit.models import ExportJob, ExportJobState
from cases.api.base import AUTHENTICATION
from core.api import JsonErrors
from people.permissions import HasRole
from people.roles import MANAGERS


class PublicKeySerializer(serializers.Serializer):
    algorithm = serializers.CharField(help_text="Always Ed25519.")
    public_key = serializers.CharField(help_text="Base64 of the key's 32 raw bytes.")
    pem = serializers.CharField(help_text="The same key as PEM (SubjectPublicKeyInfo).")
    key_id = serializers.CharField(help_text="First 16 hex digits of the key's SHA-256.")


class PublicKeyView(APIView):
    # Anyone, with whatever credential or none: nothing here is secret.
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="v1_audit_public_key",
        summary="The public key that checks audit exports",
        responses={200: PublicKeySerializer},
        auth=[{}],
    )
    def get(self, request):
        raw = exports.public_key()
        pem = Ed25519PublicKey.from_public_bytes(raw).public_bytes(
            Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
        )
        return Response(
            {
                "algorithm": "Ed25519",
                "public_key": base64.b64encode(raw).decode(),
                "pem": pem.decode(),
                "key_id": exports.signing_key_id(),
            }
        )


# The trail's filter parameters, as ``/api/v1/audit/events/`` takes them.
_FILTER_TYPES = {"since": OpenApiTypes.DATETIME, "until": OpenApiTypes.DATETIME, "case": int}
FILTER_PARAMETERS = [
    OpenApiParameter(
        name,
        _FILTER_TYPES.get(name, str),
        description=str(field.extra.get("help_text") or field.label or name),
    )
    for name, field in AuditEventFilter.base_filters.items()
]

_EXPORT_BODY = OpenApiResponse(
    response=OpenApiTypes.STR,
    description="The export: one record per event, the signed manifest as the last line "
    "(docs/audit-exports.md).",
)


class ExportView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [HasRole]
    allowed_roles = MANAGERS
    content_negotiation_class = JsonErrors

    @extend_schema(
        operation_id="v1_audit_export",
        summary="Export the audit trail, signed",
        parameters=[
            OpenApiParameter(
                "output", str, enum=["csv", "jsonl"], description="The file format (default jsonl)."
            ),
            *FILTER_PARAMETERS,
        ],
        responses={(200, "text/csv"): _EXPORT_BODY, (200, "application/x-ndjson"): _EXPORT_BODY},
    )
    def get(self, request):
        return exports.download(exports.start_export(request.query_params, actor=request.user))


class ExportJobSerializer(serializers.ModelSerializer):
    progress_url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "state",
            "output",
            "filter",
            "rows",
            "rows_written",
            "through_sequence",
            "tlp_red_included",
            "export_event",
            "requested_at",
            "finished_at",
            "expires_at",
            "error",
            "progress_url",
            "download_url",
        ]
        read_only_fields = fields

    def get_progress_url(self, job: ExportJob) -> str:
        return reverse("audit-export:job", args=[job.pk])

    def get_download_url(self, job: ExportJob) -> str | None:
        if job.state != ExportJobState.DONE:
            return None
        return reverse("audit-export:job-download", args=[job.pk])


class ExportJobCreateView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [HasRole]
    allowed_roles = MANAGERS
    content_negotiation_class = JsonErrors

    @extend_schema(
        operation_id="v1_audit_export_job_create",
        summary="Start an export job for a large export",
        parameters=[
            OpenApiParameter(
                "output", str, enum=["csv", "jsonl"], description="The file format (default jsonl)."
            ),
            *FILTER_PARAMETERS,
        ],
        request=None,
        responses={202: ExportJobSerializer},
    )
    def post(self, request):
        job = export_jobs.start_job(request.query_params, actor=request.user)
        response = Response(ExportJobSerializer(job).data, status=202)
        response["Location"] = reverse("audit-export:job", args=[job.pk])
        return response


class ExportJobView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [HasRole]
    allowed_roles = MANAGERS
    content_negotiation_class = JsonErrors

    @extend_schema(
        operation_id="v1_audit_export_job",
        summary="An export job's progress",
        responses={200: ExportJobSerializer},
    )
    def get(self, request, job_id):
        return Response(ExportJobSerializer(export_jobs.job_of(request.user, job_id)).data)


class ExportJobDownloadView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [HasRole]
    allowed_roles = MANAGERS
    content_negotiation_class = JsonErrors

    @extend_schema(
        operation_id="v1_audit_export_job_download",
        summary="A finished export job's file",
        responses={(200, "text/csv"): _EXPORT_BODY, (200, "application/x-ndjson"): _EXPORT_BODY},
    )
    def get(self, request, job_id):
        return export_jobs.file_response(export_jobs.job_of(request.user, job_id))

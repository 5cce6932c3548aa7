"""REST ``/api/v1/audit/events/``: the audit trail for managers, newest first,
filtered by ``AuditEventFilter`` as the page ``/audit/`` is, a cursor page at a time.

Answers: 403 for anyone but managers, 400 naming the parameter for bad input
(``until`` before ``since``, a cursor it did not make).
"""

from __future__ import annotations

from rest_framework import mixins, serializers, viewsets

from audit.filters import AuditEventFilter
from audit.models import AuditEvent
from audit.views import trail_events
from cases.api.base import AUTHENTICATION
from cases.api.pagination import MAX_PAGE_SIZE, CheckedCursorPagination
from people.permissions import HasRole
from people.roles import MANAGERS


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(
        source="actor_label", help_text="Who acted, as the page names them."
    )

    class Meta:
        model = AuditEvent
        fields = [
            "sequence",
            "occurred_at",
            "actor",
            "actor_username",
            "detector_id",
            "detector_name",
            "system",
            "verb",
            "target_type",
            "target_id",
            "target_repr",
            "case_ids",
            "before",
            "after",
            "reason",
            "remote_addr",
            "request_id",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields


class AuditEventPagination(CheckedCursorPagination):
    """Newest first by sequence number: unique and gapless, as cursor pagination needs."""

    ordering = "-sequence"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class AuditEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    authentication_classes = AUTHENTICATION
    permission_classes = [HasRole]
    allowed_roles = MANAGERS
    serializer_class = AuditEventSerializer
    pagination_class = AuditEventPagination
    filterset_class = AuditEventFilter

    def get_queryset(self):
        return trail_events(self.request.user)

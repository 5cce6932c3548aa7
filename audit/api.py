"""REST ``/api/v1/audit/events/``: the audit trail for managers, newest first,
filtered by ``AuditEventFilter`` as the page ``/audit/`` is, a cursor page at a time.

Answers: 403 for anyone but managers, 400 naming the parameter for bad input
(``until`` before ``since``, a cursor it did not make).
"""

from __future__ import annotations

from rest_framework import mixins, serializers, viewsets

from audit.chain import HASHED_FIELDS
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
        # Every hashed column, so a reader can recompute each event's hash; the
        # actor as its id, under its field's name.
        fields = [("actor" if name == "actor_id" else name) for name in HASHED_FIELDS] + ["hash"]
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

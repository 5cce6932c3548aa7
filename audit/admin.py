"""The trail is visible in the admin and cannot be edited there.

``cases.admin`` registers ``AuditEventAdmin``, leaving out the events of cases
the viewer may not see; that rule belongs to the cases, above this layer.
"""

from __future__ import annotations

from django.contrib import admin

from audit.models import AuditCheckpoint
from core.admin import ReadOnlyAdmin


class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("sequence", "occurred_at", "verb", "actor_label", "target_repr", "case_ids")
    list_filter = ("verb",)
    search_fields = ("verb", "actor_username", "detector_name", "target_repr", "request_id")
    date_hierarchy = "occurred_at"
    show_full_result_count = False


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ("sequence", "created_at", "hash")

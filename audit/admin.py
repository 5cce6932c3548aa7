"""The trail is visible in the admin and cannot be edited there."""

from __future__ import annotations

from django.contrib import admin

from audit.models import AuditCheckpoint, AuditEvent
from core.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("sequence", "occurred_at", "verb", "actor_label", "target_repr", "case_ids")
    list_filter = ("verb",)
    search_fields = ("verb", "actor_username", "detector_name", "target_repr", "request_id")
    date_hierarchy = "occurred_at"
    show_full_result_count = False


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ("sequence", "created_at", "hash")

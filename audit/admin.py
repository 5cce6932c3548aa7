"""The trail is visible in the admin and cannot be edited there."""

from __future__ import annotations

from django.contrib import admin

from audit.models import AuditCheckpoint, AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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

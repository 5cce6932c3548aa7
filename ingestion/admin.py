"""Detectors in the Django admin, for the administrator role.

Tokens are created and rotated with ``manage.py detectors`` (the clear text is
printed once); here an administrator can change a detector's description,
active flag and rate, and revoke single tokens. Every change is audited.
Batches and alerts are shown read-only: their status belongs to the import.
An alert in a case is shown only to those who may see the case
(``cases.admin``); a batch's raw body, which holds every alert of the batch,
is never shown.
"""

from __future__ import annotations

from django.contrib import admin, messages

from cases.admin import CaseRowsAdmin
from core.admin import ReadOnlyAdmin
from ingestion.detectors import EDITABLE_FIELDS, revoke_token, update_detector
from ingestion.models import Alert, Batch, Detector, DetectorToken


class TokenInline(admin.TabularInline):
    model = DetectorToken
    fields = ("prefix", "created_at", "expires_at", "revoked_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Detector)
class DetectorAdmin(admin.ModelAdmin):
    list_display = ("name", "active", "rate_per_minute", "last_seen_at", "created_at")
    search_fields = ("name", "description")
    fields = ("name", *EDITABLE_FIELDS, "last_seen_at", "created_at")
    readonly_fields = ("name", "last_seen_at", "created_at")
    inlines = [TokenInline]

    def has_add_permission(self, request) -> bool:
        # `manage.py detectors create` makes the detector and prints its token once.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if changes:
            update_detector(obj.pk, actor=request.user, changes=changes)


@admin.register(DetectorToken)
class DetectorTokenAdmin(ReadOnlyAdmin):
    list_display = ("detector", "prefix", "created_at", "expires_at", "revoked_at")
    list_filter = ("detector",)
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None) -> bool:
        # Needed for the revoke action; every field stays read-only.
        return request.user.has_perm("ingestion.change_detectortoken")

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token_id in queryset.values_list("pk", flat=True):
            revoke_token(token_id, actor=request.user)
        messages.success(request, "Tokens revoked.")


@admin.register(Batch)
class BatchAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "detector",
        "status",
        "accepted",
        "duplicates",
        "imported",
        "failed",
        "received_at",
    )
    list_filter = ("status", "detector")
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("raw_body")

    def get_readonly_fields(self, request, obj=None):
        return [name for name in super().get_readonly_fields(request, obj) if name != "raw_body"]


@admin.register(Alert)
class AlertAdmin(CaseRowsAdmin, ReadOnlyAdmin):
    list_display = (
        "id",
        "detector",
        "external_id",
        "kind",
        "severity",
        "status",
        "case",
        "observed_at",
    )
    list_filter = ("status", "severity", "detector")
    search_fields = ("=external_id",)
    show_full_result_count = False
    list_select_related = ("detector", "case")

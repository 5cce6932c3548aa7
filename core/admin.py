"""Admin bases for records whose changes belong to a workflow, not to the admin."""

from __future__ import annotations

from django.contrib import admin


class ViewOnlyAdmin(admin.ModelAdmin):
    """Shows records; changing them is the workflow's business."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(ViewOnlyAdmin):
    """View-only, showing every column, including those no form would edit."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


class ViewOnlyInline(admin.TabularInline):
    """Related records listed on their parent's page, linked but never changed there."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

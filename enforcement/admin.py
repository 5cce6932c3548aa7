"""Django admin for enforcement actions: view-only.

Every change to an action or a target is a workflow step with its audit event
(``enforcement.workflow``), so the admin shows them and changes nothing.
"""

from __future__ import annotations

from django.contrib import admin

from core.admin import ViewOnlyAdmin, ViewOnlyInline
from enforcement.models import Action, ActionTarget


class ActionTargetInline(ViewOnlyInline):
    model = ActionTarget
    fields = readonly_fields = ("target_type", "value", "state", "attempts", "reference", "error")


@admin.register(Action)
class ActionAdmin(ViewOnlyAdmin):
    list_display = ("id", "case", "kind", "state", "proposed_by", "proposed_at")
    list_filter = ("kind", "state")
    inlines = (ActionTargetInline,)


@admin.register(ActionTarget)
class ActionTargetAdmin(ViewOnlyAdmin):
    list_display = ("id", "action", "target_type", "value", "state", "attempts")
    list_filter = ("state", "target_type")
    search_fields = ("value",)

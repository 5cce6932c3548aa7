"""Django admin for enforcement actions: view-only.

Every change to an action or a target is a workflow step with its audit event
(``enforcement.workflow``), so the admin shows them and changes nothing;
and it shows them only to those who may see their case (``cases.admin``).
"""

from __future__ import annotations

from django.contrib import admin

from cases.admin import CaseRowsViewOnlyAdmin
from core.admin import ViewOnlyInline
from enforcement.models import Action, ActionTarget


class ActionTargetInline(ViewOnlyInline):
    model = ActionTarget
    fields = readonly_fields = ("target_type", "value", "state", "attempts", "reference", "error")


@admin.register(Action)
class ActionAdmin(CaseRowsViewOnlyAdmin):
    list_display = ("id", "case", "kind", "state", "proposed_by", "proposed_at")
    list_filter = ("kind", "state")
    inlines = (ActionTargetInline,)


@admin.register(ActionTarget)
class ActionTargetAdmin(CaseRowsViewOnlyAdmin):
    case_path = "action__case"

    list_display = ("id", "action", "target_type", "value", "state", "attempts")
    list_filter = ("state", "target_type")
    search_fields = ("value",)

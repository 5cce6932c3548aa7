"""Django admin for the cases core.

The admin is for administrators running the system, not for working cases:
everything the workflow controls (status, resolution, assignment, approvals,
stage timestamps, hashes, links) is read-only here, so nothing in a case can
change without its audit event. Records (evidence, notes, links) can be
viewed but never added, edited or deleted through the admin. Actions are in
enforcement's admin (``enforcement.admin``).

The admin shows a case and whatever belongs to it only to those the case
pages would show it to (``cases.visibility``), superusers included: every
admin of a case's records filters its rows by their case (``CaseRowsAdmin``),
which also covers search, related lookups and the names of related rows, and
the trail is shown here with the events of hidden cases left out.
"""

from __future__ import annotations

from django.contrib import admin

from audit.admin import AuditEventAdmin
from audit.events import record
from audit.models import AuditEvent
from cases.models import (
    Account,
    AccountIndicator,
    Case,
    CaseAccount,
    Evidence,
    Indicator,
    KnownSharedValue,
    Note,
    ReviewFlag,
)
from cases.visibility import visible_case_rows, visible_cases, visible_events
from core.admin import ViewOnlyAdmin, ViewOnlyInline


class CaseRowsAdmin(admin.ModelAdmin):
    """Rows belonging to a case, shown only to those who may see the case.

    ``case_path`` leads from the row to its case. The admin's lists, search,
    change pages, history and lookups of related rows all start from
    ``get_queryset``, so a hidden case's rows are found nowhere: a change page
    answers as for a row that does not exist.
    """

    case_path = "case"

    def get_queryset(self, request):
        return visible_case_rows(request.user, super().get_queryset(request), self.case_path)


class CaseRowsViewOnlyAdmin(CaseRowsAdmin, ViewOnlyAdmin):
    pass


class AuditedAdmin(admin.ModelAdmin):
    """Edits the admin does allow (a title, a protected flag) are audit events too.

    The admin saves inside a transaction, so the event commits with the change.
    """

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        before = {name: _plain(form.initial.get(name)) for name in form.changed_data}
        after = {name: _plain(form.cleaned_data.get(name)) for name in form.changed_data}
        # Form fields may report a change for an equal value ("[]" against []).
        changed = [name for name in after if not change or before[name] != after[name]]
        if not changed:
            return
        record(
            "admin.changed" if change else "admin.added",
            actor=request.user,
            target=obj,
            cases=[obj] if isinstance(obj, Case) else (),
            before={name: before[name] for name in changed} if change else None,
            after={name: after[name] for name in changed},
            reason="Changed in the Django admin.",
        )


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return str(value)


class CaseAccountInline(ViewOnlyInline):
    model = CaseAccount
    fk_name = "case"
    fields = readonly_fields = ("account", "reason", "linked_by", "linked_by_detector", "linked_at")


class NoteInline(ViewOnlyInline):
    model = Note
    fields = readonly_fields = ("author", "created_at", "body")


CASE_WORKFLOW_FIELDS = (
    "status",
    "resolution",
    "severity",
    "tlp",
    "tags",
    "severity_rank",
    "assignee",
    "escalation_level",
    "attribution_actor",
    "attribution_confidence",
    "attribution_rationale",
    "correlation_key",
    "merged_into_visible",
    "related_cases_visible",
    "alert_count",
    "account_count",
    "evidence_count",
    "version",
    "field_versions",
    "updated_by",
    "created_at",
    "updated_at",
    "last_activity_at",
    "triaged_at",
    "escalated_at",
    "actioned_at",
    "closed_at",
    # The SLA clock follows severity, approvals and hand-backs (docs/case-workflow.md).
    "sla_due_at",
    "sla_paused_at",
    "sla_pause_reasons",
    "sla_paused_for",
    "sla_breached_at",
)


@admin.register(Case)
class CaseAdmin(AuditedAdmin):
    list_display = ("id", "title", "status", "severity", "assignee", "tlp", "last_activity_at")
    list_filter = ("status", "severity", "tlp")
    search_fields = ("title", "correlation_key")
    readonly_fields = CASE_WORKFLOW_FIELDS
    # Shown as the viewer may see them (``merged_into_visible``, ``related_cases_visible``).
    exclude = ("merged_into", "related_cases")
    inlines = (CaseAccountInline, NoteInline)

    def get_queryset(self, request):
        return visible_cases(request.user, super().get_queryset(request))

    def has_add_permission(self, request) -> bool:
        # Cases are opened by the import or on the case pages, with their trail.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_object(self, request, object_id, from_field=None):
        case = super().get_object(request, object_id, from_field)
        if case is not None:
            # The cases this one names, as far as the viewer may see them: a
            # visible case may point at a restricted one.
            visible = visible_cases(request.user)
            case.visible_merged_into = visible.filter(pk=case.merged_into_id).first()
            case.visible_related = list(visible.filter(related_cases=case).order_by("pk"))
        return case

    @admin.display(description="merged into")
    def merged_into_visible(self, case) -> str:
        merged_into = getattr(case, "visible_merged_into", None)
        return str(merged_into) if merged_into is not None else "-"

    @admin.display(description="related cases")
    def related_cases_visible(self, case) -> str:
        return ", ".join(str(related) for related in getattr(case, "visible_related", ())) or "-"


@admin.register(Account)
class AccountAdmin(AuditedAdmin):
    list_display = (
        "external_id",
        "organization_id",
        "country",
        "is_protected",
        "enforcement_state",
    )
    list_filter = ("is_protected", "enforcement_state", "country")
    search_fields = ("external_id", "organization_id", "email_domain")
    # Enforcement state follows what was carried out; only actions change it.
    # Leads flag accounts protected on the case page (cases.workflow), with a reason.
    readonly_fields = (
        "is_protected",
        "protected_reason",
        "enforcement_state",
        "first_seen",
        "last_seen",
    )

    def has_add_permission(self, request) -> bool:
        # Accounts come from alerts, as the import finds them.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        # An account's identity never changes once other records point at it.
        if obj is not None:
            return ("external_id", *self.readonly_fields)
        return self.readonly_fields


@admin.register(Indicator)
class IndicatorAdmin(AuditedAdmin):
    list_display = ("type", "value", "account_count", "is_too_common", "last_seen")
    list_filter = ("type", "is_too_common")
    search_fields = ("value",)
    # Too common is counted by the import, for weak values only (docs/alert-import.md);
    # a strong value is silenced by people, never by ticking a box here.
    readonly_fields = (
        "type",
        "value",
        "first_seen",
        "last_seen",
        "account_count",
        "is_too_common",
    )

    def has_add_permission(self, request) -> bool:
        # Indicators come from alerts, normalised; never typed in by hand.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CaseAccount)
class CaseAccountAdmin(CaseRowsViewOnlyAdmin):
    list_display = ("case", "account", "linked_by", "linked_by_detector", "linked_at")
    search_fields = ("account__external_id",)


@admin.register(AccountIndicator)
class AccountIndicatorAdmin(ViewOnlyAdmin):
    list_display = ("account", "indicator", "first_seen", "last_seen")
    search_fields = ("account__external_id", "indicator__value")


@admin.register(Evidence)
class EvidenceAdmin(CaseRowsViewOnlyAdmin):
    list_display = ("id", "case", "kind", "title", "size", "sha256", "created_at", "redacted_at")
    list_filter = ("kind",)
    search_fields = ("title", "sha256", "original_filename")
    # Reading a sample or file is an audited event, which the admin cannot write.
    exclude = ("content",)


@admin.register(Note)
class NoteAdmin(CaseRowsViewOnlyAdmin):
    list_display = ("id", "case", "author", "created_at")


@admin.register(KnownSharedValue)
class KnownSharedValueAdmin(ViewOnlyAdmin):
    """Read-only: leads keep the list on its page, where every change is audited."""

    list_display = ("type", "value", "added_by", "added_at")
    list_filter = ("type",)
    search_fields = ("value", "reason")


@admin.register(ReviewFlag)
class ReviewFlagAdmin(CaseRowsViewOnlyAdmin):
    """Read-only: leads decide flags on the case page, where the decision is audited."""

    list_display = ("case", "indicator", "kind", "status", "raised_at", "resolved_by")
    list_filter = ("kind", "status")
    search_fields = ("indicator__value",)


@admin.register(AuditEvent)
class CaseAwareAuditEventAdmin(AuditEventAdmin):
    """The trail, without the events of cases hidden from the viewer.

    Registered here, not in ``audit.admin``: the audit writer sits below the
    people and cases who decide who sees which case.
    """

    def get_queryset(self, request):
        return visible_events(request.user, super().get_queryset(request))

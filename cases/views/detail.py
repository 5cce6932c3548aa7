from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import Http404
from django.views.generic import TemplateView

from cases import queries, workflow
from cases.forms import (
    AccountSelectionForm,
    AssignForm,
    AttributionForm,
    EvidenceForm,
    LinkAccountForm,
    MergeForm,
    NoteForm,
    ResolveFlagForm,
    SeverityForm,
    TagsForm,
    TlpForm,
    TransitionForm,
)
from cases.models import OPEN_STATUSES, Case, CaseStatus, EscalationLevel, Resolution
from cases.suggestions import suggested_tags
from cases.views.marks import tlp_choices
from cases.views.panels import BUILDERS, PANEL_NAMES, panel_context
from people.permissions import RoleRequiredMixin
from people.roles import CASE_READERS, INVESTIGATORS_AND_LEADS

# Steps people know by their own name rather than by the status they lead to.
NAMED_STEPS = {
    (CaseStatus.ESCALATED, CaseStatus.INVESTIGATING): "Hand back",
    (CaseStatus.ESCALATED, CaseStatus.ESCALATED): "Escalate higher",
    (CaseStatus.CLOSED, CaseStatus.INVESTIGATING): "Reopen",
}


def transition_choices(case: Case, user) -> list[dict]:
    """The transition buttons: exactly what the workflow allows ``user`` from here."""
    choices = []
    for allowed in workflow.allowed_transitions(case, user):
        target = allowed.to_status
        label = CaseStatus(target).label
        entry = {
            "to_status": target,
            "label": label,
            "button": NAMED_STEPS.get((case.status, target), f"Move to {label.lower()}"),
        }
        if target == CaseStatus.CLOSED:
            entry["resolutions"] = [(r, Resolution(r).label) for r in allowed.resolutions]
            if case.status == CaseStatus.ESCALATED:
                # Asked for on the form (and checked by TransitionView): they lose the case.
                level = case.get_escalation_level_display()
                entry["confirm"] = f"Close although it is escalated to {level}"
        if target == CaseStatus.ESCALATED:
            entry["levels"] = [c for c in EscalationLevel.choices if c[0] in allowed.levels]
        # Whoever escalated it reads why it came back, or why it went further.
        entry["reason_required"] = (
            case.status == CaseStatus.ESCALATED and target != CaseStatus.CLOSED
        )
        choices.append(entry)
    return choices


def assignable_people() -> list[str]:
    """Usernames a lead may assign (active investigators and leads), for the form's suggestions."""
    return list(
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=INVESTIGATORS_AND_LEADS)
        .order_by("username")
        .values_list("username", flat=True)
        .distinct()[:500]
    )


def capabilities(case: Case, user) -> dict[str, bool]:
    """Which forms the page offers: the workflow's own predicates, so a form
    is shown exactly when the workflow would accept it."""
    return {
        "work": workflow.may_work_on(user, case),
        "assign_self": workflow.may_assign(user, case, user) and case.assignee_id != user.pk,
        "assign_others": workflow.may_assign_anyone(user, case),
        "note": workflow.may_add_note(user, case),
        "resolve_flags": workflow.may_resolve_flag(user, case),
        "merge": workflow.may_merge(user, case) and workflow.takes_merges(case),
        "mark": workflow.may_mark(user, case),
        "protect_accounts": workflow.may_protect_accounts(user),
    }


def _forms(case: Case, bound_forms: dict) -> dict:
    version = {"version": case.version}
    forms = {
        "assign_form": AssignForm(initial=version),
        "severity_form": SeverityForm(initial={**version, "severity": case.severity}),
        "attribution_form": AttributionForm(
            initial={
                **version,
                "suspected_actor": case.attribution_actor,
                "confidence": case.attribution_confidence,
                "rationale": case.attribution_rationale,
            }
        ),
        "transition_form": TransitionForm(initial=version),
        "link_form": LinkAccountForm(),
        "note_form": NoteForm(),
        "evidence_form": EvidenceForm(),
        "flag_form": ResolveFlagForm(),
        "merge_form": MergeForm(initial=version),
        "tlp_form": TlpForm(initial={**version, "tlp": case.tlp}),
        "tags_form": TagsForm(),
        "selection_form": AccountSelectionForm(initial=version),
    }
    forms.update(bound_forms)
    return forms


def _counts(case: Case) -> dict:
    """The counts the header and the panels' headings show (one query)."""
    return {
        "counts": queries.capped_counts(case),
        "count_cap": queries.COUNT_CAP,
        "share_cap": queries.SHARE_COUNT_CAP,
    }


def _panels(request, case: Case, names, *, alone: bool) -> dict:
    """The panels' pages, and which related cases the page offers to merge."""
    context = panel_context(request, case, names, alone=alone)
    if "related" in context:
        context["mergeable_ids"] = {
            other.pk for other in context["related"].items if workflow.may_be_merged(other)
        }
    return context


def case_page_context(request, case: Case, **bound_forms) -> dict:
    """Everything the case page shows; ``bound_forms`` replace a blank form after an error."""
    user = request.user
    return {
        "case": case,
        "is_open": case.status in OPEN_STATUSES,
        "is_overdue": case.is_overdue,
        **_counts(case),
        "assignable": assignable_people() if workflow.may_assign_anyone(user, case) else [],
        "can": capabilities(case, user),
        "transitions": transition_choices(case, user),
        "review_flags": queries.review_flags(user, case),
        "tlp_choices": tlp_choices(case, user),
        "suggested_tags": suggested_tags(case) if workflow.may_mark(user, case) else [],
        **_panels(request, case, BUILDERS, alone=False),
        **_forms(case, bound_forms),
    }


class CaseDetailView(RoleRequiredMixin, TemplateView):
    """The case page: a summary header, then each panel's first page (or the page a link asks for)."""

    allowed_roles = CASE_READERS
    template_name = "cases/detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        case = queries.case_for(self.request.user, kwargs["pk"])
        if case is None:
            raise Http404("No such case.")
        context.update(case_page_context(self.request, case))
        return context


class CasePanelView(RoleRequiredMixin, TemplateView):
    """One panel of the case page alone, at the page its ``after`` names."""

    allowed_roles = CASE_READERS

    def get_template_names(self) -> list[str]:
        return [f"cases/panels/_{self.kwargs['panel']}.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        panel = kwargs["panel"]
        if panel not in PANEL_NAMES:
            raise Http404("No such panel.")
        case = queries.case_for(self.request.user, kwargs["pk"])
        if case is None:
            raise Http404("No such case.")
        context.update(
            {
                "case": case,
                "can": capabilities(case, self.request.user),
                **_counts(case),
                **_panels(self.request, case, [panel], alone=True),
                **_forms(case, {}),
            }
        )
        return context

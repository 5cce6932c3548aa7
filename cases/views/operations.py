"""The case page's forms. Each calls one workflow function and nothing else.

A form error re-renders the page with the error next to the field (400); a
change based on an old version of the case is refused with who changed it
and when (409); an operation the person's roles do not allow is refused
(and audited) by the workflow and shown as the refusal page (403).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from cases import forms as case_forms
from cases import queries, workflow
from cases.models import Case, CaseStatus, ReviewFlag
from cases.views.detail import case_page_context
from core.pages import RefusalPageMixin
from people.permissions import RoleRequiredMixin
from people.roles import CASE_READERS


def apply_validation_error(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class CaseOperationView(RefusalPageMixin, RoleRequiredMixin, View):
    # Reaching the view needs a case-working role; the workflow checks the rest.
    allowed_roles = CASE_READERS
    http_method_names = ["post"]
    form_class: type[forms.Form]
    form_name: str
    anchor: str = ""

    def perform(self, case: Case, data: dict, **kwargs) -> str:
        """Call the workflow; ``data["version"]`` (when the form has one) is
        passed on, so a change based on an old version is refused."""
        raise NotImplementedError

    def refusal_back(self) -> tuple[str, str]:
        pk = self.kwargs["pk"]
        return reverse("cases:detail", args=[pk]), f"Back to case #{pk}"

    def post(self, request, pk: int, **kwargs) -> HttpResponse:
        case = queries.case_for(request.user, pk)
        if case is None:
            raise Http404("No such case.")
        form = self.form = self.form_class(request.POST, request.FILES)
        if not form.is_valid():
            return self.rerender(case, form, status=400)
        # A forbidden operation escapes to RefusalPageMixin (the workflow audited it).
        try:
            message = self.perform(case, form.cleaned_data, **kwargs)
        except workflow.StaleCase as exc:
            data = request.POST.copy()
            data["version"] = exc.case.version
            form = self.form_class(data, request.FILES)
            form.is_valid()
            form.add_error(None, str(exc))
            return self.rerender(queries.case_for(request.user, pk), form, status=409)
        except ValidationError as exc:
            apply_validation_error(form, exc)
            return self.rerender(queries.case_for(request.user, pk), form, status=400)
        messages.success(request, message)
        return redirect(self.success_url(case))

    def success_url(self, case: Case) -> str:
        return reverse("cases:detail", args=[case.pk]) + self.anchor

    def rerender(self, case: Case, form: forms.Form, *, status: int) -> HttpResponse:
        context = case_page_context(self.request, case, **{self.form_name: form})
        context["failed_form"] = self.form_name
        return render(self.request, "cases/detail.html", context, status=status)


class AssignView(CaseOperationView):
    form_class = case_forms.AssignForm
    form_name = "assign_form"

    def perform(self, case, data, **kwargs):
        user = self.request.user
        assignee = queries.assignee_named(data["assignee"], user)
        workflow.assign(
            case.pk, assignee, actor=user, reason=data["reason"], version=data["version"]
        )
        if assignee is None:
            return "Unassigned: the case waits in the queue for someone to take it."
        return f"Assigned to {assignee.get_username()}: the case is in their queue."


class SeverityView(CaseOperationView):
    form_class = case_forms.SeverityForm
    form_name = "severity_form"

    def perform(self, case, data, **kwargs):
        workflow.set_severity(
            case.pk,
            data["severity"],
            actor=self.request.user,
            reason=data["reason"],
            version=data["version"],
        )
        return f"Severity set to {data['severity']}."


class AttributionView(CaseOperationView):
    form_class = case_forms.AttributionForm
    form_name = "attribution_form"
    anchor = "#attribution"

    def perform(self, case, data, **kwargs):
        workflow.set_attribution(
            case.pk,
            suspected_actor=data["suspected_actor"],
            confidence=data["confidence"],
            rationale=data["rationale"],
            actor=self.request.user,
            version=data["version"],
        )
        return "Attribution saved."


class TransitionView(CaseOperationView):
    form_class = case_forms.TransitionForm
    form_name = "transition_form"

    def perform(self, case, data, **kwargs):
        to_status = data["to_status"]
        closing_escalated = case.status == CaseStatus.ESCALATED and to_status == CaseStatus.CLOSED
        if closing_escalated and not data["confirm"]:
            level = case.get_escalation_level_display()
            raise ValidationError(
                {"confirm": f"Confirm closing: the case is escalated to {level}, who lose it."}
            )
        source = case.status
        case = workflow.transition(
            case.pk,
            to_status,
            actor=self.request.user,
            reason=data["reason"],
            resolution=data["resolution"] or None,
            level=data["level"] or None,
            version=data["version"],
        )
        return transition_message(source, case)


def transition_message(source: str, case: Case) -> str:
    """What a status change did and who acts next."""
    if case.status == CaseStatus.ESCALATED:
        level = case.get_escalation_level_display()
        return f"Case escalated to {level}: it is in their queue; they or a lead hand it back."
    if case.status == CaseStatus.CLOSED:
        return f"Case closed as {case.get_resolution_display().lower()}; a lead can reopen it."
    if source == CaseStatus.ESCALATED:
        return "Case handed back: it is investigating again."
    if source == CaseStatus.CLOSED:
        return "Case reopened: it is investigating again."
    return f"Case moved to {case.get_status_display().lower()}."


class LinkAccountView(CaseOperationView):
    form_class = case_forms.LinkAccountForm
    form_name = "link_form"
    anchor = "#accounts"

    def perform(self, case, data, **kwargs):
        account = queries.account_to_link(data["external_id"])
        workflow.link_account(case.pk, account, actor=self.request.user, reason=data["reason"])
        return f"Account {account.external_id} linked."


class AccountSelectionView(CaseOperationView):
    """The accounts panel's selection: unlink the ticked accounts, protect them
    or lift their protection (leads), with one reason."""

    form_class = case_forms.AccountSelectionForm
    form_name = "selection_form"
    anchor = "#accounts"

    def perform(self, case, data, **kwargs):
        form = case_forms.AccountSelectionForm
        ids, reason, actor = data["accounts"], data["reason"], self.request.user
        if data["operation"] == form.UNLINK:
            names = workflow.unlink_accounts(
                case.pk, ids, actor=actor, reason=reason, version=data["version"]
            )
            return f"{accounts_said(names)} unlinked."
        protected = data["operation"] == form.PROTECT
        accounts = workflow.set_accounts_protected(case, ids, protected, actor=actor, reason=reason)
        names = [account.external_id for account in accounts]
        are = "is" if len(names) == 1 else "are"
        if protected:
            them = "it" if len(names) == 1 else "them"
            return (
                f"{accounts_said(names)} {are} protected: no action touches {them} "
                "unless a lead overrides."
            )
        return f"{accounts_said(names)} {are} no longer protected."


def accounts_said(names: list[str], shown: int = 5) -> str:
    """ "Account a", "Accounts a, b and c", or "12 accounts" past ``shown`` names."""
    if len(names) == 1:
        return f"Account {names[0]}"
    if len(names) > shown:
        return f"{len(names)} accounts"
    return f"Accounts {', '.join(names[:-1])} and {names[-1]}"


class MergeView(CaseOperationView):
    """A lead merges a related case into this one (cases.workflow.merge_cases)."""

    form_class = case_forms.MergeForm
    form_name = "merge_form"
    anchor = "#related"

    def perform(self, case, data, **kwargs):
        other = queries.case_for(self.request.user, data["other"])
        if other is None:
            raise ValidationError({"other": f"No case #{data['other']} to merge."})
        workflow.merge_cases(
            case.pk,
            [other.pk],
            actor=self.request.user,
            reason=data["reason"],
            version=data["version"],
        )
        return (
            f"Case #{other.pk} merged into this case: it is closed as a duplicate, "
            "and its accounts, alerts and evidence are here now."
        )


class NoteView(CaseOperationView):
    form_class = case_forms.NoteForm
    form_name = "note_form"
    anchor = "#notes"

    def perform(self, case, data, **kwargs):
        workflow.add_note(case.pk, data["body"], actor=self.request.user)
        return "Note added."


class EvidenceUploadView(CaseOperationView):
    form_class = case_forms.EvidenceForm
    form_name = "evidence_form"
    anchor = "#evidence"

    def perform(self, case, data, **kwargs):
        try:
            item = workflow.add_evidence_file(
                case.pk,
                data["file"],
                actor=self.request.user,
                title=data["title"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                raise
            raise ValidationError({"file": exc.messages}) from exc
        return f"Evidence “{item.title}” stored, SHA-256 {item.sha256}."


class ResolveFlagView(CaseOperationView):
    form_class = case_forms.ResolveFlagForm
    form_name = "flag_form"
    anchor = "#review-flags"

    def perform(self, case, data, **kwargs):
        flag = get_object_or_404(ReviewFlag, pk=kwargs["flag_id"], case=case)
        flag = workflow.resolve_flag(
            flag, data["decision"], actor=self.request.user, reason=data["reason"]
        )
        if data["decision"] == "list":
            return f"{flag.indicator.value} is known shared: it joins no case from now on."
        return f"The flag on {flag.indicator.value} is dismissed."

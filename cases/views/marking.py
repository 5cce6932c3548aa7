"""The case page's forms that mark a case (TLP, tags) and protect its accounts."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse

from cases import forms as case_forms
from cases import queries, workflow
from cases.models import Case, CaseAccount, Tlp
from cases.views.operations import CaseOperationView


class TlpView(CaseOperationView):
    form_class = case_forms.TlpForm
    form_name = "tlp_form"
    anchor = "#marking"

    def perform(self, case, data, **kwargs):
        workflow.set_tlp(
            case.pk,
            data["tlp"],
            actor=self.request.user,
            reason=data["reason"],
            version=data["version"],
        )
        return f"Case #{case.pk} is {Tlp(data['tlp']).label} now."

    def success_url(self, case: Case) -> str:
        # Restricted without being its assignee: the case page would be "not found".
        if queries.case_for(self.request.user, case.pk) is None:
            return reverse("cases:queue")
        return super().success_url(case)


class TagsView(CaseOperationView):
    form_class = case_forms.TagsForm
    form_name = "tags_form"
    anchor = "#marking"

    def perform(self, case, data, **kwargs):
        added, removed = self.form.tags_to_add(), self.form.tags_to_remove()
        workflow.change_tags(case.pk, add=added, remove=removed, actor=self.request.user)
        said = [f"Tagged {', '.join(added)}"] if added else []
        said += [f"Tag {', '.join(removed)} removed"] if removed else []
        return "; ".join(said) + "."


class ProtectAccountView(CaseOperationView):
    """A lead flags an account of the case protected, or lifts the flag."""

    form_class = case_forms.ProtectAccountForm
    form_name = "protect_form"
    anchor = "#accounts"

    def perform(self, case, data, **kwargs):
        link = get_object_or_404(
            CaseAccount.objects.select_related("account"),
            case=case,
            account_id=kwargs["account_id"],
        )
        account = workflow.set_account_protected(
            link.account,
            data["protected"],
            actor=self.request.user,
            reason=data["reason"],
            case=case,
        )
        if account.is_protected:
            return (
                f"Account {account.external_id} is protected: no action touches it "
                "unless a lead overrides."
            )
        return f"Account {account.external_id} is no longer protected."

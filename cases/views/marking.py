"""The case page's forms that mark a case: its TLP and its tags."""

from __future__ import annotations

from django.urls import reverse

from cases import forms as case_forms
from cases import queries, workflow
from cases.models import Case, Tlp
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

"""Forms of the case page. They validate input only; the workflow decides."""

from __future__ import annotations

from django import forms

from cases.models import CaseStatus, EscalationLevel, Resolution, Severity

CONFIDENCE_CHOICES = [("", "—"), ("low", "Low"), ("medium", "Medium"), ("high", "High")]


class VersionedForm(forms.Form):
    """Carries the case version the person saw, so a stale change can be refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class AssignForm(VersionedForm):
    assignee = forms.CharField(
        required=False,
        max_length=150,
        help_text='"me", a username, or empty to unassign.',
    )
    reason = forms.CharField(required=False, max_length=2000)


class SeverityForm(VersionedForm):
    severity = forms.ChoiceField(choices=Severity.choices)
    reason = forms.CharField(required=False, max_length=2000)


class AttributionForm(VersionedForm):
    suspected_actor = forms.CharField(required=False, max_length=200, label="Suspected actor")
    confidence = forms.ChoiceField(required=False, choices=CONFIDENCE_CHOICES)
    rationale = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class TransitionForm(VersionedForm):
    to_status = forms.ChoiceField(choices=CaseStatus.choices, widget=forms.HiddenInput)
    resolution = forms.ChoiceField(required=False, choices=[("", "—"), *Resolution.choices])
    level = forms.ChoiceField(required=False, choices=[("", "—"), *EscalationLevel.choices])
    reason = forms.CharField(required=False, max_length=2000)


class LinkAccountForm(forms.Form):
    external_id = forms.CharField(max_length=200, label="Account id")
    reason = forms.CharField(max_length=2000, label="Why it belongs to this case")


class UnlinkAccountForm(VersionedForm):
    reason = forms.CharField(max_length=2000, label="Why it does not belong")


class NoteForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), label="Note", help_text="Markdown."
    )


class EvidenceForm(forms.Form):
    file = forms.FileField()
    title = forms.CharField(required=False, max_length=300)
    reason = forms.CharField(required=False, max_length=2000)

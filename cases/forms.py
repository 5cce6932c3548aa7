"""Forms of the case page. They validate input only; the workflow decides."""

from __future__ import annotations

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.functional import cached_property

from cases import evidence_store
from cases.models import (
    STRONG_INDICATOR_CHOICES,
    CaseStatus,
    EscalationLevel,
    Resolution,
    Severity,
    Tlp,
)
from core import text_limits as limits
from core.text_limits import LimitedText

CONFIDENCE_CHOICES = [("", "—"), ("low", "Low"), ("medium", "Medium"), ("high", "High")]


class CaseForm(forms.Form):
    """Several of these share the case page: each gets its own id prefix."""

    id_prefix = "case"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class VersionedForm(CaseForm):
    """Carries the case version the person saw, so a stale change can be refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class AssignForm(VersionedForm):
    id_prefix = "assign"
    assignee = forms.CharField(
        required=False,
        max_length=150,
        help_text='"me", a username, or empty to unassign.',
        widget=forms.TextInput(attrs={"list": "assignable-people"}),
    )
    reason = LimitedText(limits.REASON, "The reason", required=False)


class SeverityForm(VersionedForm):
    id_prefix = "severity"
    severity = forms.ChoiceField(choices=Severity.choices)
    reason = LimitedText(limits.REASON, "The reason", required=False)


class AttributionForm(VersionedForm):
    id_prefix = "attribution"
    suspected_actor = LimitedText(
        limits.SUSPECTED_ACTOR, "The suspected actor", required=False, label="Suspected actor"
    )
    confidence = forms.ChoiceField(required=False, choices=CONFIDENCE_CHOICES)
    rationale = LimitedText(
        limits.RATIONALE,
        "The rationale",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TransitionForm(VersionedForm):
    id_prefix = "transition"
    to_status = forms.ChoiceField(choices=CaseStatus.choices, widget=forms.HiddenInput)
    resolution = forms.ChoiceField(required=False, choices=[("", "—"), *Resolution.choices])
    level = forms.ChoiceField(required=False, choices=[("", "—"), *EscalationLevel.choices])
    reason = LimitedText(limits.REASON, "The reason", required=False)
    # Closing an escalated case takes it from the people it was escalated to.
    confirm = forms.BooleanField(required=False, label="Close although escalated")


class TlpForm(VersionedForm):
    id_prefix = "tlp"
    tlp = forms.ChoiceField(choices=Tlp.choices, label="TLP marking")
    reason = LimitedText(limits.REASON, "The reason", required=False)


class TagsForm(CaseForm):
    """Tags to add (comma-separated) or one to remove."""

    id_prefix = "tags"
    add = LimitedText(
        limits.TAGS_AT_ONCE,
        "The list of tags to add",
        required=False,
        label="Add tags",
        help_text="Separate tags with commas.",
    )
    remove = LimitedText(limits.TAG, "The tag to remove", required=False)

    def tags_to_add(self) -> list[str]:
        return [tag for tag in self.cleaned_data["add"].split(",") if tag.strip()]

    def tags_to_remove(self) -> list[str]:
        return [self.cleaned_data["remove"]] if self.cleaned_data["remove"].strip() else []


class LinkAccountForm(CaseForm):
    id_prefix = "link"
    external_id = forms.CharField(max_length=200, label="Account id")
    reason = LimitedText(limits.REASON, "The reason", label="Why it belongs to this case")


class AccountIdsField(forms.Field):
    """The ids of the accounts ticked in the accounts panel (``accounts``, repeated)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": "Select at least one account.",
        "invalid": "The selected accounts are not account ids.",
        "too_many": "Select at most %(limit)s accounts at once.",
    }

    def __init__(self, *, limit: int, **kwargs):
        self.limit = limit
        super().__init__(**kwargs)

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        try:
            ids = [int(item) for item in value]
        except (TypeError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if any(not 0 < item < 2**63 for item in ids):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return list(dict.fromkeys(ids))

    def validate(self, value: list[int]) -> None:
        super().validate(value)
        if len(value) > self.limit:
            raise forms.ValidationError(
                self.error_messages["too_many"], code="too_many", params={"limit": self.limit}
            )


class AccountSelectionForm(VersionedForm):
    """The accounts panel's one form: the ticked accounts, and the button pressed
    (unlink them, protect them, lift their protection), with one reason."""

    id_prefix = "selection"
    UNLINK, PROTECT, UNPROTECT = "unlink", "protect", "unprotect"
    # A page of the accounts panel at a time, with room for a longer one.
    LIMIT = 200

    accounts = AccountIdsField(limit=LIMIT)
    operation = forms.ChoiceField(
        choices=[(UNLINK, "Unlink"), (PROTECT, "Protect"), (UNPROTECT, "Lift protection")],
        error_messages={"required": "Choose what to do with the selected accounts."},
    )
    reason = LimitedText(limits.REASON, "The reason")

    @cached_property
    def ticked(self) -> set[int]:
        """The account ids sent, well-formed or not, so a re-rendered page keeps them ticked."""
        if not self.is_bound:
            return set()
        ids = set()
        for item in self["accounts"].data or []:
            try:
                ids.add(int(item))
            except (TypeError, ValueError):
                continue
        return ids


class MergeForm(VersionedForm):
    """Merge a related case into this one: a reason, and a confirmation that the
    other case is closed as a duplicate of this one."""

    id_prefix = "merge"
    other = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = LimitedText(limits.REASON, "The reason", label="Why they are one case")
    confirm = forms.BooleanField(
        label="Close the other case as a duplicate of this one", required=True
    )


class NoteForm(CaseForm):
    id_prefix = "note"
    body = LimitedText(
        limits.NOTE,
        "The note",
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Note",
        help_text=f"Markdown, at most {limits.NOTE:,} characters.",
    )


class EvidenceForm(CaseForm):
    id_prefix = "evidence"
    file = forms.FileField()
    title = LimitedText(limits.TITLE, "The title", required=False)
    reason = LimitedText(limits.REASON, "The reason", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read per form: the limit is a setting. The page's script refuses a
        # larger file before it is sent (static/js/file-limit.js).
        limit = evidence_store.max_bytes()
        field = self.fields["file"]
        field.help_text = f"At most {filesizeformat(limit)} ({limit:,} bytes)."
        field.widget.attrs["data-max-bytes"] = str(limit)
        field.widget.attrs["aria-describedby"] = f"{self.id_prefix}_file_hint"


class KnownSharedForm(forms.Form):
    """A strong value to put on the known-shared list, with why."""

    type = forms.ChoiceField(choices=STRONG_INDICATOR_CHOICES)
    value = forms.CharField(
        max_length=1300,
        help_text="As the case page shows it; a prompt cluster as <detector>/<cluster>.",
    )
    reason = LimitedText(limits.DECISION, "The reason", widget=forms.Textarea(attrs={"rows": 2}))


class RemoveKnownSharedForm(forms.Form):
    """Taking a value off the list: a reason, and a confirmation."""

    reason = LimitedText(limits.DECISION, "The reason", widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(
        label="Yes: this value joins cases again from the next imported batch on."
    )


class ResolveFlagForm(CaseForm):
    """A lead's decision on a value flagged for review."""

    id_prefix = "flag"
    decision = forms.ChoiceField(
        choices=[("list", "Put on the known-shared list"), ("dismiss", "Dismiss the flag")]
    )
    reason = LimitedText(limits.DECISION, "The reason")

from __future__ import annotations

from django import forms

from enforcement.models import ActionKind


class ProposeForm(forms.Form):
    kind = forms.ChoiceField(choices=ActionKind.choices)
    targets = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One per line as type:value (account:acct_1, cidr:198.51.100.0/24). "
        "Leave empty to act on every account linked to the case.",
    )
    requests_per_minute = forms.IntegerField(
        required=False, min_value=0, help_text="rate_limit only"
    )
    summary = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="notify_partner only"
    )
    notice = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What the platform shows the account; kept for appeals.",
    )
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    expires_at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Optional: Dossier reverts the action at this time (UTC).",
    )

    def target_specs(self) -> list[tuple[str, str]] | None:
        lines = [line.strip() for line in self.cleaned_data["targets"].splitlines()]
        specs = []
        for line in filter(None, lines):
            kind, sep, value = line.partition(":")
            if not sep:
                raise forms.ValidationError({"targets": f"{line!r} is not type:value."})
            specs.append((kind.strip(), value.strip()))
        return specs or None

    def params(self) -> dict:
        kind = self.cleaned_data["kind"]
        if kind == ActionKind.RATE_LIMIT:
            return {"requests_per_minute": self.cleaned_data.get("requests_per_minute")}
        if kind == ActionKind.NOTIFY_PARTNER:
            return {"summary": self.cleaned_data.get("summary") or ""}
        return {}


class DecisionForm(forms.Form):
    comment = forms.CharField(required=False, max_length=4000)

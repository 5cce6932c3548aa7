from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms

from core import text_limits as limits
from core.text_limits import LimitedText
from enforcement.models import KIND_TARGET_TYPES, ActionKind, TargetType

# The fields every kind uses; the others belong to the kinds named in KIND_FIELDS.
COMMON_FIELDS = ("kind", "targets", "rationale")
ACCOUNT_KINDS = frozenset(
    k for k, types in KIND_TARGET_TYPES.items() if TargetType.ACCOUNT in types
)
KIND_FIELDS: dict[str, frozenset[str]] = {
    "requests_per_minute": frozenset({ActionKind.RATE_LIMIT}),
    "summary": frozenset({ActionKind.NOTIFY_PARTNER}),
    # What the platform shows an account it acts on.
    "notice": ACCOUNT_KINDS,
    # A partner once told cannot be untold: nothing to revert at expiry.
    "expires_at": frozenset(ActionKind.values) - {ActionKind.NOTIFY_PARTNER},
}
# Filled by the page's script with the browser's time zone; without it the
# expiry is read as UTC, which the page then names beside the field.
ZONE_FIELDS = ("tz_name", "tz_offset")


def kinds_using(field: str) -> frozenset[str]:
    return KIND_FIELDS.get(field, frozenset(ActionKind.values))


def targets_hint(kind: str) -> str:
    types = ", ".join(sorted(KIND_TARGET_TYPES[kind]))
    hint = f"One per line as type:value, of type {types}."
    if kind in ACCOUNT_KINDS:
        hint += " Leave empty to act on every account linked to the case."
    return hint


class ProposeForm(forms.Form):
    kind = forms.ChoiceField(choices=ActionKind.choices)
    targets = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    requests_per_minute = forms.IntegerField(
        required=False, min_value=0, label="Requests per minute"
    )
    summary = LimitedText(
        limits.PARTNER_SUMMARY,
        "The summary",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What the partner is told.",
    )
    notice = LimitedText(
        limits.NOTICE,
        "The notice",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What the platform shows the account; kept for appeals.",
    )
    rationale = LimitedText(
        limits.RATIONALE, "The rationale", widget=forms.Textarea(attrs={"rows": 3})
    )
    expires_at = forms.DateTimeField(
        required=False,
        label="Expires at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Optional: Dossier reverts the action at this time.",
    )
    tz_name = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)
    tz_offset = forms.IntegerField(
        required=False, min_value=-24 * 60, max_value=24 * 60, widget=forms.HiddenInput
    )

    @classmethod
    def for_kind(cls, data) -> ProposeForm:
        """An unbound form keeping what was typed, but only in the fields ``data``'s kind uses."""
        kind = data.get("kind") or ""
        return cls(initial={k: v for k, v in data.items() if kind in kinds_using(k)})

    def selected_kind(self) -> str:
        """The kind whose fields the page shows: the one asked for, else the first."""
        value = (self.data.get("kind") if self.is_bound else self.initial.get("kind")) or ""
        return value if value in ActionKind.values else ActionKind.values[0]

    def fields_for_page(self) -> list[dict]:
        """Each visible field, with the kinds it belongs to and whether the chosen one uses it."""
        kind = self.selected_kind()
        return [
            {
                "field": self[name],
                "kinds": " ".join(sorted(kinds_using(name))),
                # A field in error is shown whatever the kind, so the error is seen.
                "shown": kind in kinds_using(name) or bool(self[name].errors),
            }
            for name in self.fields
            if name not in ZONE_FIELDS
        ]

    def targets_hints(self) -> list[dict]:
        kind = self.selected_kind()
        return [
            {"kind": value, "text": targets_hint(value), "shown": value == kind}
            for value in ActionKind.values
        ]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if not kind:
            return data
        label = ActionKind(kind).label
        for name, kinds in KIND_FIELDS.items():
            if kind not in kinds and data.get(name) not in (None, ""):
                self.add_error(name, f"{label} does not use this field; leave it empty.")
        if kind == ActionKind.RATE_LIMIT and data.get("requests_per_minute") is None:
            self.add_error("requests_per_minute", "A rate limit needs requests per minute.")
        if kind == ActionKind.NOTIFY_PARTNER and not (data.get("summary") or "").strip():
            self.add_error("summary", "Tell the partner something: a summary is needed.")
        if data.get("expires_at") is not None:
            data["expires_at"] = self._in_utc(data["expires_at"])
        return data

    def zone(self) -> tuple[str, timezone | ZoneInfo]:
        """The zone the expiry was entered in, and its name: the browser's, else UTC."""
        name = (self.cleaned_data.get("tz_name") or "").strip()
        if name:
            try:
                return name, ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                pass
        offset = self.cleaned_data.get("tz_offset")
        if offset:
            # JavaScript's getTimezoneOffset: minutes to add to local time for UTC.
            return f"UTC{-offset / 60:+g}", timezone(timedelta(minutes=-offset))
        return "UTC", UTC

    def _in_utc(self, value: datetime) -> datetime:
        # Django read the wall-clock time as UTC (TIME_ZONE); it was the browser's.
        _, zone = self.zone()
        return value.replace(tzinfo=None).replace(tzinfo=zone).astimezone(UTC)

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
    comment = LimitedText(limits.DECISION, "The comment", required=False)

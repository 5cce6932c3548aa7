"""Event webhooks in the Django admin, for the administrator role (docs/webhooks.md).

An administrator registers endpoints and the event kinds each wants; every
change is an audit event. The secret is write-only: one generated for a new
endpoint is shown once, on the page answering the save, and never again.
Deliveries are read-only: their state belongs to the worker.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import transaction
from django.template.response import TemplateResponse

from audit.events import record
from core.admin import ReadOnlyAdmin
from webhooks.models import EVENT_KIND_CHOICES, WebhookDelivery, WebhookEndpoint, new_secret

EDITABLE_FIELDS = ("name", "url", "event_kinds", "active")


class EndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    event_kinds = forms.MultipleChoiceField(
        choices=EVENT_KIND_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    new_secret = forms.CharField(
        required=False,
        strip=True,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        label="New secret",
        help_text="Leave blank to keep the secret (a new endpoint gets one generated, shown once).",
    )

    class Meta:
        model = WebhookEndpoint
        fields = EDITABLE_FIELDS


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ("name", "url", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "url")
    fields = (*EDITABLE_FIELDS, "new_secret", "created_at")
    readonly_fields = ("created_at",)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Its deliveries are its history: switch an endpoint off instead.
        return False

    def save_model(self, request, obj, form, change) -> None:
        given = form.cleaned_data.get("new_secret")
        if given:
            obj.secret = given
        elif not change:
            obj.secret = new_secret()
            request._webhook_secret_shown_once = obj.secret
        changed = [name for name in form.changed_data if name != "new_secret"]
        with transaction.atomic():
            obj.save()
            after = {name: form.cleaned_data[name] for name in changed}
            if given or not change:
                after["secret"] = "(new secret)"  # never its value: the trail is widely read
            if after:
                record(
                    "webhook.endpoint_changed" if change else "webhook.endpoint_added",
                    actor=request.user,
                    target=obj,
                    before={name: form.initial.get(name) for name in changed} if change else None,
                    after=after,
                    reason="Changed in the Django admin.",
                )

    def response_add(self, request, obj, post_url_continue=None):
        secret = getattr(request, "_webhook_secret_shown_once", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        # Shown in this answer only, not put in a message (which may live in a cookie).
        context = {
            **self.admin_site.each_context(request),
            "title": f"Secret of {obj}",
            "endpoint": obj,
            "secret": secret,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "webhooks/secret_once.html", context)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "endpoint",
        "verb",
        "event_id",
        "state",
        "attempts",
        "last_status_code",
        "last_attempt_at",
        "delivered_at",
    )
    list_filter = ("state", "endpoint", "verb")
    list_select_related = ("endpoint",)
    show_full_result_count = False

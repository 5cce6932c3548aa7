"""The profile page: a person's roles and personal API tokens."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from audit.events import record
from people.permissions import RoleRequiredMixin
from people.roles import ALL_ROLES
from people.tokens import PersonalToken

MAX_ACTIVE_TOKENS = 20


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Token name", help_text="What it is for.")


@method_decorator(never_cache, name="dispatch")
class ProfileView(RoleRequiredMixin, TemplateView):
    """Every role may manage its own tokens; a token acts with exactly its owner's roles."""

    allowed_roles = ALL_ROLES
    template_name = "people/profile.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", TokenForm())
        context["tokens"] = list(PersonalToken.objects.filter(user=self.request.user))
        return context

    def post(self, request, *args, **kwargs):
        form = TokenForm(request.POST)
        active = PersonalToken.objects.active().filter(user=request.user).count()
        if form.is_valid() and active >= MAX_ACTIVE_TOKENS:
            form.add_error(None, f"You already have {active} active tokens; revoke one first.")
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        with transaction.atomic():
            token, clear = PersonalToken.issue(request.user, form.cleaned_data["name"])
            record("token.created", actor=request.user, target=token)
        # Shown in this answer only (never stored, never put in a cookie or message).
        return self.render_to_response(self.get_context_data(new_token=clear, new=token))


class RevokeTokenView(RoleRequiredMixin, TemplateView):
    allowed_roles = ALL_ROLES
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        with transaction.atomic():
            token = get_object_or_404(
                PersonalToken.objects.select_for_update(), pk=kwargs["pk"], user=request.user
            )
            if token.revoked_at is None:
                token.revoked_at = timezone.now()
                token.save(update_fields=["revoked_at"])
                record("token.revoked", actor=request.user, target=token)
        messages.success(request, f"Token “{token.name}” revoked.")
        return redirect("people:profile")

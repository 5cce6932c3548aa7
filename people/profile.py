"""The profile page: a person's roles and personal API tokens."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from people.permissions import RoleRequiredMixin
from people.roles import ALL_ROLES
from people.tokens import (
    PersonalToken,
    TokenRefused,
    issue_personal_token,
    revoke_personal_token,
)


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Token name", help_text="What it is for.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Made here, not in the class: the limits are settings, read per form.
        maximum = settings.PERSONAL_TOKEN_MAX_DAYS
        self.fields["days"] = forms.IntegerField(
            label="Expires after (days)",
            required=False,  # left empty: the default
            min_value=1,
            max_value=maximum,
            initial=settings.PERSONAL_TOKEN_DEFAULT_DAYS,
            help_text=f"At most {maximum} days.",
            widget=forms.NumberInput(attrs={"aria-describedby": "days-hint"}),
        )


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
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            token, clear = issue_personal_token(
                request.user, form.cleaned_data["name"], days=form.cleaned_data["days"] or None
            )
        except TokenRefused as refused:
            form.add_error(None, str(refused))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        # Shown in this answer only (never stored, never put in a cookie or message).
        return self.render_to_response(self.get_context_data(new_token=clear, new=token))


class RevokeTokenView(RoleRequiredMixin, TemplateView):
    allowed_roles = ALL_ROLES
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        token = revoke_personal_token(request.user, kwargs["pk"])
        if token is None:
            raise Http404("No such token.")
        messages.success(request, f"Token “{token.name}” revoked.")
        return redirect("people:profile")

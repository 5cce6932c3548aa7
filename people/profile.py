"""The profile page: a person's roles, personal API tokens and authenticator app.

The authenticator app's pages (``people.second_factor``) admit anyone signed
in, roles or not: a person held there by ``REQUIRE_TOTP_FOR_ROLES``, or a
bootstrap superuser the admin site asks for a verified session, must reach it.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView
from django_otp import login as otp_login

from people import second_factor
from people.permissions import RoleRequiredMixin
from people.roles import ALL_ROLES
from people.tokens import (
    PersonalToken,
    TokenRefused,
    issue_personal_token,
    revoke_personal_token,
)
from people.views import CodeForm, safe_next


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
        context["two_factor"] = second_factor.confirmed_device(self.request.user)
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


@method_decorator(never_cache, name="dispatch")
class TwoFactorView(LoginRequiredMixin, TemplateView):
    """Set up an authenticator app: start (a new secret), then confirm with a code."""

    template_name = "people/two_factor.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["device"] = second_factor.confirmed_device(user)
        pending = None if context["device"] else second_factor.pending_device(user)
        context["sheet"] = second_factor.setup_sheet(pending) if pending else None
        context.setdefault("form", CodeForm())
        context["required"] = second_factor.totp_required_for(user)
        context["next"] = self.request.POST.get("next") or self.request.GET.get("next", "")
        return context

    def post(self, request, *args, **kwargs):
        try:
            if request.POST.get("step") == "start":
                second_factor.start_setup(request.user)
                return redirect(request.get_full_path())
            form = CodeForm(request.POST)
            if not form.is_valid():
                return self.render_to_response(self.get_context_data(form=form), status=400)
            device = second_factor.confirm_setup(request.user, form.cleaned_data["code"])
        except second_factor.SecondFactorRefused as refused:
            form = CodeForm(request.POST)
            form.is_valid()
            form.add_error(None, str(refused))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        # This session has just proven the app: it counts as verified.
        otp_login(request, device)
        messages.success(request, "Two-factor sign-in is on: you will be asked for a code.")
        return redirect(safe_next(request, "people:profile"))


@method_decorator(never_cache, name="dispatch")
class RemoveTwoFactorView(LoginRequiredMixin, TemplateView):
    """Remove the authenticator app, confirmed by a current code from it."""

    template_name = "people/two_factor_remove.html"

    def get(self, request, *args, **kwargs):
        if second_factor.confirmed_device(request.user) is None:
            return redirect("people:two-factor")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", CodeForm())
        context["required"] = second_factor.totp_required_for(self.request.user)
        return context

    def post(self, request, *args, **kwargs):
        form = CodeForm(request.POST)
        if form.is_valid():
            try:
                second_factor.remove(request.user, form.cleaned_data["code"])
            except second_factor.SecondFactorRefused as refused:
                form.add_error("code", str(refused))
            else:
                messages.success(request, "The authenticator app is removed.")
                return redirect("people:two-factor")
        return self.render_to_response(self.get_context_data(form=form), status=400)

"""Signing in and out, and the start page.

Signing in is one step (the password) for a person without an authenticator
app, two for one with it: ``LoginView`` checks the password and, when the
person has an app, keeps them *pending* in the session (who, by which
backend, since when) without signing them in; ``LoginCodeView`` asks for the
code and only then signs them in, with the session verified by the app
(django-otp). A pending sign-in lasts ``PENDING_SECONDS`` and
``second_factor.CODE_ATTEMPTS_PER_SIGN_IN`` wrong codes.
"""

from __future__ import annotations

import time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.generic import FormView

from people import second_factor
from people.roles import CASE_READERS, has_role

PENDING = "dossier.pending_sign_in"
PENDING_SECONDS = 300


class LoginView(auth_views.LoginView):
    template_name = "people/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if second_factor.confirmed_device(user) is None:
            return super().form_valid(form)
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "since": int(time.time()),
            "wrong_codes": 0,
        }
        url = reverse("login-code")
        next_url = self.get_redirect_url()
        return redirect(f"{url}?{urlencode({'next': next_url})}" if next_url else url)


class LogoutView(auth_views.LogoutView):
    pass


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The ``next`` the request names when it stays on this site, else ``fallback``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(fallback)


@method_decorator([never_cache, csrf_protect], name="dispatch")
class LoginCodeView(FormView):
    """The second step of signing in: a code from the person's authenticator app."""

    form_class = CodeForm
    template_name = "people/login_code.html"

    def dispatch(self, request, *args, **kwargs):
        pending = request.session.get(PENDING)
        self.user = None
        if pending and time.time() - pending["since"] < PENDING_SECONDS:
            self.pending = pending
            self.user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
        if self.user is None:
            request.session.pop(PENDING, None)
            if pending:
                messages.info(request, "Signing in took too long: give your password again.")
            return redirect(settings.LOGIN_URL)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["next"] = self.request.POST.get("next") or self.request.GET.get("next", "")
        return context

    def form_valid(self, form):
        request = self.request
        device = second_factor.confirmed_device(self.user)
        problem = (
            second_factor.check_code(device, form.cleaned_data["code"])
            if device
            else second_factor.WRONG_CODE
        )
        if problem is not None:
            return self.wrong_code(form, problem)
        request.session.pop(PENDING, None)
        # django-otp marks the session verified by this device on sign-in.
        self.user.otp_device = device
        auth_login(request, self.user, backend=self.pending["backend"])
        return redirect(safe_next(request, settings.LOGIN_REDIRECT_URL))

    def wrong_code(self, form, problem: str):
        request = self.request
        self.pending["wrong_codes"] += 1
        request.session[PENDING] = self.pending
        if self.pending["wrong_codes"] >= second_factor.CODE_ATTEMPTS_PER_SIGN_IN:
            request.session.pop(PENDING, None)
            second_factor.record_abandoned_sign_in(self.user, self.pending["wrong_codes"])
            messages.error(request, "Too many wrong codes: sign in again from the start.")
            return redirect(settings.LOGIN_URL)
        form.add_error("code", problem)
        return self.form_invalid(form)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where ``/`` and a fresh login land: the queue for case workers, else a start page
    listing the pages the user's roles open (an administrator has no queue)."""
    if has_role(request.user, *CASE_READERS):
        return redirect("cases:queue")
    return render(request, "people/home.html")

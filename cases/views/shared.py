"""The known-shared list for leads: read it, add a value with a reason, remove one.

Adding and removing go through ``cases.workflow``, which refuses (and audits)
anyone but a lead; the pages are for leads only as well.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from cases import workflow
from cases.filters import KnownSharedFilter
from cases.forms import KnownSharedForm, RemoveKnownSharedForm
from cases.models import KnownSharedValue
from core.pages import RefusalPageMixin
from core.refusals import Forbidden, Refused
from people.permissions import RoleRequiredMixin
from people.roles import LEADS

PAGE_SIZE = 50


def known_shared_context(request, form: forms.Form | None = None) -> dict:
    filterset = KnownSharedFilter(
        request.GET or None,
        queryset=KnownSharedValue.objects.select_related("added_by"),
        request=request,
    )
    entries = filterset.qs if (not filterset.is_bound or filterset.is_valid()) else []
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "filter": filterset,
        "page": page,
        "entries": page.object_list,
        "form": form or KnownSharedForm(),
        "can_keep": workflow.may_keep_known_shared(request.user),
    }


def _form_refused(form: forms.Form, exc: Refused) -> None:
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, str(exc))


class KnownSharedPage(RefusalPageMixin, RoleRequiredMixin):
    allowed_roles = LEADS

    def refusal_back(self) -> tuple[str, str]:
        return reverse("cases:known-shared"), "Back to the known-shared list"


class KnownSharedView(KnownSharedPage, TemplateView):
    """The list, newest first and paginated, with the form to add a value."""

    template_name = "cases/known_shared.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(known_shared_context(self.request))
        return context


class AddKnownSharedView(KnownSharedPage, View):
    http_method_names = ["post"]

    def post(self, request) -> HttpResponse:
        form = KnownSharedForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                entry = workflow.add_known_shared(
                    data["type"], data["value"], actor=request.user, reason=data["reason"]
                )
            except Forbidden:
                raise
            except Refused as exc:
                _form_refused(form, exc)
                status = 409 if exc.code == "conflict" else 400
            else:
                messages.success(
                    request, f"{entry.value} is known shared: it joins no case from now on."
                )
                return redirect("cases:known-shared")
        else:
            status = 400
        context = known_shared_context(request, form)
        return render(request, "cases/known_shared.html", context, status=status)


class RemoveKnownSharedView(KnownSharedPage, View):
    """GET asks for the reason and a confirmation; POST removes."""

    http_method_names = ["get", "post"]
    template_name = "cases/known_shared_remove.html"

    def get(self, request, pk: int) -> HttpResponse:
        entry = get_object_or_404(KnownSharedValue.objects.select_related("added_by"), pk=pk)
        return self.show(entry, RemoveKnownSharedForm())

    def post(self, request, pk: int) -> HttpResponse:
        entry = get_object_or_404(KnownSharedValue.objects.select_related("added_by"), pk=pk)
        form = RemoveKnownSharedForm(request.POST)
        if not form.is_valid():
            return self.show(entry, form, status=400)
        try:
            workflow.remove_known_shared(
                entry, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except Forbidden:
            raise
        except Refused as exc:
            _form_refused(form, exc)
            return self.show(entry, form, status=400)
        messages.success(request, f"{entry.value} is off the list: it joins cases again.")
        return redirect("cases:known-shared")

    def show(self, entry: KnownSharedValue, form: forms.Form, status: int = 200) -> HttpResponse:
        return render(
            self.request, self.template_name, {"entry": entry, "form": form}, status=status
        )

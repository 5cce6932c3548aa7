"""The inbox page, marking entries read and the email choices (docs/notifications.md)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from notifications import inbox
from notifications.delivery import link_of
from notifications.models import EmailChoice, Kind
from people.permissions import RoleRequiredMixin
from people.roles import ALL_ROLES


class InboxView(RoleRequiredMixin, View):
    allowed_roles = ALL_ROLES

    def get(self, request: HttpRequest) -> HttpResponse:
        after = request.GET.get("after") or None
        try:
            found = inbox.page(request.user, after)
        except inbox.BadCursor:
            return render(
                request,
                "notifications/inbox.html",
                {"error": "The after parameter is not a page of this inbox.", "entries": []},
                status=400,
            )
        entries = [(entry, link_of(entry)) for entry in found.entries]
        return render(
            request,
            "notifications/inbox.html",
            {"entries": entries, "next_cursor": found.next_cursor, "first_page": after is None},
        )


class MarkReadView(RoleRequiredMixin, View):
    allowed_roles = ALL_ROLES

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not inbox.mark_read(request.user, pk):
            raise Http404("You have no such notification.")
        return redirect("notifications:inbox")


class MarkAllReadView(RoleRequiredMixin, View):
    allowed_roles = ALL_ROLES

    def post(self, request: HttpRequest) -> HttpResponse:
        marked = inbox.mark_all_read(request.user)
        messages.success(request, f"{marked} notification{'' if marked == 1 else 's'} marked read.")
        return redirect("notifications:inbox")


class EmailChoicesView(RoleRequiredMixin, View):
    """Which kinds a person also receives by email (every kind, until they choose)."""

    allowed_roles = ALL_ROLES

    def get(self, request: HttpRequest) -> HttpResponse:
        refused = set(
            EmailChoice.objects.filter(person=request.user, email=False).values_list(
                "kind", flat=True
            )
        )
        kinds = [(kind.value, kind.label, kind.value not in refused) for kind in Kind]
        return render(request, "notifications/email_choices.html", {"kinds": kinds})

    def post(self, request: HttpRequest) -> HttpResponse:
        wanted = set(request.POST.getlist("email"))
        unknown = wanted - set(Kind.values)
        if unknown:
            return HttpResponse(
                f"The email choice names unknown kinds: {', '.join(sorted(unknown))}.",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        EmailChoice.objects.bulk_create(
            [
                EmailChoice(person=request.user, kind=kind, email=kind in wanted)
                for kind in Kind.values
            ],
            update_conflicts=True,
            unique_fields=["person", "kind"],
            update_fields=["email"],
        )
        messages.success(request, "Your email choices are saved.")
        return redirect("notifications:email")

"""How pages answer a refusal: one mixin, the same message the API gives.

A forbidden step is a 403 page saying why and that the refusal is on the
trail; any other refusal (a wrong state, bad input) goes back to the page
it came from with the message on top.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from core.refusals import Forbidden, Refused, http_status


class RefusalPageMixin:
    """Answers a ``Refused`` escaping the view; views say where "back" is."""

    request: HttpRequest

    def refusal_back(self) -> tuple[str, str]:
        """The page to return to and its link text."""
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except Refused as exc:
            return self.refused(exc)

    def refused(self, exc: Refused) -> HttpResponse:
        back_url, back_label = self.refusal_back()
        if isinstance(exc, Forbidden):
            return render(
                self.request,
                "refused.html",
                {"message": str(exc), "back_url": back_url, "back_label": back_label},
                status=http_status(exc),
            )
        messages.error(self.request, str(exc))
        return redirect(back_url)

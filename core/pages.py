"""How pages answer a refusal: one mixin, the same message the API gives.

A forbidden step is a 403 page saying why and that the refusal is on the
trail; a step on something that is not there, or that the person may not
see, is the app's 404 page; any other refusal (a wrong state, bad input) goes
back to the page it came from with the message on top.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from core.refusals import Forbidden, NotFound, Refused, http_status


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
        if isinstance(exc, NotFound):
            # The app's 404 page: what is not there and what may not be seen read the same.
            raise Http404(str(exc))
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

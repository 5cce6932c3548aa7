"""The event webhooks follow the workflow (docs/webhooks.md): each committed
event is queued for dispatch on a worker (``webhooks.tasks.dispatch``), which
finds the endpoints that want it, so the workflow never waits on an endpoint;
cases and enforcement never import this app."""

from __future__ import annotations

from enforcement.signals import follow_committed_steps
from webhooks.tasks import DISPATCH


def connect() -> None:
    follow_committed_steps(DISPATCH, "webhooks")

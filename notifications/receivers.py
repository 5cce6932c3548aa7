"""Notifications follow the workflow: each committed event is queued for delivery
on a worker (``notifications.tasks.deliver``); cases and enforcement never
import this app."""

from __future__ import annotations

from enforcement.signals import follow_committed_steps
from notifications.tasks import DELIVER


def connect() -> None:
    follow_committed_steps(DELIVER, "notifications")

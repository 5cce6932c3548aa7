"""Signals the workflow sends once a change has committed.

Receivers (notifications, cache invalidation, search indexing) run after the
transaction, so they never see a change that was rolled back, and a failing
receiver cannot undo one that was made.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent with ``case_id``, ``verb`` (the audit verb of the change) and ``event_id``
# (the audit event recording it, or None where the caller has none to name).
case_changed = Signal()

"""A FilterSet's answer as an export takes it (docs/audit-exports.md)."""

from __future__ import annotations

from datetime import datetime

import django_filters
from django.db.models import QuerySet

from core.refusals import Invalid


def filtered(filterset: django_filters.FilterSet) -> tuple[QuerySet, dict[str, str]]:
    """The rows ``filterset`` selects, and the filter as a manifest names it: the
    parameters given, as they were understood. The first malformed value is an
    ``Invalid`` naming its parameter (a 400)."""
    if not filterset.is_valid():
        field, messages = next(iter(filterset.errors.items()))
        raise Invalid(f"{field}: {' '.join(messages)}", field=field)
    applied = {}
    for name in filterset.filters:
        value = filterset.form.cleaned_data.get(name)
        if value not in (None, ""):
            applied[name] = value.isoformat() if isinstance(value, datetime) else str(value)
    return filterset.qs, applied

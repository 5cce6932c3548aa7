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
    applied = {
        name: value.isoformat() if isinstance(value, datetime) else str(value)
        for name, value in given(filterset).items()
    }
    return filterset.qs, applied


def given(filterset: django_filters.FilterSet) -> dict[str, object]:
    """The filters of a valid ``filterset`` that were given a value, as cleaned."""
    values = {name: filterset.form.cleaned_data.get(name) for name in filterset.filters}
    return {name: value for name, value in values.items() if value not in (None, "")}

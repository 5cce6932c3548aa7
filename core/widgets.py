"""Form widgets the list pages share."""

from __future__ import annotations

from django_filters.widgets import DateRangeWidget


class DateRangeInputs(DateRangeWidget):
    """A from-to date range as the browser's date inputs (a calendar, no script).

    A page shows the range's label as the pair's legend; each input also needs
    a name of its own for a screen reader: "<what> from", "<what> to".
    """

    def __init__(self, what: str, attrs: dict | None = None):
        super().__init__(attrs)
        start, end = self.widgets
        start.input_type = end.input_type = "date"
        start.attrs["aria-label"] = f"{what} from"
        end.attrs["aria-label"] = f"{what} to"

"""Tags offered to the people working a case: the labels detectors put on its alerts."""

from __future__ import annotations

from collections import Counter

from cases.models import Case

# Labels are read from this many of the case's alerts, whatever it holds: a
# campaign's case has a hundred thousand, and a suggestion needs no census.
ALERTS_READ = 200
SUGGESTED_MAX = 20


def suggested_tags(case: Case) -> list[str]:
    """Alert labels not yet among the case's tags, the most frequent first.

    Alerts are ingestion's; they are reached through the relation their model
    declares to ``Case`` (``case.alerts``), so cases never imports ingestion.
    """
    alerts = Case.alerts.field.model.objects.filter(case=case)
    counts: Counter[str] = Counter()
    for labels in alerts.values_list("payload__labels", flat=True)[:ALERTS_READ]:
        if isinstance(labels, list):
            counts.update(str(label).strip() for label in labels if str(label).strip())
    taken = set(case.tags)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [label for label, _ in ranked if label not in taken][:SUGGESTED_MAX]

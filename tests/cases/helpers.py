from pathlib import Path

from django.conf import settings

from audit.models import AuditEvent
from cases.models import Case

# Where a case starts: escalated cases at each level, since the level decides
# who may hand them back.
STARTS = (
    "new",
    "triage",
    "investigating",
    "escalated@policy",
    "escalated@legal",
    "escalated@executive",
    "pending_action",
    "actioned",
    "closed",
)


def events() -> list[AuditEvent]:
    return list(AuditEvent.objects.order_by("sequence"))


def case_row(case: Case) -> dict:
    """Everything stored about a case, for proving that a refusal changed nothing."""
    row = Case.objects.filter(pk=case.pk).values().get()
    row["related"] = sorted(case.related_cases.values_list("pk", flat=True))
    return row


def stored_files() -> list[Path]:
    """Every file under EVIDENCE_ROOT."""
    root = Path(settings.EVIDENCE_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []

"""Cases core: cases, platform accounts, indicators, evidence and notes.

Enforcement actions on a case are ``enforcement.models``; a case reaches them
through the reverse relation ``case.actions``.
"""

from cases.models.accounts import (
    STRONG_INDICATOR_CHOICES,
    STRONG_INDICATOR_TYPES,
    WEAK_INDICATOR_TYPES,
    Account,
    AccountIndicator,
    CaseAccount,
    CaseIndicator,
    EnforcementState,
    Indicator,
    IndicatorType,
)
from cases.models.case import (
    OPEN_STATUSES,
    SEVERITY_RANK,
    Case,
    CaseStatus,
    EscalationLevel,
    Resolution,
    Severity,
    Tlp,
    overdue_q,
)
from cases.models.evidence import Evidence, EvidenceKind, Note
from cases.models.shared import (
    KnownSharedValue,
    ReviewFlag,
    ReviewFlagKind,
    ReviewFlagStatus,
)

__all__ = [
    "OPEN_STATUSES",
    "SEVERITY_RANK",
    "STRONG_INDICATOR_CHOICES",
    "STRONG_INDICATOR_TYPES",
    "WEAK_INDICATOR_TYPES",
    "Account",
    "AccountIndicator",
    "Case",
    "CaseAccount",
    "CaseIndicator",
    "CaseStatus",
    "EnforcementState",
    "EscalationLevel",
    "Evidence",
    "EvidenceKind",
    "Indicator",
    "IndicatorType",
    "KnownSharedValue",
    "Note",
    "Resolution",
    "ReviewFlag",
    "ReviewFlagKind",
    "ReviewFlagStatus",
    "Severity",
    "Tlp",
    "overdue_q",
]

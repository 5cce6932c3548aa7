"""Case pages. Each view declares its roles; state changes go through ``cases.workflow``."""

from cases.views.detail import CaseDetailView
from cases.views.evidence import EvidenceContentView
from cases.views.operations import (
    AssignView,
    AttributionView,
    EvidenceUploadView,
    LinkAccountView,
    NoteView,
    SeverityView,
    TransitionView,
    UnlinkAccountView,
)
from cases.views.queue import QueueView

__all__ = [
    "AssignView",
    "AttributionView",
    "CaseDetailView",
    "EvidenceContentView",
    "EvidenceUploadView",
    "LinkAccountView",
    "NoteView",
    "QueueView",
    "SeverityView",
    "TransitionView",
    "UnlinkAccountView",
]

"""Case pages. Each view declares its roles; state changes go through ``cases.workflow``."""

from cases.views.detail import CaseDetailView, CasePanelView
from cases.views.escalations import EscalatedView
from cases.views.evidence import EvidenceContentView
from cases.views.marking import TagsView, TlpView
from cases.views.operations import (
    AccountSelectionView,
    AssignView,
    AttributionView,
    EvidenceUploadView,
    LinkAccountView,
    MergeView,
    NoteView,
    ResolveFlagView,
    SeverityView,
    TransitionView,
)
from cases.views.queue import QueueView
from cases.views.shared import AddKnownSharedView, KnownSharedView, RemoveKnownSharedView

__all__ = [
    "AccountSelectionView",
    "AddKnownSharedView",
    "AssignView",
    "AttributionView",
    "CaseDetailView",
    "CasePanelView",
    "EscalatedView",
    "EvidenceContentView",
    "EvidenceUploadView",
    "KnownSharedView",
    "LinkAccountView",
    "MergeView",
    "NoteView",
    "QueueView",
    "RemoveKnownSharedView",
    "ResolveFlagView",
    "SeverityView",
    "TagsView",
    "TlpView",
    "TransitionView",
]

"""Case pages. Each view declares its roles; state changes go through ``cases.workflow``."""

from cases.views.detail import CaseDetailView, CasePanelView
from cases.views.evidence import EvidenceContentView
from cases.views.marking import ProtectAccountView, TagsView, TlpView
from cases.views.operations import (
    AssignView,
    AttributionView,
    EvidenceUploadView,
    LinkAccountView,
    MergeView,
    NoteView,
    ResolveFlagView,
    SeverityView,
    TransitionView,
    UnlinkAccountView,
)
from cases.views.queue import QueueView
from cases.views.shared import AddKnownSharedView, KnownSharedView, RemoveKnownSharedView

__all__ = [
    "AddKnownSharedView",
    "AssignView",
    "AttributionView",
    "CaseDetailView",
    "CasePanelView",
    "EvidenceContentView",
    "EvidenceUploadView",
    "KnownSharedView",
    "LinkAccountView",
    "MergeView",
    "NoteView",
    "ProtectAccountView",
    "QueueView",
    "RemoveKnownSharedView",
    "ResolveFlagView",
    "SeverityView",
    "TagsView",
    "TlpView",
    "TransitionView",
    "UnlinkAccountView",
]

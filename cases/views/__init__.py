"""Case pages. Each view declares its roles; state changes go through ``cases.workflow``."""

from cases.views.detail import CaseDetailView
from cases.views.queue import QueueView

__all__ = ["CaseDetailView", "QueueView"]

from django.urls import path
from django.views.generic import RedirectView

from cases import views

app_name = "cases"

urlpatterns = [
    path("", views.QueueView.as_view(), name="queue"),
    # The approvals queue is enforcement's page now; old links and bookmarks follow it.
    path(
        "approvals/",
        RedirectView.as_view(
            pattern_name="enforcement:approvals", permanent=True, query_string=True
        ),
    ),
    path("escalated/", views.EscalatedView.as_view(), name="escalated"),
    path("known-shared/", views.KnownSharedView.as_view(), name="known-shared"),
    path("known-shared/add/", views.AddKnownSharedView.as_view(), name="add-known-shared"),
    path(
        "known-shared/<int:pk>/remove/",
        views.RemoveKnownSharedView.as_view(),
        name="remove-known-shared",
    ),
    path("<int:pk>/", views.CaseDetailView.as_view(), name="detail"),
    path("<int:pk>/panels/<slug:panel>/", views.CasePanelView.as_view(), name="panel"),
    path("<int:pk>/assign/", views.AssignView.as_view(), name="assign"),
    path("<int:pk>/severity/", views.SeverityView.as_view(), name="severity"),
    path("<int:pk>/attribution/", views.AttributionView.as_view(), name="attribution"),
    path("<int:pk>/tlp/", views.TlpView.as_view(), name="tlp"),
    path("<int:pk>/tags/", views.TagsView.as_view(), name="tags"),
    path("<int:pk>/transition/", views.TransitionView.as_view(), name="transition"),
    path("<int:pk>/notes/", views.NoteView.as_view(), name="add-note"),
    path("<int:pk>/merge/", views.MergeView.as_view(), name="merge"),
    path("<int:pk>/evidence/", views.EvidenceUploadView.as_view(), name="add-evidence"),
    path(
        "<int:pk>/evidence/<int:evidence_id>/",
        views.EvidenceContentView.as_view(),
        name="evidence-content",
    ),
    path("<int:pk>/accounts/", views.LinkAccountView.as_view(), name="link-account"),
    path(
        "<int:pk>/review-flags/<int:flag_id>/",
        views.ResolveFlagView.as_view(),
        name="resolve-flag",
    ),
    path(
        "<int:pk>/accounts/selected/",
        views.AccountSelectionView.as_view(),
        name="account-selection",
    ),
]

from django.urls import path
from rest_framework.routers import SimpleRouter

from cases.api import catalog, escalations, records, shared, views

app_name = "cases-api"

router = SimpleRouter()
router.register("cases", views.CaseViewSet, basename="case")
router.register("accounts", catalog.AccountViewSet, basename="account")
router.register("indicators", catalog.IndicatorViewSet, basename="indicator")
router.register("known-shared", shared.KnownSharedViewSet, basename="known-shared")

urlpatterns = [
    # Before the router's cases/<id>/, which would take "escalated" for an id.
    path("cases/escalated/", escalations.EscalatedCasesView.as_view(), name="case-escalated"),
    path("cases/<int:pk>/notes/", records.CaseNotesView.as_view(), name="case-notes"),
    path("cases/<int:pk>/evidence/", records.CaseEvidenceView.as_view(), name="case-evidence"),
    path(
        "cases/<int:pk>/evidence/<int:evidence_id>/content/",
        records.EvidenceContentAPIView.as_view(),
        name="evidence-content",
    ),
    path(
        "cases/<int:pk>/transitions/",
        views.CaseTransitionsView.as_view(),
        name="case-transitions",
    ),
    path("cases/<int:pk>/assign/", views.CaseAssignView.as_view(), name="case-assign"),
    path("cases/<int:pk>/severity/", views.CaseSeverityView.as_view(), name="case-severity"),
    path("cases/<int:pk>/merge/", views.CaseMergeView.as_view(), name="case-merge"),
    path("cases/<int:pk>/tlp/", views.CaseTlpView.as_view(), name="case-tlp"),
    path("cases/<int:pk>/tags/", views.CaseTagsView.as_view(), name="case-tags"),
    path(
        "cases/<int:pk>/attribution/",
        views.CaseAttributionView.as_view(),
        name="case-attribution",
    ),
    path("cases/<int:pk>/accounts/", records.CaseAccountsView.as_view(), name="case-accounts"),
    path(
        "cases/<int:pk>/review-flags/<int:flag_id>/",
        shared.CaseReviewFlagView.as_view(),
        name="case-review-flag",
    ),
    path(
        "cases/<int:pk>/accounts/<path:external_id>/",
        records.CaseAccountUnlinkView.as_view(),
        name="case-account",
    ),
    *router.urls,
]

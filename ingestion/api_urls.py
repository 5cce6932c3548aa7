from django.urls import path

from ingestion.api import AlertsView, BatchView, LookupView

app_name = "ingestion-api"

urlpatterns = [
    path("alerts/", AlertsView.as_view(), name="alerts"),
    path("alerts/batches/<str:batch_id>/", BatchView.as_view(), name="batch"),
    path("alerts/lookup/", LookupView.as_view(), name="lookup"),
]

from django.urls import path

from ingestion import views, views_health

app_name = "ingestion"

urlpatterns = [
    path("detectors/", views.DetectorsView.as_view(), name="detectors"),
    path("health/", views_health.HealthView.as_view(), name="health"),
    path("health/<uuid:batch_id>/retry/", views_health.RetryView.as_view(), name="health-retry"),
]

from django.urls import path

from ingestion import views

app_name = "ingestion"

urlpatterns = [
    path("detectors/", views.DetectorsView.as_view(), name="detectors"),
]

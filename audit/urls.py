from django.urls import path

from audit import export_views, views

app_name = "audit"

urlpatterns = [
    path("", views.EventListView.as_view(), name="events"),
    path("events/<int:sequence>/cases/", views.EventCasesView.as_view(), name="event-cases"),
    path("exports/", export_views.ExportJobListView.as_view(), name="export-jobs"),
    path("exports/start", export_views.ExportStartView.as_view(), name="export-start"),
    path("exports/<uuid:job_id>/", export_views.ExportJobView.as_view(), name="export-job"),
    path(
        "exports/<uuid:job_id>/progress.json",
        export_views.ExportJobProgressView.as_view(),
        name="export-job-progress",
    ),
    path(
        "exports/<uuid:job_id>/download",
        export_views.ExportJobDownloadView.as_view(),
        name="export-job-download",
    ),
]

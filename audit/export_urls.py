from django.urls import path

from audit import export_api

app_name = "audit-export"

urlpatterns = [
    path("audit/export", export_api.ExportView.as_view(), name="export"),
    path("audit/export-jobs", export_api.ExportJobCreateView.as_view(), name="jobs"),
    path("audit/export-jobs/<uuid:job_id>", export_api.ExportJobView.as_view(), name="job"),
    path(
        "audit/export-jobs/<uuid:job_id>/download",
        export_api.ExportJobDownloadView.as_view(),
        name="job-download",
    ),
    path("audit/public-key", export_api.PublicKeyView.as_view(), name="public-key"),
]

from django.urls import path

from audit import export_api

app_name = "audit-export"

urlpatterns = [
    path("audit/export", export_api.ExportView.as_view(), name="export"),
    path("audit/public-key", export_api.PublicKeyView.as_view(), name="public-key"),
]

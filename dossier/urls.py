from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from dossier.health import healthz
from people.views import home

# The outage page when the database is unreachable; neither needs the database.
handler500 = "core.errors.server_error"

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("people.urls")),
    path("cases/", include("cases.urls")),
    path("actions/", include("enforcement.urls")),
    path("audit/", include("audit.urls")),
    path("notifications/", include("notifications.urls")),
    path("ingestion/", include("ingestion.urls")),
    path("api/v1/", include("ingestion.api_urls")),
    path("api/v1/", include("cases.api.urls")),
    path("api/v1/", include("enforcement.api_urls")),
    path("api/v1/", include("audit.export_urls")),
    path("api/v1/", include("audit.api_urls")),
    path("api/v1/", include("notifications.api_urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file, as the CSP requires.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

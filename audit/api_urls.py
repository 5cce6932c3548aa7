from rest_framework.routers import SimpleRouter

from audit.api import AuditEventViewSet

app_name = "audit-api"

router = SimpleRouter()
router.register("audit/events", AuditEventViewSet, basename="event")

urlpatterns = router.urls

from rest_framework.routers import SimpleRouter

from enforcement.api import ActionViewSet

app_name = "enforcement-api"

router = SimpleRouter()
router.register("actions", ActionViewSet, basename="action")

urlpatterns = router.urls

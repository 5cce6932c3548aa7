from django.urls import path
from rest_framework.routers import SimpleRouter

from enforcement.api import ActionViewSet, LedgerView

app_name = "enforcement-api"

router = SimpleRouter()
router.register("actions", ActionViewSet, basename="action")

# No trailing slash, and not a number: never the router's ``actions/<id>/``.
urlpatterns = [
    path("actions/ledger", LedgerView.as_view(), name="action-ledger"),
    *router.urls,
]

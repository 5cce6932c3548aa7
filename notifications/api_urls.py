from django.urls import path

from notifications import api

app_name = "notifications-api"

urlpatterns = [
    path("notifications/", api.InboxListView.as_view(), name="inbox"),
    path("notifications/<int:pk>/read/", api.MarkReadAPIView.as_view(), name="read"),
    path("notifications/read-all/", api.MarkAllReadAPIView.as_view(), name="read-all"),
]

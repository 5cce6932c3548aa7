from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.InboxView.as_view(), name="inbox"),
    path("<int:pk>/read/", views.MarkReadView.as_view(), name="read"),
    path("read/", views.MarkAllReadView.as_view(), name="read-all"),
    path("email/", views.EmailChoicesView.as_view(), name="email"),
]

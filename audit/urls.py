from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("", views.EventListView.as_view(), name="events"),
    path("events/<int:sequence>/cases/", views.EventCasesView.as_view(), name="event-cases"),
]

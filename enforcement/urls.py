from django.urls import path

from enforcement import views

app_name = "enforcement"

urlpatterns = [
    path("approvals/", views.ApprovalsView.as_view(), name="approvals"),
    path("<int:pk>/", views.ActionView.as_view(), name="action"),
    path("<int:pk>/progress.json", views.ActionProgressView.as_view(), name="progress"),
    path("<int:pk>/approve/", views.ActionStepView.as_view(step="approve"), name="approve"),
    path("<int:pk>/reject/", views.ActionStepView.as_view(step="reject"), name="reject"),
    path("<int:pk>/withdraw/", views.ActionStepView.as_view(step="withdraw"), name="withdraw"),
    path("<int:pk>/retry/", views.ActionStepView.as_view(step="retry"), name="retry"),
    path("<int:pk>/revert/", views.ActionStepView.as_view(step="revert"), name="revert"),
    path(
        "<int:pk>/targets/<int:target_pk>/revert/",
        views.ActionStepView.as_view(step="revert"),
        name="revert-target",
    ),
    path(
        "<int:pk>/targets/<int:target_pk>/override/",
        views.ActionStepView.as_view(step="override"),
        name="override",
    ),
    path("propose/<int:case_pk>/", views.ProposeView.as_view(), name="propose"),
]

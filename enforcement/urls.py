from django.urls import path

from enforcement import steps, views

app_name = "enforcement"

urlpatterns = [
    path("approvals/", views.ApprovalsView.as_view(), name="approvals"),
    path("<int:pk>/", views.ActionView.as_view(), name="action"),
    path("<int:pk>/progress.json", views.ActionProgressView.as_view(), name="progress"),
    path("<int:pk>/approve/", steps.ActionStepView.as_view(step="approve"), name="approve"),
    path("<int:pk>/reject/", steps.ActionStepView.as_view(step="reject"), name="reject"),
    path("<int:pk>/withdraw/", steps.ActionStepView.as_view(step="withdraw"), name="withdraw"),
    path("<int:pk>/retry/", steps.ActionStepView.as_view(step="retry"), name="retry"),
    path("<int:pk>/revert/", steps.ActionStepView.as_view(step="revert"), name="revert"),
    path(
        "<int:pk>/targets/<int:target_pk>/revert/",
        steps.ActionStepView.as_view(step="revert"),
        name="revert-target",
    ),
    path(
        "<int:pk>/targets/<int:target_pk>/override/",
        steps.ActionStepView.as_view(step="override"),
        name="override",
    ),
    path("propose/<int:case_pk>/", views.ProposeView.as_view(), name="propose"),
]

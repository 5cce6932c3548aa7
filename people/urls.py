from django.urls import include, path

from people import profile, views

# Namespaced as "people" without renaming the login and logout URLs.
profile_patterns = [
    path("", profile.ProfileView.as_view(), name="profile"),
    path("tokens/<int:pk>/revoke/", profile.RevokeTokenView.as_view(), name="revoke-token"),
]

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("profile/", include((profile_patterns, "people"))),
]

from django.urls import include, path

from people import profile, views

# Namespaced as "people" without renaming the login and logout URLs.
profile_patterns = [
    path("", profile.ProfileView.as_view(), name="profile"),
    path("tokens/<int:pk>/revoke/", profile.RevokeTokenView.as_view(), name="revoke-token"),
    path("two-factor/", profile.TwoFactorView.as_view(), name="two-factor"),
    path("two-factor/remove/", profile.RemoveTwoFactorView.as_view(), name="two-factor-remove"),
]

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/code/", views.LoginCodeView.as_view(), name="login-code"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("profile/", include((profile_patterns, "people"))),
]

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from people.roles import CASE_READERS, has_role


class LoginView(auth_views.LoginView):
    template_name = "people/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where ``/`` and a fresh login land: the queue for case workers, else a start page
    listing the pages the user's roles open (an administrator has no queue)."""
    if has_role(request.user, *CASE_READERS):
        return redirect("cases:queue")
    return render(request, "people/home.html")

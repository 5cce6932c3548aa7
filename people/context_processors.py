from people.navigation import entries_for
from people.roles import roles_of
from people.second_factor import held_at_setup


def navigation(request):
    user = getattr(request, "user", None)
    # A person held at the authenticator app's setup page is offered nothing
    # else: every other page would send them back there.
    entries = [] if held_at_setup(user) else entries_for(user)
    return {"nav_entries": entries, "user_roles": sorted(roles_of(user))}

from people.navigation import entries_for
from people.roles import roles_of


def navigation(request):
    user = getattr(request, "user", None)
    return {"nav_entries": entries_for(user), "user_roles": sorted(roles_of(user))}

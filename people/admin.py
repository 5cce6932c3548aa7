"""People and roles in the Django admin.

An account's roles and flags change only through ``people.privileges``, which
checks who may change what and writes the change to the audit trail in the
admin's transaction. The form offers each person only what they may change:
their own roles and flags, a superuser's account, the superuser and staff
flags and the roles only superusers give are read-only to those who may not
change them, so whatever a form posts for them is ignored. Nobody is deleted
here: a person who leaves is deactivated, which keeps what they did
attributed, and is recorded on the trail.

Roles are the groups ``people.signals`` keeps; they are named in code, so
their names and permissions are read-only here.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.admin import ViewOnlyAdmin
from people.privileges import (
    FLAGS,
    change_privileges,
    grantable_roles,
    may_change_privileges,
    may_manage,
    may_set_flag,
    record_password_set,
    record_person_created,
)
from people.roles import Role, has_role
from people.second_factor import remove_for_person

User = get_user_model()

admin.site.unregister(User)
admin.site.unregister(Group)

# Never edited in the admin: permissions come with roles (people.signals).
ALWAYS_READ_ONLY = ("user_permissions", "last_login", "date_joined")


@admin.register(User)
class PersonAdmin(UserAdmin):
    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or may_manage(request.user, obj))

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj), *ALWAYS_READ_ONLY]
        if obj is None:
            return readonly
        if not may_change_privileges(request.user, obj):
            return [*readonly, *FLAGS, "groups"]
        return [*readonly, *(flag for flag in FLAGS if not may_set_flag(request.user, flag))]

    def user_change_password(self, request, id, form_url=""):
        # Atomic, so that a new password and its audit event commit together.
        with transaction.atomic():
            stored = User.objects.filter(pk=id).values_list("password", flat=True)
            before = stored.first() if id.isdigit() else None
            response = super().user_change_password(request, id, form_url)
            person = User.objects.filter(pk=id).first() if before is not None else None
            if person is not None and person.password != before:
                record_password_set(person, actor=request.user)
        return response

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["queryset"] = Group.objects.filter(name__in=grantable_roles(request.user))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            record_person_created(obj, actor=request.user)
            return
        # The flags are saved by people.privileges in save_related, with their
        # audit event; this save writes the account's other fields only.
        obj.requested_flags = {flag: getattr(obj, flag) for flag in FLAGS if flag in form.fields}
        stored = type(obj).objects.filter(pk=obj.pk).values(*FLAGS).get()
        for flag, value in stored.items():
            setattr(obj, flag, value)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change) -> None:
        roles = None
        if "groups" in form.cleaned_data:
            # Taken out so the form does not set the groups itself.
            roles = [group.name for group in form.cleaned_data.pop("groups")]
        super().save_related(request, form, formsets, change)
        flags = getattr(form.instance, "requested_flags", {})
        if change and (roles is not None or flags):
            change_privileges(
                form.instance.pk,
                actor=request.user,
                roles=roles,
                **flags,
                reason="Changed in the Django admin.",
            )


@admin.register(Group)
class RoleAdmin(GroupAdmin, ViewOnlyAdmin):
    pass


@admin.register(TOTPDevice)
class AuthenticatorAppAdmin(ViewOnlyAdmin):
    """People's authenticator apps: listed without their secrets, and removed
    (audited, ``people.second_factor``) for someone who lost theirs. An app is
    set up only by its owner, on the profile page. Registered here, before
    django-otp's own admin, which would show the secret and its QR code."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    readonly_fields = fields
    actions = None  # one at a time, each on the trail

    def has_delete_permission(self, request, obj=None) -> bool:
        allowed = request.user.is_active and request.user.is_superuser
        allowed = allowed or has_role(request.user, Role.ADMINISTRATOR)
        return allowed and (obj is None or may_manage(request.user, obj.user))

    def delete_model(self, request, obj) -> None:
        remove_for_person(obj, actor=request.user)

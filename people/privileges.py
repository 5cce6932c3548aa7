"""A person's privileges: their roles and Django's superuser, staff and active flags.

They change only here, whoever changes them (the Django admin, ``manage.py``
commands), and every change is an audit event in the same transaction: who,
whom, before and after. The rules (README, Roles):

* nobody changes their own roles or flags: a person never raises their own
  privileges, nor drops them to hide what they did;
* only a superuser changes a superuser, grants or removes superuser status
  or the staff flag, or grants or removes the roles in
  ``people.roles.GRANTED_BY_SUPERUSERS`` (lead, manager, administrator: they
  approve actions, see every case, or manage people), and only a superuser
  changes anyone who holds one of them. So an administrator can make no lead,
  a second lead to defeat the two-person rule included;
* administrators give and take the other roles, and activate or deactivate
  the people who hold only those.

A ``manage.py`` command acts as the system (``system=`` its name): whoever
runs it owns the installation. Its changes are recorded all the same.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from audit.events import record, record_refusal
from core.refusals import Forbidden, Invalid, audits_refusals
from people.roles import ADMINISTRATORS, GRANTED_BY_SUPERUSERS, Role, has_role

FLAGS = ("is_superuser", "is_staff", "is_active")
# Flags only a superuser sets: staff opens the admin, superuser grants every permission in it.
SUPERUSER_FLAGS = ("is_superuser", "is_staff")


class PrivilegesRefused(Forbidden):
    """The acting person may not make this change; nothing was changed."""


def privileges_of(person) -> dict:
    """The person's roles and flags, as the trail records them."""
    return {
        "roles": sorted(person.groups.values_list("name", flat=True)),
        **{flag: getattr(person, flag) for flag in FLAGS},
    }


def _is_superuser(actor) -> bool:
    return bool(actor is not None and actor.is_active and actor.is_superuser)


def _is_administrator(actor) -> bool:
    return bool(actor is not None and actor.is_active and has_role(actor, *ADMINISTRATORS))


def may_manage(actor, person) -> bool:
    """Whether ``actor`` may change ``person``'s account in the admin (name, e-mail,
    password, roles, flags); their own account's details, never its privileges."""
    if actor is None or person is None or not actor.is_active:
        return False
    if _is_superuser(actor) or actor.pk == person.pk:
        return True
    if not _is_administrator(actor) or person.is_superuser or person.is_staff:
        return False
    return not has_role(person, *GRANTED_BY_SUPERUSERS)


def may_change_privileges(actor, person) -> bool:
    """Whether ``actor`` may change ``person``'s roles or flags at all."""
    return actor.pk != person.pk and may_manage(actor, person)


def grantable_roles(actor) -> list[str]:
    """The roles ``actor`` may give or take (to someone else)."""
    if _is_superuser(actor):
        return [str(role) for role in Role]
    if _is_administrator(actor):
        return [str(role) for role in Role if role not in GRANTED_BY_SUPERUSERS]
    return []


def may_set_flag(actor, flag: str) -> bool:
    """Whether ``actor`` may set ``flag`` on someone else they may manage."""
    if flag in SUPERUSER_FLAGS:
        return _is_superuser(actor)
    return _is_superuser(actor) or _is_administrator(actor)


def _refusal(actor, person, before: dict, after: dict) -> str | None:
    """Why ``actor`` may not turn ``before`` into ``after`` for ``person``; None if they may."""
    if actor.pk == person.pk:
        return "Nobody changes their own roles, superuser, staff or active flag."
    if not may_manage(actor, person):
        if person.is_superuser:
            return "Only a superuser changes a superuser."
        return (
            "Only a superuser changes the privileges of staff, leads, managers and administrators."
        )
    changed_roles = set(before["roles"]) ^ set(after["roles"])
    refused_roles = sorted(changed_roles - set(grantable_roles(actor)))
    if refused_roles:
        return f"Only a superuser gives or takes the role{'s' * (len(refused_roles) > 1)} " + (
            ", ".join(refused_roles) + "."
        )
    refused_flags = [f for f in FLAGS if before[f] != after[f] and not may_set_flag(actor, f)]
    if refused_flags:
        return "Only a superuser changes " + ", ".join(refused_flags) + "."
    return None


def _write_refusal(exc, person_id, *, actor=None, system=None, **requested) -> None:
    person = get_user_model().objects.filter(pk=person_id).first()
    record_refusal(
        "person.privileges_change_refused",
        exc,
        actor=actor,
        target=person,
        after={
            name: sorted(value) if name == "roles" else value
            for name, value in requested.items()
            if value is not None and name != "reason"
        },
    )


@audits_refusals(_write_refusal, kinds=(PrivilegesRefused,))
def change_privileges(
    person_id: int,
    *,
    actor=None,
    system: str | None = None,
    roles: Iterable[str] | None = None,
    is_superuser: bool | None = None,
    is_staff: bool | None = None,
    is_active: bool | None = None,
    reason: str = "",
):
    """Give ``person_id`` exactly ``roles`` and the flags given (None: unchanged).

    ``actor`` is the person making the change, or ``system`` names the command
    that does. Locks the person, checks the rules above and writes one audit
    event, ``person.privileges_changed``, with what changed before and after;
    a change that changes nothing writes none. A refusal changes nothing and
    is written to the trail as ``person.privileges_change_refused``.
    """
    if (actor is None) == (system is None):
        raise ValueError("a change of privileges is made by a person or by a named command")
    with transaction.atomic():
        person = get_user_model().objects.select_for_update().filter(pk=person_id).first()
        if person is None:
            raise Invalid("No such person.")
        before = privileges_of(person)
        after = dict(before)
        if roles is not None:
            after["roles"] = sorted(set(map(str, roles)))
            unknown = set(after["roles"]) - {str(role) for role in Role}
            if unknown:
                raise Invalid("No such role: " + ", ".join(sorted(unknown)) + ".", field="roles")
        requested = {"is_superuser": is_superuser, "is_staff": is_staff, "is_active": is_active}
        after.update({flag: value for flag, value in requested.items() if value is not None})
        if actor is not None:
            refusal = _refusal(actor, person, before, after)
            if refusal:
                raise PrivilegesRefused(refusal)
        changed = [name for name in after if after[name] != before[name]]
        if not changed:
            return person
        if after["roles"] != before["roles"]:
            person.groups.set(Group.objects.filter(name__in=after["roles"]))
            # people.roles caches a person's roles on the object.
            person.__dict__.pop("_dossier_roles", None)
        flags = [flag for flag in FLAGS if flag in changed]
        if flags:
            for flag in flags:
                setattr(person, flag, after[flag])
            person.save(update_fields=flags)
        record(
            "person.privileges_changed",
            actor=actor,
            system=system,
            target=person,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
            reason=reason,
        )
    return person


def record_person_created(person, *, actor=None, system: str | None = None) -> None:
    """The trail's record of a new account and the privileges it starts with.

    Call it inside the transaction that created ``person``.
    """
    record(
        "person.created",
        actor=actor,
        system=system,
        target=person,
        after=privileges_of(person),
    )


def record_password_set(person, *, actor) -> None:
    """The trail's record that ``actor`` set ``person``'s password (never the password).

    Setting someone's password lets one sign in as them, so whoever did it is
    on the trail. Call it inside the transaction that saved the password.
    """
    record(
        "person.password_set",
        actor=actor,
        target=person,
        after={"usable_password": person.has_usable_password()},
    )

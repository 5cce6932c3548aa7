"""``manage.py createsuperuser``, as Django's, with the new superuser on the audit trail.

Dossier lists ``people`` before ``django.contrib.auth`` so that this command
takes the place of Django's. The account and its audit event are written in
one transaction.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import createsuperuser
from django.db import transaction

from people.privileges import record_person_created


class Command(createsuperuser.Command):
    def handle(self, *args, **options):
        database = options["database"]
        people = get_user_model()._default_manager.db_manager(database)
        with transaction.atomic(using=database):
            before = set(people.filter(is_superuser=True).values_list("pk", flat=True))
            super().handle(*args, **options)
            for person in people.filter(is_superuser=True).exclude(pk__in=before):
                record_person_created(person, system="manage.py createsuperuser")

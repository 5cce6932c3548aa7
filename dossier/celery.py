"""The Celery app: ``celery -A dossier worker`` and ``celery -A dossier beat``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dossier.settings")

app = Celery("dossier")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["dossier"])
app.autodiscover_tasks()

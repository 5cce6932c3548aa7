from __future__ import annotations

from celery import shared_task
from django.conf import settings

from audit.checkpoints import make_checkpoint


@shared_task(name="audit.tasks.checkpoint", ignore_result=True)
def checkpoint() -> None:
    """Scheduled by beat: sign the chain's head, when a key is configured."""
    if not settings.AUDIT_CHECKPOINT_KEYS:
        return
    make_checkpoint()

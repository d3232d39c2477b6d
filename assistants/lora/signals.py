"""Removing an adapter's files once its row is gone (deleted version, or a deleted assistant).

A receiver rather than a service call: rows also go by cascade (deleting an assistant in the
admin), which calls no service of ours. The files go after the commit, so a rolled-back delete
keeps them.
"""

from __future__ import annotations

import shutil
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from assistants.lora.models import Adapter
from assistants.lora.selectors import adapter_dir


@receiver(post_delete, sender=Adapter)
def _remove_files(sender: type[Adapter], instance: Adapter, **kwargs: Any) -> None:
    folder = adapter_dir(instance)
    transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))

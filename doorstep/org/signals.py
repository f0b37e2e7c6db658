"""Roles are Django groups; make sure they exist after every migrate."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate)
def ensure_role_groups(sender: Any, **kwargs: Any) -> None:
    if getattr(sender, "label", "") != "org":
        return
    from doorstep.org.roles import sync_role_groups

    sync_role_groups()

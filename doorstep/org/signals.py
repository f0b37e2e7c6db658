"""Roles are Django groups; make sure they exist after every migrate."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate)
def ensure_role_groups(sender: Any, **kwargs: Any) -> None:
    # Once per Doorstep app: permissions of apps migrated after org exist only by then.
    if not getattr(sender, "name", "").startswith("doorstep."):
        return
    from doorstep.org.roles import sync_role_groups

    sync_role_groups()


def sync_staff_roles(user_id: int) -> None:
    from django.contrib.auth.models import Group

    from doorstep.org.models import Staff

    names = sorted(Group.objects.filter(user__id=user_id).values_list("name", flat=True))
    Staff.objects.filter(user_id=user_id).update(role_names=",".join(names))


def _on_groups_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:  # group.user_set changed: every member it touched
        for user_id in pk_set or []:
            sync_staff_roles(user_id)
    else:
        sync_staff_roles(instance.pk)


def _on_staff_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created:
        sync_staff_roles(instance.user_id)


def connect() -> None:
    from django.contrib.auth.models import User
    from django.db.models.signals import m2m_changed, post_save

    from doorstep.org.models import Staff

    m2m_changed.connect(_on_groups_changed, sender=User.groups.through, dispatch_uid="staff-roles")
    post_save.connect(_on_staff_saved, sender=Staff, dispatch_uid="staff-roles-created")

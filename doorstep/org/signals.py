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
    from doorstep.org.roles import sync_admin_site_access

    sync_admin_site_access([user_id])


def _members(group: Any) -> list[int]:
    return list(group.user_set.values_list("pk", flat=True))


def _on_groups_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    if reverse and action == "pre_clear":
        # group.user_set.clear() names nobody afterwards: remember who was in it.
        instance._doorstep_members = _members(instance)
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:  # group.user_set changed: every member it touched
        touched = pk_set if action != "post_clear" else getattr(instance, "_doorstep_members", [])
        for user_id in touched or []:
            sync_staff_roles(user_id)
    else:
        sync_staff_roles(instance.pk)


def _before_group_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    instance._doorstep_members = _members(instance)


def _after_group_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    for user_id in getattr(instance, "_doorstep_members", []):
        sync_staff_roles(user_id)


def _on_staff_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created:
        sync_staff_roles(instance.user_id)


def connect() -> None:
    from django.contrib.auth.models import Group, User
    from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

    from doorstep.org.models import Staff

    m2m_changed.connect(_on_groups_changed, sender=User.groups.through, dispatch_uid="staff-roles")
    post_save.connect(_on_staff_saved, sender=Staff, dispatch_uid="staff-roles-created")
    pre_delete.connect(_before_group_deleted, sender=Group, dispatch_uid="staff-roles-group-pre")
    post_delete.connect(_after_group_deleted, sender=Group, dispatch_uid="staff-roles-group-post")

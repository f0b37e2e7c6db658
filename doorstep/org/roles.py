"""Role groups and the Django permissions each carries (used by the admin site)."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from doorstep.org.choices import Role

# Model permissions per role, for the admin site. What a role may do to an *order* is decided
# by the action table in doorstep.orders.states, not by these.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.OPERATOR: ["org.view_customer", "org.add_customer", "orders.view_workorder"],
    Role.DISPATCHER: ["org.view_customer", "orders.view_workorder", "org.view_staff"],
    Role.TECHNICIAN: ["orders.view_workorder"],
    Role.QUALITY: ["org.view_customer", "orders.view_workorder"],
    Role.MANAGER: ["org.view_customer", "orders.view_workorder", "org.view_staff", "org.view_team"],
    Role.ADMIN: [
        "org.add_branch",
        "org.change_branch",
        "org.view_branch",
        "org.add_team",
        "org.change_team",
        "org.view_team",
        "org.add_staff",
        "org.change_staff",
        "org.view_staff",
        "org.view_customer",
        "org.change_customer",
        "orders.view_workorder",
    ],
}


def sync_role_groups() -> None:
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:
                wanted.append(perm)
        group.permissions.set(wanted)

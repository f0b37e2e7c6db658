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
    Role.QUALITY: ["org.view_customer", "orders.view_workorder", "inspections.view_inspection"],
    Role.MANAGER: [
        "org.view_customer",
        "orders.view_workorder",
        "org.view_staff",
        "org.view_team",
        "inspections.view_inspection",
    ],
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
        # Customer notice templates and webhook subscriptions are edited here; the outbox and
        # its delivery log are read-only (doorstep.notifications.admin).
        "notifications.add_template",
        "notifications.change_template",
        "notifications.view_template",
        "notifications.add_webhooksubscription",
        "notifications.change_webhooksubscription",
        "notifications.view_webhooksubscription",
        "notifications.view_notification",
        "notifications.view_deliveryattempt",
        # Policy edits go through policies.save_policy (attributed, versioned); history read-only.
        "standards.add_policy",
        "standards.change_policy",
        "standards.view_policy",
        "standards.view_policychange",
        # R24's kit list per branch (doorstep.care.admin).
        "care.add_kititem",
        "care.change_kititem",
        "care.view_kititem",
        # Badge photos (the slug is made once and read-only).
        "customers.add_technicianbadge",
        "customers.change_technicianbadge",
        "customers.view_technicianbadge",
        # Shifts, leave and territories the planner and the board read.
        "dispatch.add_shift",
        "dispatch.change_shift",
        "dispatch.view_shift",
        "dispatch.add_leave",
        "dispatch.change_leave",
        "dispatch.view_leave",
        "dispatch.add_territory",
        "dispatch.change_territory",
        "dispatch.view_territory",
        # The R23 phrase list the phone's language check reads.
        "field.add_phraseentry",
        "field.change_phraseentry",
        "field.view_phraseentry",
        # Incidents are changed through their pages; the admin site only shows them.
        "incidents.view_incident",
        "incidents.view_member",
        "incidents.view_incidentevent",
        # Subscriber counts per branch and month, typed or imported (the KPI import page).
        "kpis.add_subscribercount",
        "kpis.change_subscribercount",
        "kpis.view_subscribercount",
        # The inspection checklist (items and weights); inspections themselves are read-only.
        "inspections.add_checklistitem",
        "inspections.change_checklistitem",
        "inspections.view_checklistitem",
        "inspections.view_inspection",
        # The questions of the customer's evaluation form; answered forms are read-only.
        "evaluation.add_evaluationitem",
        "evaluation.change_evaluationitem",
        "evaluation.view_evaluationitem",
        "evaluation.view_evaluation",
        # Export jobs (who asked for what, when, how many rows): the files are their owners'.
        "exports.view_export",
        # Star ratings are computed by the worker; read-only here.
        "ratings.view_starrating",
    ],
}


def sync_admin_site_access(user_ids: list[int] | None = None) -> None:
    """The admin role is what opens the admin site: Django lets in only `is_staff` users, so
    that flag follows the role (a superuser keeps it). What each page allows is then the
    group's permissions above."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(is_superuser=False)
    if user_ids is not None:
        users = users.filter(pk__in=user_ids)
    admins = users.filter(groups__name=Role.ADMIN).values("pk")
    users.filter(pk__in=admins).exclude(is_staff=True).update(is_staff=True)
    users.exclude(pk__in=admins).filter(is_staff=True).update(is_staff=False)


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
    sync_admin_site_access()

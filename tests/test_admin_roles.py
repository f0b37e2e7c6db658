"""The admin *role* (a group, not a superuser) runs the admin site's Doorstep pages: notice
templates, webhook subscriptions, the outbox (read-only) and policies (attributed). A manager
does not get in."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from doorstep.notifications.models import Template, WebhookSubscription
from doorstep.standards.models import Policy, PolicyChange


def logged_in(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def template_form(template: Template, body: str) -> dict[str, str]:
    return {
        "code": template.code,
        "name": template.name,
        "body": body,
        "provider_template_id": "SMS_88",
        "params": '["customer_name"]',
        "active": "on",
    }


def test_an_admin_role_user_edits_a_notice_template_in_the_admin_site(org: Any) -> None:
    assert not org.admin.is_superuser
    c = logged_in(org.admin)
    template = Template.objects.get(code="running_late")
    url = f"/admin/notifications/template/{template.pk}/change/"
    assert c.get(url).status_code == 200
    resp = c.post(url, template_form(template, "{customer_name}您好，师傅稍晚到，非常抱歉。"))
    assert resp.status_code == 302
    saved = Template.objects.get(pk=template.pk)
    assert (saved.body, saved.updated_by) == (
        "{customer_name}您好，师傅稍晚到，非常抱歉。",
        org.admin,
    )
    assert c.get("/admin/notifications/notification/").status_code == 200
    assert c.get("/admin/notifications/notification/add/").status_code == 403  # read-only


def test_an_admin_role_user_adds_a_webhook_subscription(org: Any) -> None:
    c = logged_in(org.admin)
    form = {
        "name": "客服系统",
        "url": "https://hooks.example.cn/doorstep",
        "secret": "s3cret-s3cret-s3cret",
        "events": '["complete"]',
        "active": "on",
    }
    resp = c.post("/admin/notifications/webhooksubscription/add/", form)
    assert resp.status_code == 302
    sub = WebhookSubscription.objects.get(name="客服系统")
    change = f"/admin/notifications/webhooksubscription/{sub.pk}/change/"
    assert c.get(change).status_code == 200


def test_an_admin_role_users_policy_edit_is_attributed(org: Any) -> None:
    c = logged_in(org.admin)
    policy = Policy.objects.get(key="clock.contact", branch__isnull=True, kind="")
    url = f"/admin/standards/policy/{policy.pk}/change/"
    assert c.get(url).status_code == 200
    form = {
        "key": policy.key,
        "label": policy.label,
        "minutes": "25",
        "params": json.dumps(policy.params),
        "enabled": "on",
        "source": policy.source,
    }
    assert c.post(url, form).status_code == 302
    policy.refresh_from_db()
    change = PolicyChange.objects.filter(policy=policy).latest("id")
    assert (policy.minutes, change.by, change.via) == (25, org.admin, "admin")
    assert c.get("/admin/standards/policychange/").status_code == 200


def test_a_manager_is_kept_out_of_the_admin_site(org: Any) -> None:
    c = logged_in(org.manager)
    template = Template.objects.get(code="running_late")
    url = f"/admin/notifications/template/{template.pk}/change/"
    assert c.get(url)["Location"].startswith("/admin/login/")
    resp = c.post(url, template_form(template, "{customer_name}您好，改过了。"))
    assert resp.status_code == 302 and resp["Location"].startswith("/admin/login/")
    assert Template.objects.get(pk=template.pk).body != "{customer_name}您好，改过了。"
    policy = Policy.objects.first()
    assert policy is not None
    assert c.get(f"/admin/standards/policy/{policy.pk}/change/").status_code == 302


def test_the_admin_role_opens_the_admin_site_only_while_held(org: Any) -> None:
    from django.contrib.auth.models import Group

    org.admin.groups.remove(Group.objects.get(name="admin"))
    org.admin.refresh_from_db()
    assert not org.admin.is_staff
    org.manager.groups.add(Group.objects.get(name="admin"))
    org.manager.refresh_from_db()
    assert org.manager.is_staff


def test_an_admin_role_user_opens_every_page_the_admin_site_registers(org: Any) -> None:
    from django.contrib import admin
    from django.urls import reverse

    c = logged_in(org.admin)
    index = c.get("/admin/")
    assert index.status_code == 200
    # Django's own users and groups stay with superusers: a group's permissions are what the
    # roles are, so whoever edits them could give themselves any right.
    ours = [m for m in admin.site._registry if m.__module__.startswith("doorstep.")]
    assert len(ours) >= 15
    for model in ours:
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert c.get(changelist).status_code == 200, changelist
        # The index lists every registered model: nothing is hidden from the admin role.
        assert changelist in index.content.decode(), changelist


def test_an_admin_role_user_edits_the_kit_list_and_imports_subscriber_counts(org: Any) -> None:
    from doorstep.care.models import KitItem

    c = logged_in(org.admin)
    assert c.get("/admin/kpis/subscribercount/import/").status_code == 200
    assert c.get("/admin/kpis/subscribercount/add/").status_code == 200
    form = {"label": "光功率计", "code": "opm", "required": "on", "position": "1", "enabled": "on"}
    assert c.post("/admin/care/kititem/add/", form).status_code == 302
    item = KitItem.objects.get(code="opm")
    assert c.get(f"/admin/care/kititem/{item.pk}/change/").status_code == 200
    # Incidents are shown, never changed, here.
    assert c.get("/admin/incidents/incident/add/").status_code == 403

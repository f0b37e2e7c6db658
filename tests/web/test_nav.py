"""The menu offers each role exactly the pages that open for it: every link in the navigation
answers 200 for the person it is drawn for, and every page of this round that is left out of a
role's menu refuses that role."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from doorstep.web.context import _pages

ROLES = ["operator", "dispatcher", "quality", "manager", "admin", "tech", "township_tech"]


def nav_links(c: Client) -> dict[str, str]:
    page = c.get(reverse("web:order_list"))
    assert page.status_code == 200
    html = page.content.decode()
    nav = html[html.index("<nav>") : html.index("</nav>")]
    return {label: href for href, label in re.findall(r'<a href="([^"]+)">([^<]+)</a>', nav)}


@pytest.mark.parametrize("who", ROLES)
def test_every_link_in_a_roles_menu_opens_and_no_other_page_of_the_round_does(
    org: Any, who: str
) -> None:
    c = Client()
    c.force_login(org.user(who))
    links = nav_links(c)
    for label, href in links.items():
        assert c.get(href).status_code == 200, (who, label, href)
    for label, name, _ in _pages():
        url = reverse(name)
        if url not in links.values():
            assert c.get(url).status_code in (403, 404), (who, label, url)


def test_each_role_sees_the_pages_of_its_work(org: Any) -> None:
    def menu(who: str) -> set[str]:
        c = Client()
        c.force_login(org.user(who))
        return set(nav_links(c))

    desk = {"回访台", "投诉"}
    assert desk <= menu("quality") and "疑似虚假回单" not in menu("quality")
    assert desk | {"疑似虚假回单", "发送记录", "工牌"} <= menu("manager")
    assert desk | {"疑似虚假回单", "发送记录"} <= menu("admin")
    assert {"施工条件", "工牌", "批量障碍", "客户请求"} <= menu("dispatcher")
    tech = menu("tech")
    assert {"批量障碍", "客户请求", "损坏赔偿", "客户问题"} <= tech
    assert not tech & (desk | {"疑似虚假回单", "发送记录", "工牌", "施工条件"})

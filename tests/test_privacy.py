"""R22 on every surface, from one table: what each viewer is shown of a customer.

A technician sees a customer's full phone number, address and positions only while the order
is theirs and open; office roles see them on their branch's orders; everybody else who may open
the order sees them masked; every full view leaves a PersonalDataView row. Each surface is
asked as its user would ask it (the API with a token, the pages with a login) and the answer is
searched for the customer's data as text, so a leak anywhere in the answer — an event payload,
a hidden form field, a tooltip — fails the case.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from doorstep.orders.actions import create_order, perform
from doorstep.orders.models import PersonalDataView, WorkOrder
from doorstep.orders.privacy import mask_address, mask_phone
from tests.conftest import bearer, repair_data

FULL, MASKED, HIDDEN = "full", "masked", "hidden"


@dataclass(frozen=True)
class Customer:
    name: str
    phone: str
    address: str
    location: tuple[float, float]
    # Only on the orders that went through a visit: where the technician signed in (`arrive`)
    # and the phone they left on the visit note (`absent`).
    arrive: tuple[float, float] | None = None
    contact_phone: str | None = None

    def full_values(self) -> list[str]:
        values = [self.phone, self.address, f"{self.location[0]}"]
        if self.arrive:
            values.append(f"{self.arrive[0]}")
        if self.contact_phone:
            values.append(self.contact_phone)
        return values


OWN_OPEN = Customer(
    "王五", "13812345678", "杭州市拱墅区大关小区3幢2单元501室", (30.2899, 120.1421),
    arrive=(30.2741, 120.1555), contact_phone="13900001111",
)  # fmt: skip
OWN_CLOSED = Customer(
    "赵六", "13822223333", "杭州市拱墅区和睦新村12幢1单元302室", (30.2911, 120.1433),
    arrive=(30.2752, 120.1566), contact_phone="13900002222",
)  # fmt: skip
OTHERS = Customer("钱七", "13833334444", "杭州市拱墅区小河路88号4幢101室", (30.2922, 120.1444))
TOWNSHIP = Customer("孙八", "13844445555", "杭州市桐庐县城南街道迎春南路9号", (29.7966, 119.6911))
UNASSIGNED = Customer("周九", "13855556666", "杭州市拱墅区米市巷17号601室", (30.2933, 120.1455))


def visit(order_id: int, org: Any, customer: Customer) -> None:
    """Assign to `tech`, book, go, sign in with a position, find nobody home, leave a note."""
    now = timezone.now()
    start = now + timedelta(hours=1)
    perform(order_id, "assign", org.dispatcher, {"technician": "tech"})
    perform(order_id, "accept", org.tech, {})
    perform(
        order_id,
        "schedule",
        org.tech,
        {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()},
    )
    perform(order_id, "depart", org.tech, {})
    assert customer.arrive and customer.contact_phone
    perform(order_id, "arrive", org.tech, {"lat": customer.arrive[0], "lng": customer.arrive[1]})
    perform(order_id, "contact", org.tech, {"outcome": "no_answer"})
    perform(
        order_id,
        "absent",
        org.tech,
        {
            "arrived_at": now.isoformat(),
            "left_at": now.isoformat(),
            "note": "上门未遇，已留言",
            "contact_phone": customer.contact_phone,
            "contact_person": "Tech",
        },
    )


def report(actor: Any, customer: Customer, branch: str | None = "GS") -> WorkOrder:
    data = repair_data(
        customer={"name": customer.name, "phone": customer.phone, "address": customer.address},
        location={"lat": customer.location[0], "lng": customer.location[1]},
        branch=branch,
    )
    order, _ = create_order(actor, data)
    return order


@pytest.fixture
def orders(org: Any) -> dict[Customer, WorkOrder]:
    own_open = report(org.operator, OWN_OPEN)
    visit(own_open.pk, org, OWN_OPEN)
    own_closed = report(org.operator, OWN_CLOSED)
    visit(own_closed.pk, org, OWN_CLOSED)
    perform(own_closed.pk, "cancel", org.operator, {"reason": "客户已自行修复"})
    others = report(org.operator, OTHERS)
    perform(others.pk, "assign", org.dispatcher, {"technician": "other_tech"})
    # A township technician takes a report in person; nobody is assigned yet.
    township = report(org.township_tech, TOWNSHIP, branch=None)
    unassigned = report(org.operator, UNASSIGNED)
    made = {
        OWN_OPEN: own_open,
        OWN_CLOSED: own_closed,
        OTHERS: others,
        TOWNSHIP: township,
        UNASSIGNED: unassigned,
    }
    return {c: WorkOrder.objects.get(pk=o.pk) for c, o in made.items()}


# -- the surfaces -----------------------------------------------------------------------------
# Each answers (status, text) for a viewer and an order, and names the `via` of its log rows.


def _client(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password="pw-" + username)
    return c


def api_detail(user: str, order: WorkOrder) -> tuple[int, str]:
    resp = Client().get(f"/api/v1/orders/{order.pk}", headers=bearer(user))
    return resp.status_code, resp.content.decode("unicode_escape")


def api_list(user: str, order: WorkOrder) -> tuple[int, str]:
    resp = Client().get("/api/v1/orders", {"page_size": 100}, headers=bearer(user))
    rows = [r for r in resp.json().get("results", []) if r["id"] == order.pk]
    return (200, str(rows[0])) if rows else (404, "")


def order_page(user: str, order: WorkOrder) -> tuple[int, str]:
    resp = _client(user).get(f"/orders/{order.pk}/")
    return resp.status_code, resp.content.decode()


def order_list(user: str, order: WorkOrder) -> tuple[int, str]:
    html = _client(user).get("/orders/").content.decode()
    row = re.search(rf"<tr>\s*<td><a href=\"/orders/{order.pk}/\">.*?</tr>", html, re.S)
    return (200, row.group(0)) if row else (404, html)


def intake_lookup(user: str, order: WorkOrder) -> tuple[int, str]:
    resp = _client(user).get("/intake/lookup/", {"customer_phone": order.customer.phone})
    # The page repeats the number the viewer typed; that is not the customer's data leaking.
    html = resp.content.decode().replace(order.customer.phone, "〔typed〕")
    if resp.status_code != 200 or order.customer.name not in html:
        return 404, html
    return 200, html


def my_day(user: str, order: WorkOrder) -> tuple[int, str]:
    html = _client(user).get("/m/").content.decode()
    card = re.search(rf'<a class="day-card" href="/m/orders/{order.pk}/".*?</a>', html, re.S)
    return (200, card.group(0)) if card else (404, html)


def phone_page(user: str, order: WorkOrder) -> tuple[int, str]:
    resp = _client(user).get(f"/m/orders/{order.pk}/")
    return resp.status_code, resp.content.decode()


def board(user: str, order: WorkOrder) -> tuple[int, str]:
    resp = _client(user).get("/dispatch/", {"branch": order.branch.code})
    html = resp.content.decode()
    item = re.search(rf'<li id="u-{order.pk}">.*?</li>', html, re.S)
    return (200, item.group(0)) if resp.status_code == 200 and item else (404, html)


def export(user: str, order: WorkOrder) -> tuple[int, str]:
    resp = _client(user).get("/orders/", {"export": "csv"})
    text = b"".join(resp.streaming_content).decode("utf-8-sig")
    rows = [line for line in text.splitlines() if line.startswith(order.number + ",")]
    return (200, rows[0]) if rows else (404, text)


Surface = Callable[[str, WorkOrder], tuple[int, str]]

# surface → (what it shows in full, masked) and the `via` of its log rows. The phone page
# offers the customer's number only on the steps that call them, none of them on a closed order.
SURFACES: dict[str, tuple[Surface, str, tuple[str, ...], tuple[str, ...]]] = {
    "api_detail": (
        api_detail, "api",
        ("phone", "address", "location", "arrive", "contact"), ("phone", "address", "contact"),
    ),
    "api_list": (api_list, "api-list", ("phone", "address"), ("phone", "address")),
    "order_page": (
        order_page, "web",
        ("phone", "address", "arrive", "contact"), ("phone", "address", "contact"),
    ),
    "order_list": (order_list, "web-list", ("phone", "address"), ("phone", "address")),
    "intake_lookup": (intake_lookup, "lookup", ("address",), ("address",)),
    "my_day": (my_day, "my-day", ("address",), ("address",)),
    "phone_page": (phone_page, "phone", ("phone", "address"), ("address",)),
    "board": (board, "board", ("address",), ("address",)),
    "export": (export, "export", ("phone", "address"), ("phone", "address")),
}  # fmt: skip

# -- the one table ----------------------------------------------------------------------------
# (viewer, whose order, surface, what they see)

CASES: list[tuple[str, Customer, str, str]] = [
    # the technician, on their own open order: everything, everywhere they go
    ("tech", OWN_OPEN, "api_detail", FULL),
    ("tech", OWN_OPEN, "api_list", FULL),
    ("tech", OWN_OPEN, "order_page", FULL),
    ("tech", OWN_OPEN, "order_list", FULL),
    ("tech", OWN_OPEN, "my_day", FULL),
    ("tech", OWN_OPEN, "phone_page", FULL),
    ("tech", OWN_OPEN, "intake_lookup", HIDDEN),  # an urban technician takes no reports
    ("tech", OWN_OPEN, "board", HIDDEN),
    # … on their own order once it is closed: masked, the visit's position and note phone too
    ("tech", OWN_CLOSED, "api_detail", MASKED),
    ("tech", OWN_CLOSED, "api_list", MASKED),
    ("tech", OWN_CLOSED, "order_page", MASKED),
    ("tech", OWN_CLOSED, "order_list", MASKED),
    ("tech", OWN_CLOSED, "my_day", HIDDEN),
    ("tech", OWN_CLOSED, "phone_page", MASKED),
    # … on another technician's order: nothing at all
    ("tech", OTHERS, "api_detail", HIDDEN),
    ("tech", OTHERS, "api_list", HIDDEN),
    ("tech", OTHERS, "order_page", HIDDEN),
    ("tech", OTHERS, "order_list", HIDDEN),
    ("tech", OTHERS, "my_day", HIDDEN),
    ("tech", OTHERS, "phone_page", HIDDEN),
    ("tech", UNASSIGNED, "order_page", HIDDEN),
    # the operator (a central desk, no branch): everything on every order
    ("operator", OWN_OPEN, "api_detail", FULL),
    ("operator", OWN_OPEN, "api_list", FULL),
    ("operator", OWN_OPEN, "order_page", FULL),
    ("operator", OWN_OPEN, "order_list", FULL),
    ("operator", OWN_OPEN, "intake_lookup", FULL),
    ("operator", OWN_OPEN, "phone_page", HIDDEN),
    ("operator", OWN_CLOSED, "order_page", FULL),
    ("operator", TOWNSHIP, "api_detail", FULL),
    ("operator", TOWNSHIP, "order_page", FULL),
    ("operator", TOWNSHIP, "intake_lookup", FULL),
    ("operator", UNASSIGNED, "board", HIDDEN),  # the board is the dispatchers'
    # the dispatcher of 拱墅: everything on their branch's orders, nothing of 桐庐's
    ("dispatcher", OWN_OPEN, "api_detail", FULL),
    ("dispatcher", OWN_CLOSED, "order_page", FULL),
    ("dispatcher", OWN_CLOSED, "api_detail", FULL),
    ("dispatcher", OTHERS, "order_list", FULL),
    ("dispatcher", OWN_OPEN, "intake_lookup", FULL),
    ("dispatcher", UNASSIGNED, "board", FULL),
    ("dispatcher", UNASSIGNED, "api_list", FULL),
    ("dispatcher", TOWNSHIP, "api_detail", HIDDEN),
    ("dispatcher", TOWNSHIP, "order_page", HIDDEN),
    ("dispatcher", TOWNSHIP, "intake_lookup", HIDDEN),
    # exports: in full only for the roles that may take customers' data out (manager, admin)
    ("manager", OWN_OPEN, "export", FULL),
    ("operator", OWN_OPEN, "export", MASKED),  # full on the screen, masked in a file
    ("dispatcher", UNASSIGNED, "export", MASKED),
    ("tech", OWN_OPEN, "export", MASKED),
    ("tech", OTHERS, "export", HIDDEN),
    # the township technician who took a report in person: who, not where
    ("township_tech", TOWNSHIP, "api_detail", MASKED),
    ("township_tech", TOWNSHIP, "api_list", MASKED),
    ("township_tech", TOWNSHIP, "order_page", MASKED),
    ("township_tech", TOWNSHIP, "order_list", MASKED),
    ("township_tech", TOWNSHIP, "intake_lookup", MASKED),
    ("township_tech", TOWNSHIP, "phone_page", HIDDEN),  # not assigned to them
    ("township_tech", OWN_OPEN, "api_detail", HIDDEN),
    ("township_tech", OWN_OPEN, "order_page", HIDDEN),
]


def _logged(user: str, order: WorkOrder, via: str) -> int:
    rows = PersonalDataView.objects.filter(user__username=user, via=via)
    if via == "lookup":
        return rows.filter(customer_id=order.customer_id).count()
    return rows.filter(order=order).count()


@pytest.mark.parametrize(
    ("viewer", "whose", "surface", "expected"),
    CASES,
    ids=[f"{v}-{c.name}-{s}-{e}" for v, c, s, e in CASES],
)
def test_each_viewer_sees_what_r22_allows_on_each_surface(
    org: Any,
    orders: dict[Customer, WorkOrder],
    viewer: str,
    whose: Customer,
    surface: str,
    expected: str,
) -> None:
    order = orders[whose]
    ask, via, shows_full, shows_masked = SURFACES[surface]
    before = _logged(viewer, order, via)
    status, text = ask(viewer, order)
    leaked = [v for v in whose.full_values() if v in text]
    if expected == HIDDEN:
        assert status in (403, 404), f"{surface} answered {status}"
        assert leaked == []
    elif expected == MASKED:
        assert status == 200
        assert leaked == [], f"{surface} shows {leaked} to {viewer}"
        assert whose.name in text
        if "phone" in shows_masked:
            assert mask_phone(whose.phone) in text
        if "address" in shows_masked:
            assert mask_address(whose.address) in text
        if "contact" in shows_masked and whose.contact_phone:
            assert mask_phone(whose.contact_phone) in text
    else:
        assert status == 200
        wanted = {"phone": whose.phone, "address": whose.address}
        if whose.arrive:
            wanted["arrive"] = f"{whose.arrive[0]}"
        if whose.contact_phone:
            wanted["contact"] = whose.contact_phone
        wanted["location"] = f"{whose.location[0]}"
        missing = [k for k in shows_full if k in wanted and wanted[k] not in text]
        assert missing == [], f"{surface} should show {missing} to {viewer}"
    # Every full view is logged (one row per order shown); masked and refused ones are not.
    assert _logged(viewer, order, via) - before == (1 if expected == FULL else 0)


def test_a_list_page_logs_one_row_per_order_it_shows_in_full(
    org: Any, orders: dict[Customer, WorkOrder]
) -> None:
    c = _client("operator")
    c.get("/orders/")  # warm the session and the caches
    PersonalDataView.objects.all().delete()
    c.get("/orders/")
    rows = PersonalDataView.objects.filter(user__username="operator", via="web-list")
    assert rows.count() == len(orders)
    assert len({r.at for r in rows}) == 1


# -- links ------------------------------------------------------------------------------------

ORDER_LINK = re.compile(r'href="(/(?:m/)?orders/\d+/)"')


def test_a_technicians_pages_link_only_to_orders_they_can_open(org: Any) -> None:
    from doorstep.orders.models import WorkOrder

    # An earlier repair of the same line, closed by a colleague: the new one is its repeat
    # (R13) and names it, but the earlier order is not this technician's to open.
    earlier = report(org.operator, OTHERS)
    perform(earlier.pk, "assign", org.dispatcher, {"technician": "other_tech"})
    WorkOrder.objects.filter(pk=earlier.pk).update(
        status="closed", completed_at=timezone.now() - timedelta(days=2)
    )
    repeat = report(org.operator, OTHERS)
    assert repeat.repeat_of_id == earlier.pk
    perform(repeat.pk, "assign", org.dispatcher, {"technician": "tech"})
    mine = report(org.operator, OWN_OPEN)
    visit(mine.pk, org, OWN_OPEN)

    tech = _client("tech")
    pages = ["/orders/", "/m/", f"/orders/{repeat.pk}/", f"/m/orders/{repeat.pk}/"]
    pages += [f"/orders/{mine.pk}/", f"/m/orders/{mine.pk}/"]
    links: set[str] = set()
    for page in pages:
        html = tech.get(page).content.decode()
        assert "/orders/" in html
        links |= set(ORDER_LINK.findall(html))
    assert f"/orders/{repeat.pk}/" in links and f"/m/orders/{mine.pk}/" in links
    assert f"/orders/{earlier.pk}/" not in links
    for link in sorted(links):
        assert tech.get(link).status_code == 200, link
    # The earlier order is still named on the repeat's page, as plain text.
    assert earlier.number in tech.get(f"/orders/{repeat.pk}/").content.decode()
    # The dispatcher, who may open it, gets the link.
    dispatcher_page = _client("dispatcher").get(f"/orders/{repeat.pk}/").content.decode()
    assert f'href="/orders/{earlier.pk}/"' in dispatcher_page


def test_the_link_check_and_the_page_filter_are_one_rule(
    org: Any, orders: dict[Customer, WorkOrder]
) -> None:
    from doorstep.orders.access import may_open, visible_orders

    every = list(WorkOrder.objects.all())
    for name in ("tech", "other_tech", "township_tech", "operator", "dispatcher", "manager"):
        user = org.user(name)
        listed = set(visible_orders(user).values_list("pk", flat=True))
        assert {o.pk for o in every if may_open(user, o)} == listed, name

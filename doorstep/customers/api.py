"""API of the customer's side (SPEC §5): the customer's link and the technicians' cards."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Schema

from doorstep.api.errors import Router
from doorstep.core.errors import InvalidInput, NotFound
from doorstep.customers import badges
from doorstep.customers.links import absolute, make_link, revoke_links
from doorstep.org.models import Branch, Staff
from doorstep.ratings import current_stars, stars_of

router = Router(tags=["customers"])


class CustomerLinkOut(Schema):
    url: str
    expires_at: str


class RevokedOut(Schema):
    revoked: int


class TechnicianOut(Schema):
    username: str
    name: str
    employee_number: str
    branch: str | None
    team: str | None
    skills: list[str]
    star_rating: int | None  # 1–5, derived from the KPIs (doorstep.ratings); null: none yet
    badge_url: str


class TechnicianList(Schema):
    count: int
    results: list[TechnicianOut]


@router.post("/orders/{order_id}/customer-link", response={200: CustomerLinkOut})
def create_customer_link(request: HttpRequest, order_id: int) -> dict[str, Any]:
    """A link for the customer (for the SMS): office roles, or the technician on their open
    order. Each call makes a new link; earlier ones keep working until they expire."""
    link = make_link(request.user, order_id)
    return {"url": absolute(request, link.path), "expires_at": link.expires_at.isoformat()}


@router.delete("/orders/{order_id}/customer-link", response={200: RevokedOut})
def revoke_customer_links(request: HttpRequest, order_id: int) -> dict[str, int]:
    """Revoke every live link of the order (a link sent to a wrong number)."""
    return {"revoked": revoke_links(request.user, order_id)}


def _technician(request: HttpRequest, staff: Staff, stars: int | None) -> dict[str, Any]:
    return {
        "username": staff.user.username,
        "name": staff.name,
        "employee_number": staff.employee_no,
        "branch": staff.branch.code if staff.branch else None,
        "team": staff.team.name if staff.team else None,
        "skills": list(staff.skills or []),
        "star_rating": stars,
        "badge_url": absolute(request, badges.badge_path(staff)),
    }


def _technicians() -> Any:
    return Staff.objects.filter(is_technician=True, user__is_active=True).select_related(
        "user", "branch", "team", "badge"
    )


@router.get("/technicians", response={200: TechnicianList})
def list_technicians(request: HttpRequest, branch: str | None = None) -> dict[str, Any]:
    people = _technicians().order_by("employee_no")
    if branch:
        if not Branch.objects.filter(code=branch).exists():
            raise InvalidInput({"branch": f"没有编码为 {branch} 的分公司"})
        people = people.filter(branch__code=branch)
    people = list(people)
    stars = stars_of(s.user_id for s in people)
    rows = [_technician(request, s, stars[s.user_id]) for s in people]
    return {"count": len(rows), "results": rows}


@router.get("/technicians/{username}", response={200: TechnicianOut})
def get_technician(request: HttpRequest, username: str) -> dict[str, Any]:
    staff = _technicians().filter(user__username=username).first()
    if staff is None:
        raise NotFound(f"没有用户名为 {username} 的装维人员")
    return _technician(request, staff, current_stars(staff.user_id))

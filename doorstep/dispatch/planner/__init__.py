"""Day planner: plans a branch's day over its technicians with PyVRP (issue 5).

Pure Python and independent of Django: build a :class:`PlanRequest` from orders and technicians,
call :func:`plan_day`, check :meth:`Plan.violations`, show :meth:`Plan.explain`, then apply the
routes as ordinary assign actions. :func:`replan` re-plans from "now" and lists moved customers.
"""

from .model import (
    CostSettings,
    Job,
    LunchBreak,
    MovedVisit,
    Plan,
    PlannedVisit,
    PlanRequest,
    Route,
    Technician,
    Unassigned,
    moved_visits,
)
from .solve import Replan, plan_day, replan
from .travel import MatrixTravel, StraightLineTravel, TravelModel

__all__ = [
    "CostSettings",
    "Job",
    "LunchBreak",
    "MatrixTravel",
    "MovedVisit",
    "Plan",
    "PlanRequest",
    "PlannedVisit",
    "Replan",
    "Route",
    "StraightLineTravel",
    "Technician",
    "TravelModel",
    "Unassigned",
    "moved_visits",
    "plan_day",
    "replan",
]

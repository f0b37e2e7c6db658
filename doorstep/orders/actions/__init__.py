"""The action layer: the only way an order changes (see core.py)."""

from doorstep.orders.actions import care as _care  # noqa: F401  (registers care's actions)
from doorstep.orders.actions.core import create_order, perform

__all__ = ["create_order", "perform"]

from django.db import models
from django.utils.translation import gettext_lazy as _

# The action that decides a complaint case. Not in `orders.choices.Action` (whose choices are
# frozen in the orders migrations): like the customer's actions, it is a name in the state
# table (orders/states.py) and in the order's history.
VERIFY_COMPLAINT = "verify_complaint"

# Policy key: the share of close-outs sampled for audit (params {"share": 0.1}).
AUDIT_POLICY = "quality.audit_share"


class Finding(models.TextChoices):
    UPHELD = "upheld", _("属实")
    REJECTED = "rejected", _("不属实")


class Contradiction(models.TextChoices):
    """What the customer said on the callback that contradicts the close-out."""

    NOBODY_CAME = "nobody_came", _("无人上门")
    STILL_BROKEN = "still_broken", _("故障仍未修好")


class CallbackOutcome(models.TextChoices):
    SATISFIED = "satisfied", _("满意，已归档")
    UNSATISFIED = "unsatisfied", _("不满意，退回装维")
    AUTO_CLOSED = "auto_closed", _("回访期限届满自动归档")
    CLOSED = "closed", _("期满后人工归档")

from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentStatus(models.TextChoices):
    SUSPECTED = "suspected", _("疑似批量障碍")
    OUTAGE = "outage", _("已确认网络故障")
    CLOSED = "closed", _("已关闭")


# Incidents that still gather reports and hold their members back from dispatch.
ACTIVE = frozenset({IncidentStatus.SUSPECTED, IncidentStatus.OUTAGE})


class IncidentAction(models.TextChoices):
    OPEN = "open", _("立案")
    JOIN = "join", _("新报障并入")
    CONFIRM_OUTAGE = "confirm_outage", _("确认网络故障")
    ADD_MEMBER = "add_member", _("加入工单")
    REMOVE_MEMBER = "remove_member", _("移出工单")
    CLOSE = "close", _("关闭")


# The actions the API and the page offer; `open` and `join` are the intake's.
STAFF_ACTIONS = (
    IncidentAction.CONFIRM_OUTAGE,
    IncidentAction.ADD_MEMBER,
    IncidentAction.REMOVE_MEMBER,
    IncidentAction.CLOSE,
)

POLICY_KEY = "incident.threshold"

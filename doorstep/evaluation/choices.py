from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemKind(models.TextChoices):
    CONDUCT = "conduct", _("行为规范（是/否）")
    RATING = "rating", _("满意度（1–5 分）")


class Via(models.TextChoices):
    PHONE_HANDOVER = "phone_handover", _("现场在师傅手机上填写")
    LINK = "link", _("通过客户链接填写")


# The complaint channel an evaluation's "no" opens its case with (orders.choices.ComplaintChannel).
COMPLAINT_CHANNEL = "evaluation"
# An overall rating at or below this asks the technician to put it right and flags the order.
LOW_RATING = 2

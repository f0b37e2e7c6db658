from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    RECEIVED = "received", _("已受理")
    DISPATCHED = "dispatched", _("已派单")
    ACCEPTED = "accepted", _("已接单")
    SCHEDULED = "scheduled", _("已预约")
    EN_ROUTE = "en_route", _("出发")
    ON_SITE = "on_site", _("已上门")
    COMPLETED = "completed", _("已回单")
    CLOSED = "closed", _("已归档")
    SUSPENDED = "suspended", _("挂起")
    RETURNED = "returned", _("退单")
    CANCELLED = "cancelled", _("撤单")


# Named groups, so no code compares a status with a bare string.
TERMINAL = frozenset({Status.CLOSED, Status.CANCELLED})
OPEN = frozenset(set(Status) - TERMINAL - {Status.COMPLETED})
FIELD_ACTIVE = frozenset({Status.EN_ROUTE, Status.ON_SITE})


class Kind(models.TextChoices):
    INSTALL = "install", _("装机")
    MOVE = "move", _("移机")
    REPAIR = "repair", _("修障")
    REMOVAL = "removal", _("拆机")


class FaultClass(models.TextChoices):
    LINE = "line", _("用户线路故障")
    NETWORK = "network", _("一般网络故障")
    SEVERE = "severe", _("严重网络故障")


class Channel(models.TextChoices):
    PHONE = "phone", _("电话")
    APP = "app", _("APP")
    COUNTER = "counter", _("营业厅")
    API = "api", _("接口")


class ContactOutcome(models.TextChoices):
    REACHED = "reached", _("已联系上")
    NO_ANSWER = "no_answer", _("无人接听")
    UNREACHABLE = "unreachable", _("无法接通")
    REFUSED = "refused", _("拒绝")


class RequestedBy(models.TextChoices):
    CUSTOMER = "customer", _("客户")
    CREW = "crew", _("装维")


class ConsentSubject(models.TextChoices):
    DRILL_WALL = "drill_wall", _("墙面打孔")
    MOVE_ITEMS = "move_items", _("搬动物品")
    ENTER_ROOM = "enter_room", _("进入其他房间")
    DISK_DATA = "disk_data", _("操作硬盘数据")
    OTHER = "other", _("其他")


class SuspendReason(models.TextChoices):
    CUSTOMER_REQUEST = "customer_request", _("客户要求")
    CUSTOMER_UNREACHABLE = "customer_unreachable", _("客户联系不上")
    NO_CAPACITY = "no_capacity", _("无资源")
    THIRD_PARTY = "third_party", _("第三方原因")
    FORCE_MAJEURE = "force_majeure", _("不可抗力")
    OUTAGE = "outage", _("网络故障")
    OTHER = "other", _("其他")


class ChaseBy(models.TextChoices):
    CUSTOMER = "customer", _("客户")
    OPERATOR = "operator", _("受理员")
    DISPATCHER = "dispatcher", _("调度")


class ComplaintChannel(models.TextChoices):
    HOTLINE = "hotline", _("10000/10086 热线")
    MAYOR_HOTLINE = "mayor_hotline", _("市长热线")
    BUREAU_LEADERSHIP = "bureau_leadership", _("局领导")
    COMPANY_LEADERSHIP = "company_leadership", _("公司领导")
    # A "no" on the customer's evaluation form (doorstep.evaluation).
    EVALUATION = "evaluation", _("客户评价表")


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("照片")
    SPEED_TEST = "speed_test", _("测速")
    SIGNATURE = "signature", _("签名")
    DOCUMENT = "document", _("文档")


class Action(models.TextChoices):
    CREATE = "create", _("受理")
    ASSIGN = "assign", _("派单")
    ACCEPT = "accept", _("接单")
    CONTACT = "contact", _("联系客户")
    SCHEDULE = "schedule", _("预约")
    RESCHEDULE = "reschedule", _("改约")
    NOTIFY_DELAY = "notify_delay", _("迟到告知")
    DEPART = "depart", _("出发")
    ARRIVE = "arrive", _("上门签到")
    ABSENT = "absent", _("客户不在家")
    CONSENT = "consent", _("征得同意")
    ATTACH = "attach", _("上传附件")
    COMPLETE = "complete", _("回单")
    SUSPEND = "suspend", _("挂起")
    RESUME = "resume", _("解挂")
    RETURN = "return", _("退单")
    REPLY = "reply", _("首次回复")
    CHASE = "chase", _("催单")
    REPORT_BACK = "report_back", _("回告")
    CALLBACK = "callback", _("回访")
    COMPLAIN = "complain", _("投诉")
    CANCEL = "cancel", _("撤单")
    CLOSE = "close", _("归档")

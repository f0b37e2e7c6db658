"""The technician's phone pages (issue 4), one module per page: `day` (my day), `order` (the
visit step by step, with `steps` for what each step shows), `checks` (the live banned-phrase
check) and `offline` (the service worker); `common` holds what several of them share.

The pages only read (through the permission gate). Every change goes from the browser to the
JSON action API (`/api/v1/orders/{id}/actions/{action}`), so an action pressed without signal
and replayed later takes exactly the same path as one sent at once; see static/field/.
"""

from doorstep.field.views.checks import phrase_check
from doorstep.field.views.day import my_day
from doorstep.field.views.offline import service_worker
from doorstep.field.views.order import order_page

__all__ = ["my_day", "order_page", "phrase_check", "service_worker"]

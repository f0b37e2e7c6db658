from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "doorstep.notifications"
    label = "notifications"
    verbose_name = "通知"

    def ready(self) -> None:
        from doorstep.notifications import (
            cache,
            notices,
            retention,  # noqa: F401 - registers the outbox eraser
            webhooks,
        )
        from doorstep.orders import hooks

        cache.connect()
        hooks.after_event(notices.on_order_event)
        hooks.after_event(webhooks.fan_out)

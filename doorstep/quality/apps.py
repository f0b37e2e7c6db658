from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "doorstep.quality"
    label = "quality"
    verbose_name = "质检回访"

    def ready(self) -> None:
        from doorstep.orders import hooks
        from doorstep.quality import services

        # Listed after standards in INSTALLED_APPS: the R17 clock of a close-out exists when
        # the callback task is made, so the task copies its deadline.
        hooks.after_event(services.on_order_event)
        hooks.before_event(services.gate)

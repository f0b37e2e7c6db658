from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "doorstep.incidents"
    label = "incidents"
    verbose_name = "批量障碍"

    def ready(self) -> None:
        from doorstep.incidents import intake
        from doorstep.orders import hooks

        # Listed after standards and notifications in INSTALLED_APPS, so these run after the
        # order's clocks and notices for the same event exist.
        hooks.after_event(intake.on_order_event)
        hooks.before_event(intake.gate)

from django.apps import AppConfig


class StandardsConfig(AppConfig):
    name = "doorstep.standards"
    label = "standards"
    verbose_name = "服务规范"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from doorstep.orders import hooks
        from doorstep.standards import checks, clocks, policies
        from doorstep.standards.models import Calendar, HolidayDay, Policy

        hooks.after_event(clocks.on_event)
        hooks.after_event(checks.check)
        hooks.before_event(checks.gate)
        hooks.provide_clocks(clocks.clocks_as_of)
        for model in (Policy, Calendar, HolidayDay):
            post_save.connect(
                policies.clear_cache, sender=model, dispatch_uid=f"clear-{model.__name__}"
            )
            post_delete.connect(
                policies.clear_cache, sender=model, dispatch_uid=f"clear-d-{model.__name__}"
            )

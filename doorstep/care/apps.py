from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "doorstep.care"
    label = "care"
    verbose_name = "服务质量规则"

    def ready(self) -> None:
        from doorstep.care import hooks
        from doorstep.orders import hooks as order_hooks

        # After standards and notifications in INSTALLED_APPS: an order's clocks exist by then.
        order_hooks.after_event(hooks.on_order_event)
        order_hooks.before_event(hooks.gate)

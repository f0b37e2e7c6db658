from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "doorstep.dispatch"
    label = "dispatch"
    verbose_name = "调度"

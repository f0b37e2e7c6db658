from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "doorstep.dashboards"
    verbose_name = "看板"

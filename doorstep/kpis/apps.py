from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "doorstep.kpis"
    label = "kpis"
    verbose_name = "KPI 指标"

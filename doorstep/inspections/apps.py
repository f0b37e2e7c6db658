from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "doorstep.inspections"
    label = "inspections"
    verbose_name = "稽核"

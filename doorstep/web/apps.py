from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "doorstep.web"
    label = "web"
    verbose_name = "Web"

from django.apps import AppConfig


class UiConfig(AppConfig):
    """Installed only so that Django finds the `doorstep_ui` template tags."""

    name = "doorstep.ui"
    label = "ui"
    verbose_name = "页面公用部件"

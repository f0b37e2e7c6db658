from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "doorstep.org"
    label = "org"
    verbose_name = "组织"

    def ready(self) -> None:
        from doorstep.org import signals

        signals.connect()

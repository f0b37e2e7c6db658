from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "doorstep.customers"
    label = "customers"
    verbose_name = "客户端"

    def ready(self) -> None:
        from doorstep.customers import requests  # noqa: F401  (answers requests on reschedule)

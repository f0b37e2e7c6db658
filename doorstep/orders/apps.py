from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "doorstep.orders"
    label = "orders"
    verbose_name = "工单"

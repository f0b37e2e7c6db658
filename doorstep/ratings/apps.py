from django.apps import AppConfig


class RatingsConfig(AppConfig):
    name = "doorstep.ratings"
    label = "ratings"
    verbose_name = "星级"

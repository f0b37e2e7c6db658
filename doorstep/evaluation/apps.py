from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "doorstep.evaluation"
    label = "evaluation"
    verbose_name = "服务评价"

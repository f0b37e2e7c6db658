from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "doorstep.bench"
    label = "bench"
    verbose_name = "Benchmarks"

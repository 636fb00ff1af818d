from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "vaxelstat.demo"
    label = "demo"

from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "vaxelstat.calls"
    label = "calls"

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "vaxelstat.api"
    label = "api"

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "vaxelstat.reports"
    label = "reports"

from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "vaxelstat.exports"
    verbose_name = "Export"

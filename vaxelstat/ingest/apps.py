from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "vaxelstat.ingest"
    label = "ingest"

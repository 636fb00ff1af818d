from django.apps import AppConfig


class SavedConfig(AppConfig):
    name = "vaxelstat.saved"
    label = "saved"

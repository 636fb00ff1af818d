from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "vaxelstat.orgs"
    label = "orgs"

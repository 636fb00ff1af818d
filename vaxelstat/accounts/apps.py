from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "vaxelstat.accounts"
    label = "accounts"

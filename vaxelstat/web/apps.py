from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "vaxelstat.web"
    label = "web"

    def ready(self) -> None:
        from vaxelstat import checks  # noqa: F401  (registers the system checks)

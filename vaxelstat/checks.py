"""System checks that warn about dangerous production settings, with a hint each."""

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def production_settings(app_configs: Any, **kwargs: Any) -> list[Warning]:
    problems = []
    if not settings.PRODUCTION:
        problems.append(
            Warning(
                "VAXELSTAT_PRODUCTION is not 1: cookies are sent over plain HTTP, nothing "
                "redirects to HTTPS, no HSTS, and any command migrates the app database.",
                hint="Set VAXELSTAT_PRODUCTION=1 (docs/production.md).",
                id="vaxelstat.W006",
            )
        )
    if settings.DEBUG:
        problems.append(
            Warning(
                "DEBUG is on.",
                hint="Leave VAXELSTAT_DEBUG unset: its pages show the settings and every URL.",
                id="vaxelstat.W001",
            )
        )
    if (settings.DATA_DIR / "secret_key").exists() and not _env("VAXELSTAT_SECRET_KEY"):
        problems.append(
            Warning(
                "The secret key is read from a file in the data directory.",
                hint="Set VAXELSTAT_SECRET_KEY from your secret store in production.",
                id="vaxelstat.W002",
            )
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        problems.append(
            Warning(
                "The app database is SQLite.",
                hint="Set DATABASE_URL=postgres://... for a production service.",
                id="vaxelstat.W003",
            )
        )
    if "*" in settings.ALLOWED_HOSTS:
        problems.append(
            Warning(
                "ALLOWED_HOSTS allows any host.",
                hint="List the service's host names in VAXELSTAT_ALLOWED_HOSTS.",
                id="vaxelstat.W004",
            )
        )
    if settings.MAILERS["default"]["BACKEND"].endswith("console.EmailBackend"):
        problems.append(
            Warning(
                "E-mail is printed on the console: activation links and login codes reach nobody.",
                hint="Set VAXELSTAT_SMTP_URL=smtp://USER:PASSWORD@HOST:587 (or smtps://).",
                id="vaxelstat.W005",
            )
        )
    return problems


def _env(name: str) -> str:
    import os

    return os.environ.get(name, "")

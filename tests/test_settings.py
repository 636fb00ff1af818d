"""Settings from the environment, and the checks that warn about unsafe production settings."""

import os

from django.core.checks import run_checks
from django.db import connection


def test_the_app_database_is_the_one_asked_for(db) -> None:
    wanted = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    assert connection.vendor == wanted


def test_deploy_checks_warn_about_debug_and_sqlite(settings) -> None:
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = ["*"]
    ids = {m.id for m in run_checks(include_deployment_checks=True, tags=["security"])}
    assert {"vaxelstat.W001", "vaxelstat.W004"} <= ids
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["stats.example.com"]
    ids = {m.id for m in run_checks(include_deployment_checks=True, tags=["security"])}
    assert "vaxelstat.W001" not in ids and "vaxelstat.W004" not in ids


def test_deploy_checks_name_a_service_not_in_production_mode(settings) -> None:
    settings.PRODUCTION = False
    ids = {m.id for m in run_checks(include_deployment_checks=True, tags=["security"])}
    assert "vaxelstat.W006" in ids
    settings.PRODUCTION = True
    ids = {m.id for m in run_checks(include_deployment_checks=True, tags=["security"])}
    assert "vaxelstat.W006" not in ids


def test_the_mailer_comes_from_the_smtp_url_and_its_absence_is_a_deploy_warning(
    settings,
) -> None:
    from vaxelstat.mail import mailer_from_url

    assert mailer_from_url("smtps://stats%40example.com:p%40ss@mail.example.com") == {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": "mail.example.com",
            "use_ssl": True,
            "use_tls": False,
            "timeout": 20,
            "username": "stats@example.com",
            "password": "p@ss",
        },
    }
    assert mailer_from_url("smtp+starttls://mail.example.com:587")["OPTIONS"]["port"] == 587
    settings.MAILERS = {"default": mailer_from_url("")}
    ids = {m.id for m in run_checks(include_deployment_checks=True, tags=["security"])}
    assert "vaxelstat.W005" in ids
    settings.MAILERS = {"default": mailer_from_url("smtp://mail.example.com:25")}
    ids = {m.id for m in run_checks(include_deployment_checks=True, tags=["security"])}
    assert "vaxelstat.W005" not in ids

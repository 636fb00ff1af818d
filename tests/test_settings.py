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

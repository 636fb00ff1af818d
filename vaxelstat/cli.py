"""The `vaxelstat` command: Django's management commands with the project's settings."""

import os
import sys

# Django's own commands that must run without migrating first.
_NO_AUTO_MIGRATE = {
    "migrate",
    # (A restore brings its own app database.)
    "restore",
    "makemigrations",
    "sqlmigrate",
    "showmigrations",
    "help",
    "check",
    "shell",
    "dbshell",
    "version",
    "--help",
    "-h",
    "--version",
}


def _migrate_if_needed() -> None:
    """Bring the app database up to date, so every command works on a fresh data directory.
    In production (VAXELSTAT_PRODUCTION=1) only `vaxelstat migrate` migrates, as a step of
    an upgrade: another command on a database that needs it says so, and stops."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if not plan:
        return
    if settings.PRODUCTION:
        sys.stderr.write(
            f"The app database needs {len(plan)} migrations: run `vaxelstat migrate` first "
            "(after a backup: docs/production.md).\n"
        )
        sys.exit(2)
    call_command("migrate", interactive=False, verbosity=0)


# The data commands, which need none of Django's system checks (they import every page
# to check its URLs: a third of a command's time). `serve` and `check` keep them.
_NO_CHECKS = {"import", "report", "calls", "org", "point", "retention", "store"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxelstat.settings")
    import django
    from django.core.management import execute_from_command_line

    argv = sys.argv[1:]
    if argv and argv[0] not in _NO_AUTO_MIGRATE:
        django.setup()
        _migrate_if_needed()
    if argv and argv[0] in _NO_CHECKS and "--skip-checks" not in argv:
        argv = [argv[0], "--skip-checks", *argv[1:]]
    execute_from_command_line(["vaxelstat", *argv])


if __name__ == "__main__":
    main()

"""The `vaxelstat` command: the product's management commands (and the few of Django's an
operator uses) with the project's settings."""

import os
import sys
from typing import IO

# The commands that must run without migrating first.
_NO_AUTO_MIGRATE = {
    "migrate",
    # (A restore brings its own app database.)
    "restore",
    "showmigrations",
    "check",
    "shell",
    "dbshell",
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


# Django's commands an operator uses, beside the product's own (docs/production.md); the
# rest of Django's (flush, startproject, …) are not the product's and are not run.
_DJANGO_KEPT = {
    "check": "Check the settings; with --deploy, the settings unsafe in production.",
    "createsuperuser": "Create an operator account (all organizations).",
    "changepassword": "Set a user's password: `changepassword EMAIL`.",
    "showmigrations": "List the app database's migrations and which have been applied.",
    "dbshell": "Open the app database's own shell (sqlite3 or psql).",
    "shell": "A Python shell with the product loaded (for support work).",
}


def _own_commands() -> dict[str, str]:
    """The product's own commands (its apps' management commands), with their apps."""
    from django.core.management import get_commands

    return {name: app for name, app in get_commands().items() if app.startswith("vaxelstat.")}


def _product_commands() -> dict[str, str]:
    """The commands `vaxelstat` runs, with one line each: the product's own and the Django
    commands kept (each command's module is imported: for the help only)."""
    from django.core.management import load_command_class

    commands = dict(_DJANGO_KEPT)
    commands["collect"] = "Follow growing PBX logs beside the PBX and send their new lines."
    for name, app in _own_commands().items():
        command = load_command_class(app, name)
        commands[name] = getattr(command, "summary", "") or command.help.split(". ")[0]
    return dict(sorted(commands.items()))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vaxelstat")
    except PackageNotFoundError:
        return "unknown"


def _usage(out: IO[str]) -> None:
    commands = _product_commands()
    width = max(len(name) for name in commands)
    out.write(
        "Växelstatistik: call statistics of hosted switchboards.\n\n"
        "Usage: vaxelstat COMMAND [OPTIONS]\n\nCommands:\n"
    )
    for name, line in commands.items():
        out.write(f"  {name.ljust(width)}  {line}\n")
    out.write(
        "\n`vaxelstat COMMAND --help` describes a command's options; "
        "`vaxelstat --version` prints the version.\n"
    )


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxelstat.settings")
    import django
    from django.core.management import execute_from_command_line

    argv = sys.argv[1:]
    if argv and argv[0] in ("--version", "version"):
        sys.stdout.write(f"vaxelstat {_version()}\n")
        return
    if argv and argv[0] == "collect":
        # The collector runs beside the PBX: no database, no Django.
        from vaxelstat.collect import main as collect

        sys.exit(collect(argv[1:]))
    django.setup()
    if not argv or argv in (["-h"], ["--help"], ["help"]):
        _usage(sys.stdout)
        return
    if argv[0] == "help":
        argv = [argv[1], "--help"]
    if argv[0] not in _DJANGO_KEPT and argv[0] not in _own_commands():
        sys.stderr.write(
            f"vaxelstat: no command {argv[0]!r}. `vaxelstat --help` lists the commands.\n"
        )
        sys.exit(2)
    if argv[0] not in _NO_AUTO_MIGRATE and "--help" not in argv and "-h" not in argv:
        _migrate_if_needed()
    if argv[0] in _NO_CHECKS and "--skip-checks" not in argv:
        argv = [argv[0], "--skip-checks", *argv[1:]]
    execute_from_command_line(["vaxelstat", *argv])


if __name__ == "__main__":
    main()

"""The `vaxelstat` command: Django's management commands with the project's settings."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxelstat.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["vaxelstat", *sys.argv[1:]])


if __name__ == "__main__":
    main()

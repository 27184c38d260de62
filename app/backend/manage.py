#!/usr/bin/env python3
"""Django's command-line utility for the craftctl demo application."""
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "craftapp.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    # Django defers a settings error until something reads a setting, and
    # then which error the user sees depends on the order its checks run in
    # (a set: it changes from run to run). Read the settings first so a
    # missing DJANGO_SECRET_KEY is always one clear line, not a traceback.
    try:
        settings.INSTALLED_APPS
    except ImproperlyConfigured as exc:
        sys.exit(f"manage.py: {exc}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

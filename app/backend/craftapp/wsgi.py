"""WSGI entry point for gunicorn: craftapp.wsgi:application."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "craftapp.settings")

application = get_wsgi_application()

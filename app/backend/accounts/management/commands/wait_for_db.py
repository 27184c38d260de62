"""Wait until the database accepts connections (used before migrating at start)."""
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection


class Command(BaseCommand):
    help = "Wait until the database accepts connections, up to --timeout seconds."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=60.0)
        parser.add_argument("--interval", type=float, default=1.0)

    def handle(self, *args, timeout, interval, **options):
        deadline = time.monotonic() + timeout
        attempt = 0
        while True:
            attempt += 1
            try:
                connection.ensure_connection()
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
                self.stdout.write(f"database ready after {attempt} attempt(s)")
                return
            except DatabaseError as exc:
                connection.close()
                if time.monotonic() + interval > deadline:
                    raise CommandError(f"database not reachable after {timeout:g}s: {exc}".strip())
                time.sleep(interval)

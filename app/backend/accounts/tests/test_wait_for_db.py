"""manage.py wait_for_db: the container's start waits for PostgreSQL before migrating."""
import socket
import threading
import time
from io import StringIO

from django.core.management import CommandError, call_command
from django.db import connection
from django.test import TransactionTestCase

from .db import closed_port, database_at


class LateDatabase:
    """PostgreSQL coming up late: a listener that hangs up on the first
    `refuse` connections, then relays each one to the real database."""

    def __init__(self, target_host, target_port, refuse):
        self.target = (target_host, int(target_port))
        self.refuse = refuse
        self.refused = 0
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.spawn(self.accept)

    def spawn(self, fn, *args):
        threading.Thread(target=fn, args=args, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refused < self.refuse:
                self.refused += 1
                client.close()
                continue
            upstream = socket.create_connection(self.target, timeout=5)
            self.spawn(self.pipe, client, upstream)
            self.spawn(self.pipe, upstream, client)

    @staticmethod
    def pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.listener.close()


class WaitForDatabaseTests(TransactionTestCase):
    def test_waits_until_the_database_accepts_connections(self):
        late = LateDatabase(connection.settings_dict["HOST"] or "127.0.0.1", connection.settings_dict["PORT"] or 5432, refuse=3)
        self.addCleanup(late.close)
        out = StringIO()
        with database_at(late.port):
            call_command("wait_for_db", "--timeout", "60", "--interval", "0.2", stdout=out)
        self.assertEqual(late.refused, 3)
        self.assertIn("database ready after 4 attempt(s)", out.getvalue())

    def test_gives_up_after_its_timeout(self):
        start = time.monotonic()
        with database_at(closed_port()), self.assertRaises(CommandError) as caught:
            call_command("wait_for_db", "--timeout", "1", "--interval", "0.2", stdout=StringIO())
        self.assertIn("database not reachable after 1s", str(caught.exception))
        self.assertLess(time.monotonic() - start, 30)

    def test_ready_database_answers_at_once(self):
        out = StringIO()
        call_command("wait_for_db", "--timeout", "5", stdout=out)
        self.assertIn("database ready after 1 attempt(s)", out.getvalue())

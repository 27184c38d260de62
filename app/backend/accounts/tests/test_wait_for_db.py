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
    """A TCP port that refuses connections until open() is called, then
    forwards each one to the real database: PostgreSQL coming up late."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, int(target_port))
        self.port = closed_port()
        self.listener = None
        self.threads = []

    def open(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(8)
        self.spawn(self.accept)

    def spawn(self, fn, *args):
        thread = threading.Thread(target=fn, args=args, daemon=True)
        thread.start()
        self.threads.append(thread)

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
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
        if self.listener is not None:
            self.listener.close()


class WaitForDatabaseTests(TransactionTestCase):
    def test_waits_until_the_database_accepts_connections(self):
        late = LateDatabase(connection.settings_dict["HOST"] or "127.0.0.1", connection.settings_dict["PORT"] or 5432)
        self.addCleanup(late.close)
        opener = threading.Timer(1.5, late.open)
        self.addCleanup(opener.cancel)
        out = StringIO()
        start = time.monotonic()
        with database_at(late.port):
            opener.start()
            call_command("wait_for_db", "--timeout", "60", "--interval", "0.2", stdout=out)
        elapsed = time.monotonic() - start
        attempts = int(out.getvalue().split("after ")[1].split(" ")[0])
        self.assertGreater(attempts, 1, out.getvalue())
        self.assertGreaterEqual(elapsed, 1.4)

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

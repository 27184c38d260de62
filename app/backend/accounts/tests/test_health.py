"""GET /api/health: release id, database state, and a quick 503 when PostgreSQL is gone."""
import socket
import time
from contextlib import contextmanager

from django.db import connection
from django.test import SimpleTestCase, TestCase, TransactionTestCase, override_settings

from .db import closed_port, database_at


class HealthTests(TestCase):
    @override_settings(RELEASE_ID="20261129T193000Z-abc1234", RELEASED_AT="2026-11-29T19:30:00Z")
    def test_ok_with_release(self):
        response = self.client.get("/api/health")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.json(),
            {
                "status": "ok",
                "database": "ok",
                "release": "20261129T193000Z-abc1234",
                "released_at": "2026-11-29T19:30:00Z",
            },
        )
        self.assertIn("no-cache", response["Cache-Control"])

    def test_head(self):
        self.assertEqual(self.client.head("/api/health").status_code, 200)

    def test_post_not_allowed(self):
        self.assertEqual(self.client.post("/api/health").status_code, 405)


@contextmanager
def listener_that_never_answers():
    """A TCP port whose kernel completes the handshake but nobody ever speaks."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


class HealthWithoutDatabaseTests(TransactionTestCase):
    """Points the live connection at a dead address, then restores it."""

    def assert_unavailable_quickly(self, limit):
        start = time.monotonic()
        response = self.client.get("/api/health")
        elapsed = time.monotonic() - start
        self.assertEqual(response.status_code, 503)
        body = response.json()
        self.assertEqual(body["database"], "unavailable")
        self.assertNotEqual(body["status"], "ok")
        self.assertIn("release", body)
        self.assertLess(elapsed, limit)
        return elapsed

    def test_refused_connection(self):
        with database_at(closed_port()):
            self.assert_unavailable_quickly(limit=2.0)

    def test_silent_server_times_out(self):
        timeout = connection.settings_dict["OPTIONS"]["connect_timeout"]
        with listener_that_never_answers() as port, database_at(port):
            elapsed = self.assert_unavailable_quickly(limit=timeout + 3)
        # It did wait for the server, so the timeout (not a refusal) answered.
        self.assertGreaterEqual(elapsed, min(timeout, 2) - 0.5)

    def test_recovers_when_database_returns(self):
        with database_at(closed_port()):
            self.assertEqual(self.client.get("/api/health").status_code, 503)
        self.assertEqual(self.client.get("/api/health").status_code, 200)


class AdminTests(TestCase):
    def test_admin_login_page(self):
        response = self.client.get("/admin/login/")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "/static/admin/css/base.css")

    def test_admin_requires_login(self):
        response = self.client.get("/admin/")
        self.assertEqual(response.status_code, 302)
        self.assertIn("/admin/login/", response["Location"])

    def test_admin_sign_in_with_session(self):
        from django.contrib.auth import get_user_model

        get_user_model().objects.create_superuser("root", "root@example.com", "an-admin-password-9")
        self.assertTrue(self.client.login(username="root", password="an-admin-password-9"))
        response = self.client.get("/admin/accounts/token/")
        self.assertEqual(response.status_code, 200)


class StaticFilesTests(SimpleTestCase):
    def test_admin_static_files_are_found(self):
        from django.contrib.staticfiles import finders

        self.assertTrue(finders.find("admin/css/base.css"))

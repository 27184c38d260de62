"""Settings come from the environment and are secure when debug is off."""
import os
import re
import subprocess
import sys
from pathlib import Path

from django.test import SimpleTestCase, TestCase

BACKEND = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3y-" + "x7Qp2Lm9Zr4Tv8Wn1Bc6Hd5Jf0Gs3Ky" * 2


def manage(*args, **env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BACKEND,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def warning_ids(output):
    return sorted(set(re.findall(r"\((security\.\w+)\)", output)))


class MigrationsTests(TestCase):
    def test_models_and_migrations_agree(self):
        from io import StringIO

        from django.core.management import call_command

        out = StringIO()
        try:
            call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
        except SystemExit:
            self.fail("models changed without a migration:\n" + out.getvalue())


class DeploySettingsTests(SimpleTestCase):
    def test_secret_key_required_without_debug(self):
        result = manage("check")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("DJANGO_SECRET_KEY", result.stderr)
        self.assertNotIn("Traceback", result.stderr)

    def test_debug_defaults_to_off(self):
        result = manage("shell", "-c", "from django.conf import settings; print(settings.DEBUG)", DJANGO_SECRET_KEY=STRONG_KEY)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(), "False")

    def test_check_deploy_leaves_only_tls_decisions(self):
        # Plain http behind nginx: the only findings are the ones TLS decides.
        result = manage("check", "--deploy", "--fail-level", "ERROR", DJANGO_SECRET_KEY=STRONG_KEY, DJANGO_ALLOWED_HOSTS="app.example.com")
        self.assertEqual(result.returncode, 0, result.stderr)
        found = warning_ids(result.stdout + result.stderr)
        self.assertTrue(set(found) <= {"security.W004", "security.W008", "security.W012", "security.W016"}, found)

    def test_check_deploy_is_clean_with_https(self):
        result = manage(
            "check", "--deploy", "--fail-level", "WARNING",
            DJANGO_SECRET_KEY=STRONG_KEY, DJANGO_ALLOWED_HOSTS="app.example.com", DJANGO_HTTPS="1", DJANGO_HSTS_PRELOAD="1",
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(warning_ids(result.stdout + result.stderr), [])

    def test_https_without_preload_only_asks_about_preload(self):
        result = manage("check", "--deploy", DJANGO_SECRET_KEY=STRONG_KEY, DJANGO_ALLOWED_HOSTS="app.example.com", DJANGO_HTTPS="1")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(warning_ids(result.stdout + result.stderr), ["security.W021"])

    def test_public_host_from_the_deploy_is_allowed(self):
        code = "from django.conf import settings as s; print(s.ALLOWED_HOSTS, s.CSRF_TRUSTED_ORIGINS)"
        result = manage("shell", "-c", code, DJANGO_SECRET_KEY=STRONG_KEY, PUBLIC_HOST="203.0.113.9")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("'203.0.113.9'", result.stdout)
        without = manage("shell", "-c", code, DJANGO_SECRET_KEY=STRONG_KEY, PUBLIC_HOST="")
        self.assertNotIn("203.0.113.9", without.stdout)

    def test_environment_is_read(self):
        code = (
            "from django.conf import settings as s;"
            "print(s.ALLOWED_HOSTS, s.RELEASE_ID, s.DATABASES['default']['HOST'], s.DATABASES['default']['NAME'])"
        )
        result = manage(
            "shell", "-c", code,
            DJANGO_SECRET_KEY=STRONG_KEY, DJANGO_ALLOWED_HOSTS="a.example, b.example",
            RELEASE_ID="r42", POSTGRES_HOST="db.internal", POSTGRES_DB="shop",
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(
            result.stdout.strip(),
            "['a.example', 'b.example', 'localhost', '127.0.0.1'] r42 db.internal shop",
        )

    def test_database_credentials_and_csrf_origins_are_read(self):
        code = (
            "import django; from django.conf import settings as s; d = s.DATABASES['default'];"
            "print(d['PORT'], d['USER'], d['PASSWORD'], django.VERSION[0] >= 4, s.CSRF_TRUSTED_ORIGINS)"
        )
        result = manage(
            "shell", "-c", code,
            DJANGO_SECRET_KEY=STRONG_KEY, POSTGRES_PORT="6543", POSTGRES_USER="shopper", POSTGRES_PASSWORD="pw-from-env",
            DJANGO_CSRF_TRUSTED_ORIGINS="https://app.example.com, https://www.example.com", PUBLIC_HOST="",
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        port, user, password, scheme_kept, origins = result.stdout.strip().split(" ", 4)
        self.assertEqual((port, user, password), ("6543", "shopper", "pw-from-env"))
        # Django 4+ wants the scheme; 3.2 compares bare host names.
        if scheme_kept == "True":
            self.assertEqual(origins, "['https://app.example.com', 'https://www.example.com']")
        else:
            self.assertEqual(origins, "['app.example.com', 'www.example.com']")

    def test_debug_on_runs_without_a_secret_key(self):
        code = "from django.conf import settings as s; print(s.DEBUG, bool(s.SECRET_KEY))"
        result = manage("shell", "-c", code, DJANGO_DEBUG="1")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(), "True True")

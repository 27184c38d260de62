"""The auth API contract: register, login, me, logout, token expiry and revocation."""
import json
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.test import Client, TestCase, override_settings
from django.utils import timezone

from accounts.models import Token, digest

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
GOOD_PASSWORD = "correct-horse-battery-staple-42"


def post(client, path, body, **extra):
    return client.post(path, data=json.dumps(body), content_type="application/json", **extra)


@override_settings(PASSWORD_HASHERS=FAST_HASHERS)
class ApiTestCase(TestCase):
    def setUp(self):
        # Enforce CSRF like a browser would: the API must not depend on it.
        self.client = Client(enforce_csrf_checks=True)

    def register(self, email="ada@example.com", username="ada", password=GOOD_PASSWORD):
        return post(self.client, "/api/auth/register", {"email": email, "username": username, "password": password})

    def login(self, email="ada@example.com", password=GOOD_PASSWORD):
        return post(self.client, "/api/auth/login", {"email": email, "password": password})

    def token_for(self, email="ada@example.com"):
        self.register(email=email, username=email.split("@")[0])
        response = self.login(email=email)
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()["token"]

    def me(self, token):
        return self.client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}")


class RegisterTests(ApiTestCase):
    def test_creates_user_and_returns_it(self):
        response = self.register(email="Ada@Example.com")
        self.assertEqual(response.status_code, 201)
        self.assertEqual(response["Content-Type"], "application/json")
        body = response.json()
        self.assertEqual(body["email"], "ada@example.com")
        self.assertEqual(body["username"], "ada")
        self.assertIn("id", body)
        self.assertNotIn("password", body)
        user = get_user_model().objects.get(email="ada@example.com")
        self.assertNotEqual(user.password, GOOD_PASSWORD)
        self.assertTrue(user.check_password(GOOD_PASSWORD))

    def test_invalid_email_is_a_field_error(self):
        response = self.register(email="not-an-email")
        self.assertEqual(response.status_code, 400)
        self.assertIn("email", response.json()["errors"])
        self.assertFalse(get_user_model().objects.exists())

    def test_weak_passwords_are_field_errors(self):
        for weak in ["short1", "password", "12345678901", "ada@example.com"]:
            with self.subTest(password=weak):
                response = self.register(password=weak)
                self.assertEqual(response.status_code, 400)
                errors = response.json()["errors"]
                self.assertEqual(list(errors), ["password"])
                self.assertTrue(errors["password"])
        self.assertFalse(get_user_model().objects.exists())

    def test_missing_fields_are_all_reported(self):
        response = post(self.client, "/api/auth/register", {})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.json()["errors"]), {"email", "username", "password"})

    def test_invalid_username(self):
        response = self.register(username="no spaces allowed!")
        self.assertEqual(response.status_code, 400)
        self.assertIn("username", response.json()["errors"])

    def test_email_already_used_is_a_conflict(self):
        self.assertEqual(self.register().status_code, 201)
        response = self.register(email="ADA@example.com", username="ada2")
        self.assertEqual(response.status_code, 409)
        self.assertIn("email", response.json()["errors"])
        self.assertEqual(get_user_model().objects.count(), 1)

    def test_username_already_used_is_a_conflict(self):
        self.assertEqual(self.register().status_code, 201)
        response = self.register(email="other@example.com", username="Ada")
        self.assertEqual(response.status_code, 409)
        self.assertIn("username", response.json()["errors"])

    def test_body_must_be_json(self):
        for path in ("/api/auth/register", "/api/auth/login"):
            with self.subTest(path=path):
                response = self.client.post(path, data="email=x", content_type="application/x-www-form-urlencoded")
                self.assertEqual(response.status_code, 400)
                self.assertEqual(response.json(), {"detail": "request body must be JSON"})
                response = self.client.post(path, data="[1]", content_type="application/json")
                self.assertEqual(response.status_code, 400)
                self.assertEqual(response.json(), {"detail": "request body must be a JSON object"})

    def test_only_post(self):
        response = self.client.get("/api/auth/register")
        self.assertEqual(response.status_code, 405)
        self.assertEqual(response["Allow"], "POST")


class LoginTests(ApiTestCase):
    def setUp(self):
        super().setUp()
        self.assertEqual(self.register().status_code, 201)

    def test_returns_token_and_user(self):
        response = self.login(email="ADA@example.com")
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(body["user"]["email"], "ada@example.com")
        self.assertGreaterEqual(len(body["token"]), 40)
        self.assertIn("expires_at", body)

    def test_token_is_stored_hashed(self):
        raw = self.login().json()["token"]
        token = Token.objects.get()
        self.assertEqual(token.key_hash, digest(raw))
        self.assertNotIn(raw, token.key_hash)
        self.assertFalse(Token.objects.filter(key_hash=raw).exists())
        self.assertEqual(token.prefix, raw[:8])

    def test_each_login_issues_a_new_token(self):
        first = self.login().json()["token"]
        second = self.login().json()["token"]
        self.assertNotEqual(first, second)
        self.assertEqual(Token.objects.count(), 2)

    def test_wrong_password(self):
        response = self.login(password="wrong-password-123")
        self.assertEqual(response.status_code, 401)
        self.assertNotIn("token", response.json())
        self.assertFalse(Token.objects.exists())

    def test_unknown_email(self):
        response = self.login(email="nobody@example.com")
        self.assertEqual(response.status_code, 401)

    def test_inactive_user(self):
        get_user_model().objects.filter(email="ada@example.com").update(is_active=False)
        self.assertEqual(self.login().status_code, 401)

    def test_missing_fields(self):
        response = post(self.client, "/api/auth/login", {"email": "ada@example.com"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("password", response.json()["errors"])

    @override_settings(API_TOKEN_TTL=600)
    def test_expiry_follows_the_configured_lifetime(self):
        # Bounded by the clock around the request, however long it takes.
        before = timezone.now()
        body = self.login().json()
        after = timezone.now()
        token = Token.objects.get()
        self.assertEqual(token.expires_at - token.created_at, timedelta(seconds=600))
        self.assertGreaterEqual(token.expires_at, before + timedelta(seconds=600))
        self.assertLessEqual(token.expires_at, after + timedelta(seconds=600))
        self.assertEqual(body["expires_at"], token.expires_at.isoformat())


class MeTests(ApiTestCase):
    def test_returns_the_user_with_email(self):
        token = self.token_for()
        response = self.me(token)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["email"], "ada@example.com")
        self.assertEqual(response.json()["username"], "ada")
        self.assertIsNotNone(Token.objects.get().last_used_at)

    def test_missing_token(self):
        response = self.client.get("/api/auth/me")
        self.assertEqual(response.status_code, 401)
        self.assertTrue(response["WWW-Authenticate"].startswith("Bearer"))

    def test_bad_token(self):
        self.token_for()
        self.assertEqual(self.me("not-a-real-token").status_code, 401)

    def test_wrong_scheme(self):
        token = self.token_for()
        response = self.client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Token {token}")
        self.assertEqual(response.status_code, 401)

    def test_expired_token(self):
        token = self.token_for()
        self.assertEqual(self.me(token).status_code, 200)
        Token.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        self.assertEqual(self.me(token).status_code, 401)

    @override_settings(API_TOKEN_TTL=0)
    def test_token_with_zero_lifetime_is_dead_on_arrival(self):
        token = self.token_for()
        self.assertEqual(self.me(token).status_code, 401)

    def test_revoked_token(self):
        token = self.token_for()
        Token.objects.get().revoke()
        self.assertEqual(self.me(token).status_code, 401)

    def test_token_of_deactivated_user(self):
        token = self.token_for()
        get_user_model().objects.update(is_active=False)
        self.assertEqual(self.me(token).status_code, 401)

    def test_tokens_are_per_user(self):
        ada = self.token_for("ada@example.com")
        bob = self.token_for("bob@example.com")
        self.assertEqual(self.me(ada).json()["email"], "ada@example.com")
        self.assertEqual(self.me(bob).json()["email"], "bob@example.com")


class LogoutTests(ApiTestCase):
    def logout(self, token):
        return self.client.post("/api/auth/logout", HTTP_AUTHORIZATION=f"Bearer {token}")

    def test_logout_revokes_the_token(self):
        token = self.token_for()
        response = self.logout(token)
        self.assertIn(response.status_code, (200, 204))
        self.assertIsNotNone(Token.objects.get().revoked_at)
        self.assertEqual(self.me(token).status_code, 401)
        self.assertEqual(self.logout(token).status_code, 401)

    def test_logout_keeps_other_sessions(self):
        self.register()
        first = self.login().json()["token"]
        second = self.login().json()["token"]
        self.logout(first)
        self.assertEqual(self.me(first).status_code, 401)
        self.assertEqual(self.me(second).status_code, 200)

    def test_logout_needs_a_token(self):
        self.assertEqual(self.client.post("/api/auth/logout").status_code, 401)

    def test_unknown_api_path_is_json_404(self):
        response = self.client.get("/api/nope")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json(), {"detail": "not found"})

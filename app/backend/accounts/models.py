"""Users and API tokens.

A token is shown to the client once, at login; the database keeps only its
SHA-256 digest, so a leaked table does not hand out sessions. Tokens expire
(settings.API_TOKEN_TTL) and are revoked at logout.
"""
import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class User(AbstractUser):
    email = models.EmailField("email address", unique=True)

    def as_json(self):
        return {
            "id": self.pk,
            "email": self.email,
            "username": self.username,
            "date_joined": self.date_joined.isoformat(),
        }


def digest(raw):
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class TokenManager(models.Manager):
    def issue(self, user, ttl=None):
        """Create a token for user; return (token, raw key). The raw key is not stored."""
        raw = secrets.token_urlsafe(32)
        seconds = settings.API_TOKEN_TTL if ttl is None else ttl
        now = timezone.now()
        token = self.create(
            user=user,
            key_hash=digest(raw),
            prefix=raw[:8],
            created_at=now,
            expires_at=now + timedelta(seconds=seconds),
        )
        return token, raw

    def find_active(self, raw):
        """The live token for a raw key, or None (unknown, expired or revoked)."""
        if not raw:
            return None
        token = (
            self.select_related("user")
            .filter(key_hash=digest(raw), revoked_at__isnull=True, expires_at__gt=timezone.now())
            .first()
        )
        if token is None or not token.user.is_active:
            return None
        return token


class Token(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="first characters of the key, to tell tokens apart")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = TokenManager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @property
    def is_active(self):
        return self.revoked_at is None and self.expires_at > timezone.now()

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

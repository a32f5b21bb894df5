from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "dp_"


def hash_token(token: str) -> str:
    """Tokens are long random strings: a plain SHA-256 is enough to keep them unreadable at rest."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token; only its hash is stored, it is shown once when created."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="The first characters, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def create_for(cls, user: models.Model, name: str) -> tuple[ApiToken, str]:
        """A new token for the user; returns the row and the secret, which is not stored."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name.strip()[:100] or "API token",
            prefix=secret[:10],
            key_hash=hash_token(secret),
        )
        return token, secret

    @classmethod
    def user_for(cls, secret: str) -> User | None:
        """The active user a token secret belongs to, or None. The secret is hashed before any
        comparison (a lookup's timing tells only of the hash of a guess, never of a secret),
        and the hashes are compared in constant time."""
        key_hash = hash_token(secret)
        found = cls.objects.select_related("user").filter(key_hash=key_hash).first()
        if found is None or not hmac.compare_digest(found.key_hash, key_hash):
            return None
        if not found.user.is_active:
            return None
        now = timezone.now()
        if not found.last_used_at or now - found.last_used_at > dt.timedelta(minutes=5):
            cls.objects.filter(pk=found.pk).update(last_used_at=now)
        return found.user

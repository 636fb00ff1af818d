import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vaxelstat.orgs.models import hash_token


class ApiToken(models.Model):
    """An API key: a user's own, read-only, with that user's permissions. Only its SHA-256 is
    kept; the key itself is shown once, when it is made."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(_("namn"), max_length=100)
    token_sha256 = models.CharField(max_length=64, unique=True)
    # The key's first characters, to tell keys apart in the list.
    prefix = models.CharField(max_length=8)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def make(cls, user: object, name: str) -> tuple["ApiToken", str]:
        """A new key for `user`: the saved row and the key, which is not kept."""
        key = "vx_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, token_sha256=hash_token(key), prefix=key[:8]
        )
        return token, key

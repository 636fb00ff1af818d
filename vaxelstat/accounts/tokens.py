"""Activation and password reset links: one use (they depend on the password), and they
expire after settings.PASSWORD_RESET_TIMEOUT."""

from enum import StrEnum

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.http import base36_to_int

from vaxelstat.accounts.models import User


class LinkState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    SPENT = "spent"


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "vaxelstat.accounts.tokens.ActivationTokenGenerator"


activation_tokens = ActivationTokenGenerator()
reset_tokens = PasswordResetTokenGenerator()
TOKENS = {"activate": activation_tokens, "reset": reset_tokens}


def link_state(generator: PasswordResetTokenGenerator, user: User | None, token: str) -> LinkState:
    """Valid; expired (made longer ago than the timeout); or spent (used, or never valid)."""
    if user is not None and generator.check_token(user, token):
        return LinkState.VALID
    try:
        made = base36_to_int(token.split("-")[0])
    except ValueError:
        return LinkState.SPENT
    # The generator counts seconds from 2001-01-01.
    age = generator._num_seconds(generator._now()) - made
    return LinkState.EXPIRED if age > settings.PASSWORD_RESET_TIMEOUT else LinkState.SPENT

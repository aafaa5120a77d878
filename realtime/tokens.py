"""Host API tokens (DRF's `Token`) expiring `QUIZZONE_API_TOKEN_TTL_DAYS` after they were issued (0: never).

A login (`POST /api/auth/token/`) hands back the user's token while it is valid and a new one once it has
expired; an expired token is refused by the REST API (401, saying so) and by the host's WebSocket.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

EXPIRED = "token expired: get a new one from POST /api/auth/token/"


def token_expires_at(token: Token) -> datetime | None:
    days = settings.QUIZZONE_API_TOKEN_TTL_DAYS
    return token.created + timedelta(days=days) if days > 0 else None


def token_expired(token: Token) -> bool:
    expires_at = token_expires_at(token)
    return expires_at is not None and expires_at <= timezone.now()


def token_for(user) -> Token:
    """The user's token, a new one if there is none or it has expired (the old key stops working)."""
    token, created = Token.objects.get_or_create(user=user)
    if not created and token_expired(token):
        token.delete()
        token = Token.objects.create(user=user)
    return token


def user_for_token(key: str):
    """The active user of a valid token, else None (unknown, expired, or an inactive user)."""
    try:
        token = Token.objects.select_related("user").get(key=key)
    except Token.DoesNotExist:
        return None
    if token_expired(token) or not token.user.is_active:
        return None
    return token.user


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise AuthenticationFailed(EXPIRED)
        return user, token

"""WebSocket authentication: the Django session cookie, or an `Authorization: Token <key>` header."""

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser


@database_sync_to_async
def _user_for_token(key: str):
    from .tokens import user_for_token  # DRF's models: not before the apps are loaded

    return user_for_token(key)


class TokenAuthMiddleware:
    """Sets scope["user"] from a DRF token header; falls back to what the session middleware found."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers", []))
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if auth.lower().startswith("token "):
            user = await _user_for_token(auth[6:].strip())
            scope = dict(scope, user=user or AnonymousUser())
        return await self.inner(scope, receive, send)


def SessionTokenAuthMiddlewareStack(inner):  # noqa: N802 - mirrors channels' AuthMiddlewareStack
    return AuthMiddlewareStack(TokenAuthMiddleware(inner))

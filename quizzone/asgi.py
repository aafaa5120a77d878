"""ASGI entry point: HTTP goes to Django, WebSockets through origin check and session/token auth."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quizzone.settings.local")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import re_path  # noqa: E402

from chat.routing import websocket_urlpatterns as chat_urls  # noqa: E402
from realtime.gateway import GatewayFirst  # noqa: E402
from realtime.ws_auth import SessionTokenAuthMiddlewareStack  # noqa: E402
from rooms.routing import host_urlpatterns, player_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": GatewayFirst(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(
            URLRouter(
                [
                    *player_urlpatterns,
                    re_path(r"", SessionTokenAuthMiddlewareStack(URLRouter(host_urlpatterns + chat_urls))),
                ]
            )
        ),
    }
)

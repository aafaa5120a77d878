"""The API's docs pages, Swagger UI (/api/docs/) and ReDoc (/api/redoc/), from drf-spectacular-sidecar's
copies served here, so they work without the internet. Each page also tells the browser so: its
Content-Security-Policy allows nothing from another host (ReDoc's bundle draws the "API docs by Redocly"
logo from cdn.redoc.ly and offers no switch to turn it off; the policy stops the request, the link stays)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

# Both pages start their script inline; Swagger UI styles inline and draws its icons as data: images.
POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class SelfOnly:
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        response["Content-Security-Policy"] = POLICY
        return response


class SwaggerView(SelfOnly, SpectacularSwaggerView):
    pass


class RedocView(SelfOnly, SpectacularRedocView):
    template_name = "api/redoc.html"  # drf-spectacular's, without its Google Fonts links

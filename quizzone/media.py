"""Uploaded files (the questions' images) from MEDIA_ROOT, the same in `make run`, tests and production.

Only images are served, by extension: an upload is checked by Pillow, but a file that decodes as an image may
also be something else to a browser. nosniff (SecurityMiddleware) and a sandboxing CSP make sure it is only
ever an image. In production MEDIA_ROOT must be the same directory on every machine (docs/deploy.md).
"""

from __future__ import annotations

from pathlib import PurePosixPath

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views import static
from django.views.decorators.http import require_safe

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif"}
MAX_AGE_SECONDS = 3600


@require_safe
def media_file(request: HttpRequest, path: str) -> HttpResponse:
    if PurePosixPath(path).suffix.lower() not in IMAGE_SUFFIXES:
        raise Http404("Not an image.")
    response = static.serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = f"public, max-age={MAX_AGE_SECONDS}"
    return response

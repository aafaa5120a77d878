"""What a question's image may be: a real PNG, JPEG, GIF or WebP (decoded by Pillow) of at most 5 MB."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image

MAX_BYTES = 5 * 1024 * 1024
FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}


def image_check(file: Any) -> None:
    if file.size > MAX_BYTES:
        raise ValidationError(_("An image is at most 5 MB."), code="image_too_large")
    image = getattr(file, "image", None)  # set by forms.ImageField once Pillow has read the upload
    if image is None:
        try:
            file.seek(0)
            with Image.open(file) as opened:
                image_format = opened.format
        except Exception as exc:  # Pillow raises many kinds for a file that is not an image
            raise ValidationError(_("Upload a PNG, JPEG, GIF or WebP image."), code="image_type") from exc
        finally:
            file.seek(0)
    else:
        image_format = image.format
    if image_format not in FORMATS:
        raise ValidationError(_("Upload a PNG, JPEG, GIF or WebP image."), code="image_type")

"""What a question's image may be: a real PNG, JPEG, GIF or WebP (decoded by Pillow) of at most 5 MB; and
the removal of image files no question uses any more (a copied quiz shares its original's files)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
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


# Other apps say whether a quiz is being played (results: a game not finished): a live game shows the
# pictures it started with, so their files stay until a later release.
QUIZ_IN_PLAY: list[Callable[[int], bool]] = []


def image_files_release(names: list[str], quiz_id: int) -> None:
    """Deletes these stored image files, once the transaction commits, unless a question still uses them or
    their quiz is being played."""
    names = [name for name in names if name]
    if names:
        transaction.on_commit(lambda: _unused_delete(names, quiz_id))


def _unused_delete(names: list[str], quiz_id: int) -> None:
    from .models import Question

    if any(in_play(quiz_id) for in_play in QUIZ_IN_PLAY):
        return
    used = set(Question.objects.filter(image__in=names).values_list("image", flat=True))
    storage = Question._meta.get_field("image").storage
    for name in set(names) - used:
        storage.delete(name)


def question_deleted(sender: type, instance: Any, **kwargs: Any) -> None:
    """post_delete of a Question, however it went (editor, API, admin, a cascade): its file may go."""
    image_files_release([instance.image.name], instance.quiz_id)

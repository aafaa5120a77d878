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


def _in_play(quiz_id: int) -> bool:
    return any(in_play(quiz_id) for in_play in QUIZ_IN_PLAY)


def _unused(names: set[str]) -> set[str]:
    from .models import Question

    return names - set(Question.objects.filter(image__in=names).values_list("image", flat=True))


def _files_delete(names: set[str]) -> None:
    from .models import Question

    storage = Question._meta.get_field("image").storage
    for name in names:
        storage.delete(name)


def _unused_delete(names: list[str], quiz_id: int) -> None:
    from .models import ImageFileKept

    unused = _unused(set(names))
    if unused and _in_play(quiz_id):
        kept = [ImageFileKept(name=name, quiz_id=quiz_id) for name in unused]
        ImageFileKept.objects.bulk_create(kept, ignore_conflicts=True)
    else:
        _files_delete(unused)


def image_files_release_kept() -> int:
    """Deletes the files kept for a game in play once no game of any quiz that kept them is still played
    and no question uses them again (Celery beat); returns how many files went."""
    from .models import ImageFileKept

    quizzes_of: dict[str, set[int]] = {}
    for name, quiz_id in ImageFileKept.objects.values_list("name", "quiz_id"):
        quizzes_of.setdefault(name, set()).add(quiz_id)
    in_play = {quiz_id for quiz_id in set().union(*quizzes_of.values()) if _in_play(quiz_id)}
    settled = {name for name, ids in quizzes_of.items() if not ids & in_play}
    unused = _unused(settled)
    _files_delete(unused)
    ImageFileKept.objects.filter(name__in=settled).delete()
    return len(unused)


def question_deleted(sender: type, instance: Any, **kwargs: Any) -> None:
    """post_delete of a Question, however it went (editor, API, admin, a cascade): its file may go."""
    image_files_release([instance.image.name], instance.quiz_id)

from django.apps import AppConfig
from django.db.models.signals import post_delete


class QuizzesConfig(AppConfig):
    name = "quizzes"
    verbose_name = "Quizzes"

    def ready(self) -> None:
        from .images import question_deleted
        from .models import Question

        post_delete.connect(question_deleted, sender=Question, dispatch_uid="quizzes.question_image_release")

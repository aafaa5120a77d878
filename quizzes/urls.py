from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter()
router.register("quizzes", api.QuizViewSet, basename="quiz")

urlpatterns = [
    path("auth/token/", api.TokenView.as_view(), name="api-token"),
    path("", include(router.urls)),
]

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api_games, api_quizzes

router = DefaultRouter()
router.register("quizzes", api_quizzes.QuizViewSet, basename="quiz")

urlpatterns = [
    path("auth/token/", api_quizzes.TokenView.as_view(), name="api-token"),
    path("games/", api_games.GameCreateView.as_view(), name="game-create"),
    path("games/<str:pin>/", api_games.GameDetailView.as_view(), name="game-detail"),
    path("games/<str:pin>/results/", api_games.GameResultsView.as_view(), name="game-results"),
    path("gateway/", api_games.GatewayView.as_view(), name="gateway"),
    path("", include(router.urls)),
]

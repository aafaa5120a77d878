from django.urls import path

from . import api

urlpatterns = [
    path("games/", api.GameCreateView.as_view(), name="game-create"),
    path("games/<str:pin>/", api.GameDetailView.as_view(), name="game-detail"),
    path("gateway/", api.GatewayView.as_view(), name="gateway"),
]

from django.urls import path

from . import api

urlpatterns = [
    path("games/<str:pin>/results/", api.GameResultsView.as_view(), name="game-results"),
    path("games/<str:pin>/results/workbook/", api.GameWorkbookView.as_view(), name="game-workbook"),
]

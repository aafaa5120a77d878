"""Browser pages (host console, player pages), included at the site root."""

from django.urls import path

from . import pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("login/", pages.LoginPage.as_view(), name="login"),
    path("logout/", pages.logout_page, name="logout"),
    path("host/", pages.host_quizzes, name="host-quizzes"),
    path("host/<str:pin>/", pages.host_console, name="host-console"),
    path("join/", pages.join, name="join"),
    path("join/<str:pin>/qr.svg", pages.join_qr, name="join-qr"),
    path("play/<str:pin>/", pages.play, name="play"),
]

"""Browser pages (host console, player pages), included at the site root."""

from django.conf import settings
from django.urls import path, re_path

from . import pages

STATIC_PREFIX = settings.STATIC_URL.strip("/")

urlpatterns = [
    path("", pages.home, name="home"),
    path("login/", pages.LoginPage.as_view(), name="login"),
    path("logout/", pages.logout_page, name="logout"),
    path("host/", pages.host_quizzes, name="host-quizzes"),
    path("host/<str:pin>/", pages.host_console, name="host-console"),
    path("join/", pages.join, name="join"),
    path("join/<str:pin>/qr.svg", pages.join_qr, name="join-qr"),
    path("play/<str:pin>/", pages.play, name="play"),
    re_path(rf"^{STATIC_PREFIX}/(?P<path>.+)$", pages.static_file, name="static-file"),
]

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from realtime import health

from . import apidocs, media

urlpatterns = [
    path("admin/", admin.site.urls),
    path("_nested_admin/", include("nested_admin.urls")),
    path("api/", include("quizzes.urls")),
    path("api/", include("rooms.urls")),
    path("api/", include("results.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", apidocs.SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", apidocs.RedocView.as_view(url_name="schema"), name="redoc"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("ops/status", health.ops_status, name="ops-status"),
    path("metrics", health.metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("quizzes.page_urls")),  # before rooms' host/<pin>/
    path("", include("rooms.page_urls")),
    path("", include("results.page_urls")),
    re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$", media.media_file, name="media"),
]

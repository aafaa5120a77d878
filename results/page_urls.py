from django.urls import path

from . import pages

urlpatterns = [
    path("host/<str:pin>/results/", pages.host_results, name="host-results"),
]
